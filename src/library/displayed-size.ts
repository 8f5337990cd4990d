// A photo's size as displayed (EXIF orientation applied): what a detector's
// region boxes are in pixels of, and what the library outputs normalise
// them against. Read from the header alone, in JS (image-size), from at most
// the first MiB of the file: a JPEG's EXIF and frame header come before its
// scans, and other formats give their size in the first few hundred bytes.

import { closeSync, openSync, readSync } from 'node:fs';
import { imageSize } from 'image-size';

const HEAD_BYTES = 1 << 20;

/** [width, height] as displayed, or undefined when the header cannot be read. */
export function displayedSizeOf(path: string): [number, number] | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, head, 0, HEAD_BYTES, 0);
    const s = imageSize(head.subarray(0, n));
    if (!s.width || !s.height) return undefined;
    // Orientations 5-8 turn the picture a quarter: the displayed width is the stored height.
    return (s.orientation ?? 1) >= 5 ? [s.height, s.width] : [s.width, s.height];
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
