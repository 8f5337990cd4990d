// What a queued job carries and how its id is made. A job names one image
// (a path every worker can open, or its bytes inline up to a limit), the
// plugins and the scoring options; its id is a hash of the image's content
// and of those settings, so the same image enqueued twice is one job.

import { createHash } from 'node:crypto';
import type { TagInput, TagResult } from '../engine/types.js';
import type { PluginKey } from '../library/store/store.js';
import type { PreprocessMode } from '../plugins/manifest.js';

/** Per-job settings: which plugins run and how they score (the engine's per-call options). */
export interface JobSettings {
  /** Plugins to run; default: every plugin the worker runs. */
  plugins?: string[];
  threshold?: number;
  topK?: number;
  mode?: PreprocessMode;
}

export interface ImageJob extends JobSettings {
  /** The name results report: the path as given, or the name of inline bytes. */
  file: string;
  /** A path on storage every worker sees, as UTF-8 ... */
  path?: string;
  /** ... or as base64 bytes when the name is not UTF-8. */
  pathBase64?: string;
  /** The encoded image itself, base64 (at most maxInlineBytes). */
  data?: string;
  /** SHA-256 of the image's bytes, hex. */
  sha256: string;
}

/**
 * What a worker returns: the image's result, and for each plugin that ran the
 * library key of the settings it ran with (its config, the job's options, its
 * mode), which only the worker knows; `results --db` stores under it.
 */
export interface JobResult extends TagResult {
  keys?: Record<string, PluginKey>;
}

/** Default largest image carried inline in a job: Redis holds it until the job is removed. */
export const DEFAULT_MAX_INLINE_BYTES = 4 * 1024 * 1024;

/** Default queue name. */
export const DEFAULT_QUEUE = 'imlage';

/**
 * The job id: content hash x plugins x settings. Plugin order does not
 * matter (results are keyed by plugin name). A letter first: BullMQ refuses
 * ids that read as integers.
 */
export function jobId(sha256: string, s: JobSettings): string {
  const settings = JSON.stringify({
    plugins: s.plugins ? [...new Set(s.plugins)].sort() : null,
    threshold: s.threshold ?? null,
    topK: s.topK ?? null,
    mode: s.mode ?? null,
  });
  return 'img-' + createHash('sha256').update(sha256).update('\0').update(settings).digest('hex');
}

/** The engine input a job describes. */
export function jobInput(job: ImageJob): TagInput {
  if (job.data !== undefined) return { name: job.file, data: Buffer.from(job.data, 'base64') };
  if (job.pathBase64 !== undefined) return { path: Buffer.from(job.pathBase64, 'base64') };
  if (job.path !== undefined) return job.path;
  throw new Error(`job for ${job.file} names neither a path nor inline bytes`);
}
