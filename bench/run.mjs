#!/usr/bin/env node
// imlage benchmark: imlage's API against the ways people run the same models
// in Node.js today, on the same images and the very same weights.
//
//   npm run bench -- [--images DIR] [--count N] [--runs R] [--only a,b] [--quick] [--out DIR]
//
// Each measurement runs in a child process of its own (bench/measure.mjs) so
// that its peak RSS is its own. See docs/performance.md.

import { execFileSync, fork, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CORES, FLOOR_BATCH, FLOOR_IN_FLIGHT, FORMAT_GROUPS, ROOT, TUNED, formatGroup, importDist, median, modelPath } from './lib.mjs';

const USAGE = `usage: npm run bench -- [options]
  --images DIR        photos to use (default: the shared corpus in /tmp/imlage-corpus/real,
                      built from ../shared/corpus when missing; else tests/fixtures/photos)
  --recursive         also take photos from DIR's subfolders
  --count N           images per timed run, cycling through DIR (default 300)
  --runs R            rounds: each measurement runs once per round, in a fresh process;
                      the median over rounds is reported (default 3)
  --nsfwjs-count N    images per run for nsfwjs on TF.js's pure-JS backend (default 16)
  --latency-calls N   tagOne() calls for the latency figures (default 50)
  --batch N           imlage's batchSize (default: the engine's own default)
  --uv-threadpool N   UV_THREADPOOL_SIZE for every contender (default: as in the environment, else libuv's 4)
  --only a,b          only these measurements (see --list); derived figures need their inputs
  --quick             CI smoke run: 16 images, 1 round (about half a minute on an idle machine)
  --out DIR           where bench-<timestamp>.json/.md go (default bench/results/)
  --list              list the measurements and exit`;

