// A walk over a JPEG's markers, without decoding: how many scans it has and
// whether its first scan carries any data. Each scan of a progressive JPEG is
// a pass of the decoder over the whole picture, so a small file with
// thousands of near-empty scans costs minutes; counting SOS markers finds it
// in microseconds.

export interface JpegStructure {
  /** SOS markers before the end of the first image. */
  scans: number;
  /** Bytes of entropy-coded data after the first scan header. */
  firstScanBytes: number;
}

const SOS = 0xda;
const EOI = 0xd9;

const standalone = (m: number) => m === 0x01 || (m >= 0xd0 && m <= 0xd8);

/** Walks the markers from SOI to EOI (or the end of the bytes). */
export function jpegStructure(b: Uint8Array): JpegStructure {
  let scans = 0;
  let firstScanBytes = 0;
  let i = 2; // after SOI
  while (i + 1 < b.length) {
    if (b[i] !== 0xff) {
      i++; // junk between segments: libjpeg skips it with a warning
      continue;
    }
    const m = b[i + 1]!;
    if (m === 0xff) {
      i++; // fill byte
      continue;
    }
    i += 2;
    if (m === EOI) break;
    if (standalone(m)) continue;
    if (i + 1 >= b.length) break;
    const len = (b[i]! << 8) | b[i + 1]!;
    i += len;
    if (m !== SOS) continue;
    // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or a restart marker.
    const start = i;
    for (;;) {
      i = b.indexOf(0xff, i);
      if (i < 0 || i + 1 >= b.length) {
        i = b.length;
        break;
      }
      const next = b[i + 1]!;
      if (next === 0 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) i += next === 0xff ? 1 : 2;
      else break;
    }
    if (scans++ === 0) firstScanBytes = Math.max(0, Math.min(i, b.length) - start);
  }
  return { scans, firstScanBytes };
}
