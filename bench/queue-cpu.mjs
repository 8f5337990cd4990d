// npm run bench:queue: the CPU one job costs the queue path itself, apart
// from the engine: `startWorker()` (BullMQ, ioredis, the job's JSON, its
// library keys) over an engine that answers at once with an nsfw result of
// the real shape, a local redis-server, and a reader counting completions
// from the event stream as bench:scale does. CPU time, not wall time, so the
// figures hold on a loaded machine: what bench:scale's workers spend besides
// tagging, and what Redis and the reader take from the cores they share.
//
//   npm run bench:queue -- [--jobs N (3000)] [--rounds N (5)] [--workers N (1)] [--concurrency N (32)] [--against DIST]
//
// --against DIST: rounds alternate between this build's dist/ and another
// build's (e.g. the previous commit's, copied aside), for a before/after
// measured in one run.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ROOT, importDist, median } from './lib.mjs';
import { commandStats, endRound, finishedJobs, startRedis, statsPerJob } from './redis.mjs';
import { cpuMs, groupDelta, threadGroups } from './cpu.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const N = Number(opt('jobs', 3000));
const ROUNDS = Number(opt('rounds', 5));
const AGAINST = opt('against');
const WORKERS = Number(opt('workers', 1));
const CONCURRENCY = Number(opt('concurrency', 32));

function startChild(url, queue, dist) {
  const child = spawn(process.execPath, [join(ROOT, 'bench', 'queue-cpu.mjs'), '--child-worker', url, queue, '--concurrency', String(CONCURRENCY), '--dist', dist],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      if (String(d).includes('ready')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited ${code}`)));
  });
}

async function round(url, redisPid, dir, name, dist) {
  const { enqueue } = await importDist('index.js');
  const q = new Queue(name, { connection: { url } });
  await q.pause();
  await enqueue([dir], { redis: url, queue: name });
  const children = await Promise.all(Array.from({ length: WORKERS }, () => startChild(url, name, dist)));
  const finished = await finishedJobs(url, name, N);
  const redis = new Redis(url);
  const s0 = commandStats(await redis.info('commandstats'));
  const w0 = children.map((c) => threadGroups(c.pid));
  const r0 = cpuMs(redisPid);
  const b0 = process.cpuUsage();
  const t0 = performance.now();
  await q.resume();
  await finished.done;
  const wall = performance.now() - t0;
  const b1 = process.cpuUsage();
  const r1 = cpuMs(redisPid);
  const w = children.map((c, i) => groupDelta(w0[i], threadGroups(c.pid)));
  const s1 = commandStats(await redis.info('commandstats'));
  const calls = statsPerJob(s0, s1, N);
  await finished.close();
  redis.disconnect();
  await endRound(q, children);
  return {
    jobsPerS: N / (wall / 1000),
    workerMain: w.reduce((a, g) => a + g.main, 0) / N,
    workerOther: w.reduce((a, g) => a + g.other, 0) / N,
    redis: (r1 - r0) / N,
    reader: (b1.user + b1.system - b0.user - b0.system) / 1000 / N,
    calls,
  };
}

function report(dist, rows) {
  const m = (k) => median(rows.map((r) => r[k]));
  const f = (x) => x.toFixed(3);
  console.log(`  ${dist}:`);
  console.log(`    CPU per job, ms: worker JS thread ${f(m('workerMain'))}, worker other threads ${f(m('workerOther'))}, ` +
    `redis-server ${f(m('redis'))}, reader (event stream) ${f(m('reader'))}; total ${f(m('workerMain') + m('workerOther') + m('redis') + m('reader'))}`);
  console.log(`    throughput: ${m('jobsPerS').toFixed(0)} jobs/s (wall time: only meaningful on an idle machine)`);
  const names = new Set(rows.flatMap((r) => Object.keys(r.calls)));
  const per = [...names].map((k) => [k, median(rows.map((r) => r.calls[k]?.calls ?? 0)), median(rows.map((r) => r.calls[k]?.usec ?? 0))]).sort((a, b) => b[2] - a[2]);
  console.log(`    Redis commands per job: ${per.reduce((a, [, c]) => a + c, 0).toFixed(1)} (scripts' own commands counted inside them too): ` +
    per.filter(([, c]) => c >= 0.05).map(([k, c, u]) => `${k} ${c.toFixed(2)} (${u.toFixed(1)} us)`).join(', '));
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'imlage-queue-cpu-'));
  const server = await startRedis('bench:queue');
  const url = server.url;
  try {
    // Files of their own content (each its own job id); nothing reads them but the producer's hash.
    for (let i = 0; i < N; i++) writeFileSync(join(dir, `img-${String(i).padStart(6, '0')}.jpg`), `not decoded ${i}`);
    await new Promise((r) => setTimeout(r, 300));
    const variants = [join(ROOT, 'dist'), ...(AGAINST ? [resolve(AGAINST)] : [])];
    const rows = variants.map(() => []);
    for (let r = 0; r < ROUNDS; r++) {
      for (const v of r % 2 ? [...variants.keys()].reverse() : variants.keys()) {
        const x = await round(url, server.pid, dir, `cpu-${r}-${v}`, variants[v]);
        rows[v].push(x);
        process.stderr.write(`  round ${r + 1} ${variants[v]}: worker ${(x.workerMain + x.workerOther).toFixed(3)} ms/job, redis ${x.redis.toFixed(3)}, reader ${x.reader.toFixed(3)}\n`);
      }
    }
    console.log(`bench:queue: ${N} jobs, ${WORKERS} worker(s) at concurrency ${CONCURRENCY}, an engine that answers in batches of 16 at once, ${ROUNDS} rounds (medians)`);
    variants.forEach((v, i) => report(v, rows[i]));
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function childWorker() {
  // The real worker over an engine that does no tagging: what is left is the queue's own work.
  const { startWorker } = await import(pathToFileURL(join(opt('dist'), 'queue', 'worker.js')).href);
  const plugin = { name: 'nsfw', version: '1.0.0', description: 'NSFW classifier', model: 'nsfwjs@4.3.0 dist/models/mobilenet_v2/model.min.js', provider: 'cpu', warnings: [] };
  const labels = ['Neutral', 'Drawing', 'Hentai', 'Sexy', 'Porn'];
  // Jobs finish in batches of 16, as the engine's batchers finish them: their completions leave in one tick.
  let batch = [];
  const answer = () => {
    const done = batch;
    batch = [];
    for (const [input, resolve] of done) {
      const tags = labels.map((label, i) => ({ label, confidence: Math.round(1e6 * Math.random() / (i + 1)) / 1e6, category: 'safety' }));
      resolve({ file: String(input), results: { nsfw: { tags, model: plugin.model, version: plugin.version, inference_time_ms: 11.73 } } });
    }
  };
  const engine = {
    mode: 'exact',
    plugins: [plugin],
    resultSettings: () => ({}),
    tagOne(input) {
      return new Promise((resolve) => {
        if (batch.push([input, resolve]) === 1) setTimeout(answer, 2);
        if (batch.length === 16) setImmediate(answer);
      });
    },
  };
  const w = await startWorker(engine, { redis: args[1], queue: args[2], concurrency: CONCURRENCY });
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => void w.close().then(() => process.exit(0)));
}

if (args[0] === '--child-worker') await childWorker();
else await main();
