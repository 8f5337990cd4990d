// postprocess.regions through the real addon and ORT: a model built here
// whose outputs are constant NanoDet-shaped maps (a 32x32 input, levels of
// stride 8 and 16, 2 classes, 8 distance bins), so every box, score and NMS
// decision below is known in advance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageInput, NativeAddon, NativeSession, PostprocessSpec, PreprocessSpec, RegionsSpec } from '../../src/binding/types.js';
import { detectorModel, detectorOutputs, type PlacedBox } from '../helpers/detector-model.js';
import { addonWithOrt } from './helpers.js';

const SIZE = 32;
const BOXES: PlacedBox[] = [
  // Cell (1,1), centre (12,12), one stride each way: pixels 4..20 square, class 0 at 0.9.
  { stride: 8, col: 1, row: 1, scores: [0.9, 0], sides: [1, 1, 1, 1] },
  // Cell (2,1), centre (20,12), same size: 12..28 x 4..20, IoU 1/3 with the first. Class 0 at 0.8, class 1 at 0.7.
  { stride: 8, col: 2, row: 1, scores: [0.8, 0.7], sides: [1, 1, 1, 1] },
  // Cell (2,2), centre (20,20): left split between bins 0 and 2 (expectation 1 stride; an argmax would say 0),
  // up 0, right 1, down 1: 12..28 x 20..28. Class 1 at 0.6; no overlap with the class-1 box above.
  { stride: 8, col: 2, row: 2, scores: [0, 0.6], sides: [[0, 2], 0, 1, 1] },
  // A level-16 box reaching past the input, clipped to it: centre (24,24), 2 strides each way -> 0..32.
  { stride: 16, col: 1, row: 1, scores: [0.5, 0], sides: [2, 2, 2, 2] },
  // Under every threshold used below: never boxed.
  { stride: 16, col: 0, row: 0, scores: [0.05, 0.05], sides: [1, 1, 1, 1] },
];

const OUTPUTS = detectorOutputs([8, 16]);
const PRE: PreprocessSpec = { width: SIZE, height: SIZE, layout: 'nchw', channels: 'rgb', resize: 'bilinear', normalizeFirst: false, scale: 255, mean: [0, 0, 0], std: [1, 1, 1] };
const REGIONS: RegionsSpec = { decoder: 'nanodet', outputs: OUTPUTS, threshold: 0.3, iou: 0.5, maxDetections: 100, perClass: true };
const post = (r: Partial<RegionsSpec> = {}): PostprocessSpec => ({ outputs: ['cls8'], activation: 'none', reduce: 'max', threshold: 0, topK: 0, regions: { ...REGIONS, ...r } });
const IMAGE: ImageInput = { data: new Uint8Array(SIZE * SIZE * 3), width: SIZE, height: SIZE, channels: 3 };

let addon: NativeAddon;
let session: NativeSession;

beforeAll(async () => {
  addon = addonWithOrt();
  session = await addon.createSession(detectorModel(SIZE, 2, [8, 16], BOXES), {});
});

afterAll(async () => {
  await session?.close();
});

async function regions(r: Partial<RegionsSpec> = {}) {
  const { results } = await session.run([IMAGE], PRE, post(r));
  expect(results[0]!.error).toBeUndefined();
  return (results[0]!.regions ?? []).map((d) => ({ label: d.label, score: +d.score.toFixed(4), box: d.box.map((v) => +(v * SIZE).toFixed(3)) }));
}

