// fast mode's header read for JPEG and PNG (issue #9): the fields probeImage
// needs (size, channels, sample depth, progressive, EXIF orientation) read
// from the bytes in JS, without libvips' header read (a trip through the
// vips lock and libuv's pool, about 0.5 ms of CPU a file, for a header the
// addon's decoder reads again anyway). It answers only where it is sure to
// say what libvips says (tests/unit/quick-header.test.ts holds it to that on
// real photos); anything unusual returns undefined and libvips reads the
// header as before: a frame it cannot find, a sample depth other than 8, a
// PNG with tRNS (libvips adds an alpha band) or eXIf, a JPEG with more than
// one EXIF block or whose orientation is not a SHORT of 1..8 in IFD0 (or
// that libexif might find elsewhere).

import { jpegStructure, type JpegStructure } from './jpeg-scans.js';
import type { ImageHeader } from './probe.js';
import type { ImageFormat } from './sniff.js';

const ORIENTATION = 0x0112;
const SHORT = 3;

const EXIF_IFD = 0x8769;
const GPS_IFD = 0x8825;
const INTEROP_IFD = 0xa005;

/**
 * EXIF orientation from a TIFF block: 1 when it has none, undefined when
 * unsure. libexif (libvips' EXIF reader) takes the tag from the first of
 * IFD0, IFD1, the EXIF, GPS and interoperability IFDs that has it: IFD0's
 * is taken here; without one there, an orientation anywhere else, or an IFD
 * that does not fit the block, leaves the answer to libvips.
 */
function orientationOf(b: Uint8Array, [start, end]: [number, number]): number | undefined {
  if (end - start < 8) return undefined;
  const dv = new DataView(b.buffer, b.byteOffset + start, end - start);
  const order = dv.getUint16(0);
  if (order !== 0x4949 && order !== 0x4d4d) return undefined;
  const le = order === 0x4949;
  if (dv.getUint16(2, le) !== 42) return undefined;
  const seen = new Set<number>();
  let found: number | undefined;
  /** Walks one IFD: false when it does not fit or holds an orientation libvips must judge. */
  const walk = (ifd: number, first: boolean): boolean => {
    if (seen.has(ifd) || seen.size > 8) return false;
    seen.add(ifd);
    if (ifd < 8 || ifd + 2 > dv.byteLength) return false;
    const n = dv.getUint16(ifd, le);
    if (ifd + 2 + n * 12 + 4 > dv.byteLength) return false;
    const next: number[] = [];
    for (let k = 0; k < n; k++) {
      const at = ifd + 2 + k * 12;
      const tag = dv.getUint16(at, le);
      if (tag === ORIENTATION) {
        if (!first || dv.getUint16(at + 2, le) !== SHORT || dv.getUint32(at + 4, le) !== 1) return false;
        found = dv.getUint16(at + 8, le);
      } else if (tag === EXIF_IFD || tag === GPS_IFD || tag === INTEROP_IFD) {
        next.push(dv.getUint32(at + 8, le));
      }
    }
    if (first) {
      if (found !== undefined) return true; // IFD0 is searched first
      const ifd1 = dv.getUint32(ifd + 2 + n * 12, le);
      if (ifd1 !== 0) next.push(ifd1);
    }
    return next.every((o) => walk(o, false));
  };
  if (!walk(dv.getUint32(4, le), true)) return undefined;
  if (found === undefined) return 1;
  return found >= 1 && found <= 8 ? found : undefined;
}

function jpegHeader(b: Uint8Array, s: JpegStructure): ImageHeader | undefined {
  const f = s.frame;
  if (!f || f.precision !== 8 || f.width < 1 || f.height < 1 || ![1, 3, 4].includes(f.components)) return undefined;
  if (s.exif.length > 1) return undefined;
  const orientation = s.exif.length === 1 ? orientationOf(b, s.exif[0]!) : 1;
  if (orientation === undefined) return undefined;
  return { format: 'jpeg', width: f.width, height: f.height, channels: f.components, bytesPerSample: 1, progressive: f.progressive, orientation };
}

const be32 = (b: Uint8Array, at: number) => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
const type = (b: Uint8Array, at: number) => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 };

function pngHeader(b: Uint8Array): ImageHeader | undefined {
  if (b.length < 33 || be32(b, 8) !== 13 || type(b, 12) !== 'IHDR') return undefined;
  const width = be32(b, 16);
  const height = be32(b, 20);
  const depth = b[24]!;
  const colour = b[25]!;
  const interlace = b[28]!;
  const channels = CHANNELS[colour];
  if (channels === undefined || width < 1 || height < 1 || width > 0x7fffffff || height > 0x7fffffff || interlace > 1) return undefined;
  if (![1, 2, 4, 8, 16].includes(depth)) return undefined;
  // tRNS adds an alpha band in libvips, eXIf may hold an orientation: walk the chunk headers (not their data) to IEND.
  for (let at = 33; at + 8 <= b.length;) {
    const t = type(b, at + 4);
    if (t === 'tRNS' || t === 'eXIf') return undefined;
    if (t === 'IEND') break;
    at += 12 + be32(b, at);
  }
  return { format: 'png', width, height, channels, bytesPerSample: depth === 16 ? 2 : 1, progressive: interlace === 1, orientation: 1 };
}

/**
 * The header of a JPEG or PNG as libvips would give it, or undefined where
 * libvips must read it. `jpeg` is the file's jpegStructure when the caller
 * has walked it already.
 */
export function quickHeader(bytes: Uint8Array, format: ImageFormat, jpeg?: JpegStructure): ImageHeader | undefined {
  if (format === 'jpeg') return jpegHeader(bytes, jpeg ?? jpegStructure(bytes));
  if (format === 'png') return pngHeader(bytes);
  return undefined;
}
