// One thread budget for the machine. Decoding (the addon's decode pool for
// what its decoders cover in fast mode, libvips on libuv's pool for the rest) and
// inference (ONNX Runtime's own threads) run at the same time in the
// pipeline, so they are sized together from the core count instead of each
// assuming the whole machine, which oversubscribes the cores.

import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import { loadAddon } from '../native/binding.js';

export interface ThreadOptions {
  /** Images decoded at the same time (default: the core count). */
  decoders?: number;
  /** libvips threads per decode (default 1: parallel images scale better than threads per image). */
  vipsThreads?: number;
  /** ONNX Runtime intra-op threads per model (default: the core count). */
  ortThreads?: number;
}

export interface ThreadBudget {
  cores: number;
  decoders: number;
  vipsThreads: number;
  ortThreads: number;
  /** libuv's pool: decodes and inference calls both wait on it. */
  uvThreads: number;
}

export function planThreads(o: ThreadOptions, cores: number = availableParallelism()): ThreadBudget {
  cores = Math.max(1, cores);
  const decoders = o.decoders ?? cores;
  const vipsThreads = o.vipsThreads ?? 1;
  const ortThreads = o.ortThreads ?? cores;
  const uvThreads = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return { cores, decoders, vipsThreads, ortThreads, uvThreads };
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
 * libvips' threads per operation and the addon's decode pool are
 * process-wide (per environment): set them once per engine, the pool to one
 * thread per decoder.
 */
export function applyThreads(b: ThreadBudget): void {
  sharp.concurrency(b.vipsThreads);
  loadAddon().setDecodeThreads(Math.min(256, Math.max(1, b.decoders)));
}

/** `plugins`: how many the engine runs, each of which can hold a libuv thread during a call. */
export function describeThreads(b: ThreadBudget, plugins: number): string {
  const tooSmall = b.uvThreads < b.decoders + plugins;
  return `threads: ${b.cores} cores; ${b.decoders} decoders (native decode pool ${b.decoders}; ${b.vipsThreads} libvips thread(s) each); ` +
    `ONNX Runtime ${b.ortThreads} per model; libuv pool ${b.uvThreads}` +
    (tooSmall ? ` (smaller than decoders + models: set UV_THREADPOOL_SIZE=${b.decoders + 4})` : '');
}

/**
 * The CLI sizes libuv's pool before anything uses it (it is created on first
 * use and cannot grow later); an embedding application sets UV_THREADPOOL_SIZE itself.
 */
export function sizeUvPoolEarly(): void {
  if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = String(Math.max(4, availableParallelism() + 4));
}
