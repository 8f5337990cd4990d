#!/usr/bin/env node
// Fuzzes the TOML readers (src/util/toml-reader.ts through parseManifest and
// parseConfig) with a mutation engine of its own: seeds are the corpus in
// tests/fuzz/corpus/toml/ and every shipped plugins/*/plugin.toml; mutations
// are TOML-aware (tokens, keys, extreme numbers, odd Unicode, line splices,
// deep nesting). An input that gives a new kind of outcome (outcomeShape)
// joins the pool, a cheap stand-in for coverage feedback.
//
//   node tests/fuzz/toml-fuzz.mjs [--seconds N] [--seed S]
//
// The loop runs in a worker; the main thread is a watchdog: an input that
// runs for more than 5 s is a hang. A broken property or a hang writes the
// input to build/fuzz/crashes/toml-<hash>.toml and exits 1. Needs `npm run build`.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { checkText, outcomeShape } from './toml-property.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const SAB_BYTES = 1 << 20;
const HANG_MS = 5000;

function seedTexts() {
  const dirs = [join(here, 'corpus', 'toml'), join(here, 'regressions', 'toml')];
  const files = dirs.filter(existsSync).flatMap((d) => readdirSync(d).map((f) => join(d, f)));
  for (const p of readdirSync(join(root, 'plugins'))) {
    const f = join(root, 'plugins', p, 'plugin.toml');
    if (existsSync(f)) files.push(f);
  }
  return files.map((f) => ({ file: f, text: readFileSync(f, 'utf8') }));
}

// A small, seedable PRNG (mulberry32): a run can be repeated with --seed.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = [
  '[', ']', '[[', ']]', '=', ' = ', '"', "'", '"""', "'''", '\n', '\r\n', '#', ',', '{', '}', '.', '-', '+', '_',
  'inf', '-inf', 'nan', '+nan', '1e309', '-1e309', '-0', '0.0', '5e-324', '1e-50', '0x7fffffffffffffff', '9007199254740993',
  '-9223372036854775808', '0b101', '0o777', '1_000', '3.14', '1979-05-27T07:32:00Z', '1979-05-27', '07:32:00', 'true', 'false',
  '\\u0000', '\\uD800', '\\U0010FFFF', '\\x41', '\\', '\u0000', '\uFFFD', '\u202E', '\uD800', '\uDFFF', '😀', 'é',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf',
  'name', 'version', 'kind', '"onnx"', '"native"', 'isolation', '"process"', '"in-process"', 'description', 'capabilities',
  'default_enabled', 'hardware', 'gpu', 'min_ram_mb', 'min_vram_mb', 'library', 'linux-x64', 'input', 'width', 'height',
  'models', '[[models]]', 'id', 'files', 'package', 'config', '[config.x]', 'type', '"integer"', '"number"', '"string"',
  '"boolean"', 'default', 'min', 'max', 'values', 'model', 'file', 'weights', 'format', '"tfjs-graph"', 'preprocess',
  '[preprocess.exact]', 'exact', 'fast', 'resize', '"bilinear"', 'normalize_first', 'kernel', 'output', 'names', 'labels',
  'exclude', 'threshold', 'top_k', 'timeout_ms', 'layout', '"nchw"', 'channels', 'scale', 'mean', 'std',
  '[engine]', 'engine', '[plugins]', 'plugins', 'enabled', 'paths', 'mode', '"exact"', 'batch_size', 'providers', '"cuda"',
  'intra_op_threads', 'graph_optimization', 'ort_library', 'cache_dir', '"~/x"', '[plugins.colors]', 'max_colors',
];
const NUMBERS = ['0', '-1', '1', '255', '16385', '1e309', '-1e309', 'inf', 'nan', '-0', '5e-324', '1e-50', '0.5', '9007199254740991', '3600001', '2.5'];

