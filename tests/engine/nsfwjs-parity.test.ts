// End to end against the original tool: in exact mode imlage's nsfw
// probabilities equal nsfwjs's own classify() on the same decoded pixels.
import * as tf from '@tensorflow/tfjs';
import { load } from 'nsfwjs';
import { MobileNetV2Model } from 'nsfwjs/models/mobilenet_v2';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';
import { photo } from '../helpers/paths.js';

const FILES = ['baboon.jpg', 'messi5.jpg', 'fruits.jpg', 'squirrel_cls.jpg', 'building.jpg', 'starry_night.jpg', 'home-exif6.jpg'];
const TOLERANCE = 1e-4;

let engine: Engine;
let nsfwjs: Awaited<ReturnType<typeof load>>;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const info = console.info;
  console.info = () => {}; // nsfwjs announces its model on the console
  nsfwjs = await load('MobileNetV2', { modelDefinitions: [MobileNetV2Model] } as never);
  console.info = info;
  engine = await Engine.create({ plugins: ['nsfw'], mode: 'exact', config: false });
});

afterAll(async () => {
  await engine?.close();
  nsfwjs?.dispose();
});

describe('nsfw plugin vs nsfwjs classify()', () => {
  it(`agrees within ${TOLERANCE} on real photos`, async () => {
    let worst = 0;
    for (const f of FILES) {
      const file = photo(f);
      // The same decode for both: sharp, EXIF orientation applied, RGB.
      const { data, info } = await sharp(file).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      const img = tf.tensor3d(new Int32Array(data), [info.height, info.width, 3], 'int32');
      const theirs = await nsfwjs.classify(img, 5);
      img.dispose();
      // threshold 0: all five classes, as classify(img, 5) returns them (the manifest reports unsafe ones from 0.65 on).
      const ours = (await engine.tagOne(file, { threshold: 0 })).results.nsfw as any;
      expect(ours.tags).toHaveLength(5);
      for (const p of theirs) {
        const mine = ours.tags.find((t: any) => t.label === p.className);
        const diff = Math.abs(mine.confidence - p.probability);
        worst = Math.max(worst, diff);
        expect(diff, `${f} ${p.className}: imlage ${mine.confidence} vs nsfwjs ${p.probability}`).toBeLessThan(TOLERANCE);
      }
      expect(ours.tags[0].label, f).toBe(theirs[0]!.className);
    }
    console.log(`nsfw exact mode vs nsfwjs classify(): max |diff| ${worst.toExponential(2)} over ${FILES.length} photos`);
  });
});
