// What the engine needs from a loaded plugin, whatever its kind.

import type { EncodedTarget, ImageInput, RunTiming, SmiSubmitted, Submitted } from '../binding/types.js';
import type { FastKernel, PluginManifest, PreprocessMode } from '../plugins/manifest.js';
import type { PluginResult } from './types.js';

/** The pixels a plugin wants: the whole decoded picture, or a given size. */
export type DecodeNeed = { kind: 'full' } | { kind: 'resized'; width: number; height: number; kernel: FastKernel };

export function needKey(n: DecodeNeed): string {
  return n.kind === 'full' ? 'full' : `${n.width}x${n.height}/${n.kernel}`;
}

export interface ScoreOverrides {
  threshold?: number;
  topK?: number;
}

export interface PluginRun {
  results: PluginResult[];
  timing?: RunTiming;
}

/** One image's result from a plugin that batches natively (see TaggerPlugin.submit). */
export interface PluginSubmitted {
  result: PluginResult;
  /** Time from submit until its batch started. */
  queueMs: number;
  batchSize: number;
  /** The whole batch's timing (absent when the plugin failed before running it). */
  timing?: RunTiming;
}

export interface BatchOptions {
  maxBatch: number;
  maxDelayMs: number;
}

/**
 * A plugin's part in one encoded image decoded by the addon (fast mode,
 * native-decode.ts): the targets its queues are fed through (a session's
 * compiled spec, or an in-process SMI plugin with its models) with the size
 * each is fed, and how their results become the plugin's. Whoever takes
 * one calls collect() exactly once.
 */
export interface EncodedUse {
  targets: EncodedTarget[];
  /**
   * Never rejects, like submit(): one per target, in targets order. `shown` is
   * the picture's width and height as displayed (EXIF orientation applied).
   */
  collect(results: Promise<Submitted | SmiSubmitted>[], shown: [number, number]): Promise<PluginSubmitted>;
}

export interface TaggerPlugin {
  readonly name: string;
  readonly manifest: PluginManifest;
  /** What results name as their model. */
  readonly model: string;
  /** Where it runs: an execution provider ('cpu', 'cuda') or 'native' / 'native, isolated'. */
  readonly provider: string;
  readonly warnings: string[];
  decodeNeed(mode: PreprocessMode): DecodeNeed;
  /**
   * Low-level: these images as one batch now. Never rejects: a failure
   * becomes each image's { error }. Timing covers the whole batch. The engine
   * does not use it (it submits); a server's readiness probe does.
   */
  run(images: ImageInput[], mode: PreprocessMode, o: ScoreOverrides): Promise<PluginRun>;
  /**
   * One image into the plugin's dynamic batching, which the addon does for
   * every kind (a native batch queue and thread per ONNX session or SMI
   * plugin; an isolated plugin's in its child process). Never rejects, like run().
   */
  submit(image: ImageInput, mode: PreprocessMode, o: ScoreOverrides, opts: BatchOptions): Promise<PluginSubmitted>;
  /**
   * Optional: the targets through which the addon decodes an encoded image
   * straight into this plugin's queues (undefined: not now, give it pixels
   * through submit). `shown`: the picture's size as displayed.
   */
  encoded?(mode: PreprocessMode, o: ScoreOverrides, shown: [number, number]): EncodedUse | undefined;
  /** Run whatever is queued now (no more images are coming). */
  flush(): void;
  /** Waits for runs in flight, then frees everything. */
  close(): Promise<void>;
}

/** Six decimals: float32 scores carry no more, and the output stays readable. */
export const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