// ---------------------------------------------------------------- options
let opts;
try {
  opts = parseArgs({
    options: {
      images: { type: 'string' },
      recursive: { type: 'boolean', default: false },
      count: { type: 'string' },
      runs: { type: 'string' },
      'nsfwjs-count': { type: 'string' },
      'latency-calls': { type: 'string' },
      batch: { type: 'string' },
      'uv-threadpool': { type: 'string' },
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (err) {
  fail(`${err.message}\n${USAGE}`);
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}

function fail(msg) {
  console.error(`bench: ${msg}`);
  process.exit(2);
}

function int(name, dflt) {
  const v = opts[name];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, got "${v}"`);
  return n;
}

const quick = opts.quick;
const count = int('count', quick ? 16 : 300);
const runs = int('runs', quick ? 1 : 3);
const nsfwjsCount = Math.min(count, int('nsfwjs-count', quick ? 2 : 16));
const latencyCalls = int('latency-calls', quick ? 10 : 50);
const batchSize = opts.batch === undefined ? undefined : int('batch');
const uvThreadpool = opts['uv-threadpool'] === undefined ? process.env.UV_THREADPOOL_SIZE : String(int('uv-threadpool'));
const outDir = resolve(opts.out ?? join(ROOT, 'bench', 'results'));

if (!existsSync(join(ROOT, 'dist', 'index.js')) || !existsSync(join(ROOT, 'dist', 'convert', 'index.js'))) {
  fail('dist/ is missing: the benchmark runs the compiled package. Run `npm run build` first, then `npm run bench` again.');
}

// -------------------------------------------------------- the measurements
// Which plugins `imlage plugins list` shows decides whether the multi-plugin
// run includes the native colors plugin.
function listedPlugins() {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'plugins', 'list', '--json'], { encoding: 'utf8' });
  try {
    // States differ between CLI versions ('available'/'discovered'/'active'); only these rule a plugin out.
    return JSON.parse(r.stdout).plugins.filter((p) => !['disabled', 'error', 'broken'].includes(p.state)).map((p) => p.name);
  } catch {
    return [];
  }
}
const hasColors = listedPlugins().includes('colors');
// The addon's own decoders (issue #9), loaded the way the rest of the bench loads the addon.
async function nativeDecodeBuilt() {
  try {
    const { loadAddon } = await importDist('binding/binding.js');
    return typeof loadAddon().decodeToSize === 'function';
  } catch {
    return false;
  }
}
const hasNativeDecode = await nativeDecodeBuilt();
const ABI_BATCH = 16;
const multi = hasColors ? ['nsfw', 'objects', 'colors'] : ['nsfw', 'objects'];
const multiLabel = multi.join('+');

const MEASUREMENTS = [
  { name: 'imlage-nsfw-fast', what: 'imlage API, nsfw, fast mode (JPEG and PNG decoded in the addon straight into its batch queue, other formats sharp shrink-on-load to 224)', contender: 'imlage', plugins: ['nsfw'], mode: 'fast' },
  { name: 'imlage-nsfw-exact', what: 'imlage API, nsfw, exact mode (full decode, TF.js-exact resize)', contender: 'imlage', plugins: ['nsfw'], mode: 'exact' },
  { name: 'imlage-objects', what: 'imlage API, objects, fast mode', contender: 'imlage', plugins: ['objects'], mode: 'fast' },
  { name: 'imlage-faces', what: 'imlage API, faces (BlazeFace 256, regions), fast mode', contender: 'imlage', plugins: ['faces'], mode: 'fast' },
  ...(hasColors ? [{ name: 'imlage-colors', what: 'imlage API, colors alone, fast mode', contender: 'imlage', plugins: ['colors'], mode: 'fast' }] : []),
  { name: 'imlage-multi', what: `imlage API, ${multiLabel} in one engine, fast mode (one decode for all)`, contender: 'imlage', plugins: multi, mode: 'fast' },
  { name: 'imlage-multi-exact', what: `imlage API, ${multiLabel} in one engine, exact mode (one full decode for all)`, contender: 'imlage', plugins: multi, mode: 'exact' },
  { name: 'ort-naive-nsfw', what: 'onnxruntime-node naive: sharp→224 raw, Float32 /255 in JS, batch 1, sequential', contender: 'ortNaive', model: 'nsfw' },
  { name: 'ort-tuned-nsfw', what: `onnxruntime-node tuned: sharp linear, no cache, 1 vips thread, ${TUNED.inFlight} decodes in flight, table normalisation into ${TUNED.buffers} reused batch buffers, batch ${TUNED.batch} in a worker_thread, ${TUNED.threads} threads not spinning`, contender: 'ortTuned', models: ['nsfw'] },
  { name: 'ort-tuned-objects', what: 'onnxruntime-node tuned, objects (NanoDet 416, NCHW)', contender: 'ortTuned', models: ['objects'] },
  ...(hasColors ? [{ name: 'ort-tuned-colors', what: 'sharp tuned as above → 256×256, colors\' statistics in JS (bench/colors-peer.mjs)', contender: 'ortTuned', models: ['colors'] }] : []),
  { name: 'ort-tuned-multi', what: `onnxruntime-node tuned, ${multiLabel} in one pipeline, each model on its own decode`, contender: 'ortTuned', models: multi },
  { name: 'nsfwjs-tfjs-cpu', what: `nsfwjs 4 on @tensorflow/tfjs pure-JS cpu backend, full sharp decode → classify()`, contender: 'nsfwjs', subset: nsfwjsCount },
  { name: 'floor-model-nsfw', what: `model only: nsfw ONNX, pre-decoded tensors, batch ${FLOOR_BATCH}, ${CORES} threads`, contender: 'floorModel', model: 'nsfw' },
  { name: 'floor-model-objects', what: `model only: objects ONNX, pre-decoded tensors, batch ${FLOOR_BATCH}, ${CORES} threads`, contender: 'floorModel', model: 'objects' },
  { name: 'floor-decode-224', what: `decode only: sharp → 224×224 raw RGB as imlage fast mode runs it, ${FLOOR_IN_FLIGHT} in flight`, contender: 'floorDecode', size: 224 },
  ...(hasNativeDecode ? [{ name: 'floor-native-decode-224', what: `decode only: the addon's decodeToSize → 224×224 raw RGB (sharp for what it does not cover), ${FLOOR_IN_FLIGHT} in flight`, contender: 'floorNativeDecode', size: 224 }] : []),
  ...(hasColors ? [{ name: 'floor-decode-256', what: `decode only: sharp → 256×256 raw RGB (colors' input), ${FLOOR_IN_FLIGHT} in flight`, contender: 'floorDecode', size: 256 }] : []),
  { name: 'floor-decode-416', what: `decode only: sharp → 416×416 raw RGB, ${FLOOR_IN_FLIGHT} in flight`, contender: 'floorDecode', size: 416 },
  { name: 'latency-imlage-nsfw', what: 'imlage engine.tagOne(), nsfw fast mode, warm engine', contender: 'imlage', kind: 'latency', plugins: ['nsfw'], mode: 'fast' },
  { name: 'latency-ort-naive-nsfw', what: 'onnxruntime-node naive, one image, warm session', contender: 'ortNaive', kind: 'latency', model: 'nsfw' },
  { name: 'abi-noop-inprocess', what: `SMI call overhead: a no-op native plugin, batch of ${ABI_BATCH} 224×224 images, in-process`, contender: 'abiNoop', kind: 'latency', isolated: false, abiBatch: ABI_BATCH },
  { name: 'abi-noop-isolated', what: `SMI call overhead: the same no-op plugin in an isolated child process (isolation = "process")`, contender: 'abiNoop', kind: 'latency', isolated: true, abiBatch: ABI_BATCH },
];

if (opts.list) {
  for (const m of MEASUREMENTS) console.log(`${m.name.padEnd(24)} ${m.what}`);
  process.exit(0);
}
let selected = MEASUREMENTS;
if (opts.only) {
  const want = opts.only.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = want.filter((w) => !MEASUREMENTS.some((m) => m.name === w));
  if (unknown.length) fail(`unknown measurement(s) ${unknown.join(', ')}; see --list`);
  selected = MEASUREMENTS.filter((m) => want.includes(m.name));
}

// ------------------------------------------------------------------ images
async function imageDir() {
  if (opts.images) {
    if (!existsSync(opts.images) || !statSync(opts.images).isDirectory()) fail(`--images ${opts.images}: not a folder`);
    return resolve(opts.images);
  }
  const corpus = '/tmp/imlage-corpus';
  const script = join(ROOT, '..', 'shared', 'corpus', 'make-corpus.sh');
  if (!existsSync(join(corpus, 'real')) && existsSync(script)) {
    console.error(`bench: building the photo corpus (once): bash ${script} 1000 ${corpus}`);
    try {
      execFileSync('bash', [script, '1000', corpus], { stdio: ['ignore', 'ignore', 'inherit'] });
    } catch {
      console.error('bench: building the corpus failed; falling back to tests/fixtures/photos');
    }
  }
  if (existsSync(join(corpus, 'real'))) return join(corpus, 'real');
  const fixtures = join(ROOT, 'tests', 'fixtures', 'photos');
  if (existsSync(fixtures)) return fixtures;
  fail('no photos: pass --images DIR, or run `npm run fixtures` to fetch tests/fixtures/photos');
}

/** n paths from the list: whole cycles through it, then an evenly spread remainder (so a subset keeps the mix of sizes). */
function pick(list, n) {
  const out = [];
  while (out.length + list.length <= n) out.push(...list);
  const rest = n - out.length;
  for (let k = 0; k < rest; k++) out.push(list[Math.floor((k * list.length) / rest)]);
  return out;
}

const dir = await imageDir();
const { expandInputs } = await import(join(ROOT, 'dist', 'index.js'));
const unique = [];
for await (const f of expandInputs([dir], { recursive: opts.recursive })) unique.push(f);
if (unique.length === 0) fail(`no images in ${dir}`);
const files = pick(unique, count);
const nsfwjsFiles = pick(files, nsfwjsCount);
// Latency: the smallest JPEG in the folder (else the smallest photo), whatever --count picks.
const bySize = unique.map((f) => ({ f, bytes: statSync(f).size })).sort((a, b) => a.bytes - b.bytes);
const latencyFile = (bySize.find((x) => /\.jpe?g$/i.test(x.f)) ?? bySize[0]).f;

// Every contender reads the files from the page cache, never from disk.
for (const f of new Set([...files, latencyFile])) readFileSync(f);
// Format group and EXIF orientation of each photo, for the decode floors.
const sharp = (await import('sharp')).default;
const meta = {};
for (const f of unique) {
  const md = await sharp(f).metadata().catch(() => ({}));
  meta[f] = { group: formatGroup(md), orientation: md.orientation ?? 1 };
}
// Convert the models once (imlage's cache), so that no child converts and all run the same .onnx.
const onnx = { nsfw: await modelPath('nsfw'), objects: await modelPath('objects') };

// -------------------------------------------------------------- run them
function runChild(m) {
  const cfg = {
    ...m,
    kind: m.kind ?? 'throughput',
    files: m.subset ? nsfwjsFiles : files,
    runs: 1,
    batchSize,
    latencyFile,
    calls: latencyCalls,
    meta,
  };
  const limitMs = (quick ? 120 : 1800) * 1000;
  return new Promise((done) => {
    const child = fork(join(ROOT, 'bench', 'measure.mjs'), [m.name], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: uvThreadpool ? { ...process.env, UV_THREADPOOL_SIZE: uvThreadpool } : process.env,
    });
    let reply;
    const timer = setTimeout(() => {
      reply = { ok: false, error: `timed out after ${limitMs / 1000} s` };
      child.kill('SIGKILL');
    }, limitMs);
    child.once('message', (msg) => (reply ??= msg));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      done(reply ?? { ok: false, error: `the measurement process exited (${signal ?? `code ${code}`}) without a result` });
    });
    child.send(cfg);
  });
}

/** A hash of the compiled package: others may rebuild dist/ while a long run is going. */
function distHash() {
  const h = createHash('sha256');
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) h.update(p).update(readFileSync(p));
    }
  };
  walk(join(ROOT, 'dist'));
  return h.digest('hex').slice(0, 12);
}

