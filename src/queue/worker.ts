// A BullMQ Worker holding one Engine. Jobs are pulled ahead (concurrency
// above the batch size) so the engine's batchers fill while a batch runs:
// concurrent jobs meet in the same per-plugin batchers. A job's return value
// is the result contract (the CLI's JSON for one image).
//
// Faults: an image that cannot be decoded will never succeed, so it fails
// as an UnrecoverableError (not retried); a job whose plugins all failed is
// retried with backoff (an isolated plugin restarting, a GPU hiccup). Locks
// are renewed while the event loop runs; a worker that dies leaves its jobs
// to expire after lockDuration, and another worker's stalled check takes them.

import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Engine } from '../engine/engine.js';
import { isFailure, type TagResult } from '../engine/types.js';
import { ImlageError, errorCode, errorMessage } from '../errors.js';
import { checkRedis, redisConnection } from './connection.js';
import { pluginKey } from '../library/sink.js';
import type { PluginKey } from '../library/store/store.js';
import { DEFAULT_MAX_INLINE_BYTES, DEFAULT_QUEUE, jobInput, type ImageJob, type JobResult, type JobSettings } from './job.js';
import { WorkerMetrics, serveMetrics, type MetricsServer } from './metrics.js';

export interface WorkerOptions {
  redis: string;
  queue?: string;
  /** Jobs processed at once (default 2 x the engine's batch size, 32): enough to fill a batch while the last one runs. */
  concurrency?: number;
  /** How long a job's lock lasts without renewal (default 60 s): a killed worker's jobs are retried after this. */
  lockDurationMs?: number;
  /** How often stalled jobs are looked for (default 30 s). */
  stalledIntervalMs?: number;
  /** A job whose worker died this many times fails instead of being retried again (default 2). */
  maxStalledCount?: number;
  /** Serve Prometheus /metrics on this port (0: any free port). */
  metricsPort?: number;
  /** Address for /metrics (default 127.0.0.1). */
  metricsHost?: string;
  /** Largest inline image a job may carry (default 4 MiB, as enqueue's): a larger one fails unread. */
  maxInlineBytes?: number;
  /** Diagnostics (Redis lost and back, failed jobs). */
  onLog?: (message: string) => void;
}

export interface ImlageWorker {
  readonly worker: Worker<ImageJob, JobResult>;
  /** The /metrics URL when metricsPort was given. */
  readonly metricsUrl?: string;
  /** Stops taking jobs, waits for the active ones to finish, then closes its connections (the engine stays open). */
  close(): Promise<void>;
}

/** Tags one job's image with the engine, with the job's plugins and options. */
async function tagJob(engine: Engine, job: ImageJob): Promise<TagResult> {
  const opts = { plugins: job.plugins, threshold: job.threshold, topK: job.topK, mode: job.mode };
  try {
    return await engine.tagOne(jobInput(job), opts);
  } catch (err) {
    // A plugin this worker does not run, an option out of range: no retry can fix it.
    const code = errorCode(err);
    if (code === 'IMLAGE_ERR_UNKNOWN_PLUGIN' || code === 'IMLAGE_ERR_INVALID_ARG') throw new UnrecoverableError(errorMessage(err));
    throw err;
  }
}

/** Most distinct job settings whose library keys are kept: jobs choose their settings, so the cache is bounded. */
const KEY_CACHE_SIZE = 256;

/**
 * The library key of each plugin that answered a job, for the settings the
 * worker ran it with. A key depends on the plugin (version, model) and the
 * job's settings, never on its image, so each is made once, not per job.
 */
