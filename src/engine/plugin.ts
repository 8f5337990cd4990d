// What the engine needs from a loaded plugin, whatever its kind.

import type { ImageInput, RunTiming } from '../native/types.js';
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

export interface TaggerPlugin {
  readonly name: string;
  readonly manifest: PluginManifest;
  /** What results name as their model. */
  readonly model: string;
  /** Where it runs: an execution provider ('cpu', 'cuda') or 'native' / 'native, isolated'. */
  readonly provider: string;
  readonly warnings: string[];
  decodeNeed(mode: PreprocessMode): DecodeNeed;
  /** Never rejects: a failure becomes each image's { error }. Timing covers the whole batch. */
  run(images: ImageInput[], mode: PreprocessMode, o: ScoreOverrides): Promise<PluginRun>;
  /** Waits for runs in flight, then frees everything. */
  close(): Promise<void>;
}

/** Six decimals: float32 scores carry no more, and the output stays readable. */
export const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
