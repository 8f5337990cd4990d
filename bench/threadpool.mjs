#!/usr/bin/env node
// npm run bench:threadpool: does imlage need a larger libuv pool than
// Node's default of 4 (issue #9)? The same engine work with
// UV_THREADPOOL_SIZE=4 and with larger pools, each in a fresh process (the
// pool's size is fixed when it starts, before any of our code runs), in
// alternating rounds so that load from elsewhere falls on every size alike:
//
//   - the API: `Engine.tag(paths)` over the photos, fast and exact mode
//     (bench/measure.mjs's imlage contender, the one `npm run bench` times);
//   - the server: `imlage serve` under autocannon at concurrency 8, raw image
//     bodies, one request per image (its default mode, exact, and fast).
//
// Prints images/s (medians over rounds) per pool size and the ratio
// default / larger pool, per mode and for the server. See docs/performance.md.
//
//   npm run bench:threadpool -- [--count N] [--rounds R] [--pools 4,8,16]
//                               [--plugins nsfw] [--images DIR] [--concurrency 8]

import { fork, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer as netServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { CORES, ROOT, median } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
    pools: { type: 'string', default: '4,8,16' },
    plugins: { type: 'string', default: 'nsfw' },
    images: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
    only: { type: 'string', default: 'api-fast,api-exact,serve-exact,serve-fast' },
  },
});
const COUNT = Number(opts.count);
const ROUNDS = Number(opts.rounds);
const POOLS = opts.pools.split(',').map(Number);
const PLUGINS = opts.plugins.split(',');
const CONCURRENCY = Number(opts.concurrency);
const DEFAULT_POOL = 4; // libuv's own default
if (!POOLS.includes(DEFAULT_POOL)) POOLS.unshift(DEFAULT_POOL);
if (!existsSync(join(ROOT, 'dist', 'index.js'))) throw new Error('bench:threadpool: run `npm run build` first (it runs the compiled dist/)');

const dir = opts.images ?? (existsSync('/tmp/imlage-corpus/real') ? '/tmp/imlage-corpus/real' : join(ROOT, 'tests', 'fixtures', 'photos'));
const TYPES = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp' };
const unique = readdirSync(dir).filter((f) => TYPES[extname(f).toLowerCase()]).sort().map((f) => join(dir, f));
if (unique.length === 0) throw new Error(`bench:threadpool: no photos in ${dir}`);
// COUNT paths cycling through the folder, so every mode sees the same mix.
const files = Array.from({ length: COUNT }, (_, i) => unique[i % unique.length]);
const bodies = unique.map((f) => ({ method: 'POST', body: readFileSync(f), headers: { 'content-type': TYPES[extname(f).toLowerCase()] } }));

const poolEnv = (n) => ({ ...process.env, UV_THREADPOOL_SIZE: String(n) });

