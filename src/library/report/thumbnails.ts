// Thumbnails for the report: made with sharp once per content hash and kept
// in the cache folder, so a second report reads them instead of decoding.

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { cacheDir } from '../../paths.js';
import { writeAtomic } from '../xmp/sidecar.js';

export const THUMB_SIZE = 240;

export function thumbsDir(): string {
  return join(cacheDir(), 'thumbs');
}

/** A WebP thumbnail of the image as a data: URL, or undefined when the file cannot be read or decoded. */
export async function thumbnail(path: string, hash: string, dir = thumbsDir()): Promise<string | undefined> {
  const cached = join(dir, `${hash}-${THUMB_SIZE}.webp`);
  let bytes: Buffer | undefined;
  try {
    bytes = readFileSync(cached);
  } catch {
    try {
      bytes = await sharp(path, { limitInputPixels: 100_000_000, failOn: 'none' })
        .rotate().resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 72 }).toBuffer();
    } catch {
      return undefined;
    }
    try {
      mkdirSync(dir, { recursive: true });
      writeAtomic(cached, bytes);
    } catch {
      // An unwritable cache only costs the next report a decode.
    }
  }
  return `data:image/webp;base64,${bytes.toString('base64')}`;
}
