// CPU time from /proc, per process and per thread group (Linux). A shared
// machine stretches wall time but hardly the CPU a piece of work takes, so
// bench:scale splits where each job's CPU goes with these figures.

import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const TICK_MS = 1000 / (Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100);

/** utime + stime, ms, of a process (`tid` omitted) or one of its threads; 0 once it is gone. */
export function cpuMs(pid, tid) {
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/**
 * A process's CPU ms on its main thread (the JS thread: the event loop,
 * BullMQ, ioredis, JSON, the engine's JS side) and on its other threads (the
 * addon's decoders, ONNX Runtime, V8's GC and libuv's pool: on Linux they
 * all carry the name "node", so they are not told apart).
 */
export function threadGroups(pid) {
  const main = cpuMs(pid, pid);
  // The process's own figure counts threads that have exited too.
  return { main, other: Math.max(0, cpuMs(pid) - main) };
}

/** b - a, group by group. */
export function groupDelta(a, b) {
  return Object.fromEntries(Object.keys(b).map((k) => [k, b[k] - (a[k] ?? 0)]));
}

/** Each thread's [ns on a CPU, ns runnable but waiting for one] (/proc/PID/task/TID/schedstat). */
export function schedStats(pid) {
  const out = new Map();
  let tids = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      out.set(tid, [run, wait]);
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/**
 * Over `wallMs` between two schedStats: the busiest thread's share of the
 * time running, waiting for a CPU, and asleep. For a pinned engine that
 * thread is the inference thread: asleep means the pipeline left it
 * nothing to do; waiting means other threads or processes had the core.
 */
export function busiestThread(a, b, wallMs) {
  let best = [0, 0];
  for (const [tid, [run, wait]] of b) {
    const [run0, wait0] = a.get(tid) ?? [0, 0];
    if (run - run0 > best[0]) best = [run - run0, wait - wait0];
  }
  const wall = wallMs * 1e6;
  return { run: best[0] / wall, wait: best[1] / wall, asleep: Math.max(0, 1 - (best[0] + best[1]) / wall) };
}