/** One Engine.tag pass in a fresh process with a pool of n threads (bench/measure.mjs). */
function api(mode, n) {
  return new Promise((resolve, reject) => {
    const child = fork(join(ROOT, 'bench', 'measure.mjs'), [`threadpool-${mode}-${n}`], { env: poolEnv(n), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (r) => {
      if (!r.ok) return reject(new Error(r.error));
      const run = r.runs[0];
      resolve({ ips: run.images / run.seconds, cpuMs: (1000 * run.cpuSeconds) / run.images, errors: run.errors, probe: run.poolProbe });
    });
    child.once('exit', (code) => code && reject(new Error(`measure.mjs exited with ${code}`)));
    child.send({ contender: 'imlage', kind: 'throughput', plugins: PLUGINS, mode, files, runs: 1, poolProbe: true });
  });
}

function freePort() {
  return new Promise((resolve) => {
    const s = netServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function load(url, amount) {
  return new Promise((resolve, reject) => {
    let errors = 0;
    const t0 = performance.now();
    let last = t0;
    let done = 0;
    const inst = autocannon({ url: `${url}/v1/tag`, connections: CONCURRENCY, amount, timeout: 120, requests: bodies }, (err, res) => {
      if (err) return reject(err);
      errors += res.errors + res.timeouts + res.non2xx;
      resolve({ ips: done / ((last - t0) / 1000), errors });
    });
    inst.on('response', () => {
      done++;
      last = performance.now();
    });
  });
}

/** `imlage serve` started with a pool of n threads, loaded with COUNT requests after a warm-up. */
async function serve(mode, n) {
  const port = await freePort();
  const cfgDir = mkdtempSync(join(tmpdir(), 'imlage-bench-pool-'));
  writeFileSync(join(cfgDir, 'config.toml'), '[serve]\nmax_queue = 4096\n');
  const args = [join(ROOT, 'dist', 'cli', 'main.js'), 'serve', '--port', String(port), '--mode', mode, '--config', join(cfgDir, 'config.toml'), ...PLUGINS.flatMap((p) => ['--plugin', p])];
  const child = spawn(process.execPath, args, { env: poolEnv(n), stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`imlage serve exited with ${child.exitCode}`);
      if (i > 600) throw new Error('imlage serve did not become ready');
      try {
        if ((await fetch(`${url}/readyz`)).ok) break;
      } catch { /* not listening yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    await load(url, 2 * CONCURRENCY);
    return await load(url, COUNT);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  }
}

const CASES = {
  'api-fast': (n) => api('fast', n),
  'api-exact': (n) => api('exact', n),
  'serve-exact': (n) => serve('exact', n),
  'serve-fast': (n) => serve('fast', n),
};
const cases = opts.only.split(',');
for (const c of cases) if (!CASES[c]) throw new Error(`bench:threadpool: unknown case ${c} (${Object.keys(CASES).join(', ')})`);

const load0 = loadavg()[0];
console.error(`bench:threadpool: ${COUNT} images per run (${unique.length} photos in ${dir}), plugins ${PLUGINS.join('+')}, pools ${POOLS.join(', ')}, ${ROUNDS} rounds, ${CORES} cores`);
const figures = Object.fromEntries(cases.map((c) => [c, Object.fromEntries(POOLS.map((n) => [n, []]))]));
for (let r = 0; r < ROUNDS; r++) {
  for (const c of cases) {
    // Each round starts the sizes at a different place, so none always runs first.
    const order = POOLS.map((_, i) => POOLS[(i + r) % POOLS.length]);
    for (const n of order) {
      const f = await CASES[c](n);
      figures[c][n].push(f);
      console.error(`bench:threadpool: ${r + 1}/${ROUNDS} ${c.padEnd(12)} pool ${String(n).padStart(2)}: ${f.ips.toFixed(1)} images/s${f.errors ? `, ${f.errors} errors` : ''}`);
    }
  }
}

const larger = POOLS.filter((n) => n !== DEFAULT_POOL);
const fmt = (xs) => `${median(xs).toFixed(3)}× (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
const lines = [];
lines.push(`| case | ${POOLS.map((n) => `pool ${n}: images/s`).join(' | ')} | ${larger.map((n) => `4 / ${n} (rounds)`).join(' | ')} | 4 / mean of larger |`);
lines.push(`|---|${POOLS.map(() => '---:').join('|')}|${larger.map(() => '---:').join('|')}|---:|`);
for (const c of cases) {
  const med = (n) => median(figures[c][n].map((f) => f.ips));
  const cpu = (n) => (figures[c][n][0].cpuMs === undefined ? '' : ` (${median(figures[c][n].map((f) => f.cpuMs)).toFixed(1)} CPU ms)`);
  // Each round's own ratio (same load), then their median and range.
  const per = (n) => figures[c][DEFAULT_POOL].map((f, k) => f.ips / figures[c][n][k].ips);
  const pooled = figures[c][DEFAULT_POOL].map((f, k) => f.ips / (larger.reduce((a, n) => a + figures[c][n][k].ips, 0) / larger.length));
  lines.push(`| ${c} | ${POOLS.map((n) => `${med(n).toFixed(1)}${cpu(n)}`).join(' | ')} | ${larger.map((n) => fmt(per(n))).join(' | ')} | ${fmt(pooled)} |`);
}
// How long a short call (fs.stat) waited for libuv's pool while the engine
// ran: a pool too small for the engine shows here as waits as long as a
// decode, whatever the machine's load does to the wall-clock figures.
const probed = cases.filter((c) => figures[c][DEFAULT_POOL][0].probe);
if (probed.length) {
  lines.push('', `| fs.stat on libuv's pool during Engine.tag, ms | ${POOLS.map((n) => `pool ${n}: p50 / p99`).join(' | ')} |`, `|---|${POOLS.map(() => '---:').join('|')}|`);
  for (const c of probed) {
    lines.push(`| ${c} | ${POOLS.map((n) => `${median(figures[c][n].map((f) => f.probe.p50)).toFixed(2)} / ${median(figures[c][n].map((f) => f.probe.p99)).toFixed(2)}`).join(' | ')} |`);
  }
}
console.log(lines.join('\n'));
console.log(`\nload average ${load0.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end; ratios are medians of each round's own ratio; target: 4 / larger pool ≥ 0.95×`);