const startedAt = new Date();
const dist0 = distHash();
const load0 = loadavg();
const t0 = Date.now();
console.error(`bench: ${selected.length} measurements, ${count} images/run (${unique.length} unique from ${dir}), ${runs} round(s)`);
if (!hasNativeDecode) console.error('bench: native decode floor: not built (the addon has no decodeToSize)');
// Rounds: every measurement once, then every measurement again... A burst of
// load from elsewhere on the machine then falls on all contenders alike
// instead of on whichever one happened to be running.
const replies = {};
for (let round = 1; round <= runs; round++) {
  for (const m of selected) {
    if ((m.kind === 'latency' && round > 1) || replies[m.name]?.some((r) => !r.ok)) continue;
    const s = Date.now();
    const r = await runChild(m);
    (replies[m.name] ??= []).push(r);
    const shown = !r.ok ? `FAILED: ${r.error.split('\n')[0]}`
      : m.kind === 'latency' ? `p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms`
      : `${(r.runs[0].images / r.runs[0].seconds).toFixed(1)} images/s`;
    console.error(`bench: ${round}/${runs} ${m.name.padEnd(24)} ${shown}  [${((Date.now() - s) / 1000).toFixed(1)} s]`);
  }
}
const load1 = loadavg();
const distChanged = distHash() !== dist0;
if (distChanged) console.error('bench: warning: dist/ changed during the run (rebuilt by someone else?): imlage figures may mix two builds');
const results = Object.fromEntries(selected.map((m) => [m.name, summarise(m, replies[m.name])]));

