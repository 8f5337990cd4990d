// A RAM++-style tagger added by a manifest alone: a multi-label ONNX model
// (built here from ONNX operators), its tag list in labels_file, its
// thresholds in thresholds_file, an alias, categories, and an ensemble of two
// such models. Run through the real engine, addon and ONNX Runtime.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/convert/onnx-builder.js';
import { Engine, isFailure, type PluginSuccess } from '../../src/index.js';

const LABELS = ['cat', 'kitty', 'dog', 'sunset', 'red', 'document'];
// One logit per tag for a pure red picture (see tagger()): what the model scores.
const LOGITS = [2, 3, 1, -1, 4, -3];
const THRESHOLDS = [0.5, 0.5, 0.9, 0.5, 0.6, 0.5];
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * logits = mean over pixels of (r, g, b) x W, with W's red row = `redRow`:
 * on a pure red picture (r = 1 after / 255) the logits are exactly redRow.
 */
function tagger(size: number, redRow: number[]): Uint8Array {
  const g = new GraphBuilder();
  const x = g.addInput('image', ['N', size, size, 3]);
  const axes = g.initI64('axes', [1, 2]);
  const mean = g.op('ReduceMean', [x, axes], { keepdims: 0 });
  const w = g.initF32('w', [3, LABELS.length], [...redRow, ...new Array(2 * LABELS.length).fill(0.25)]);
  const logits = g.op('MatMul', [mean, w], {}, 'MatMul', 'logits');
  g.addOutput(logits, ['N', LABELS.length]);
  return g.toBytes('tagger', 'test');
}

let dir: string;
let redPhoto: string;
let engine: Engine;

const manifest = (name: string, extra = '') => `name = "${name}"
version = "1.0.0"
kind = "onnx"
description = "multi-label test tagger"

[model]
format = "onnx"
file = "tagger.onnx"

[input]
width = 8
height = 8
layout = "nhwc"
scale = 255

[preprocess.exact]
resize = "bilinear"

[output]
names = ["logits"]
activation = "sigmoid"
labels_file = "tags.txt"
thresholds_file = "thresholds.txt"
category = "object"
${extra}
[output.aliases]
kitty = "cat"

[output.categories]
red = "color"
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imlage-vocab-'));
  for (const name of ['ramlike', 'ramlike-pair']) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'tagger.onnx'), tagger(8, LOGITS));
    // CRLF and a blank line, as tag lists found in the wild have.
    writeFileSync(join(dir, name, 'tags.txt'), LABELS.join('\r\n') + '\r\n\r\n');
    writeFileSync(join(dir, name, 'thresholds.txt'), THRESHOLDS.join('\n') + '\n');
  }
  writeFileSync(join(dir, 'ramlike', 'plugin.toml'), manifest('ramlike'));
  // The second model of the pair takes 16x16 pictures and gives every tag the logit -0.5.
  writeFileSync(join(dir, 'ramlike-pair', 'second.onnx'), tagger(16, new Array(LABELS.length).fill(-0.5)));
  writeFileSync(join(dir, 'ramlike-pair', 'plugin.toml'),
    manifest('ramlike-pair', 'combine = "mean"\n') + '\n[[ensemble]]\nformat = "onnx"\nfile = "second.onnx"\nwidth = 16\nheight = 16\n');
  redPhoto = join(dir, 'red.png');
  await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 255, g: 0, b: 0 } } }).png().toFile(redPhoto);
  engine = await Engine.create({ plugins: ['ramlike', 'ramlike-pair'], pluginDirs: [dir], config: false });
});

afterAll(async () => {
  await engine?.close();
});

function tagsOf(r: Awaited<ReturnType<Engine['tagOne']>>, name: string): PluginSuccess {
  const res = r.results[name]!;
  if (isFailure(res)) throw new Error(res.error);
  return res;
}

describe('a multi-label tagger from a manifest alone', () => {
  it('reports the tags above their own thresholds, aliases merged, with categories', async () => {
    const res = tagsOf(await engine.tagOne(redPhoto), 'ramlike');
    // red 0.98 (>= 0.6), cat = best of cat 0.88 and kitty 0.95; dog 0.73 is under its 0.9.
    expect(res.tags.map((t) => t.label)).toEqual(['red', 'cat']);
    expect(res.tags[0]).toMatchObject({ category: 'color' });
    expect(res.tags[0]!.confidence).toBeCloseTo(sigmoid(4), 5);
    expect(res.tags[1]).toMatchObject({ label: 'cat', category: 'object' });
    expect(res.tags[1]!.confidence).toBeCloseTo(sigmoid(3), 5);
    expect(res.models).toBeUndefined();
  });

  it('an explicit threshold replaces the per-label ones', async () => {
    const low = await Engine.create({ plugins: ['ramlike'], pluginDirs: [dir], config: false, threshold: 0.2 });
    try {
      const res = tagsOf(await low.tagOne(redPhoto), 'ramlike');
      expect(res.tags.map((t) => t.label)).toEqual(['red', 'cat', 'dog', 'sunset']);
    } finally {
      await low.close();
    }
  });

  it('an ensemble averages its models per class and says which models voted', async () => {
    const res = tagsOf(await engine.tagOne(redPhoto), 'ramlike-pair');
    const mean = (logit: number) => (sigmoid(logit) + sigmoid(-0.5)) / 2;
    expect(res.tags.map((t) => t.label)).toEqual(['red', 'cat']);
    expect(res.tags[0]!.confidence).toBeCloseTo(mean(4), 5);
    expect(res.tags[1]!.confidence).toBeCloseTo(mean(3), 5);
    expect(res.models).toEqual(['ramlike-pair@1.0.0 tagger.onnx', 'ramlike-pair@1.0.0 second.onnx']);
    expect(res.model).toBe('ramlike-pair@1.0.0 tagger.onnx + ramlike-pair@1.0.0 second.onnx');
  });

  it('fast mode decodes an ensemble once, at its largest model size', async () => {
    const fast = await Engine.create({ plugins: ['ramlike-pair'], pluginDirs: [dir], config: false, mode: 'fast' });
    try {
      const res = tagsOf(await fast.tagOne(redPhoto), 'ramlike-pair');
      expect(res.tags.map((t) => t.label)).toEqual(['red', 'cat']);
    } finally {
      await fast.close();
    }
  });
});
