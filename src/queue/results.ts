// Reading results back: every finished job's result, read from Redis in
// pages (oldest first), each job once; with `wait`, follow new completions
// (QueueEvents wakes the reader) until nothing is waiting, delayed or active.
// Finished sets are ordered by the finishing worker's clock, so a job can
// land behind what was already read: live reads go back a window before the
// newest one read, and the last read (once the queue is idle) looks at every
// id; ids already yielded are skipped.
// A failed job comes back as the result contract's failed image: its file,
// no plugin results, and the error that failed it.

import { Queue, QueueEvents, type Job } from 'bullmq';
import type { TagResult } from '../engine/types.js';
import type { PluginKey } from '../library/store/store.js';
import { checkRedis, redisConnection } from './connection.js';
import { DEFAULT_QUEUE, type ImageJob, type JobResult, type JobSettings } from './job.js';
import { openQueueLibrary } from './library.js';
import type { LibrarySummary } from '../library/sink.js';
import type { ResultStore } from '../library/store/store.js';

export interface ResultRecord {
  /** The job id (content hash x settings): the same image enqueued again has the same id. */
  id: string;
  state: 'completed' | 'failed';
  /** Tries it took. */
  attempts: number;
  result: TagResult;
  /** SHA-256 of the image's bytes, and the settings it was tagged with. */
  sha256: string;
  settings: JobSettings;
  /** Per plugin, the library key of the settings the worker ran it with (absent for failed jobs). */
  keys?: Record<string, PluginKey>;
}

export interface QueueProgress {
  completed: number;
  failed: number;
  waiting: number;
  active: number;
  delayed: number;
}

export interface ResultsOptions {
  redis: string;
  /** Keep reading until nothing is waiting, delayed or active. */
  wait?: boolean;
  /** Only failed jobs (over their attempts, or unrecoverable). */
  failed?: boolean;
  /** Called with the queue's counts after each read (for a progress display). */
  onProgress?: (p: QueueProgress) => void;
  /** Called for each result, before it is yielded. */
  onResult?: (r: ResultRecord) => void;
  /** Also record each result in this photo-library database (a path, an open store, or true for the default one). */
  db?: string | true | ResultStore;
  /** With db: called once with what was recorded, and the database's path. */
  onLibrary?: (summary: LibrarySummary, path: string) => void;
  /** Jobs read per Redis round trip (default 500). */
  pageSize?: number;
}

function record(job: Job<ImageJob, JobResult>, state: 'completed' | 'failed'): ResultRecord {
  const { keys, ...result }: JobResult = state === 'completed' && job.returnvalue
    ? job.returnvalue
    : { file: job.data.file, results: {}, error: job.failedReason || 'failed' };
  const { sha256, plugins, threshold, topK, mode } = job.data;
  return { id: job.id!, state, attempts: job.attemptsMade, result, sha256, settings: { plugins, threshold, topK, mode }, ...(keys ? { keys } : {}) };
}

/** Finished jobs of queue `name` (default "imlage"), each once. */
export async function* results(name: string = DEFAULT_QUEUE, o: ResultsOptions): AsyncGenerator<ResultRecord> {
  await checkRedis(o.redis);
  const library = o.db ? openQueueLibrary(o.db) : undefined;
  const connection = redisConnection(o.redis);
  const queue = new Queue<ImageJob, JobResult>(name, { connection });
  let events: QueueEvents | undefined;
  const eventsConnection = o.wait ? redisConnection(o.redis) : undefined;
  let wake: (() => void) | undefined;
  if (eventsConnection) {
    events = new QueueEvents(name, { connection: eventsConnection });
    for (const e of ['completed', 'failed', 'waiting', 'active'] as const) events.on(e, () => wake?.());
    await events.waitUntilReady();
  }
  const states: ('completed' | 'failed')[] = o.failed ? ['failed'] : ['completed', 'failed'];
  const newest = { completed: -Infinity, failed: -Infinity };
  const seen = new Set<string>();
  const page = o.pageSize ?? 500;
  const LATE_MS = 30_000;
  let libraryDone = false;
  try {
    let last = false;
    for (;;) {
      for (const state of states) {
        const key = queue.keys[state]!;
        const min = last || newest[state] === -Infinity ? '-inf' : String(newest[state] - LATE_MS);
        for (let offset = 0; ; offset += page) {
          const flat = await connection.zrangebyscore(key, min, '+inf', 'WITHSCORES', 'LIMIT', offset, page);
          const ids: string[] = [];
          for (let i = 0; i < flat.length; i += 2) {
            newest[state] = Math.max(newest[state], Number(flat[i + 1]));
            if (!seen.has(flat[i]!)) ids.push(flat[i]!);
          }
          const jobs = await Promise.all(ids.map((id) => queue.getJob(id) as Promise<Job<ImageJob, JobResult> | undefined>));
          for (const job of jobs) {
            // Removed since (retention), or already yielded.
            if (!job?.id || seen.has(job.id)) continue;
            seen.add(job.id);
            const r = record(job, state);
            library?.add(r);
            o.onResult?.(r);
            yield r;
          }
          if (flat.length < 2 * page) break;
        }
      }
      if (last || !o.wait) break;
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed');
      o.onProgress?.({ completed: c.completed ?? 0, failed: c.failed ?? 0, waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0 });
      // Idle: one more read picks up whatever finished since the last one.
      if (!c.waiting && !c.active && !c.delayed && !c.prioritized) {
        last = true;
        continue;
      }
      await new Promise<void>((res) => {
        const t = setTimeout(res, 1000);
        wake = () => {
          clearTimeout(t);
          // Let a burst of completions land before reading again.
          setTimeout(res, 100);
          wake = undefined;
        };
      });
    }
    if (!o.wait) {
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed');
      o.onProgress?.({ completed: c.completed ?? 0, failed: c.failed ?? 0, waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0 });
    }
    if (library) {
      const summary = await library.finish();
      libraryDone = true;
      o.onLibrary?.(summary, library.path);
    }
  } finally {
    // A read that stopped early still records what it yielded.
    if (library && !libraryDone) await library.finish().catch(() => {});
    await events?.close();
    eventsConnection?.disconnect();
    await queue.close();
    connection.disconnect();
  }
}
