// The pixel limit, checked from the image header alone, so an oversized
// picture is refused before anything is decoded. image-size parses headers
// in JS without leaving the thread (a libvips metadata() call costs a
// thread-pool round trip, milliseconds on a busy machine); formats it does
// not know go to libvips, which also reads only the header.

import { imageSize } from 'image-size';
import sharp from 'sharp';
import { ImlageError } from '../errors.js';

async function dimensions(data: Uint8Array): Promise<{ width?: number; height?: number }> {
  try {
    return imageSize(data);
  } catch {
    try {
      return await sharp(data).metadata();
    } catch {
      // Not an image libvips knows: the engine's decode names the failure, as for the CLI.
      return {};
    }
  }
}

export async function checkPixels(name: string, data: Uint8Array, maxPixels: number): Promise<void> {
  const { width, height } = await dimensions(data);
  if (width && height && width * height > maxPixels) {
    throw new ImlageError('IMLAGE_ERR_INPUT', `${name}: ${width}x${height} is ${width * height} pixels, over the server's limit of ${maxPixels} ([serve] max_pixels)`);
  }
}
