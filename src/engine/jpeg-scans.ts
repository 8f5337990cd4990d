// A walk over a JPEG's markers, without decoding: how many scans it has,
// whether its first scan carries any data, and where its frame header and
// EXIF blocks are (fast mode reads its header from them: quick-header.ts). Each scan of a progressive JPEG is
// a pass of the decoder over the whole picture, so a small file with
// thousands of near-empty scans costs minutes; counting SOS markers finds it
// in microseconds.

export interface JpegStructure {
  /** SOS markers before the end of the first image. */
  scans: number;
  /** Bytes of entropy-coded data after the first scan header. */
  firstScanBytes: number;
  /** The first frame header (SOFn) before the first scan, when there is one and it is whole. */
  frame?: JpegFrame;
  /** Where each APP1 segment that starts with "Exif\0\0" holds its TIFF data (start, end), in file order. */
  exif: [number, number][];
}

export interface JpegFrame {
  width: number;
  height: number;
  components: number;
  /** Bits per sample: 8 for almost every JPEG, 12 for some medical ones. */
  precision: number;
  /** SOF2, SOF6, SOF10, SOF14: scans refine the picture in passes. */
  progressive: boolean;
}

const SOS = 0xda;
const EOI = 0xd9;
const APP1 = 0xe1;

// SOF0-3, 5-7, 9-11, 13-15; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames.
const isFrame = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
const EXIF = [0x45, 0x78, 0x69, 0x66, 0, 0];

const standalone = (m: number) => m === 0x01 || (m >= 0xd0 && m <= 0xd8);

/** Walks the markers from SOI to EOI (or the end of the bytes). */
export function jpegStructure(b: Uint8Array): JpegStructure {
  let scans = 0;
  let firstScanBytes = 0;
  let frame: JpegFrame | undefined;
  const exif: [number, number][] = [];
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
    const end = Math.min(i + len, b.length);
    if (isFrame(m) && scans === 0 && !frame && len >= 8 && i + 8 <= b.length) {
      frame = {
        precision: b[i + 2]!, height: (b[i + 3]! << 8) | b[i + 4]!, width: (b[i + 5]! << 8) | b[i + 6]!, components: b[i + 7]!,
        progressive: m === 0xc2 || m === 0xc6 || m === 0xca || m === 0xce,
      };
    } else if (m === APP1 && scans === 0 && len >= 8 && EXIF.every((x, k) => b[i + 2 + k] === x)) {
      exif.push([i + 8, end]);
    }
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
  return { scans, firstScanBytes, exif, ...(frame ? { frame } : {}) };
}
