// The blazeface head through the real addon and ORT: models built here whose
// outputs are constant BlazeFace-shaped tensors (a 256x256 input; scores and
// regressors of the 16x16x2 and 8x8x6 anchor grids), so every box is known
// in advance from MediaPipe's anchor layout and box encoding.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/convert/onnx-builder.js';
import type { ImageInput, NativeAddon, NativeSession, PostprocessSpec, PreprocessSpec, RegionsSpec } from '../../src/binding/types.js';
import { addonWithOrt } from './helpers.js';

const SIZE = 256;
const GRIDS = [
  { cells: 16, perCell: 2 },
  { cells: 8, perCell: 6 },
];

interface Face {
  /** Which grid, its cell and which of the cell's anchors. */
  grid: number;
  col: number;
  row: number;
  k: number;
  logit: number;
  /** Centre offset from the anchor and size, in input pixels. */
  reg: [number, number, number, number];
}

/** The anchor index of a face within its grid's tensors. */
const indexIn = (f: Face) => (f.row * GRIDS[f.grid]!.cells + f.col) * GRIDS[f.grid]!.perCell + f.k;

// A face centred 8 px right of and below the first anchor of the 16-grid's
// cell (1,1) (centre 24,24), 32 px square: 16..48.
const A: Face = { grid: 0, col: 1, row: 1, k: 0, logit: 2, reg: [8, 8, 32, 32] };
// The cell's second anchor sees it too, less sure and 8 px further right: IoU 0.6 with A.
const A2: Face = { grid: 0, col: 1, row: 1, k: 1, logit: 1, reg: [16, 8, 32, 32] };
// The 8-grid's cell (4,4) centre 144,144, its sixth anchor: 64 x 32 px centred there: 112..176 x 128..160.
const B: Face = { grid: 1, col: 4, row: 4, k: 5, logit: 0, reg: [0, 0, 64, 32] };
// The 8-grid's cell (0,0) centre 16,16, moved to 6,2, 40 x 24 px: -14..26 x -10..14, clipped to 0..26 x 0..14.
const C: Face = { grid: 1, col: 0, row: 0, k: 0, logit: -1, reg: [-10, -14, 40, 24] };
// A sure face of zero width: never a region.
const FLAT: Face = { grid: 0, col: 8, row: 8, k: 0, logit: 5, reg: [0, 0, 0, 20] };
const FACES = [A, A2, B, C, FLAT];
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Scores [1, n, 1] and regressors [1, n, 16] per grid; every anchor not placed has logit -20. */
function grids(faces: Face[]): { scores: Float32Array; regs: Float32Array; n: number }[] {
  return GRIDS.map((g, gi) => {
    const n = g.cells * g.cells * g.perCell;
    const scores = new Float32Array(n).fill(-20);
    const regs = new Float32Array(n * 16);
    for (const f of faces.filter((x) => x.grid === gi)) {
      scores[indexIn(f)] = f.logit;
      regs.set(f.reg, indexIn(f) * 16);
    }
    return { scores, regs, n };
  });
}

function constant(g: GraphBuilder, name: string, dims: number[], values: Float32Array): void {
  g.addOutput(g.op('Identity', [g.initF32(`${name}_value`, dims, values)], {}, 'Identity', name), dims);
}

/** The converted human-models layout: "s16", "s8" scores, "r16", "r8" regressors. */
function pairedModel(faces: Face[], regWidth = 16): Uint8Array {
  const g = new GraphBuilder();
  g.addInput('image', [1, SIZE, SIZE, 3]);
  const [a, b] = grids(faces);
  const narrow = (x: Float32Array, n: number) => (regWidth === 16 ? x : Float32Array.from({ length: n * regWidth }, (_, i) => x[Math.floor(i / regWidth) * 16 + (i % regWidth)]!));
  constant(g, 's16', [1, a!.n, 1], a!.scores);
  constant(g, 's8', [1, b!.n, 1], b!.scores);
  constant(g, 'r16', [1, a!.n, regWidth], narrow(a!.regs, a!.n));
  constant(g, 'r8', [1, b!.n, regWidth], narrow(b!.regs, b!.n));
  // Not BlazeFace's anchors: 500 of them.
  constant(g, 'odd', [1, 500, 1], new Float32Array(500));
  return g.toBytes('blazeface-paired', 'test');
}

/** MediaPipe's own single output: [1, 896, 17], the logit then the regressors. */
function combinedModel(faces: Face[]): Uint8Array {
  const g = new GraphBuilder();
  g.addInput('image', [1, SIZE, SIZE, 3]);
  const all = new Float32Array(896 * 17);
  let base = 0;
  for (const { scores, regs, n } of grids(faces)) {
    for (let i = 0; i < n; i++) {
      all[(base + i) * 17] = scores[i]!;
      all.set(regs.subarray(i * 16, i * 16 + 16), (base + i) * 17 + 1);
    }
    base += n;
  }
  constant(g, 'detections', [1, 896, 17], all);
  return g.toBytes('blazeface-combined', 'test');
}

