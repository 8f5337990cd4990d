// npm run bench:scale: N distinct images through `imlage worker` on a local
// redis-server, with 1 worker and with 2 workers, each worker pinned to one
// core (taskset), against the in-process engine pinned to one core. The
// ratio 2 workers / 1 worker shows scaling (not extra cores per worker); 1
// worker / in-process shows what the queue costs per image. Jobs are
// enqueued into a paused queue, the workers start and load their models,
// then the clock runs from resume until the last job completes. Rounds
// alternate the contenders; figures are medians over rounds.
//
//   npm run bench:scale -- [--images N (2000)] [--rounds N (3)] [--plugin nsfw] [--mode exact|fast]

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { CORES, ROOT, importDist, median } from './lib.mjs';
import { commandStats, endRound, finishedJobs, startRedis, statsPerJob } from './redis.mjs';
import { busiestThread, cpuMs, groupDelta, schedStats, threadGroups } from './cpu.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const N = Number(opt('images', 2000));
const ROUNDS = Number(opt('rounds', 3));
const PLUGIN = opt('plugin', 'nsfw');
const MODE = opt('mode', 'exact');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

if (args[0] === '--child-inprocess') {
  // One process on one core: the engine over the same files, timed after the models load.
  const { Engine } = await importDist('index.js');
  const dir = args[1];
  // --part k/n: every n-th file from the k-th, and wait for a line on stdin
  // once the models are loaded, so that n such processes start tagging together.
  const [k, parts] = (opt('part', '0/1')).split('/').map(Number);
  const files = readdirSync(dir).sort().filter((_, i) => i % parts === k).map((f) => join(dir, f));
  const engine = await Engine.create({ plugins: [PLUGIN], mode: MODE, config: false });
  if (parts > 1) {
    process.stdout.write('ready\n');
    await once(process.stdin, 'data');
  }
  const t0 = performance.now();
  const c0 = threadGroups(process.pid);
  const sched0 = schedStats(process.pid);
  let n = 0;
  for await (const r of engine.tag(files, { order: 'completion' })) if (!r.error) n++;
  const cpu = groupDelta(c0, threadGroups(process.pid));
  const s = (performance.now() - t0) / 1000;
  const busiest = busiestThread(sched0, schedStats(process.pid), s * 1000);
  await engine.close();
  process.stdout.write(JSON.stringify({ n, s, cpu, busiest }) + '\n');
  process.exit(0);
}

if (spawnSync('taskset', ['--version']).error) throw new Error('bench:scale needs taskset (util-linux)');
if (CORES < 2) throw new Error('bench:scale needs 2 cores (one per worker)');

async function makeImages(dir) {
  const photos = join(ROOT, 'tests', 'fixtures', 'photos');
  const sources = readdirSync(photos).filter((f) => f.endsWith('.jpg')).map((f) => join(photos, f));
  if (!sources.length) throw new Error('bench:scale: no photos; run `npm run fixtures` first');
  for (let i = 0; i < N; i += 16) {
    await Promise.all(Array.from({ length: Math.min(16, N - i) }, (_, k) => {
      const j = i + k;
      // Distinct content per image (its own job id): each a different size, 320-639 px wide.
      return sharp(sources[j % sources.length]).resize(320 + (j % 320), undefined).jpeg({ quality: 70 + (Math.floor(j / 320) % 25) })
        .toFile(join(dir, `img-${String(j).padStart(5, '0')}.jpg`));
    }));
  }
}