function mutator(random) {
  const pick = (arr) => arr[Math.floor(random() * arr.length)];
  const pos = (s) => Math.floor(random() * (s.length + 1));
  const ops = [
    (s) => { const p = pos(s); return s.slice(0, p) + pick(TOKENS) + s.slice(p); },
    (s) => { const p = pos(s); return s.slice(0, p) + s.slice(p + 1 + Math.floor(random() * 16)); },
    (s) => { const p = pos(s); return s.slice(0, p) + pick(TOKENS) + s.slice(p + 1 + Math.floor(random() * 8)); },
    (s) => s.replace(/-?\b\d[\d_.e+-]*\b|\binf\b|\bnan\b/g, (m) => (random() < 0.3 ? pick(NUMBERS) : m)),
    (s) => s.replace(/"[^"\n]*"/g, (m) => (random() < 0.2 ? pick(['""', '"x"', `"${'a'.repeat(2000)}"`, '"\\ud800"', '"é"', '[]', '{}', '1']) : m)),
    (s) => { const l = s.split('\n'); const i = Math.floor(random() * l.length); l.splice(i, 0, l[Math.floor(random() * l.length)]); return l.join('\n'); },
    (s) => { const l = s.split('\n'); l.splice(Math.floor(random() * l.length), 1 + Math.floor(random() * 3)); return l.join('\n'); },
    (s) => { const l = s.split('\n'); const i = Math.floor(random() * l.length); const j = Math.floor(random() * l.length); [l[i], l[j]] = [l[j], l[i]]; return l.join('\n'); },
    (s) => { const p = pos(s); const n = 1 + Math.floor(random() * 4000); const t = pick(['[', '{a=', '[[a', 'a.', '"', '\\']); return s.slice(0, p) + t.repeat(n) + s.slice(p); },
    (s) => { const p = pos(s); return s.slice(0, p) + String.fromCharCode(Math.floor(random() * 0x10000)) + s.slice(p); },
    (s) => s.replace(/^(\s*)([A-Za-z_][\w-]*)(\s*=)/gm, (m, a, k, b) => (random() < 0.1 ? a + pick(TOKENS.filter((t) => /^[\w-]+$/.test(t))) + b : m)),
    (s) => s.replace(/^\[+([^\]\n]*)\]+/gm, (m, k) => (random() < 0.2 ? (random() < 0.5 ? `[[${k}]]` : `[${k}]`) : m)),
  ];
  return (text, pool) => {
    let s = text;
    if (random() < 0.15 && pool.length > 1) {
      // Line-level crossover with another input.
      const other = pick(pool).split('\n');
      const lines = s.split('\n');
      const at = Math.floor(random() * lines.length);
      s = [...lines.slice(0, at), ...other.slice(Math.floor(random() * other.length)), ...lines.slice(at)].join('\n');
    }
    const rounds = 1 + Math.floor(random() * 4);
    for (let i = 0; i < rounds; ++i) s = pick(ops)(s);
    return s.length > 200_000 ? s.slice(0, 200_000) : s;
  };
}

function work({ seconds, seed, sab }) {
  const counter = new Int32Array(sab, 0, 2);
  const bytes = new Uint8Array(sab, 8);
  const encoder = new TextEncoder();
  const random = rng(seed);
  const mutate = mutator(random);
  const pool = seedTexts().map((s) => s.text);
  const shapes = new Set();
  const deadline = Date.now() + seconds * 1000;
  let runs = 0;
  const test = (text) => {
    const { written } = encoder.encodeInto(text, bytes);
    Atomics.store(counter, 1, written);
    Atomics.add(counter, 0, 1);
    const failure = checkText(text);
    runs += 1;
    if (failure) {
      parentPort.postMessage({ failure, text });
      return false;
    }
    const shape = outcomeShape(text);
    if (!shapes.has(shape)) {
      shapes.add(shape);
      return true;
    }
    return false;
  };
  // Replay: every seed and regression must hold as it is.
  for (const text of [...pool]) test(text);
  while (Date.now() < deadline) {
    const text = mutate(pool[Math.floor(random() * pool.length)], pool);
    if (test(text) && pool.length < 2000) pool.push(text);
  }
  parentPort.postMessage({ done: true, runs, shapes: shapes.size, pool: pool.length });
}

function crashFile(text) {
  const dir = join(root, 'build', 'fuzz', 'crashes');
  mkdirSync(dir, { recursive: true });
  const f = join(dir, `toml-${createHash('sha1').update(text).digest('hex').slice(0, 16)}.toml`);
  writeFileSync(f, text);
  return f;
}

function main() {
  const args = process.argv.slice(2);
  const opt = (name, def) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : def;
  };
  const seconds = opt('--seconds', 60);
  const seed = opt('--seed', Date.now() % 2 ** 31);
  const sab = new SharedArrayBuffer(8 + SAB_BYTES);
  const counter = new Int32Array(sab, 0, 2);
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { seconds, seed, sab } });
  let last = -1;
  let lastChange = Date.now();
  const watchdog = setInterval(() => {
    const now = Atomics.load(counter, 0);
    if (now !== last) {
      last = now;
      lastChange = Date.now();
      return;
    }
    if (Date.now() - lastChange > HANG_MS) {
      const len = Atomics.load(counter, 1);
      const text = new TextDecoder().decode(new Uint8Array(sab, 8, len));
      console.error(`toml-fuzz: an input ran for more than ${HANG_MS / 1000} s (seed ${seed}); saved to ${crashFile(text)}`);
      process.exit(1);
    }
  }, 250);
  worker.on('message', (m) => {
    if (m.failure) {
      console.error(`toml-fuzz: ${m.failure}\n(seed ${seed}); input saved to ${crashFile(m.text)}`);
      process.exit(1);
    }
    if (m.done) {
      clearInterval(watchdog);
      console.log(`toml: ${m.runs} inputs in ${seconds} s (seed ${seed}), ${m.shapes} distinct outcomes, pool ${m.pool}`);
    }
  });
  worker.on('error', (e) => {
    console.error(`toml-fuzz: the worker failed: ${e?.stack ?? e}`);
    process.exit(1);
  });
}

if (isMainThread) main();
else work(workerData);
