// An onnx plugin whose model has several outputs, post-processed with
// reduce = "none": their values are concatenated, so the labels must cover
// all outputs together. A manifest with too few labels is refused at load
// (it used to load and tag "#3", "#4", ...).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/convert/onnx-builder.js';
import { Engine } from '../../src/index.js';
import { photo } from '../helpers/paths.js';

/** x [N, 8, 8, 3] -> mean [N, 3] and max [N, 3] over the pixels, scaled to 0..1. */
function twoOutputModel(): Uint8Array {
  const g = new GraphBuilder();
  const x = g.addInput('x', ['N', 8, 8, 3]);
  const axes = g.initI64('axes', [1, 2]);
  g.op('ReduceMean', [x, axes], { keepdims: 0 }, 'mean', 'mean');
  g.op('ReduceMax', [x, axes], { keepdims: 0 }, 'max', 'max');
  g.addOutput('mean', ['N', 3]);
  g.addOutput('max', ['N', 3]);
  return g.toBytes('two-outputs', 'test');
}

function pluginDir(labels: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'imlage-onnx-'));
  mkdirSync(join(dir, 'twoout'));
  writeFileSync(join(dir, 'twoout', 'model.onnx'), twoOutputModel());
  writeFileSync(join(dir, 'twoout', 'plugin.toml'), `name = "twoout"
version = "1.0.0"
kind = "onnx"

[model]
format = "onnx"
file = "model.onnx"

[input]
width = 8
height = 8
layout = "nhwc"
channels = "rgb"
scale = 255

[preprocess.exact]
resize = "bilinear"

[preprocess.fast]
kernel = "lanczos3"

[output]
names = ["mean", "max"]
activation = "none"
reduce = "none"
labels = [${labels.map((l) => `"${l}"`).join(', ')}]
`);
  return dir;
}

describe('onnx plugin with several outputs and reduce = "none"', () => {
  it('one label per concatenated value: every tag is named', async () => {
    const labels = ['mean red', 'mean green', 'mean blue', 'max red', 'max green', 'max blue'];
    const engine = await Engine.create({ config: false, pluginDirs: [pluginDir(labels)], plugins: ['twoout'], mode: 'fast' });
    try {
      const r = await engine.tagOne(photo('fruits.jpg'));
      const res = r.results.twoout as { tags: { label: string; confidence: number }[] };
      expect(res.tags.map((t) => t.label).sort()).toEqual([...labels].sort());
      // A colour's maximum is never below its mean.
      const score = Object.fromEntries(res.tags.map((t) => [t.label, t.confidence]));
      for (const c of ['red', 'green', 'blue']) expect(score[`max ${c}`]).toBeGreaterThanOrEqual(score[`mean ${c}`]!);
    } finally {
      await engine.close();
    }
  });

  it('labels for one output only: refused at load, naming both outputs and the fix', async () => {
    const dir = pluginDir(['red', 'green', 'blue']);
    await expect(Engine.create({ config: false, pluginDirs: [dir], plugins: ['twoout'], mode: 'fast' })).rejects.toMatchObject({
      code: 'IMLAGE_ERR_MANIFEST',
      message: expect.stringMatching(/key 'output.labels': 3 labels, but with reduce = "none" the outputs' values are concatenated: "mean" 3 \+ "max" 3 = 6/),
    });
  });
});
