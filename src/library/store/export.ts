// Reading the store out: one JSON line per image (the tag command's result
// shape, regions included, plus hash and date), or CSV with one row per tag
// (its count, no regions: a box is not a tag; JSON lines carry them).

import type { StoredImage } from './store.js';

export function toJsonLine(img: StoredImage): string {
  const results = Object.fromEntries(Object.entries(img.plugins).map(([name, p]) => [name, p.error
    ? { error: p.error }
    : { tags: p.tags, ...(p.regions && { regions: p.regions }), model: p.model, version: p.version, tagged_at: new Date(p.taggedAt).toISOString() }]));
  return JSON.stringify({ file: img.path, sha256: img.hash, results, ...(img.error ? { error: img.error } : {}) }) + '\n';
}

export const CSV_HEADER = 'file,sha256,plugin,version,model,label,confidence,category,count,tagged_at,error\n';

function cell(v: string | number | undefined): string {
  const s = v === undefined ? '' : String(v);
  // Leading = + - @ make spreadsheets run a formula: quote them inert.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) || safe !== s ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsvRows(img: StoredImage): string {
  const rows: string[] = [];
  const row = (...v: (string | number | undefined)[]) => rows.push(v.map(cell).join(',') + '\n');
  if (img.error) row(img.path, img.hash, '', '', '', '', '', '', '', '', img.error);
  for (const [name, p] of Object.entries(img.plugins)) {
    const when = new Date(p.taggedAt).toISOString();
    if (p.error) row(img.path, img.hash, name, p.version, p.model, '', '', '', '', when, p.error);
    for (const t of p.tags) row(img.path, img.hash, name, p.version, p.model, t.label, t.confidence, t.category, t.count, when, '');
  }
  return rows.join('');
}