describe('the nanodet head and NMS', () => {
  it('lists the heads it knows', () => {
    expect(addon.detectDecoders()).toContain('nanodet');
  });

  it('decodes boxes as the expected distance of each side, clipped to the input, best first', async () => {
    expect(await regions()).toEqual([
      { label: 0, score: 0.9, box: [4, 4, 16, 16] },
      { label: 0, score: 0.8, box: [12, 4, 16, 16] },
      { label: 1, score: 0.7, box: [12, 4, 16, 16] },
      { label: 1, score: 0.6, box: [12, 20, 16, 8] },
      { label: 0, score: 0.5, box: [0, 0, 32, 32] },
    ]);
  });

  it('drops a box overlapping a better one of its class by more than iou', async () => {
    // 1/3 > 0.3: the 0.8 box goes; the 0.5 box covering all overlaps the 0.9 one by 1/4 and stays.
    expect((await regions({ iou: 0.3 })).map((d) => d.score)).toEqual([0.9, 0.7, 0.6, 0.5]);
  });

  it('across classes when perClass is false', async () => {
    // Class 1's 0.7 box is the 0.8 box's twin: with classes mixed, the 0.9 box drops both.
    expect((await regions({ iou: 0.3, perClass: false })).map((d) => d.score)).toEqual([0.9, 0.6, 0.5]);
  });

  it('keeps at most maxDetections, and nothing under the threshold', async () => {
    expect((await regions({ maxDetections: 2 })).map((d) => d.score)).toEqual([0.9, 0.8]);
    expect((await regions({ threshold: 0.65 })).map((d) => d.score)).toEqual([0.9, 0.8, 0.7]);
    expect(await regions({ threshold: 0.95 })).toEqual([]);
  });

  it('sends only the best 4096 candidates to NMS, ties broken by label, then position', async () => {
    // 64 positions x 100 classes, every score 0.5, every box the same: 6400 candidates, none suppressed at iou 1.
    const many = await addon.createSession(detectorModel(32, 100, [4], Array.from({ length: 64 }, (_, p) => (
      { stride: 4, col: p % 8, row: Math.floor(p / 8), scores: new Array(100).fill(0.5), sides: [1, 1, 1, 1] }))), {});
    try {
      const spec = post({ outputs: detectorOutputs([4]), iou: 1, maxDetections: 100000 });
      const { results } = await many.run([IMAGE], PRE, { ...spec, outputs: ['cls4'] });
      const labels = results[0]!.regions!.map((d) => d.label);
      expect(labels).toHaveLength(4096);
      // Labels 0..63, each at all 64 positions; 64..99 never reach NMS.
      expect(new Set(labels)).toEqual(new Set(Array.from({ length: 64 }, (_, i) => i)));
      expect(labels).toEqual([...labels].sort((a, b) => a - b));
    } finally {
      await many.close();
    }
  });

  it('carries regions through the batching queue too', async () => {
    const { result } = await session.submit(IMAGE, session.compileSpec(PRE, post({ iou: 0.3 })), { maxBatch: 1, maxDelayMs: 0 });
    expect(result.regions?.map((d) => d.score.toFixed(2))).toEqual(['0.90', '0.70', '0.60', '0.50']);
  });

  it('refuses an unknown head, naming the known ones, and outputs the model lacks', async () => {
    await expect(session.run([IMAGE], PRE, post({ decoder: 'yolo' }))).rejects.toThrow(/decoder 'yolo' is not a known detection head; known: .*'nanodet'/);
    await expect(session.run([IMAGE], PRE, post({ outputs: ['cls8', 'boxes'] }))).rejects.toThrow(/postprocess.regions.outputs names 'boxes', but the model's outputs are: cls8, reg8, cls16, reg16/);
    await expect(session.run([IMAGE], PRE, post({ iou: 2 }))).rejects.toThrow(/postprocess.regions.iou must be a number in 0/);
  });

  it('fails the run with a clear error when the maps do not pair up', async () => {
    await expect(session.run([IMAGE], PRE, post({ outputs: ['cls8', 'reg16'] }))).rejects.toThrow(/nanodet head: expected a class map .* found 'cls8' \[1,16,2\] and 'reg16' \[1,4,32\]/);
    await expect(session.run([IMAGE], PRE, post({ outputs: ['cls8'] }))).rejects.toThrow(/per level, its class map then its box map; 1 given/);
  });
});
