#!/usr/bin/env node
// What fast mode's shortcuts cost in quality (issue #9), on real photos:
//  1. its model-input pixels against sharp's Lanczos resize of the full
//     decode, at each input size of the default engine's plugins: MAE (0-255)
//     and PSNR, per format group; for sharp as fast mode runs it today and,
//     when the addon has it, for the addon's own decoders (decodeToSize);
//  2. per plugin, the largest change in any tag's confidence between fast and
//     exact mode, through the public Engine API (threshold 0, every tag).
//
//   npm run bench:quality -- [--images DIR]... [--json FILE]
//
// Default photos: the shared corpus (/tmp/imlage-corpus/real, see
// ../shared/corpus/make-corpus.sh) and tests/fixtures/photos (npm run fixtures).

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { FORMAT_GROUPS, ROOT, decodeLikeFast, decodeNative, formatGroup, importDist } from './lib.mjs';

const { values: opts } = parseArgs({ options: { images: { type: 'string', multiple: true }, json: { type: 'string' } } });
const dirs = opts.images ?? ['/tmp/imlage-corpus/real', join(ROOT, 'tests', 'fixtures', 'photos')].filter((d) => existsSync(d));
if (!dirs.length) {
  console.error('fast-quality: no photos: build the corpus (bash ../shared/corpus/make-corpus.sh) or run `npm run fixtures`, or pass --images DIR');
  process.exit(2);
}
const { Engine, discoverPlugins, expandInputs, isFailure } = await importDist('index.js');
const files = [];
for await (const f of expandInputs(dirs)) files.push(f);

// ------------------------------------------------------------ 1. pixels
const engine = await Engine.create({ config: false, mode: 'fast', threshold: 0, topK: 0 });
const pluginNames = engine.plugins.map((p) => p.name);
const manifests = discoverPlugins([join(ROOT, 'plugins')]).plugins.filter((m) => pluginNames.includes(m.name));
const sizes = [...new Set(manifests.map((m) => m.input?.width && m.input?.height ? `${m.input.width}x${m.input.height}` : null).filter(Boolean))];

const { loadAddon } = await importDist('binding/binding.js');
const addon = loadAddon();
const hasNative = typeof addon.decodeToSize === 'function';

function compare(a, b) {
  let abs = 0;
  let sq = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    abs += Math.abs(d);
    sq += d * d;
  }
  return { mae: abs / a.length, mse: sq / a.length };
}
const psnr = (mse) => (mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse));

// pixels[path][size] = { group, sharp: {mae, mse}, native?: {mae, mse} | 'sharp' }
const pixelRows = [];
for (const file of files) {
  const bytes = readFileSync(file);
  const meta = await sharp(bytes).metadata();
  const group = formatGroup(meta);
  const full = await sharp(bytes, { failOn: 'warning' }).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  for (const s of sizes) {
    const [w, h] = s.split('x').map(Number);
    const reference = await sharp(full.data, { raw: full.info }).resize(w, h, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer();
    const row = { file, group, alpha: !!meta.hasAlpha, size: s, sharp: compare(await decodeLikeFast(sharp, bytes, w, h), reference) };
    if (hasNative) {
      try {
        const img = await decodeNative(addon, bytes, w, h, meta.orientation ?? 1);
        row.native = compare(img.data, reference);
      } catch {
        row.native = 'not covered';
      }
    }
    pixelRows.push(row);
  }
}

function summarise(rows, key) {
  const got = rows.map((r) => r[key]).filter((x) => x && typeof x === 'object');
  if (!got.length) return undefined;
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    images: got.length,
    notCovered: rows.length - got.length,
    identical: got.filter((x) => x.mse === 0).length,
    mae: mean(got.map((x) => x.mae)),
    worstMae: Math.max(...got.map((x) => x.mae)),
    // Of the mean squared error over the photos (a per-photo mean would be infinite where a photo is identical).
    psnr: psnr(mean(got.map((x) => x.mse))),
    worstPsnr: Math.min(...got.map((x) => psnr(x.mse))),
  };
}
const pixels = [];
for (const s of sizes) {
  // Photos with an alpha channel apart too: sharp's fast path resizes them
  // premultiplied (transparent pixels go black), its full decode keeps the
  // colour under the alpha.
  const subsets = [
    ...FORMAT_GROUPS.map((g) => [g, (r) => r.group === g]),
    ['of which with alpha', (r) => r.alpha],
    ['all', () => true],
    ['all without alpha', (r) => !r.alpha],
  ];
  for (const [g, keep] of subsets) {
    const rows = pixelRows.filter((r) => r.size === s && keep(r));
    if (!rows.length) continue;
    pixels.push({ size: s, group: g, sharp: summarise(rows, 'sharp'), native: hasNative ? summarise(rows, 'native') : undefined });
  }
}