function libraryKeys(engine: Engine): (r: TagResult, job: JobSettings) => Record<string, PluginKey> {
  const cache = new Map<string, PluginKey>();
  return (r, job) => {
    const given = { mode: job.mode ?? engine.mode, threshold: job.threshold, topK: job.topK };
    const out: Record<string, PluginKey> = {};
    for (const p of engine.plugins) {
      if (!(p.name in r.results)) continue;
      const id = JSON.stringify([p.name, p.version, p.model, given.mode, given.threshold ?? null, given.topK ?? null]);
      let key = cache.get(id);
      if (!key) {
        if (cache.size >= KEY_CACHE_SIZE) cache.clear();
        key = pluginKey(engine, p, given);
        cache.set(id, key);
      }
      out[p.name] = key;
    }
    return out;
  };
}

export async function startWorker(engine: Engine, o: WorkerOptions): Promise<ImlageWorker> {
  const log = o.onLog ?? (() => {});
  const concurrency = o.concurrency ?? 32;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new ImlageError('IMLAGE_ERR_INVALID_ARG', `concurrency must be a positive integer, got ${concurrency}`);
  await checkRedis(o.redis);
  const name = o.queue ?? DEFAULT_QUEUE;
  const connection = redisConnection(o.redis);
  const metrics = o.metricsPort !== undefined ? new WorkerMetrics(engine, name, connection) : undefined;

  const keys = libraryKeys(engine);
  const processor = async (job: Job<ImageJob, JobResult>): Promise<JobResult> => {
    // Anything that can write to Redis can add a job: its bytes are bounded before they are decoded.
    const max = o.maxInlineBytes ?? DEFAULT_MAX_INLINE_BYTES;
    if (job.data.data !== undefined && job.data.data.length > Math.ceil(max / 3) * 4) {
      throw new UnrecoverableError(`${job.data.file}: the inline image is over the worker's limit of ${max} bytes; enqueue it by path`);
    }
    const t0 = performance.now();
    const r = await tagJob(engine, job.data);
    r.file = job.data.file;
    metrics?.engine.answered(r, (performance.now() - t0) / 1000);
    if (r.error) throw new UnrecoverableError(r.error);
    const outcomes = Object.entries(r.results);
    if (outcomes.length && outcomes.every(([, v]) => isFailure(v))) {
      throw new Error(`every plugin failed: ${outcomes.map(([k, v]) => `${k}: ${isFailure(v) ? v.error : ''}`).join('; ')}`);
    }
    return { ...r, keys: keys(r, job.data) };
  };
  const worker = new Worker<ImageJob, JobResult>(name, processor, {
    connection,
    concurrency,
    lockDuration: o.lockDurationMs ?? 60_000,
    stalledInterval: o.stalledIntervalMs ?? 30_000,
    maxStalledCount: o.maxStalledCount ?? 2,
    autorun: false,
  });
  // Reported from the connection's own close and ready events: the errors
  // BullMQ emits while Redis is away depend on when reconnects are tried.
  let lost = false;
  let closing = false;
  connection.on('close', () => {
    if (lost || closing) return;
    lost = true;
    log('warning: Redis connection lost; pausing until it returns');
  });
  connection.on('ready', () => {
    if (!lost) return;
    lost = false;
    log('Redis is back; resuming');
  });
  worker.on('error', (err) => {
    if (!lost && !closing && connection.status === 'ready') log(`warning: ${errorMessage(err)}`);
  });
  worker.on('completed', (job) => metrics?.finished(job, 'completed'));
  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    metrics?.finished(job, final ? 'failed' : 'retried');
    log(`${final ? 'failed' : 'will retry'}: ${job.data.file}: ${err.message.split('\n')[0]}`);
  });
  let server: MetricsServer | undefined;
  if (metrics) server = await serveMetrics(metrics.registry, o.metricsHost ?? '127.0.0.1', o.metricsPort!);
  void worker.run().catch((err: unknown) => log(`error: the worker stopped: ${errorMessage(err)}`));
  await worker.waitUntilReady();
  return {
    worker,
    metricsUrl: server?.url,
    async close() {
      closing = true;
      await worker.close();
      await server?.close();
      await metrics?.close();
      connection.disconnect();
    },
  };
}