const PRE: PreprocessSpec = { width: SIZE, height: SIZE, layout: 'nhwc', channels: 'rgb', resize: 'bilinear', normalizeFirst: false, scale: 127.5, mean: [1, 1, 1], std: [1, 1, 1] };
const PAIRED = ['s16', 'r16', 's8', 'r8'];
const REGIONS: RegionsSpec = { decoder: 'blazeface', outputs: PAIRED, threshold: 0.2, iou: 0.3, maxDetections: 100, perClass: true };
const post = (scores: string[], r: Partial<RegionsSpec> = {}): PostprocessSpec => ({ outputs: scores, activation: 'sigmoid', reduce: 'max', threshold: 0, topK: 0, regions: { ...REGIONS, ...r } });
const IMAGE: ImageInput = { data: new Uint8Array(64 * 48 * 3), width: 64, height: 48, channels: 3 };

let addon: NativeAddon;
let paired: NativeSession;
let combined: NativeSession;
let narrow: NativeSession;

beforeAll(async () => {
  addon = addonWithOrt();
  paired = await addon.createSession(pairedModel(FACES), {});
  combined = await addon.createSession(combinedModel(FACES), {});
  narrow = await addon.createSession(pairedModel(FACES, 3), {});
});

afterAll(async () => {
  await Promise.all([paired, combined, narrow].map((s) => s?.close()));
});

async function faces(session: NativeSession, scores: string[], r: Partial<RegionsSpec> = {}) {
  const { results } = await session.run([IMAGE], PRE, post(scores, r));
  expect(results[0]!.error).toBeUndefined();
  return (results[0]!.regions ?? []).map((d) => ({ label: d.label, score: +d.score.toFixed(4), box: d.box.map((v) => +(v * SIZE).toFixed(2)) }));
}

const EXPECTED = [
  { label: 0, score: +sigmoid(2).toFixed(4), box: [16, 16, 32, 32] },
  { label: 0, score: 0.5, box: [112, 128, 64, 32] },
  { label: 0, score: +sigmoid(-1).toFixed(4), box: [0, 0, 26, 14] },
];

describe('the blazeface head', () => {
  it('is registered', () => {
    expect(addon.detectDecoders()).toContain('blazeface');
  });

  it('decodes centre offsets and sizes against MediaPipe anchors, clipped to the input, after NMS', async () => {
    expect(await faces(paired, ['s16', 's8'])).toEqual(EXPECTED);
  });

  it('keeps the second anchor of a face when iou allows it, and nothing under the threshold', async () => {
    expect((await faces(paired, ['s16', 's8'], { iou: 0.7 })).map((d) => d.score)).toEqual([0.8808, 0.7311, 0.5, 0.2689]);
    expect((await faces(paired, ['s16', 's8'], { threshold: 0.6 })).map((d) => d.score)).toEqual([0.8808]);
  });

  it('reads MediaPipe\'s single [batch, 896, 17] output the same way', async () => {
    expect(await faces(combined, ['detections'], { outputs: ['detections'] })).toEqual(EXPECTED);
  });

  it('names the tensor and its shape when the outputs are not BlazeFace\'s', async () => {
    await expect(paired.run([IMAGE], PRE, post(['s16'], { outputs: ['s16', 'r16', 'odd', 'r8'] }))).rejects.toThrow(/blazeface: output 'r8' has shape \[1,384,16\]; expected \[batch, 500, 4 or more\]/);
    await expect(paired.run([IMAGE], PRE, post(['s16'], { outputs: ['s16', 'r16'] }))).rejects.toThrow(/blazeface: outputs 's16' \[1,512,1\], 'r16' \[1,512,16\] hold 512 anchors; BlazeFace's 16x16x2 \+ 8x8x6 grids have 896/);
    await expect(paired.run([IMAGE], PRE, post(['s16'], { outputs: ['s16', 'r16', 's8'] }))).rejects.toThrow(/blazeface: \[output.regions\] outputs names 3 tensors/);
    await expect(paired.run([IMAGE], PRE, post(['s16'], { outputs: ['r16', 's16', 'r8', 's8'] }))).rejects.toThrow(/blazeface: output 'r16' has shape \[1,512,16\]; expected \[batch, anchors, 1\] scores/);
    await expect(narrow.run([IMAGE], PRE, post(['s16'], { outputs: PAIRED }))).rejects.toThrow(/blazeface: output 'r16' has shape \[1,512,3\]; expected \[batch, anchors, 4 or more\] box regressors/);
    await expect(paired.run([IMAGE], PRE, post(['s16'], { outputs: ['s16'] }))).rejects.toThrow(/blazeface: output 's16' has shape \[1,512,1\]; expected \[batch, 896, 5 or more\]/);
  });
});
