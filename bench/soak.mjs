#!/usr/bin/env node
// Soak: many real photos through the engine while the colors plugin (native,
// in-process) is reloaded every few seconds and an isolated plugin
// (tests/abi/plugins/soak.c) crashes every Nth image. Checks that nothing is
// lost or misattributed and that memory stays flat:
//  - one result per input, in input order, for the file given;
//  - colors never fails (a reload swaps it between images, never during one);
//  - soak either tags the image with its pixel fingerprint or fails with a
//    crash/restart error; any other error fails the soak;
//  - every file (by inode: the corpus is hard links cycling through a few
//    hundred photos) gets the same tags every time it comes round, so a
//    result handed to the wrong image shows as a mismatch;
//  - RSS of this process, sampled every second, does not grow after warm-up
//    (fitted slope, reported per 1000 images, and the median of each sixth of
//    the run; the isolated child is sampled too). glibc's malloc is tuned by
//    the addon (native/src/napi/malloc_tuning.h): IMLAGE_MALLOC_TUNING=off for
//    glibc's defaults.
//
//   node bench/soak.mjs [--images N] [--corpus DIR] [--crash-every N] [--reload-ms MS] [--trim-every N] [--json FILE]
//
// --corpus: a folder of images (default: /tmp/imlage-corpus/scaled<N> when it
// exists, made by `bash ../shared/corpus/make-corpus.sh N`; otherwise hard
// links cycling through tests/fixtures/photos, made under the OS temp dir).
// Needs `npm run build` and the test plugins (`npm run build:native`).
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './lib.mjs';
import { Engine } from '../dist/index.js';
import { loadAddon } from '../dist/binding/binding.js';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const images = Number(opt('--images', 10000));
const crashEvery = Number(opt('--crash-every', 500));
const reloadMs = Number(opt('--reload-ms', 3000));
const trimEvery = opt('--trim-every', undefined); // the engine's trimMemoryEvery; 0 with IMLAGE_MALLOC_TUNING=off measures glibc's defaults
const jsonOut = opt('--json', undefined);
const IMAGE_RE = /\.(jpe?g|png|webp|gif|tiff?|avif)$/i;

function corpusFiles() {
  const given = opt('--corpus', undefined) ?? (existsSync(`/tmp/imlage-corpus/scaled${images}`) ? `/tmp/imlage-corpus/scaled${images}` : undefined);
  if (given) {
    const files = readdirSync(given).filter((f) => IMAGE_RE.test(f)).sort().map((f) => join(given, f));
    if (files.length < images) throw new Error(`${given} holds ${files.length} images, fewer than --images ${images}`);
    return { files: files.slice(0, images), source: given };
  }
  const photos = join(ROOT, 'tests', 'fixtures', 'photos');
  const real = existsSync(photos) ? readdirSync(photos).filter((f) => IMAGE_RE.test(f)).sort() : [];
  if (real.length === 0) throw new Error(`no corpus: pass --corpus, or run \`npm run fixtures\` for ${photos}`);
  const dir = mkdtempSync(join(tmpdir(), 'imlage-soak-'));
  const files = [];
  for (let i = 0; i < images; ++i) {
    const src = real[i % real.length];
    const f = join(dir, `${String(i).padStart(6, '0')}_${src}`);
    linkSync(join(photos, src), f);
    files.push(f);
  }
  return { files, source: `${photos} (${real.length} photos, hard-linked into ${dir})`, cleanup: dir };
}

function soakPluginDir() {
  const lib = join(process.env.IMLAGE_TEST_PLUGINS ?? join(ROOT, 'build', 'test-plugins'), 'libsmi_test_soak.so');
  if (!existsSync(lib)) throw new Error(`${lib} is missing: run \`npm run build:native\``);
  const dir = mkdtempSync(join(tmpdir(), 'imlage-soak-plugins-'));
  mkdirSync(join(dir, 'soak'));
  writeFileSync(join(dir, 'soak', 'plugin.toml'), [
    'name = "soak"', 'version = "1.0.0"', 'kind = "native"', 'isolation = "process"', 'timeout_ms = 60000',
    'description = "Pixel fingerprints; crashes every crash_every-th image (bench/soak.mjs)"',
    '[library]', `${process.platform}-${process.arch} = ${JSON.stringify(lib)}`,
    '[input]', 'width = 256', 'height = 256',
    '[[models]]', 'id = "fingerprint"',
    '[config.crash_every]', 'type = "integer"', 'default = 0', 'min = 0',
    '',
  ].join('\n'));
  return dir;
}

function rssKiB(pid = 'self') {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  } catch {
    return 0; // the child is between a crash and its restart
  }
}

function childPids() {
  const pids = [];
  for (const t of readdirSync('/proc/self/task')) {
    const c = readFileSync(`/proc/self/task/${t}/children`, 'utf8').trim();
    if (c) pids.push(...c.split(/\s+/));
  }
  return pids;
}

function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const { files, source, cleanup } = corpusFiles();
const pluginDir = soakPluginDir();
const problems = [];
const problem = (msg) => {
  if (problems.length < 50) problems.push(msg);
  else if (problems.length === 50) problems.push('(more problems left out)');
};

const engine = await Engine.create({
  plugins: ['colors', 'soak'], pluginDirs: [pluginDir], config: false, mode: 'fast',
  settings: { soak: { crash_every: crashEvery } },
  ...(trimEvery === undefined ? {} : { trimMemoryEvery: Number(trimEvery) }),
});

