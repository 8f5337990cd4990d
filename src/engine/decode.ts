// Decoding with sharp (libvips): EXIF orientation applied, alpha dropped,
// grey and CMYK converted to sRGB, always 3 channels of uint8.

import sharp, { type Sharp } from 'sharp';
import { ImlageError, errorMessage } from '../errors.js';
import type { ImageInput } from '../native/types.js';
import type { FastKernel } from '../plugins/manifest.js';

export type ImageSource = string | Uint8Array;

function pipeline(src: ImageSource): Sharp {
  // 'truncated': a cut-off file fails instead of being tagged as a half-grey
  // picture, while the benign warnings many real JPEGs carry are let through.
  return sharp(src, { failOn: 'truncated' }).rotate().removeAlpha().toColourspace('srgb');
}

async function toImage(p: Sharp, what: string): Promise<ImageInput> {
  try {
    const { data, info } = await p.raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (err) {
    throw new ImlageError('IMLAGE_ERR_DECODE', `cannot decode ${what}: ${errorMessage(err).split('\n')[0]}`, { cause: err });
  }
}

/** The whole picture at full size, as the original tools decode it. */
export function decodeFull(src: ImageSource, what: string): Promise<ImageInput> {
  return toImage(pipeline(src), what);
}

/**
 * Straight to the model size: libvips shrinks JPEG and WebP while decoding,
 * then resizes with an antialiasing kernel.
 */
export function decodeResized(src: ImageSource, what: string, width: number, height: number, kernel: FastKernel): Promise<ImageInput> {
  return toImage(pipeline(src).resize(width, height, { fit: 'fill', kernel }), what);
}

/** Another size from pixels already decoded (no second decode of the file). */
export async function resizeDecoded(img: ImageInput, width: number, height: number, kernel: FastKernel): Promise<ImageInput> {
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels as 3 | 4 } })
    .resize(width, height, { fit: 'fill', kernel })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}
