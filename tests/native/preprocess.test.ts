// Native preprocessing must equal TF.js (cpu backend) bit for bit.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';

import type { ImageInput, PreprocessSpec } from '../../src/binding/types.js';
import { addonWithOrt, decode, photo } from './helpers.js';

const FILES = ['fruits.jpg', 'baboon.jpg', 'rubberwhale1.png'];

function mismatches(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

function toTensor(image: ImageInput): tf.Tensor3D {
  // Like tf.browser.fromPixels / tf.node.decodeImage: an int32 HWC tensor.
  return tf.tensor3d(Int32Array.from(image.data), [image.height, image.width, image.channels], 'int32');
}

describe('native preprocess vs TF.js', () => {
  const images: ImageInput[] = [];
  beforeAll(async () => {
    await tf.setBackend('cpu');
    for (const f of FILES) images.push(await decode(photo(f)));
  });

  it('nsfwjs: toFloat().div(255) then resizeBilinear(alignCorners=true), NHWC', () => {
    const addon = addonWithOrt();
    const pre: PreprocessSpec = {
      width: 224, height: 224, layout: 'nhwc', channels: 'rgb', resize: 'bilinear-align-corners',
      normalizeFirst: true, scale: 255, mean: [0, 0, 0], std: [1, 1, 1],
    };
    for (const image of images) {
      const ref = tf.tidy(() => tf.image.resizeBilinear(toTensor(image).toFloat().div<tf.Tensor3D>(255), [224, 224], true).dataSync() as Float32Array);
      const native = addon.preprocess(image, pre);
      expect(mismatches(native, ref)).toBe(0);
    }
  });

  it('nanodet: resizeBilinear(alignCorners=false) then div(255), NCHW', () => {
    const addon = addonWithOrt();
    const pre: PreprocessSpec = {
      width: 416, height: 416, layout: 'nchw', channels: 'rgb', resize: 'bilinear',
      normalizeFirst: false, scale: 255, mean: [0, 0, 0], std: [1, 1, 1],
    };
    for (const image of images) {
      const ref = tf.tidy(() => {
        const resized = tf.image.resizeBilinear(toTensor(image), [416, 416], false);
        return resized.div(255).transpose([2, 0, 1]).dataSync() as Float32Array;
      });
      const native = addon.preprocess(image, pre);
      expect(mismatches(native, ref)).toBe(0);
    }
  });

  it('half-pixel resize, BGR, mean/std, NCHW', () => {
    const addon = addonWithOrt();
    const mean: [number, number, number] = [0.406, 0.456, 0.485];
    const std: [number, number, number] = [0.225, 0.224, 0.229];
    const pre: PreprocessSpec = {
      width: 97, height: 131, layout: 'nchw', channels: 'bgr', resize: 'bilinear-half-pixel',
      normalizeFirst: false, scale: 255, mean, std,
    };
    for (const image of images) {
      const ref = tf.tidy(() => {
        const resized = tf.image.resizeBilinear(toTensor(image), [131, 97], false, true);
        return resized.reverse(-1).div(255).sub(tf.tensor1d(mean)).div(tf.tensor1d(std))
          .transpose([2, 0, 1]).dataSync() as Float32Array;
      });
      const native = addon.preprocess(image, pre);
      expect(mismatches(native, ref)).toBe(0);
    }
  });

  it("resize 'none' with 4 channels ignores alpha", () => {
    const addon = addonWithOrt();
    const rgba = { data: Uint8Array.from([10, 20, 30, 255, 40, 50, 60, 0]), width: 2, height: 1, channels: 4 };
    const out = addon.preprocess(rgba, {
      width: 2, height: 1, layout: 'nhwc', channels: 'rgb', resize: 'none',
      normalizeFirst: false, scale: 1, mean: [0, 0, 0], std: [1, 1, 1],
    });
    expect(Array.from(out)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(() => addon.preprocess({ ...rgba, width: 3 }, {
      width: 2, height: 1, layout: 'nhwc', channels: 'rgb', resize: 'none',
      normalizeFirst: false, scale: 1, mean: [0, 0, 0], std: [1, 1, 1],
    })).toThrow(expect.objectContaining({ code: 'IMLAGE_ERR_INVALID_ARG' }));
  });
});