let done = 0;
let reloads = 0;
let reloadFailures = 0;
let crashFailures = 0;
const samples = [];
const byInode = new Map();
const t0 = performance.now();
const sampler = setInterval(() => {
  samples.push({ images: done, seconds: +((performance.now() - t0) / 1000).toFixed(1), rss_kib: rssKiB(), child_rss_kib: childPids().reduce((a, p) => a + rssKiB(p), 0) });
}, 1000);
let reloading = false;
const reloader = setInterval(() => {
  if (reloading) return;
  reloading = true;
  engine.manager.reload('colors').then(() => { reloads++; }, (err) => { reloadFailures++; problem(`reload of colors failed: ${err.message}`); }).finally(() => { reloading = false; });
}, reloadMs);

try {
  for await (const r of engine.tag(files)) {
    const i = done++;
    if (r.file !== files[i]) {
      problem(`result ${i} is for ${r.file}, expected ${files[i]}`);
      continue;
    }
    if (r.error) {
      problem(`${r.file}: the image failed: ${r.error}`);
      continue;
    }
    const colors = r.results.colors;
    const soak = r.results.soak;
    if (!colors || 'error' in colors) problem(`${r.file}: colors ${colors ? `failed: ${colors.error}` : 'is missing'}`);
    if (!soak) problem(`${r.file}: soak is missing`);
    else if ('error' in soak) {
      if (/crash|killed by|restart|not running/i.test(soak.error)) crashFailures++;
      else problem(`${r.file}: soak failed other than by its crash: ${soak.error}`);
    } else if (soak.tags.length !== 1 || !/^fp:[0-9a-f]{8}$/.test(soak.tags[0].label)) {
      problem(`${r.file}: soak returned ${JSON.stringify(soak.tags)}`);
    }
    // Same file (inode), same tags, every time round.
    const inode = statSync(r.file).ino;
    const seen = byInode.get(inode) ?? {};
    for (const [name, res] of [['colors', colors], ['soak', soak]]) {
      if (!res || 'error' in res) continue;
      const key = JSON.stringify(res.tags.map((t) => [t.label, t.confidence]));
      if (seen[name] === undefined) seen[name] = key;
      else if (seen[name] !== key) problem(`${r.file}: ${name} tags ${key} differ from an earlier pass over the same file: ${seen[name]}`);
    }
    byInode.set(inode, seen);
  }
} finally {
  clearInterval(reloader);
  clearInterval(sampler);
  while (reloading) await new Promise((r) => setTimeout(r, 50));
  await engine.close();
  rmSync(pluginDir, { recursive: true, force: true });
  if (cleanup) rmSync(cleanup, { recursive: true, force: true });
}
const seconds = (performance.now() - t0) / 1000;

if (done !== files.length) problem(`${done} results for ${files.length} inputs`);
const expectedCrashes = crashEvery > 0 ? Math.floor(files.length / crashEvery) : 0;
if (expectedCrashes > 0 && crashFailures === 0) problem(`soak should have crashed about ${expectedCrashes} times, but no image reported a crash`);
if (reloads === 0 && seconds * 1000 > 2 * reloadMs) problem('colors was never reloaded');

// RSS after warm-up (the first fifth of the images): the fitted growth per
// 1000 images, and the whole run's projected growth against a bound that
// allows allocator noise but not a per-image leak (1 KiB/image = ~10 MiB here).
const warm = samples.filter((s) => s.images >= files.length / 5);
const perThousand = slope(warm.map((s) => [s.images, s.rss_kib])) * 1000;
const warmRss = warm.length ? warm[0].rss_kib : 0;
const projectedMiB = (perThousand * (files.length * 0.8)) / 1000 / 1024;
const rssBoundMiB = Math.max(32, (warmRss / 1024) * 0.1);
const rssChecked = warm.length >= 10;
// Large images in flight make RSS swing by 100 MiB or more from second to
// second, so the slope alone misreads it: the median of each sixth of the run
// shows what stays.
const sixths = Array.from({ length: 6 }, (_, k) => {
  const w = samples.filter((s) => s.images >= (k * files.length) / 6 && s.images < ((k + 1) * files.length) / 6).map((s) => s.rss_kib).sort((a, b) => a - b);
  return w.length ? +(w[w.length >> 1] / 1024).toFixed(0) : null;
});
if (rssChecked && projectedMiB > rssBoundMiB) problem(`RSS grows ${perThousand.toFixed(0)} KiB per 1000 images after warm-up (${projectedMiB.toFixed(1)} MiB over the run; bound ${rssBoundMiB.toFixed(0)} MiB)`);

const summary = {
  images: files.length, results: done, seconds: +seconds.toFixed(1), images_per_s: +(files.length / seconds).toFixed(1),
  corpus: source, unique_files: byInode.size, crash_every: crashEvery, soak_crash_failures: crashFailures,
  colors_reloads: reloads, reload_failures: reloadFailures,
  rss_mib: { first: samples.length ? +(samples[0].rss_kib / 1024).toFixed(0) : null, warm: +(warmRss / 1024).toFixed(0), peak: +(Math.max(0, ...samples.map((s) => s.rss_kib)) / 1024).toFixed(0), last: samples.length ? +(samples[samples.length - 1].rss_kib / 1024).toFixed(0) : null },
  rss_median_mib_by_sixth: sixths,
  rss_growth_kib_per_1000_images: rssChecked ? +perThousand.toFixed(0) : 'too few samples',
  malloc: loadAddon().mallocTuning(),
  malloc_trims: engine.memoryTrims(),
  child_rss_mib_peak: +(Math.max(0, ...samples.map((s) => s.child_rss_kib)) / 1024).toFixed(0),
  ok: problems.length === 0, problems,
};
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ ...summary, samples }, null, 2));
console.log(JSON.stringify(summary, null, 2));
process.exitCode = problems.length ? 1 : 0;
