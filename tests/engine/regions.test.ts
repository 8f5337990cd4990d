// [output.regions] end to end: a detector plugin given by a manifest alone
// (its model built here: constant NanoDet-shaped maps, so every box is known),
// run by the real engine, addon and ONNX Runtime on real image files. Boxes
// come back in pixels of the picture as displayed, named as its tags are
// (aliases, exclude, per-label thresholds), and only for reported tags.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, isFailure, type PluginSuccess } from '../../src/index.js';
import { detectorModel, detectorOutputs } from '../helpers/detector-model.js';

// Classes: cat, kitty (an alias of cat), dog (its own threshold 0.75), toilet (excluded).
const model = detectorModel(32, 4, [8], [
  // 4..20 square: the cat.
  { stride: 8, col: 1, row: 1, scores: [0.9, 0, 0, 0], sides: [1, 1, 1, 1] },
  // 28..32 x 4..12 (centre 28,4; no reach left or up, one stride right, clipped, and down): a kitty, reported as cat.
  { stride: 8, col: 3, row: 0, scores: [0, 0.65, 0, 0], sides: [0, 0, 1, 1] },
  // 4..20 x 12..28: a dog over its threshold; 12..28 square: one under it.
  { stride: 8, col: 1, row: 2, scores: [0, 0, 0.8, 0], sides: [1, 1, 1, 1] },
  { stride: 8, col: 2, row: 2, scores: [0, 0, 0.7, 0], sides: [1, 1, 1, 1] },
  // Excluded, however sure.
  { stride: 8, col: 3, row: 3, scores: [0, 0, 0, 0.95], sides: [1, 1, 1, 1] },
]);

// cat and kitty (one tag, two model labels) on one 4..20 square, and a kitty
// at 12..28 x 4..20 that overlaps the cat by an IoU of 1/3, under the 0.5.
const overlapModel = detectorModel(32, 4, [8], [
  { stride: 8, col: 1, row: 1, scores: [0.9, 0.8, 0, 0], sides: [1, 1, 1, 1] },
  { stride: 8, col: 2, row: 1, scores: [0, 0.7, 0, 0], sides: [1, 1, 1, 1] },
]);

const manifest = (name: string, extra = '') => `name = "${name}"
version = "1.0.0"
kind = "onnx"
[model]
format = "onnx"
file = "detector.onnx"
[input]
width = 32
height = 32
layout = "nchw"
[preprocess.exact]
resize = "bilinear"
[output]
names = ["cls8"]
reduce = "max"
labels = ["cat", "kitty", "dog", "toilet"]
exclude = ["toilet"]
threshold = 0.5
${extra}
[output.aliases]
kitty = "cat"
[output.thresholds]
dog = 0.75
[output.regions]
decoder = "nanodet"
outputs = ${JSON.stringify(detectorOutputs([8]))}
iou = 0.5
`;

let dir: string;
let engine: Engine;
let wide: string;
let turned: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imlage-regions-'));
  for (const [name, extra, bytes] of [['boxes', '', model], ['boxes-top1', 'top_k = 1', model], ['overlap', '', overlapModel]] as const) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'detector.onnx'), bytes);
    writeFileSync(join(dir, name, 'plugin.toml'), manifest(name, extra));
  }
  // 64x48 as displayed: a plain PNG, and a JPEG stored 48x64 with EXIF orientation 6 (turned a quarter).
  const grey = { create: { width: 64, height: 48, channels: 3, background: { r: 128, g: 128, b: 128 } } } as const;
  wide = join(dir, 'wide.png');
  await sharp(grey).png().toFile(wide);
  turned = join(dir, 'turned.jpg');
  await sharp(await sharp(grey).rotate(270).png().toBuffer()).withMetadata({ orientation: 6 }).jpeg().toFile(turned);
  engine = await Engine.create({ plugins: ['boxes', 'boxes-top1', 'overlap'], pluginDirs: [dir], config: false });
});

afterAll(async () => {
  await engine?.close();
});