function startWorker(url, queue, core) {
  const child = spawn('taskset', ['-c', String(core), process.execPath, CLI, 'worker', '--redis', url, '--queue', queue, '-p', PLUGIN, '--mode', MODE, '--config', '/dev/null'],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d;
      if (err.includes('worker on queue')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited ${code}: ${err}`)));
  });
}

async function queued(url, name, dir, workers) {
  const { enqueue } = await importDist('index.js');
  const q = new Queue(name, { connection: { url } });
  await q.pause();
  const t0 = performance.now();
  await enqueue([dir], { redis: url, queue: name, mode: MODE });
  const enqueueS = (performance.now() - t0) / 1000;
  const children = await Promise.all(Array.from({ length: workers }, (_, i) => startWorker(url, name, i)));
  const finished = await finishedJobs(url, name, N);
  const redis = new Redis(url);
  const commands = async () => Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))[1]);
  const c0 = await commands();
  const stats0 = commandStats(await redis.info('commandstats'));
  const cpu0 = cpuNow(children);
  const sched0 = children.map((c) => schedStats(c.pid));
  const t1 = performance.now();
  await q.resume();
  await finished.done;
  const s = (performance.now() - t1) / 1000;
  const busiest = children.map((c, i) => busiestThread(sched0[i], schedStats(c.pid), s * 1000));
  const cpu = cpuPerImage(cpu0, cpuNow(children));
  const commandsPerImage = (await commands() - c0) / N;
  const stats = statsPerJob(stats0, commandStats(await redis.info('commandstats')), N);
  const sample = await q.getJobs(['completed'], 0, 49);
  const resultBytes = sample.reduce((a, j) => a + JSON.stringify(j.returnvalue).length, 0) / Math.max(1, sample.length);
  await finished.close();
  redis.disconnect();
  await endRound(q, children);
  return { s, enqueueS, commandsPerImage, resultBytes, cpu, stats, busiest };
}

// CPU of everything a queued run uses, from resume to the last job: each
// worker (its JS thread and the rest), redis-server and this process (the
// event stream reader).
function cpuNow(children) {
  return { workers: children.map((c) => threadGroups(c.pid)), redis: cpuMs(redisPid), bench: process.cpuUsage() };
}

function cpuPerImage(a, b) {
  const w = b.workers.map((g, i) => groupDelta(a.workers[i], g));
  const bench = (b.bench.user + b.bench.system - a.bench.user - a.bench.system) / 1000;
  return {
    workerMain: w.reduce((x, g) => x + g.main, 0) / N,
    workerOther: w.reduce((x, g) => x + g.other, 0) / N,
    redis: (b.redis - a.redis) / N,
    bench: bench / N,
  };
}


function inProcess(dir) {
  const r = spawnSync('taskset', ['-c', '0', process.execPath, join(ROOT, 'bench', 'scale.mjs'), '--child-inprocess', dir, '--plugin', PLUGIN, '--mode', MODE], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`in-process run failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

// The machine's own ceiling for two one-core processes: two in-process
// engines, one per core, each on half the files, started together. 2 workers
// over this shows what the queue costs when scaling, apart from the machine
// (shared caches, memory bandwidth, the other processes on it).
async function inProcessHalves(dir) {
  const children = [0, 1].map((k) => spawn('taskset', ['-c', String(k), process.execPath, join(ROOT, 'bench', 'scale.mjs'), '--child-inprocess', dir,
    '--part', `${k}/2`, '--plugin', PLUGIN, '--mode', MODE], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const lines = children.map((c) => {
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    return { get: () => out, exit: once(c, 'exit') };
  });
  await Promise.all(lines.map(async (l) => { while (!l.get().includes('ready')) await new Promise((r) => setTimeout(r, 20)); }));
  for (const c of children) c.stdin.write('go\n');
  const codes = await Promise.all(lines.map((l) => l.exit));
  if (codes.some(([code]) => code !== 0)) throw new Error(`in-process halves failed: exit ${codes.map(([c]) => c).join(', ')}`);
  const done = lines.map((l) => JSON.parse(l.get().trim().split('\n').pop()));
  const n = done.reduce((a, d) => a + d.n, 0);
  const cpu = { main: done.reduce((a, d) => a + d.cpu.main, 0) / n, other: done.reduce((a, d) => a + d.cpu.other, 0) / n };
  return { n, s: Math.max(...done.map((d) => d.s)), busiest: done.map((d) => d.busiest), cpu };
}

// Where each image's CPU goes (ms per image, medians over rounds), and the
// 2 / 1 workers ratio it predicts on an otherwise idle 2-core machine: one
// worker has a core to itself while Redis and the event reader use the
// other; two workers share both cores with them.
function reportCpu(rows) {
  const med = (list, k) => median(list.map((c) => c[k]));
  const inproc = { main: med(rows.cpu.inproc, 'main'), other: med(rows.cpu.inproc, 'other') };
  const halves = { main: med(rows.cpu.halves, 'main'), other: med(rows.cpu.halves, 'other') };
  const q = (who) => Object.fromEntries(['workerMain', 'workerOther', 'redis', 'bench'].map((k) => [k, med(rows.cpu[who], k)]));
  const one = q('one');
  const two = q('two');
  const f = (x) => x.toFixed(2);
  const worker = (c) => c.workerMain + c.workerOther;
  console.log(`  CPU per image, ms (medians; CPU time: a loaded machine stretches it less than wall time, but two busy cores or other work still add some):`);
  console.log(`    in-process:  JS thread ${f(inproc.main)}, other threads ${f(inproc.other)}; total ${f(inproc.main + inproc.other)}`);
  console.log(`    2 in-process: JS thread ${f(halves.main)}, other threads ${f(halves.other)}; total ${f(halves.main + halves.other)} (two engines on two cores: what sharing the machine costs each image)`);
  for (const [name, c] of [['1 worker', one], ['2 workers', two]]) {
    console.log(`    ${name}:${name === '1 worker' ? ' ' : ''}   worker JS thread ${f(c.workerMain)}, other threads ${f(c.workerOther)}; redis-server ${f(c.redis)}; ` +
      `bench (event reader) ${f(c.bench)}; total ${f(worker(c) + c.redis + c.bench)}`);
  }
  console.log(`    queue cost in the worker: ${f(worker(one) - inproc.main - inproc.other)} ms per image over in-process (JS thread ${f(one.workerMain - inproc.main)})`);
  const ceiling = 2 * worker(one) / (worker(two) + two.redis + two.bench);
  console.log(`    predicted 2 / 1 workers on an idle 2-core machine: ${ceiling.toFixed(2)}x (2 x a worker's CPU over everything's); ` +
    `with Redis and the reader on other cores: ${(2 * worker(one) / worker(two)).toFixed(2)}x; ` +
    `the same for 2 / 1 in-process: ${(2 * (inproc.main + inproc.other) / (halves.main + halves.other)).toFixed(2)}x`);
  // The inference thread's time: asleep is time the pipeline gave it nothing to do (work the
  // engine could have done); waiting is time other threads or processes held its core.
  const pct = (list, k) => `${(100 * median(list.map((b) => b[k]))).toFixed(1)}%`;
  console.log('  busiest (inference) thread of each process, medians: ' + [['in-process', 'inproc'], ['2 in-process', 'halves'], ['1 worker', 'one'], ['2 workers', 'two']]
    .map(([name, k]) => `${name} running ${pct(rows.busiest[k], 'run')}, waiting ${pct(rows.busiest[k], 'wait')}, asleep ${pct(rows.busiest[k], 'asleep')}`).join('; '));
  const calls = {};
  for (const st of rows.stats) for (const [k, v] of Object.entries(st)) (calls[k] ??= []).push(v);
  const top = Object.entries(calls).map(([k, v]) => [k, median(v.map((x) => x.calls)), median(v.map((x) => x.usec))]).sort((a, b) => b[2] - a[2]).slice(0, 12);
  console.log(`  Redis commands per image (INFO commandstats, medians; Lua scripts' own commands counted inside them too):`);
  console.log('    ' + top.map(([k, c, u]) => `${k} ${c.toFixed(2)} (${u.toFixed(0)} us)`).join(', '));
}

const dir = mkdtempSync(join(tmpdir(), 'imlage-scale-'));
const server = await startRedis('bench:scale');
const { url } = server;
const redisPid = server.pid;
try {
  process.stderr.write(`bench:scale: making ${N} distinct images...\n`);
  await makeImages(dir);
  await new Promise((r) => setTimeout(r, 300));
  const rows = { inproc: [], halves: [], one: [], two: [], enqueue: [], commands: [], bytes: [], cpu: { inproc: [], halves: [], one: [], two: [] }, stats: [],
    busiest: { inproc: [], halves: [], one: [], two: [] } };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? ['two', 'one', 'halves', 'inproc'] : ['inproc', 'halves', 'one', 'two'];
    for (const who of order) {
      if (who === 'inproc') {
        const r = inProcess(dir);
        rows.inproc.push(N / r.s);
        rows.cpu.inproc.push({ main: r.cpu.main / r.n, other: r.cpu.other / r.n });
        rows.busiest.inproc.push(r.busiest);
      } else if (who === 'halves') {
        const r = await inProcessHalves(dir);
        rows.halves.push(N / r.s);
        rows.cpu.halves.push(r.cpu);
        rows.busiest.halves.push(...r.busiest);
      } else {
        const r = await queued(url, `bench-${who}-${round}`, dir, who === 'one' ? 1 : 2);
        rows[who].push(N / r.s);
        rows.cpu[who].push(r.cpu);
        rows.stats.push(r.stats);
        rows.busiest[who].push(...r.busiest);
        rows.enqueue.push(N / r.enqueueS);
        rows.commands.push(r.commandsPerImage);
        rows.bytes.push(r.resultBytes);
      }
      process.stderr.write(`  round ${round + 1} ${who}: ${rows[who].at(-1).toFixed(1)} images/s\n`);
    }
  }
  const inproc = median(rows.inproc);
  const one = median(rows.one);
  const two = median(rows.two);
  const halves = median(rows.halves);
  const overheadMs = 1000 / one - 1000 / inproc;
  const fmt = (x) => x.toFixed(1);
  console.log(`bench:scale: ${N} images, plugin ${PLUGIN}, mode ${MODE}, ${ROUNDS} rounds (medians), each process pinned to one core`);
  console.log(`  in-process engine, 1 core:  ${fmt(inproc)} images/s`);
  console.log(`  1 worker (queue), 1 core:   ${fmt(one)} images/s  (${(100 * (1 - one / inproc)).toFixed(1)}% below in-process; ${overheadMs.toFixed(2)} ms per image)`);
  console.log(`  2 in-process engines, 1 core each, half the files each: ${fmt(halves)} images/s  (${(halves / inproc).toFixed(2)}x 1 in-process: the machine's ceiling)`);
  console.log(`  2 workers, 1 core each:     ${fmt(two)} images/s  (${(two / one).toFixed(2)}x 1 worker; ${(two / halves).toFixed(2)}x 2 in-process engines)`);
  for (let r = 0; r < ROUNDS; r++) {
    console.log(`  round ${r + 1}: in-process ${fmt(rows.inproc[r])}, 2 in-process ${fmt(rows.halves[r])}, 1 worker ${fmt(rows.one[r])}, 2 workers ${fmt(rows.two[r])} images/s; ` +
      `2/1 workers ${(rows.two[r] / rows.one[r]).toFixed(2)}x, 2/1 in-process ${(rows.halves[r] / rows.inproc[r]).toFixed(2)}x, 1 worker / in-process ${(rows.one[r] / rows.inproc[r]).toFixed(2)}x`);
  }
  console.log(`  enqueue (hash + add):       ${fmt(median(rows.enqueue))} images/s, one producer`);
  console.log(`  Redis commands per image:   ${fmt(median(rows.commands))} (workers and events, from INFO total_commands_processed)`);
  console.log(`  result size:                ${Math.round(median(rows.bytes))} bytes of JSON per image`);
  reportCpu(rows);
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
