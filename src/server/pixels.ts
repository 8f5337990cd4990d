// The pixel limit, checked from the image header alone (libvips reads no
// pixels for metadata()), so an oversized picture is refused before anything
// is decoded.

import sharp from 'sharp';
import { ImlageError } from '../errors.js';

export async function checkPixels(name: string, data: Uint8Array, maxPixels: number): Promise<void> {
  let width: number | undefined;
  let height: number | undefined;
  try {
    ({ width, height } = await sharp(data).metadata());
  } catch {
    // Not an image libvips knows: the engine's decode names the failure, as for the CLI.
    return;
  }
  if (width && height && width * height > maxPixels) {
    throw new ImlageError('IMLAGE_ERR_INPUT', `${name}: ${width}x${height} is ${width * height} pixels, over the server's limit of ${maxPixels} ([serve] max_pixels)`);
  }
}