/** One measurement's replies (one per round) into its figures. */
function summarise(m, rs) {
  const base = { what: m.what, kind: m.kind ?? 'throughput' };
  const bad = rs.find((r) => !r.ok);
  if (bad) return { ...base, error: bad.error };
  if (base.kind === 'latency') return { ...base, ...rs[0], ok: undefined };
  const runs = rs.flatMap((r) => r.runs);
  const ips = runs.map((x) => x.images / x.seconds);
  const cpuMs = runs.map((x) => (1000 * x.cpuSeconds) / x.images);
  return {
    ...base,
    imagesPerRun: runs[0].images,
    median: median(ips),
    min: Math.min(...ips),
    max: Math.max(...ips),
    cpuMsPerImage: median(cpuMs),
    errors: Math.max(...runs.map((x) => x.errors)),
    maxRssMiB: Math.max(...rs.map((r) => r.maxRssMiB)),
    setupMs: median(rs.map((r) => r.setupMs)),
    warmupMs: median(rs.map((r) => r.warmupMs)),
    ...(runs[0].groups ? { groups: summariseGroups(runs) } : {}),
    runs,
  };
}

/** A decode floor's figures per format group: medians over runs of CPU and wall ms per image. */
function summariseGroups(runs) {
  const out = {};
  for (const g of FORMAT_GROUPS) {
    const per = runs.map((x) => x.groups[g]).filter(Boolean);
    if (!per.length) continue;
    out[g] = {
      images: per[0].images,
      cpuMsPerImage: median(per.map((x) => (1000 * x.cpuSeconds) / x.images)),
      msPerImage: median(per.map((x) => (1000 * x.seconds) / x.images)),
      fallbacks: Math.max(...per.map((x) => x.fallbacks)),
    };
  }
  return out;
}

