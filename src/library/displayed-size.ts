// A photo's size as displayed (EXIF orientation applied): what a detector's
// region boxes are in pixels of, and what the library outputs normalise
// them against. Read from the header alone, in JS (image-size), from the
// file's first 64 KiB, or its first MiB when a JPEG's metadata segments run
// longer: they and the frame header come before the scans, and other
// formats give their size in the first few hundred bytes.

import { closeSync, openSync, readSync } from 'node:fs';
import { imageSize } from 'image-size';

// 64 KiB holds nearly every header; a JPEG with large EXIF or ICC segments first gets the MiB.
const HEAD_BYTES = [64 << 10, 1 << 20];

function sizeIn(head: Buffer): [number, number] | undefined {
  try {
    const s = imageSize(head);
    if (!s.width || !s.height) return undefined;
    // Orientations 5-8 turn the picture a quarter: the displayed width is the stored height.
    return (s.orientation ?? 1) >= 5 ? [s.height, s.width] : [s.width, s.height];
  } catch {
    return undefined;
  }
}

/** [width, height] as displayed, or undefined when the header cannot be read. */
export function displayedSizeOf(path: string): [number, number] | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    for (const bytes of HEAD_BYTES) {
      const head = Buffer.alloc(bytes);
      const n = readSync(fd, head, 0, bytes, 0);
      const size = sizeIn(head.subarray(0, n));
      if (size || n < bytes) return size;
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
