// The benchmarks' own redis-server (loopback, a free port, no persistence)
// and its per-command counters.

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueEvents } from 'bullmq';

async function freePort() {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** A redis-server of the benchmark's own: { url, pid, stop() }. */
export async function startRedis(bench) {
  if (spawnSync('redis-server', ['--version']).error) throw new Error(`${bench} needs redis-server: apt-get install redis-server`);
  const dir = mkdtempSync(join(tmpdir(), 'imlage-bench-redis-'));
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: server.pid,
    async stop() {
      server.kill('SIGTERM');
      await once(server, 'exit');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** INFO commandstats as { command: { calls, usec } }. */
export function commandStats(info) {
  const out = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) out[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
  return out;
}

/** Per job between two commandStats, over `n` jobs (INFO itself left out). */
export function statsPerJob(a, b, n) {
  return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, { calls: (v.calls - (a[k]?.calls ?? 0)) / n, usec: (v.usec - (a[k]?.usec ?? 0)) / n }])
    .filter(([k, v]) => v.calls > 0 && k !== 'info'));
}

/**
 * Counts the queue's finished jobs (completed or failed) from its event
 * stream, one blocking read per burst, so the Redis commands counted are the
 * workers' own: { done: a promise for the n-th, close() }.
 */
export async function finishedJobs(url, name, n) {
  const events = new QueueEvents(name, { connection: { url } });
  await events.waitUntilReady();
  let finished = 0;
  const done = new Promise((resolve) => {
    const one = () => {
      if (++finished >= n) resolve();
    };
    events.on('completed', one);
    events.on('failed', one);
  });
  return { done, close: () => events.close() };
}

/** Stops a round's worker processes (SIGTERM: they finish what they hold) and removes its queue. */
export async function endRound(queue, children) {
  for (const c of children) {
    c.removeAllListeners('exit');
    c.kill('SIGTERM');
    await once(c, 'exit');
  }
  await queue.obliterate({ force: true });
  await queue.close();
}
