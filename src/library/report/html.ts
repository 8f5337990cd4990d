// The comparison report: one self-contained HTML file. Thumbnails are
// embedded as data: URLs and a Content-Security-Policy forbids every
// network request, so it works opened from disk and leaks nothing. A
// detector's regions are CSS boxes over the thumbnail, placed in percent of
// the picture as displayed, each named on hover (its title).

import type { Region } from '../../engine/types.js';
import type { StoredImage } from '../store/store.js';
import { imageAgreement, pairAgreement } from './agreement.js';

export interface ReportImage extends StoredImage {
  thumb?: string;
  /** The picture's size as displayed, which region boxes are in pixels of. */
  shown?: [number, number];
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const CSS = `
:root{--bg:#f5f6f8;--card:#fff;--ink:#1d2330;--mute:#6b7280;--line:#e3e6eb;--bar:#4f7cff;--shared:#e8a317;--bad:#c53030}
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:var(--ink)}
header{position:sticky;top:0;z-index:2;background:#1d2330;color:#fff;padding:12px 20px;display:flex;flex-wrap:wrap;gap:16px;align-items:center}
header h1{font-size:18px;margin:0 12px 0 0}header .stat{color:#c8cdd8}
header input[type=search]{padding:6px 10px;border-radius:6px;border:0;min-width:220px;font:inherit}
header label{color:#e6e9ef;cursor:pointer;user-select:none}
main{padding:16px 20px}
section.summary{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:16px}
.panel{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.panel h2{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:var(--mute);margin:0 0 8px}
table.pairs{border-collapse:collapse}table.pairs td,table.pairs th{padding:3px 10px;text-align:left;border-bottom:1px solid var(--line)}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:14px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;overflow:hidden;display:flex;flex-direction:column}
.card .top{display:flex;gap:12px;padding:10px}
.card img,.card .noimg{width:150px;height:150px;object-fit:cover;border-radius:6px;background:#dde1e7;flex:none}
.card .noimg{display:flex;align-items:center;justify-content:center;color:var(--mute);font-size:12px;text-align:center}
.card .name{font-weight:600;word-break:break-all;font-size:13px}
.card .dir{font-size:11px;color:var(--mute);word-break:break-all}.card .agree{font-size:12px;color:var(--mute);margin-top:4px}
.chip{display:inline-block;background:#fff4dc;color:#7a5200;border:1px solid #f1d28a;border-radius:10px;padding:0 7px;margin:2px 2px 0 0;font-size:12px}
.plugins{display:grid;grid-auto-flow:column;grid-auto-columns:1fr;border-top:1px solid var(--line)}
.plugin{padding:8px 10px;border-left:1px solid var(--line);min-width:0}.plugin:first-child{border-left:0}
.plugin h3{margin:0 0 6px;font-size:12px;color:var(--mute);font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.tag{display:grid;grid-template-columns:minmax(0,1fr) 70px 38px;gap:6px;align-items:center;font-size:12.5px;margin:2px 0}
.tag .l{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.tag.shared .l{color:#8a5a00;font-weight:600}
.bar{height:7px;background:#e9edf5;border-radius:4px;overflow:hidden}.bar i{display:block;height:100%;background:var(--bar)}
.tag.shared .bar i{background:var(--shared)}.tag .c{color:var(--mute);text-align:right;font-variant-numeric:tabular-nums}
.err{color:var(--bad);font-size:12px;word-break:break-word}
.failures li{margin:3px 0}.hidden{display:none!important}
.thumb{width:150px;height:150px;flex:none;display:flex;align-items:center;justify-content:center;background:#dde1e7;border-radius:6px;overflow:hidden}
.frame{position:relative}.card .frame img{display:block;width:100%;height:100%;border-radius:0;object-fit:fill}
.box{position:absolute;border:2px solid #ffd400;box-shadow:0 0 0 1px rgba(0,0,0,.6);border-radius:2px}.box.face{border-color:#3ee07a}
.box span{display:none;position:absolute;left:-2px;bottom:100%;background:rgba(0,0,0,.75);color:#fff;font-size:11px;padding:0 4px;white-space:nowrap;border-radius:3px}
.box:hover{z-index:1}.box:hover span{display:block}
.legend{font-size:11.5px;color:var(--mute);margin-top:4px}
`;

const SCRIPT = `
(function(){
  var q=document.getElementById('q'),boxes=[].slice.call(document.querySelectorAll('input[data-plugin]')),
      onlyShared=document.getElementById('shared'),cards=[].slice.call(document.querySelectorAll('.card')),
      shown=document.getElementById('shown');
  function apply(){
    var t=q.value.trim().toLowerCase(),on={},n=0;
    boxes.forEach(function(b){on[b.dataset.plugin]=b.checked});
    cards.forEach(function(c){
      var cols=[].slice.call(c.querySelectorAll('.plugin')),hit=!t;
      cols.forEach(function(col){
        var vis=on[col.dataset.plugin]!==false;col.classList.toggle('hidden',!vis);
        if(vis&&t&&[].some.call(col.querySelectorAll('.tag'),function(g){return g.dataset.label.toLowerCase().indexOf(t)>=0}))hit=true;
      });
      var ok=hit&&(!onlyShared.checked||c.dataset.shared==='1');
      c.classList.toggle('hidden',!ok);if(ok)n++;
    });
    [].forEach.call(document.querySelectorAll('.box'),function(x){x.classList.toggle('hidden',on[x.dataset.plugin]===false)});
    shown.textContent=n;
  }
  q.addEventListener('input',apply);boxes.forEach(function(b){b.addEventListener('change',apply)});onlyShared.addEventListener('change',apply);
  apply();
})();
`;

/** The thumbnail's frame: the picture fits a square of this many CSS pixels. */
const THUMB_BOX = 150;

/** Every region of the image's plugins that did not fail; a face box is one whose tag is of category face. */
function boxesOf(img: ReportImage): { plugin: string; face: boolean; r: Region }[] {
  return Object.entries(img.plugins).filter(([, p]) => !p.error).flatMap(([plugin, p]) => {
    const faces = new Set(p.tags.filter((t) => t.category === 'face').map((t) => t.label));
    return (p.regions ?? []).map((r) => ({ plugin, face: faces.has(r.label), r }));
  });
}

export function renderReport(images: ReportImage[], title = 'imlage report'): string {
  const plugins = [...new Set(images.flatMap((i) => Object.keys(i.plugins)))].sort();
  const failures = images.flatMap((i) => [
    ...(i.error ? [{ file: i.path, plugin: '', error: i.error }] : []),
    ...Object.entries(i.plugins).filter(([, p]) => p.error).map(([name, p]) => ({ file: i.path, plugin: name, error: p.error! })),
  ]);
  const pairs = pairAgreement(images);
  const labels = [...new Set(images.flatMap((i) => Object.values(i.plugins).flatMap((p) => p.tags.map((t) => t.label))))].sort();

  const picture = (img: ReportImage) => {
    if (!img.thumb) return '<div class="noimg">no preview</div>';
    const tag = `<img src="${img.thumb}" alt="${esc(img.path)}" loading="lazy">`;
    const regions = boxesOf(img);
    if (!img.shown || regions.length === 0) return tag;
    const [w, h] = img.shown;
    const scale = THUMB_BOX / Math.max(w, h);
    const pct = (v: number, of: number) => `${((v / of) * 100).toFixed(2)}%`;
    const boxes = regions.map(({ plugin, face, r }) => `<i class="box${face ? ' face' : ''}" data-plugin="${esc(plugin)}" title="${esc(`${r.label} ${(r.confidence * 100).toFixed(0)}% (${plugin})`)}" style="left:${pct(r.box[0], w)};top:${pct(r.box[1], h)};width:${pct(r.box[2], w)};height:${pct(r.box[3], h)}"><span>${esc(r.label)}</span></i>`).join('');
    return `<div class="thumb"><div class="frame" style="width:${(w * scale).toFixed(1)}px;height:${(h * scale).toFixed(1)}px">${tag}${boxes}</div></div>`;
  };

  const legend = (img: ReportImage) => {
    const counts = new Map<string, number>();
    for (const { r } of boxesOf(img)) counts.set(r.label, (counts.get(r.label) ?? 0) + 1);
    return counts.size && img.thumb && img.shown ? `<div class="legend">boxes: ${[...counts].map(([l, n]) => esc(n > 1 ? `${l} ×${n}` : l)).join(', ')}</div>` : '';
  };

  const card = (img: ReportImage) => {
    const shared = new Set(imageAgreement(img).shared);
    const cols = Object.entries(img.plugins).sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, p]) => `
      <div class="plugin" data-plugin="${esc(name)}"><h3 title="${esc(`${name} ${p.version} · ${p.model}`)}">${esc(name)} <small>${esc(p.version)}</small></h3>
      ${p.error ? `<div class="err">${esc(p.error)}</div>` : p.tags.length === 0 ? '<div class="err" style="color:var(--mute)">no tags</div>' : p.tags.map((t) => `
        <div class="tag${shared.has(t.label) ? ' shared' : ''}" data-label="${esc(t.label)}"><span class="l" title="${esc(t.label)}${t.category ? ` (${esc(t.category)})` : ''}">${esc(t.label)}${t.count !== undefined ? ` ×${t.count}` : ''}</span><span class="bar"><i style="width:${(Math.max(0, Math.min(1, t.confidence)) * 100).toFixed(1)}%"></i></span><span class="c">${(t.confidence * 100).toFixed(0)}%</span></div>`).join('')}
      </div>`).join('');
    return `<article class="card" data-shared="${shared.size ? 1 : 0}">
      <div class="top">${picture(img)}
        <div><div class="name" title="${esc(img.path)}">${esc(img.path.slice(img.path.lastIndexOf('/') + 1))}</div><div class="dir">${esc(img.path.slice(0, img.path.lastIndexOf('/') + 1))}</div>
        ${img.error ? `<div class="err">${esc(img.error)}</div>` : ''}${legend(img)}
        <div class="agree">${shared.size ? `shared by plugins: ${[...shared].map((l) => `<span class="chip">${esc(l)}</span>`).join('')}` : Object.keys(img.plugins).length > 1 ? 'no tag shared between plugins' : ''}</div></div>
      </div>
      ${cols ? `<div class="plugins">${cols}</div>` : ''}
    </article>`;
  };

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head><body>
<header><h1>${esc(title)}</h1>
<span class="stat"><b id="shown">${images.length}</b> of ${images.length} images · ${plugins.length} plugins · ${failures.length} failures</span>
<input id="q" type="search" placeholder="filter by tag, e.g. dog" list="labels" aria-label="filter by tag">
<datalist id="labels">${labels.map((l) => `<option value="${esc(l)}">`).join('')}</datalist>
${plugins.map((p) => `<label><input type="checkbox" data-plugin="${esc(p)}" checked> ${esc(p)}</label>`).join(' ')}
<label><input type="checkbox" id="shared"> only shared tags</label>
</header><main>
<section class="summary">
<div class="panel"><h2>Agreement between plugins</h2>${pairs.length ? `<table class="pairs"><tr><th>plugins</th><th>images</th><th>sharing a tag</th><th>mean overlap</th></tr>${pairs.map((p) => `<tr><td>${esc(p.a)} × ${esc(p.b)}</td><td>${p.images}</td><td>${p.imagesShared}</td><td>${(p.meanJaccard * 100).toFixed(1)}%</td></tr>`).join('')}</table>` : '<p>fewer than two plugins tagged the same image</p>'}</div>
<div class="panel failures"><h2>Failures (${failures.length})</h2>${failures.length ? `<ul>${failures.slice(0, 200).map((f) => `<li><b>${esc(f.file)}</b>${f.plugin ? ` (${esc(f.plugin)})` : ''}: <span class="err">${esc(f.error)}</span></li>`).join('')}</ul>${failures.length > 200 ? `<p>and ${failures.length - 200} more</p>` : ''}` : '<p>none</p>'}</div>
</section>
<section class="grid">${images.map(card).join('\n')}</section>
</main><script>${SCRIPT}</script></body></html>
`;
}