// ------------------------------------------------ 2. confidences, fast vs exact
async function confidences(mode) {
  const out = new Map();
  for await (const r of engine.tag(files, { mode })) {
    const per = {};
    for (const [p, res] of Object.entries(r.results)) per[p] = isFailure(res) ? null : Object.fromEntries(res.tags.map((t) => [t.label, t.confidence]));
    out.set(r.file, per);
  }
  return out;
}
const fast = await confidences('fast');
const exact = await confidences('exact');
await engine.close();
const hasAlpha = new Set(pixelRows.filter((r) => r.alpha).map((r) => r.file));
const changes = pluginNames.map((p) => {
  let worst = { delta: 0 };
  let worstOpaque = { delta: 0 };
  let sum = 0;
  let n = 0;
  let failed = 0;
  for (const [file, per] of fast) {
    const a = per[p];
    const b = exact.get(file)?.[p];
    if (!a || !b) {
      failed++;
      continue;
    }
    // threshold 0 and topK 0: every label is there in both; a missing one counts as 0.
    for (const label of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const delta = Math.abs((a[label] ?? 0) - (b[label] ?? 0));
      sum += delta;
      n++;
      if (delta > worst.delta) worst = { delta, file, label, fast: a[label] ?? 0, exact: b[label] ?? 0 };
      if (!hasAlpha.has(file) && delta > worstOpaque.delta) worstOpaque = { delta, file, label, fast: a[label] ?? 0, exact: b[label] ?? 0 };
    }
  }
  return { plugin: p, images: fast.size - failed, failed, maxDelta: worst.delta, worstWithoutAlpha: worstOpaque, meanDelta: n ? sum / n : 0, worst };
});

// ------------------------------------------------------------------ report
const f2 = (x) => (x === undefined ? '–' : Number.isFinite(x) ? x.toFixed(2) : '∞');
const short = (f) => f.split('/').pop();
const lines = [];
lines.push(`fast-mode quality, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${files.length} photos from ${dirs.join(', ')}; plugins ${pluginNames.join(', ')}`, '');
lines.push('| input | format | photos | sharp fast path: MAE (worst) | PSNR dB (worst) | identical | native decodeToSize: MAE (worst) | PSNR dB (worst) |');
lines.push('|---|---|---:|---:|---:|---:|---:|---:|');
for (const r of pixels) {
  const nat = !hasNative ? 'not built | not built'
    : r.native ? `${f2(r.native.mae)} (${f2(r.native.worstMae)})${r.native.notCovered ? ` [${r.native.notCovered} not covered]` : ''} | ${f2(r.native.psnr)} (${f2(r.native.worstPsnr)})` : 'none covered | –';
  lines.push(`| ${r.size} | ${r.group} | ${r.sharp.images} | ${f2(r.sharp.mae)} (${f2(r.sharp.worstMae)}) | ${f2(r.sharp.psnr)} (${f2(r.sharp.worstPsnr)}) | ${r.sharp.identical} | ${nat} |`);
}
lines.push('', '| plugin | photos | largest confidence change, fast vs exact | where | photos without alpha: largest change | mean change per tag |', '|---|---:|---:|---|---:|---:|');
for (const c of changes) {
  const where = (x) => (x.file ? `${short(x.file)}, "${x.label}": ${x.exact.toFixed(3)} exact → ${x.fast.toFixed(3)} fast` : '');
  lines.push(`| ${c.plugin} | ${c.images}${c.failed ? ` (${c.failed} failed)` : ''} | ${c.maxDelta.toFixed(3)} | ${where(c.worst)} | ${c.worstWithoutAlpha.delta.toFixed(3)} (${where(c.worstWithoutAlpha)}) | ${c.meanDelta.toFixed(4)} |`);
}
if (!hasNative) lines.push('', 'native decode: not built (the addon has no decodeToSize)');
console.log(lines.join('\n'));
if (opts.json) writeFileSync(opts.json, JSON.stringify({ dirs, files: files.length, plugins: pluginNames, sizes, native: hasNative, pixels, changes }, null, 2) + '\n');
