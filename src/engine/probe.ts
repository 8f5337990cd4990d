// An image's header, read before any pixel is decoded: the format from the
// first bytes, the JPEG scan count from its markers, then size and layout
// from libvips' header read (in fast mode, for most JPEGs and PNGs, from
// quick-header.ts instead). Everything a file could make the decoder spend
// is checked here against the limits, and the memory its decode needs is
// estimated so the engine can reserve it first.

import sharp, { type Metadata } from 'sharp';
import { ImlageError, errorMessage } from '../errors.js';
import { jpegStructure, type JpegStructure } from './jpeg-scans.js';
import { quickHeader } from './quick-header.js';
import { RAISE, type DecodeLimits } from './limits.js';
import { FORMAT_NAMES, sniffFormat, type ImageFormat } from './sniff.js';
import { vipsCall } from './vips-lock.js';
import { describeVipsFailure } from './vips-message.js';

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  channels: number;
  bytesPerSample: number;
  /** A progressive JPEG or an interlaced PNG: the decoder holds the whole picture. */
  progressive: boolean;
  /** EXIF orientation, 1-8. */
  orientation: number;
}

function refuse(file: string, why: string, cause?: unknown): ImlageError {
  return new ImlageError('IMLAGE_ERR_DECODE', `cannot decode ${file}: ${why}`, { cause });
}

function megapixels(px: number): string {
  const mp = px / 1e6;
  return mp >= 10 ? String(Math.round(mp)) : String(Number(mp.toPrecision(2)));
}

const SAMPLE_BYTES: Record<string, number> = { uchar: 1, char: 1, ushort: 2, short: 2, uint: 4, int: 4, float: 4, double: 8 };

/**
 * Peak memory of one decode, in bytes: the 3-byte RGB output plus what the
 * loader holds besides it. Measured with libvips 8.18 (peak RSS over output
 * size, exact mode, which bounds fast mode): JPEG 3.3 bytes a pixel,
 * progressive JPEG 6.4 (4:2:0) to 9.7 (4:4:4) for its coefficient buffer,
 * PNG and TIFF 3.3-3.9, WebP 8.1, GIF 7.3, AVIF 20; a quarter turn from EXIF
 * orientation copies the picture once more.
 */
export function decodeBytes(h: ImageHeader): number {
  const bands = Math.max(3, h.channels);
  let loader: number;
  switch (h.format) {
    case 'jpeg': loader = h.progressive ? 2 * h.channels + 1 : 1; break;
    case 'png': loader = h.progressive ? bands * h.bytesPerSample + 1 : 1; break;
    case 'tiff': loader = bands * h.bytesPerSample; break;
    case 'webp': case 'gif': loader = 6; break;
    case 'heif': loader = 18 * h.bytesPerSample; break;
  }
  const turn = h.orientation >= 5 ? 3 : 0;
  return h.width * h.height * (3 + loader + turn);
}

async function readHeader(bytes: Uint8Array, file: string, format: ImageFormat, signal?: AbortSignal): Promise<Metadata> {
  return vipsCall(async (alone) => {
    const warnings: string[] = [];
    // The header only: nothing is decoded, so no pixel limit yet (the size is checked below, with a clear message).
    const s = sharp(bytes, { limitInputPixels: false });
    if (alone) s.on('warning', (w: string) => warnings.push(w));
    try {
      return await s.metadata();
    } catch (err) {
      if (!alone) throw err;
      throw refuse(file, describeVipsFailure(errorMessage(err), warnings, { format: FORMAT_NAMES[format], timeoutSeconds: 0 }), err);
    }
  }, signal);
}

/**
 * The header of an image file's bytes, or a clear IMLAGE_ERR_DECODE for what
 * may not be decoded. `quick` (fast mode): a JPEG's or PNG's header is read
 * in JS where that is sure to give what libvips gives (quick-header.ts), and
 * by libvips otherwise; the limits are the same either way.
 */
export async function probeImage(bytes: Uint8Array, file: string, limits: DecodeLimits, signal?: AbortSignal, quick = false): Promise<ImageHeader> {
  const format = sniffFormat(bytes, file);
  const name = FORMAT_NAMES[format];
  let jpeg: JpegStructure | undefined;
  if (format === 'jpeg') {
    const s = (jpeg = jpegStructure(bytes));
    if (s.scans > limits.maxJpegScans) {
      throw refuse(file, `the JPEG has ${s.scans} scans, more than the limit of ${limits.maxJpegScans} (${RAISE.maxJpegScans}); ` +
        'encoders write about 10, and each scan costs a pass over the whole picture');
    }
    if (s.scans === 0) throw refuse(file, 'the JPEG has no image data (no scan marker: its headers are corrupt, or it was cut short)');
    if (s.firstScanBytes === 0) throw refuse(file, 'the JPEG has no image data after its header');
  }
  const header = (quick ? quickHeader(bytes, format, jpeg) : undefined) ?? await vipsHeader(bytes, file, format, signal);
  const { width, height } = header;
  if (width * height > limits.maxPixels) {
    throw refuse(file, `the ${name} is ${width}×${height} (${megapixels(width * height)} megapixels), more than the ` +
      `${megapixels(limits.maxPixels)}-megapixel limit; raise ${RAISE.maxPixels} to read it`);
  }
  return header;
}

async function vipsHeader(bytes: Uint8Array, file: string, format: ImageFormat, signal?: AbortSignal): Promise<ImageHeader> {
  const name = FORMAT_NAMES[format];
  const md = await readHeader(bytes, file, format, signal);
  if (md.format !== format) {
    throw refuse(file, `its first bytes say ${name} but libvips reads it as ${String(md.format)}; refused`);
  }
  const width = md.width ?? 0;
  const height = md.height ?? 0;
  if (width < 1 || height < 1) throw refuse(file, `the ${name} header gives no size (${width}×${height})`);
  return {
    format,
    width,
    height,
    channels: md.channels ?? 3,
    bytesPerSample: SAMPLE_BYTES[md.depth ?? 'uchar'] ?? 1,
    progressive: md.isProgressive ?? false,
    orientation: md.orientation ?? 1,
  };
}