/**
 * How often a peer's best label is imlage's for the same photo: a peer that
 * is fast because it computes something else would show here. Over the
 * photos where both gave a label (imlage's objects plugin reports none
 * below its thresholds).
 */
function agreement(imlageName, plugin, peerName) {
  const a = replies[imlageName]?.find((r) => r.ok)?.labels?.[plugin];
  const b = replies[peerName]?.find((r) => r.ok)?.labels?.[plugin];
  if (!a || !b) return undefined;
  const both = Object.keys(b).filter((f) => a[f] && b[f]);
  return { photos: both.length, same: both.filter((f) => a[f] === b[f]).length, of: Object.keys(b).length };
}
const agreements = [
  { what: 'nsfw fast vs tuned ORT, top class', ...agreement('imlage-nsfw-fast', 'nsfw', 'ort-tuned-nsfw') },
  { what: 'objects fast vs tuned ORT, top label', ...agreement('imlage-objects', 'objects', 'ort-tuned-objects') },
  { what: 'colors fast vs tuned sharp + JS, top label', ...agreement('imlage-colors', 'colors', 'ort-tuned-colors') },
].filter((x) => x.photos !== undefined);

// ---------------------------------------------------------- derived figures
const ips = (name) => (results[name] && !results[name].error && results[name].kind === 'throughput' ? results[name].median : undefined);
/** Images/s of doing the stages one after the other: 1 / Σ seconds per image. */
const serial = (...names) => {
  const v = names.map(ips);
  return v.every((x) => x) ? 1 / v.reduce((s, x) => s + 1 / x, 0) : undefined;
};
// colors has no model to time alone: its own compute is estimated as its
// imlage time minus the decode to its 256×256 input.
const colorsCompute = hasColors && ips('imlage-colors') && ips('floor-decode-256')
  ? Math.max(0, 1 / ips('imlage-colors') - 1 / ips('floor-decode-256')) : undefined;