async function result(file: string, plugin = 'boxes', opts: { threshold?: number; mode?: 'exact' | 'fast' } = {}): Promise<PluginSuccess> {
  const r = (await engine.tagOne(file, { plugins: [plugin], ...opts })).results[plugin]!;
  if (isFailure(r)) throw new Error(r.error);
  return r;
}

// Box fractions of the 32x32 input times 64 across, 48 down.
const CAT = { label: 'cat', confidence: 0.9, box: [8, 6, 32, 24] };
const KITTY = { label: 'cat', confidence: 0.65, box: [56, 6, 8, 12] };
const DOG = { label: 'dog', confidence: 0.8, box: [8, 18, 32, 24] };

describe('regions of a detector plugin', () => {
  it('maps boxes to the picture as displayed, named and thresholded as its tags', async () => {
    for (const file of [wide, turned]) {
      for (const mode of ['exact', 'fast'] as const) {
        const r = await result(file, 'boxes', { mode });
        expect(r.tags.map((t) => t.label)).toEqual(['cat', 'dog']);
        expect(r.regions).toEqual([CAT, DOG, KITTY]);
      }
    }
  });

  it("follows a call's threshold, as the tags do", async () => {
    const r = await result(wide, 'boxes', { threshold: 0.68 });
    // dog 0.7 now passes; the excluded toilet still never shows.
    expect(r.regions!.map((x) => [x.label, x.confidence])).toEqual([['cat', 0.9], ['dog', 0.8], ['dog', 0.7]]);
    expect((await result(wide, 'boxes', { threshold: 0.95 })).regions).toEqual([]);
  });

  it('boxes only reported tags: top_k cuts regions with the tags', async () => {
    const r = await result(wide, 'boxes-top1');
    expect(r.tags.map((t) => t.label)).toEqual(['cat']);
    expect(r.regions).toEqual([CAT, KITTY]);
  });
});

describe('suppression across labels that share a tag', () => {
  it('drops a box of one tag that overlaps a better box of that tag from another label', async () => {
    const r = await result(wide, 'overlap');
    // Natively per label both 4..20 boxes stay (cat, kitty); as one tag "cat" the kitty's goes.
    expect(r.regions).toEqual([CAT, { label: 'cat', confidence: 0.7, box: [24, 6, 32, 24] }]);
    expect(r.tags).toEqual([{ label: 'cat', confidence: 0.9, count: 2 }]);
  });
});

describe('[output.regions] errors', () => {
  async function load(regions: string): Promise<string> {
    const d = mkdtempSync(join(tmpdir(), 'imlage-regions-bad-'));
    mkdirSync(join(d, 'bad'));
    writeFileSync(join(d, 'bad', 'detector.onnx'), model);
    writeFileSync(join(d, 'bad', 'plugin.toml'), manifest('bad').replace(/\[output\.regions\][^]*$/, `[output.regions]\n${regions}\n`));
    const e = await Engine.create({ plugins: ['bad'], pluginDirs: [d], config: false }).then(async (en) => {
      await en.close();
      return 'loaded';
    }, (err: Error) => err.message);
    return e;
  }

  it('names a decoder this build does not know, and the ones it does', async () => {
    expect(await load('decoder = "yolo"\noutputs = ["cls8", "reg8"]')).toMatch(/plugin\.toml: key 'output\.regions\.decoder': "yolo" is not a detection head this build knows \(it knows: blazeface, nanodet\)/);
  });

  it('names an output the model lacks, and a missing or unknown key', async () => {
    expect(await load('decoder = "nanodet"\noutputs = ["cls8", "boxes"]')).toMatch(/key 'output\.regions\.outputs': the model has no output "boxes" \(it has: cls8, reg8\)/);
    expect(await load('outputs = ["cls8", "reg8"]')).toMatch(/key 'output\.regions\.decoder': missing/);
    expect(await load('decoder = "nanodet"\noutputs = ["cls8", "reg8"]\nmax_boxes = 3')).toMatch(/key 'output\.regions\.max_boxes': unknown key/);
    expect(await load('decoder = "nanodet"\noutputs = ["cls8", "reg8"]\niou = 1.5')).toMatch(/key 'output\.regions\.iou': must be <= 1/);
  });
});
