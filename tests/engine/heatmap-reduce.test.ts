// reduce = "max" over a class heatmap shaped [batch, h, w, classes] (as
// CenterNet's is), not only [batch, positions, classes]: a model built here
// whose heatmap is sigmoid(pixel) per channel, on a picture half red, half black.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/convert/onnx-builder.js';
import { Engine, isFailure } from '../../src/index.js';

let engine: Engine;
let photo: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'imlage-heatmap-'));
  mkdirSync(join(dir, 'heat'));
  const g = new GraphBuilder();
  const x = g.addInput('image', ['N', 8, 8, 3]);
  g.addOutput(g.op('Sigmoid', [x], {}, 'Sigmoid', 'heatmap'), ['N', 8, 8, 3]);
  writeFileSync(join(dir, 'heat', 'heat.onnx'), g.toBytes('heat', 'test'));
  writeFileSync(join(dir, 'heat', 'plugin.toml'), `name = "heat"
version = "1.0.0"
kind = "onnx"
[model]
format = "onnx"
file = "heat.onnx"
[input]
width = 8
height = 8
layout = "nhwc"
[preprocess.exact]
resize = "bilinear"
[output]
names = ["heatmap"]
reduce = "max"
labels = ["r", "g", "b"]
`);
  photo = join(dir, 'half.png');
  const half = await sharp({ create: { width: 16, height: 32, channels: 3, background: { r: 255, g: 0, b: 0 } } }).png().toBuffer();
  await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 0, g: 0, b: 0 } } })
    .composite([{ input: half, left: 0, top: 0 }]).png().toFile(photo);
  engine = await Engine.create({ plugins: ['heat'], pluginDirs: [dir], config: false });
});

afterAll(async () => {
  await engine?.close();
});

it('takes each class at its best position of an [N, h, w, classes] heatmap', async () => {
  const res = (await engine.tagOne(photo)).results.heat!;
  if (isFailure(res)) throw new Error(res.error);
  const by = Object.fromEntries(res.tags.map((t) => [t.label, t.confidence]));
  expect(by.r).toBeCloseTo(1 / (1 + Math.exp(-1)), 5);
  expect(by.g).toBeCloseTo(0.5, 5);
  expect(by.b).toBeCloseTo(0.5, 5);
});
