// npm run bench:serve: `imlage serve` under autocannon on loopback against
// the same engine in-process (engine.tagOne), on the same real photos, at
// concurrency 1, 8 and 64. Rounds alternate server and in-process so both
// see the same machine load; each figure is the median over rounds.
//
// Each run is a fixed number of requests (4 per connection, at least 100), so
// slow high-concurrency runs are not cut short mid-flight.
//
//   npm run bench:serve -- [--rounds N] [--mode exact|fast] [--quick]

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { CORES, ROOT, importDist } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const quick = args.includes('--quick');
const amount = (c) => (quick ? 2 * c + 8 : Math.max(4 * c, 100));
const ROUNDS = Number(opt('rounds', quick ? 1 : 3));
const MODE = opt('mode', 'exact');
const LEVELS = [1, 8, 64];

const PHOTOS = join(ROOT, 'tests', 'fixtures', 'photos');
let files;
try {
  files = readdirSync(PHOTOS).filter((f) => f.endsWith('.jpg')).sort();
} catch {
  files = [];
}
if (files.length === 0) throw new Error(`bench:serve: no photos in ${PHOTOS}; run \`npm run fixtures\` first`);
const photos = files.map((f) => ({ name: f, data: readFileSync(join(PHOTOS, f)) }));

const q = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function summarise(latencies, seconds, errors) {
  const s = [...latencies].sort((a, b) => a - b);
  return { rps: latencies.length / seconds, p50: q(s, 0.5), p95: q(s, 0.95), p99: q(s, 0.99), errors, n: latencies.length };
}

async function inProcess(engine, c) {
  const lat = [];
  let errors = 0;
  let next = 0;
  const n = amount(c);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: c }, async () => {
    while (next < n) {
      const p = photos[next++ % photos.length];
      const t = performance.now();
      const r = await engine.tagOne({ name: p.name, data: p.data });
      lat.push(performance.now() - t);
      if (r.error) errors++;
    }
  }));
  return summarise(lat, (performance.now() - t0) / 1000, errors);
}

function overHttp(url, c) {
  return new Promise((resolve, reject) => {
    const lat = [];
    const first = performance.now();
    let last;
    const inst = autocannon({
      url: `${url}/v1/tag`,
      connections: c,
      amount: amount(c),
      timeout: 120,
      // Each connection cycles through every photo.
      requests: photos.map((p) => ({ method: 'POST', body: p.data, headers: { 'content-type': 'image/jpeg' } })),
    }, (err, res) => {
      if (err) return reject(err);
      // Until the last answer (autocannon's own duration is rounded to its one-second ticks).
      const s = summarise(lat, (last - first) / 1000, res.errors + res.timeouts + res.non2xx);
      resolve(s);
    });
    inst.on('response', (_client, _status, _bytes, ms) => {
      lat.push(ms);
      last = performance.now();
    });
  });
}

/** The server's own sums: request time, and the part of it spent in engine.tagOne. */
async function serverSums(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const get = (re) => Number(re.exec(text)?.[1] ?? 0);
  return {
    request: get(/^imlage_http_request_duration_seconds_sum\{method="POST",route="\/v1\/tag"\} (\S+)$/m),
    count: get(/^imlage_http_request_duration_seconds_count\{method="POST",route="\/v1\/tag"\} (\S+)$/m),
    engine: get(/^imlage_image_seconds_sum (\S+)$/m),
  };
}

function freePort() {
  return new Promise((resolve) => {
    const s = netServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startServer() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'imlage-bench-serve-'));
  // An empty config: the server runs the same defaults as the in-process engine.
  writeFileSync(join(dir, 'config.toml'), '[serve]\nmax_queue = 4096\n');
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'serve', '--port', String(port), '--mode', MODE, '--config', join(dir, 'config.toml')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`imlage serve exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return { child, url };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('imlage serve did not become ready');
}

// The same libuv pool size as the server process (the CLI sizes it first thing).
(await importDist('engine/threads.js')).sizeUvPoolEarly();
const { Engine } = await importDist('index.js');
const engine = await Engine.create({ config: false, mode: MODE });
const { child, url } = await startServer();
process.on('exit', () => child.kill('SIGTERM'));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
const ms = (x) => x.toFixed(1).padStart(7);
try {
  // Warm both (first runs allocate and JIT).
  await inProcess(engine, 8);
  await overHttp(url, 8);
  const t0 = performance.now();
  console.log(`bench:serve: ${photos.length} photos (${PHOTOS}), plugins ${engine.plugins.map((p) => p.name).join('+')}, mode ${MODE}, ${CORES} cores, ${ROUNDS} round(s) per figure, medians`);
  console.log(`${'c'.padStart(3)} ${'peer'.padEnd(11)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p95 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'errors'.padStart(6)}   ratio`);
  for (const c of LEVELS) {
    const runs = { server: [], inproc: [] };
    for (let r = 0; r < ROUNDS; r++) {
      runs.inproc.push(await inProcess(engine, c));
      const before = await serverSums(url);
      const run = await overHttp(url, c);
      const after = await serverSums(url);
      // Time each request spent in the server outside the engine (parsing, checks, admission, serialising): robust to machine load, unlike latency differences.
      run.overhead = (((after.request - before.request) - (after.engine - before.engine)) / (after.count - before.count)) * 1000;
      runs.server.push(run);
    }
    const agg = (xs) => Object.fromEntries(['rps', 'p50', 'p95', 'p99', 'errors', 'overhead'].map((k) => [k, median(xs.map((x) => x[k]))]));
    const s = agg(runs.server);
    const i = agg(runs.inproc);
    const ratios = runs.server.map((x, k) => x.rps / runs.inproc[k].rps);
    console.log(`${String(c).padStart(3)} ${'in-process'.padEnd(11)} ${ms(i.rps)} ${ms(i.p50)} ${ms(i.p95)} ${ms(i.p99)} ${String(i.errors).padStart(6)}`);
    console.log(`${String(c).padStart(3)} ${'server'.padEnd(11)} ${ms(s.rps)} ${ms(s.p50)} ${ms(s.p95)} ${ms(s.p99)} ${String(s.errors).padStart(6)}   ${median(ratios).toFixed(2)}x throughput; p99 ${s.p99 - i.p99 >= 0 ? '+' : ''}${(s.p99 - i.p99).toFixed(1)} ms; ${s.overhead.toFixed(2)} ms per request in the server outside the engine`);
  }
  console.log(`bench:serve: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
} finally {
  child.kill('SIGTERM');
  await engine.close();
}