const multiFloor = serial('floor-decode-416', 'floor-model-nsfw', 'floor-model-objects');
const floors = {
  nsfw: { value: serial('floor-decode-224', 'floor-model-nsfw'), how: '1 / (t decode-224 + t model-nsfw)' },
  'native-nsfw': { value: serial('floor-native-decode-224', 'floor-model-nsfw'), how: '1 / (t native-decode-224 + t model-nsfw): the native floor' },
  objects: { value: serial('floor-decode-416', 'floor-model-objects'), how: '1 / (t decode-416 + t model-objects)' },
  multi: {
    value: !hasColors ? multiFloor : multiFloor && colorsCompute !== undefined ? 1 / (1 / multiFloor + colorsCompute) : undefined,
    how: '1 / (t decode-416 + t model-nsfw + t model-objects' +
      (hasColors ? ' + t colors, estimated as t imlage-colors − t decode-256' : '') +
      '): one decode at the largest input serves every model',
  },
};
const ratio = (a, b) => (a && b ? a / b : undefined);
// "The tuned peer per model" (issue #9): each model's own tuned pipeline, run
// one after the other, so the peer's time per image is the sum of theirs.
const perModel = serial(...multi.map((n) => `ort-tuned-${n}`));
// Targets of issue #9.
const RATIOS = [
  { name: 'nsfw fast vs floor (sharp decode)', value: ratio(ips('imlage-nsfw-fast'), floors.nsfw.value) },
  { name: 'nsfw fast vs native floor', value: ratio(ips('imlage-nsfw-fast'), floors['native-nsfw'].value), target: 0.9 },
  { name: 'nsfw fast vs tuned ORT', value: ratio(ips('imlage-nsfw-fast'), ips('ort-tuned-nsfw')), target: 1.3 },
  { name: 'nsfw fast vs naive ORT', value: ratio(ips('imlage-nsfw-fast'), ips('ort-naive-nsfw')), target: 1.8 },
  { name: 'nsfw fast vs nsfwjs (TF.js cpu)', value: ratio(ips('imlage-nsfw-fast'), ips('nsfwjs-tfjs-cpu')), target: 6 },
  { name: 'nsfw exact vs nsfwjs (TF.js cpu)', value: ratio(ips('imlage-nsfw-exact'), ips('nsfwjs-tfjs-cpu')) },
  { name: 'nsfw exact vs fast', value: ratio(ips('imlage-nsfw-exact'), ips('imlage-nsfw-fast')) },
  { name: 'objects vs floor', value: ratio(ips('imlage-objects'), floors.objects.value) },
  { name: 'objects vs tuned ORT', value: ratio(ips('imlage-objects'), ips('ort-tuned-objects')) },
  { name: `${multiLabel} vs floor`, value: ratio(ips('imlage-multi'), floors.multi.value), target: 0.9 },
  { name: `${multiLabel} fast vs tuned peer per model (1 / Σ t ort-tuned-<model>)`, value: ratio(ips('imlage-multi'), perModel), target: 1.6 },
  { name: `${multiLabel} exact vs tuned peer per model (1 / Σ t ort-tuned-<model>)`, value: ratio(ips('imlage-multi-exact'), perModel) },
  { name: `${multiLabel} fast vs tuned peer, all models in one pipeline (ort-tuned-multi)`, value: ratio(ips('imlage-multi'), ips('ort-tuned-multi')) },
  { name: `${multiLabel} exact vs tuned peer, all models in one pipeline (ort-tuned-multi)`, value: ratio(ips('imlage-multi-exact'), ips('ort-tuned-multi')) },
].map((r) => ({ ...r, status: r.value === undefined ? 'n/a' : r.target === undefined ? '' : r.value >= r.target ? 'meets' : 'below' }));

const msPer = (name) => (ips(name) ? 1000 / ips(name) : undefined);
const stages = {
  'decode-224 (ms/image)': msPer('floor-decode-224'),
  'native decode-224 (ms/image)': msPer('floor-native-decode-224'),
  'model nsfw (ms/image)': msPer('floor-model-nsfw'),
  'imlage nsfw fast (ms/image)': msPer('imlage-nsfw-fast'),
  'decode-416 (ms/image)': msPer('floor-decode-416'),
  'model objects (ms/image)': msPer('floor-model-objects'),
  'imlage objects (ms/image)': msPer('imlage-objects'),
  ...(hasColors ? {
    'decode-256 (ms/image)': msPer('floor-decode-256'),
    'imlage colors (ms/image)': msPer('imlage-colors'),
    'colors compute, estimated (ms/image)': colorsCompute === undefined ? undefined : 1000 * colorsCompute,
  } : {}),
  [`imlage ${multiLabel} (ms/image)`]: msPer('imlage-multi'),
  [`imlage ${multiLabel} exact (ms/image)`]: msPer('imlage-multi-exact'),
  [`tuned peer per model, Σ ${multi.map((n) => `t ${n}`).join(' + ')} (ms/image)`]: perModel ? 1000 / perModel : undefined,
};

