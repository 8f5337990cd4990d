// Producers: turn paths (files, folders, globs) into jobs, in chunks, so a
// list of 100,000 paths is hashed and added a chunk at a time and never held
// whole. Each image is read once to hash it (its id is its content hash x
// settings); BullMQ ignores an add whose id already exists, so enqueuing the
// same image twice makes one job.

import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import { expandInputs, type InputPath } from '../engine/inputs.js';
import { displayName } from '../engine/file-name.js';
import { ImlageError, errorMessage } from '../errors.js';
import { checkRedis, redisConnection } from './connection.js';
import { DEFAULT_MAX_INLINE_BYTES, DEFAULT_QUEUE, jobId, type ImageJob, type JobSettings } from './job.js';

export interface EnqueueOptions extends JobSettings {
  /** Redis URL, e.g. redis://127.0.0.1:6379. */
  redis: string;
  /** Queue name (default "imlage"). */
  queue?: string;
  /** Look inside sub-folders of folders given. */
  recursive?: boolean;
  /** BullMQ priority: 1 is the highest; jobs without one come after every prioritised job. */
  priority?: number;
  /** Carry each image's bytes in its job instead of its path (for workers that do not see the same storage). */
  inline?: boolean;
  /** Largest image carried inline (default 4 MiB); a larger one is refused with its size. */
  maxInlineBytes?: number;
  /** Tries per job (default 3), with exponential backoff from 1 s, for transient errors. */
  attempts?: number;
  /** How long finished jobs (and their results) stay in Redis, in seconds (default 7 days; failed: 30 days). */
  keepCompletedSeconds?: number;
  keepFailedSeconds?: number;
  /** Jobs added per Redis round trip (default 500). */
  chunkSize?: number;
  /** Called for each path that could not be read (it is not enqueued). */
  onError?: (file: string, message: string) => void;
  /** Called for each file skipped because its extension is not an image's. */
  onSkip?: (file: string) => void;
}

export interface EnqueuedChunk {
  /** Job ids of this chunk, in input order (an image enqueued before keeps its id). */
  ids: string[];
}

const HASHERS = 8;

async function hashFile(p: string | Buffer): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(p)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function fileName(input: InputPath): { file: string; path: string | Buffer } {
  return typeof input === 'string' ? { file: input, path: input } : { file: displayName(input.path), path: input.path };
}

async function describe(input: InputPath, o: EnqueueOptions): Promise<ImageJob> {
  const { file, path } = fileName(input);
  const settings: JobSettings = { plugins: o.plugins, threshold: o.threshold, topK: o.topK, mode: o.mode };
  const st = await stat(path);
  if (!st.isFile()) throw new Error('not a regular file');
  if (o.inline) {
    const max = o.maxInlineBytes ?? DEFAULT_MAX_INLINE_BYTES;
    if (st.size > max) throw new Error(`${st.size} bytes is over the inline limit of ${max}; enqueue it by path (without --inline) from storage the workers see`);
    const bytes = await readFile(path);
    return { file, data: bytes.toString('base64'), sha256: createHash('sha256').update(bytes).digest('hex'), ...settings };
  }
  const where = typeof path === 'string' ? { path } : { pathBase64: path.toString('base64') };
  return { file, ...where, sha256: await hashFile(path), ...settings };
}

function jobOptions(o: EnqueueOptions): JobsOptions {
  return {
    attempts: o.attempts ?? 3,
    backoff: { type: 'exponential', delay: 1000 },
    priority: o.priority,
    removeOnComplete: { age: o.keepCompletedSeconds ?? 7 * 86400 },
    removeOnFail: { age: o.keepFailedSeconds ?? 30 * 86400 },
  };
}

/** Expands `paths` and adds one job per image, a chunk at a time; yields each chunk's ids. */
export async function* enqueueChunks(paths: string[], o: EnqueueOptions): AsyncGenerator<EnqueuedChunk> {
  if (o.priority !== undefined && (!Number.isInteger(o.priority) || o.priority < 1 || o.priority > 2 ** 21)) {
    throw new ImlageError('IMLAGE_ERR_INVALID_ARG', `priority must be an integer from 1 (highest) to ${2 ** 21}, got ${o.priority}`);
  }
  await checkRedis(o.redis);
  const connection = redisConnection(o.redis);
  const queue = new Queue<ImageJob, unknown, string>(o.queue ?? DEFAULT_QUEUE, { connection });
  const opts = jobOptions(o);
  const size = o.chunkSize ?? 500;
  try {
    let chunk: InputPath[] = [];
    const flush = async (): Promise<EnqueuedChunk> => {
      const jobs: ImageJob[] = new Array(chunk.length);
      const ok: boolean[] = new Array(chunk.length).fill(false);
      let next = 0;
      // A few reads at once: hashing is I/O bound on shared storage.
      await Promise.all(Array.from({ length: Math.min(HASHERS, chunk.length) }, async () => {
        while (next < chunk.length) {
          const i = next++;
          try {
            jobs[i] = await describe(chunk[i]!, o);
            ok[i] = true;
          } catch (err) {
            o.onError?.(fileName(chunk[i]!).file, errorMessage(err));
          }
        }
      }));
      const good = jobs.filter((_, i) => ok[i]);
      const ids = good.map((j) => jobId(j.sha256, j));
      if (good.length) await queue.addBulk(good.map((data, i) => ({ name: 'tag', data, opts: { ...opts, jobId: ids[i] } })));
      chunk = [];
      return { ids };
    };
    for await (const input of expandInputs(paths, { recursive: o.recursive, onSkip: o.onSkip })) {
      chunk.push(input);
      if (chunk.length >= size) yield await flush();
    }
    if (chunk.length) yield await flush();
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** Adds one job per image found in `paths`; returns their job ids (see enqueueChunks for very long lists). */
export async function enqueue(paths: string[], options: EnqueueOptions): Promise<string[]> {
  const ids: string[] = [];
  for await (const c of enqueueChunks(paths, options)) ids.push(...c.ids);
  return ids;
}
