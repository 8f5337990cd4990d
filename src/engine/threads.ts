// One thread budget for the machine. Decoding (the addon's decode pool for
// what its decoders cover in fast mode, libvips on libuv's pool for the rest) and
// inference (ONNX Runtime's own threads) run at the same time in the
// pipeline, so they are sized together from the core count instead of each
// assuming the whole machine, which oversubscribes the cores.

import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import { loadAddon } from '../binding/binding.js';
import { setVipsDecodeSlots } from './vips-lock.js';

/**
 * libuv's pool for this process, as UV_THREADPOOL_SIZE said when this module
 * was loaded: the pool starts at its first use and never grows, and under
 * ESM Node's module loader has used it before any module's code runs, so a
 * value set later (from inside the program) does not count.
 */
const UV_POOL = Number(process.env.UV_THREADPOOL_SIZE) || 4;

export interface ThreadOptions {
  /** Images decoded at the same time (default: the core count). */
  decoders?: number;
  /**
   * libvips threads per decode (default 1 where libuv's pool can run every
   * decoder's libvips call at once: parallel images scale better than
   * threads per image; else the decoders' cores shared out over the calls
   * the pool can run).
   */
  vipsThreads?: number;
  /** ONNX Runtime intra-op threads per model (default: the core count). */
  ortThreads?: number;
}

export interface ThreadBudget {
  cores: number;
  decoders: number;
  vipsThreads: number;
  ortThreads: number;
  /** libuv's pool: sharp's calls, file reads, SMI plugin calls and malloc_trim run on it. */
  uvThreads: number;
  /**
   * libvips decodes and resizes (sharp) run at the same time: one per
   * decoder, but one pool thread fewer than the pool has, so that the short
   * calls every image makes (reading the file, its header) never queue
   * behind a full decode.
   */
  vipsCalls: number;
}

export function planThreads(o: ThreadOptions, cores: number = availableParallelism(), uvThreads: number = UV_POOL): ThreadBudget {
  cores = Math.max(1, cores);
  const decoders = o.decoders ?? cores;
  const vipsCalls = Math.max(1, Math.min(decoders, uvThreads - 1));
  const vipsThreads = o.vipsThreads ?? Math.max(1, Math.floor(decoders / vipsCalls));
  const ortThreads = o.ortThreads ?? cores;
  return { cores, decoders, vipsThreads, ortThreads, uvThreads, vipsCalls };
}

/** What the batch size is derived from: `imlage hardware` reads it with systeminformation, the engine from what it loaded. */
export interface BatchFacts {
  /** The execution provider the models run on ('cpu', 'cuda', ...). */
  provider: string;
  /** Memory free for decoded images and tensors, if known. */
  availableMiB?: number;
}

/**
 * The default inference batch. On the CPU 16 (the figures in
 * docs/performance.md were measured with it; a batch of 416x416 float
 * tensors is about 33 MiB); a GPU gains from larger batches; little free
 * memory gets small ones.
 */
export function recommendBatchSize(f: BatchFacts): number {
  if (f.availableMiB !== undefined && f.availableMiB < 1024) return 4;
  return f.provider === 'cpu' ? 16 : 32;
}

/** The engine's whole plan for a machine: threads and batch size, from one function for the CLI and the engine. */
export function planRun(f: BatchFacts & { cores: number }, o: ThreadOptions = {}): { batchSize: number; threads: ThreadBudget } {
  return { batchSize: recommendBatchSize(f), threads: planThreads(o, f.cores) };
}

/**
 * libvips' threads per operation, the cap on sharp's decodes and the addon's
 * decode pool are process-wide (per environment): set them once per engine,
 * the pool to one thread per decoder.
 */
export function applyThreads(b: ThreadBudget): void {
  sharp.concurrency(b.vipsThreads);
  setVipsDecodeSlots(b.vipsCalls);
  loadAddon().setDecodeThreads(Math.min(256, Math.max(1, b.decoders)));
}

/** The plan in one line (`imlage tag -v`, the engine's log). */
export function describeThreads(b: ThreadBudget): string {
  return `threads: ${b.cores} cores; ${b.decoders} decoders (native decode pool ${b.decoders}; at most ${b.vipsCalls} libvips call(s) at once, ` +
    `${b.vipsThreads} libvips thread(s) each); ONNX Runtime ${b.ortThreads} per model; libuv pool ${b.uvThreads}` +
    (b.vipsCalls < b.decoders ? ` (exact mode and formats the native decoders do not cover decode at most ${b.vipsCalls} images at once: UV_THREADPOOL_SIZE=${b.decoders + 1} lifts that)` : '');
}

/**
 * Sets UV_THREADPOOL_SIZE for what this process starts (an isolated plugin's
 * host, a worker's children). It cannot resize this process's own pool: under
 * ESM, Node's module loader has started it before the CLI's first line runs
 * (planThreads reads the size it really has).
 */
export function sizeUvPoolEarly(): void {
  if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = String(Math.max(4, availableParallelism() + 4));
}