// ------------------------------------------------------------------ report
const pkgVersion = (p) => {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', p, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
};
let commit = '?';
try {
  const git = (...a) => execFileSync('git', a, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  commit = git('rev-parse', '--short', 'HEAD');
  if (git('status', '--porcelain', '--untracked-files=no', '--', 'src', 'native')) commit += ' + uncommitted changes in src/ or native/';
} catch { /* not a checkout */ }
const sharpVersions = sharp.versions;
const env = {
  date: startedAt.toISOString(),
  commit,
  dist: dist0,
  distChanged,
  cpu: cpus()[0]?.model ?? '?',
  cores: CORES,
  memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
  freeMemoryGiB: +(freemem() / 2 ** 30).toFixed(1),
  loadavgStart: load0.map((x) => +x.toFixed(2)),
  loadavgEnd: load1.map((x) => +x.toFixed(2)),
  node: process.version,
  onnxruntimeNode: pkgVersion('onnxruntime-node'),
  sharp: sharpVersions.sharp,
  libvips: sharpVersions.vips,
  tfjs: pkgVersion('@tensorflow/tfjs'),
  nsfwjs: pkgVersion('nsfwjs'),
};
const busy = Math.max(load0[0], load1[0]) > CORES * 0.5;
const report = {
  env,
  busy,
  settings: { images: dir, uniqueImages: unique.length, formatGroups: Object.fromEntries(FORMAT_GROUPS.map((g) => [g, unique.filter((f) => meta[f].group === g).length])), count, runs, nsfwjsCount, latencyCalls, latencyFile, imlageBatchSize: batchSize ?? 'engine default', uvThreadpool: uvThreadpool ?? 'libuv default (4)', tuned: TUNED, floorBatch: FLOOR_BATCH, multi, models: onnx, quick },
  results,
  floors,
  nativeDecode: hasNativeDecode ? 'built' : 'not built',
  agreement: agreements,
  ratios: RATIOS,
  tunedPerModel: perModel,
  stages,
  totalSeconds: (Date.now() - t0) / 1000,
};

const f1 = (x) => (x === undefined ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
// Three decimals where two would round a ratio onto its target.
const fr = (x, target) => (x === undefined ? '–' : x.toFixed(target !== undefined && Math.abs(x - target) < 0.005 ? 3 : 2));
const md = [];
md.push(`# imlage benchmark, ${env.date.slice(0, 16).replace('T', ' ')} UTC`, '');
md.push(`${env.cpu}, ${env.cores} cores, ${env.memoryGiB} GiB; node ${env.node}, onnxruntime-node ${env.onnxruntimeNode}, sharp ${env.sharp} (libvips ${env.libvips}), tfjs ${env.tfjs}, nsfwjs ${env.nsfwjs}; commit ${commit}, dist ${dist0}${distChanged ? ' (**dist/ changed during the run**)' : ''}.`);
md.push(`Load average ${env.loadavgStart.join(' ')} at start, ${env.loadavgEnd.join(' ')} at end${busy ? ' — **the machine was busy: figures are provisional**' : ''}.`);
md.push(`${count} images per run (cycling through ${unique.length} photos in ${dir}), median of ${runs} round(s) (each measurement once per round, in a fresh process), min–max in brackets; model load and a first batch are not timed.${quick ? ' **Quick (smoke) mode: figures are not meaningful.**' : ''}`, '');
md.push('| measurement | images/s (min–max) | ms/image | CPU ms/image | peak RSS MiB | errors | what it does |');
md.push('|---|---:|---:|---:|---:|---:|---|');
for (const [name, r] of Object.entries(results)) {
  if (r.kind !== 'throughput') continue;
  if (r.error) {
    md.push(`| ${name} | failed | | | | | ${r.error.split('\n')[0].replace(/\|/g, '\\|')} |`);
    continue;
  }
  md.push(`| ${name} | **${f1(r.median)}** (${f1(r.min)}–${f1(r.max)}) | ${f1(1000 / r.median)} | ${f1(r.cpuMsPerImage)} | ${r.maxRssMiB.toFixed(0)} | ${r.errors} | ${r.what}${r.imagesPerRun !== count ? ` [${r.imagesPerRun} images/run]` : ''} |`);
}
for (const [name, fl] of Object.entries(floors)) {
  if (fl.value !== undefined) md.push(`| floor-${name} (derived) | **${f1(fl.value)}** | ${f1(1000 / fl.value)} | | | | ${fl.how} |`);
}
if (perModel) md.push(`| ort-tuned-per-model (derived) | **${f1(perModel)}** | ${f1(1000 / perModel)} | | | | 1 / (${multi.map((n) => `t ort-tuned-${n}`).join(' + ')}): the tuned peer's pipeline per model, one after the other |`);
const decodeFloors = Object.entries(results).filter(([, r]) => r.groups);
if (decodeFloors.length) {
  const present = FORMAT_GROUPS.filter((g) => decodeFloors.some(([, r]) => r.groups[g]));
  md.push('', `| decode floor, CPU ms/image (process.cpuUsage, all threads) by format | ${present.map((g) => `${g} (${decodeFloors[0][1].groups[g]?.images ?? 0}/run)`).join(' | ')} | all |`);
  md.push(`|---|${present.map(() => '---:').join('|')}|---:|`);
  for (const [name, r] of decodeFloors) {
    const fb = present.map((g) => r.groups[g]?.fallbacks).reduce((a, b) => a + (b ?? 0), 0);
    md.push(`| ${name}${fb ? ` (${fb} files/run went to sharp)` : ''} | ${present.map((g) => f1(r.groups[g]?.cpuMsPerImage)).join(' | ')} | ${f1(r.cpuMsPerImage)} |`);
  }
}
if (!hasNativeDecode) md.push('', 'native decode floor: not built (the addon has no decodeToSize)');
if (agreements.length) {
  md.push('', '| agreement with imlage fast mode (same best label) | photos | same | |', '|---|---:|---:|---:|');
  for (const a of agreements) md.push(`| ${a.what} | ${a.photos} of ${a.of} | ${a.same} | ${((100 * a.same) / a.photos).toFixed(1)}% |`);
}
md.push('', '| ratio (imlage / other, images/s) | value | target | |', '|---|---:|---:|---|');
for (const r of RATIOS) md.push(`| ${r.name} | ${fr(r.value, r.target)}× | ${r.target === undefined ? '' : `≥ ${r.target}×`} | ${r.status} |`);
const lat = Object.entries(results).filter(([name, r]) => r.kind === 'latency' && !name.startsWith('abi-'));
const abi = Object.entries(results).filter(([name, r]) => r.kind === 'latency' && name.startsWith('abi-'));
if (abi.length) {
  md.push('', `| SMI call, no-op plugin, batch of ${ABI_BATCH} images | p50 ms/batch | p95 ms/batch | µs/image (p50) | calls |`, '|---|---:|---:|---:|---:|');
  for (const [name, r] of abi) md.push(r.error ? `| ${name} | failed | | | |` : `| ${name} | ${r.p50.toFixed(3)} | ${r.p95.toFixed(3)} | ${(r.p50 * 1000 / ABI_BATCH).toFixed(1)} | ${r.calls} |`);
}
if (lat.length) {
  md.push('', `| latency, one small JPEG (${latencyFile.split('/').pop()}) | p50 ms | p95 ms | calls |`, '|---|---:|---:|---:|');
  for (const [name, r] of lat) md.push(r.error ? `| ${name} | failed | | |` : `| ${name} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.calls} |`);
}
md.push('', '| stage (from the medians above) | ms/image |', '|---|---:|');
for (const [k, v] of Object.entries(stages)) md.push(`| ${k} | ${f1(v)} |`);
md.push('');
const table = md.join('\n');

mkdirSync(outDir, { recursive: true });
const stamp = startedAt.toISOString().replace(/[:.]/g, '-').replace(/Z$/, '');
writeFileSync(join(outDir, `bench-${stamp}.json`), JSON.stringify(report, null, 2) + '\n');
writeFileSync(join(outDir, `bench-${stamp}.md`), table);
console.log(table);
console.error(`bench: wrote ${join(outDir, `bench-${stamp}.json`)} and .md (${report.totalSeconds.toFixed(0)} s)`);
const failed = Object.entries(results).filter(([, r]) => r.error).map(([n]) => n);
if (failed.length) {
  console.error(`bench: ${failed.length} measurement(s) failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
