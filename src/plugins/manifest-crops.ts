// [input.crops] of an onnx manifest: a second-stage plugin, whose images
// are the crops of another plugin's regions (faces -> emotion; objects -> a
// finer classifier). The engine runs the source plugin first, cuts each of
// its regions out of the picture it already decoded, and feeds the crops
// through this plugin's own batching (src/engine/crops.ts).

import type { TomlReader } from '../util/toml-reader.js';

export interface CropsInput {
  /** The plugin whose regions are cropped. */
  from: string;
  /** Only the regions with these labels (the source's reported tags); empty: every region. */
  labels: string[];
  /** The box grows by this share of its width and height, half on each side (0.4: 1.4 times as wide and tall). */
  expand: number;
  /** Widen the (expanded) box to a square of its longer side around its centre. */
  square: boolean;
  /** At most this many crops per picture: the source's best regions. */
  max: number;
  /** Crops under this many pixels wide or high (after expanding and clipping) are not taken. */
  minSize: number;
  /** A crop larger than this on its longer side is shrunk to it before preprocessing: bounds what a crop holds. */
  maxSide: number;
}

export const CROPS_KEYS = ['from', 'labels', 'expand', 'square', 'max', 'min_size', 'max_side'];

/** Ceiling of `max`: a picture's crops all wait in the plugin's queue together. */
export const MAX_CROPS = 64;

export function parseCrops(c: TomlReader | undefined, self: string): CropsInput | undefined {
  if (!c) return undefined;
  c.onlyKeys(CROPS_KEYS);
  const from = c.string('from');
  if (from === self) c.fail('from', `a plugin cannot crop its own regions ("${from}")`);
  const crops: CropsInput = {
    from,
    labels: c.strings('labels', []),
    expand: c.number('expand', 0, { min: 0, max: 4 }),
    square: c.boolean('square', false),
    max: c.number('max', 8, { min: 1, max: MAX_CROPS, integer: true }),
    minSize: c.number('min_size', 8, { min: 1, max: 8192, integer: true }),
    maxSide: c.number('max_side', 1024, { min: 1, max: 8192, integer: true }),
  };
  return crops;
}
