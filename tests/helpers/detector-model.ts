// A NanoDet-shaped detector built from ONNX operators for tests: its outputs
// are constant class and box-distribution maps (per level "cls<stride>" and
// "reg<stride>"), so every box it yields is known in advance.
import { GraphBuilder } from '../../src/convert/onnx-builder.js';

export const BINS = 8;
/** Logit that puts (almost) all of a side's probability on one bin. */
const PEAK = 30;

export interface PlacedBox {
  stride: number;
  /** Grid cell. */
  col: number;
  row: number;
  /** One score per class. */
  scores: number[];
  /** Left, up, right, down in strides; [a, b] splits the probability evenly between bins a and b. */
  sides: (number | [number, number])[];
}

/** Output names, per level its class map then its box map: what [output.regions] outputs lists. */
export function detectorOutputs(strides: number[]): string[] {
  return strides.flatMap((s) => [`cls${s}`, `reg${s}`]);
}

/** Input `image` [1, 3, size, size] (unused); outputs [1, positions, classes] and [1, positions, 4 * BINS] per stride. */
export function detectorModel(size: number, classes: number, strides: number[], boxes: PlacedBox[]): Uint8Array {
  const g = new GraphBuilder();
  g.addInput('image', [1, 3, size, size]);
  for (const stride of strides) {
    const grid = size / stride;
    const cls = new Float32Array(grid * grid * classes);
    const reg = new Float32Array(grid * grid * 4 * BINS);
    for (const b of boxes.filter((x) => x.stride === stride)) {
      const p = b.row * grid + b.col;
      b.scores.forEach((s, c) => (cls[p * classes + c] = s));
      b.sides.forEach((side, k) => {
        for (const bin of Array.isArray(side) ? side : [side]) reg[(p * 4 + k) * BINS + bin] = PEAK;
      });
    }
    for (const [name, values, width] of [[`cls${stride}`, cls, classes], [`reg${stride}`, reg, 4 * BINS]] as const) {
      const dims = [1, grid * grid, width];
      g.addOutput(g.op('Identity', [g.initF32(`${name}_value`, dims, values)], {}, 'Identity', name), dims);
    }
  }
  return g.toBytes('detector', 'test');
}
