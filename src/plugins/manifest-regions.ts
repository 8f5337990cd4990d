// [output.regions] of an onnx manifest: a detector's boxes, decoded natively
// by a named head (native/src/detect/registry.cc) and thinned by
// non-maximum suppression. Whether the decoder exists is checked when the
// plugin loads, against the addon (addon.detectDecoders()).

import type { TomlReader } from '../util/toml-reader.js';

export interface RegionsOutput {
  decoder: string;
  /** The tensors the decoder reads, in its order. */
  outputs: string[];
  /** No box under this score, whatever threshold a call asks for (0: the tags' thresholds decide). */
  threshold: number;
  iou: number;
  /** At most this many boxes per image, best first. */
  max: number;
  /** NMS within each label (true) or across all labels (false). */
  perClass: boolean;
}

export const REGIONS_KEYS = ['decoder', 'outputs', 'threshold', 'iou', 'max', 'per_class'];

export function parseRegions(o: TomlReader | undefined): RegionsOutput | undefined {
  if (!o) return undefined;
  o.onlyKeys(REGIONS_KEYS);
  const regions: RegionsOutput = {
    decoder: o.string('decoder'),
    outputs: o.strings('outputs'),
    threshold: o.number('threshold', 0, { min: 0, max: 1 }),
    iou: o.number('iou', 0.5, { min: 0, max: 1 }),
    max: o.number('max', 100, { min: 1, max: 1000, integer: true }),
    perClass: o.boolean('per_class', true),
  };
  if (regions.outputs.length === 0) o.fail('outputs', 'must name the model outputs the decoder reads');
  return regions;
}
