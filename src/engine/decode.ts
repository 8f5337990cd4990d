// Decoding with sharp (libvips) from bytes already read and probed: EXIF
// orientation applied, alpha dropped, grey and CMYK converted to sRGB, always
// 3 channels of uint8.
//
// Why failOn 'warning': libvips' 'truncated' level fails only when the
// input runs out. A JPEG cut short and given an end marker (or a scan header
// with no data after it) does not run out: libjpeg meets the marker early,
// warns "premature end of data segment", fills the rest with grey, and
// 'truncated' lets the picture through. 'warning' fails on it, but also on a
// few harmless libjpeg warnings (stray bytes before a marker, an unknown
// JFIF revision). So a decode that fails runs again alone (vips-lock.ts),
// where the message is its own; if that message is only such a harmless
// warning, it is decoded once more, alone, under 'truncated'.

import sharp, { type Sharp } from 'sharp';
import { ImlageError, errorMessage } from '../errors.js';
import type { ImageInput } from '../binding/types.js';
import type { FastKernel } from '../plugins/manifest.js';
import type { DecodeLimits } from './limits.js';
import { decodeBytes, type ImageHeader } from './probe.js';
import { FORMAT_NAMES } from './sniff.js';
import { vipsDecode } from './vips-lock.js';
import { dataLossMessage, describeVipsFailure, onlyHarmlessWarnings, timeoutMessage, type MessageContext } from './vips-message.js';

export interface DecodeRequest {
  bytes: Uint8Array;
  header: ImageHeader;
  /** The name used in messages. */
  file: string;
  limits: DecodeLimits;
  /** Aborted when the engine has given up on this image (time limit). */
  signal?: AbortSignal;
}

type FailOn = 'warning' | 'truncated';

function pipeline(req: DecodeRequest, failOn: FailOn): Sharp {
  return sharp(req.bytes, { failOn, limitInputPixels: req.limits.maxPixels })
    .timeout({ seconds: req.limits.timeoutSeconds })
    .rotate()
    .removeAlpha()
    .toColourspace('srgb');
}

async function run(req: DecodeRequest, build: (failOn: FailOn) => Sharp): Promise<ImageInput> {
  const h = req.header;
  const context: MessageContext = {
    format: FORMAT_NAMES[h.format], width: h.width, height: h.height, bytes: decodeBytes(h), timeoutSeconds: req.limits.timeoutSeconds,
  };
  const fail = (why: string, cause?: unknown) => new ImlageError('IMLAGE_ERR_DECODE', `cannot decode ${req.file}: ${why}`, { cause });
  const once = async (failOn: FailOn, warnings?: string[]): Promise<ImageInput> => {
    const p = build(failOn);
    if (warnings) p.on('warning', (w: string) => warnings.push(w));
    const t0 = performance.now();
    try {
      const { data, info } = await p.raw().toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height, channels: info.channels };
    } catch (err) {
      // sharp's timeout kills the pipeline; a call that ran that long is not run again.
      if (performance.now() - t0 >= req.limits.timeoutSeconds * 1000) throw fail(timeoutMessage(req.limits), err);
      throw err;
    }
  };
  return vipsDecode(async (alone) => {
    if (!alone) return once('warning');
    const warnings: string[] = [];
    try {
      return await once('warning', warnings);
    } catch (err) {
      if (err instanceof ImlageError) throw err;
      const message = errorMessage(err);
      if (!onlyHarmlessWarnings(message)) throw fail(describeVipsFailure(message, warnings, context), err);
    }
    const more: string[] = [];
    let img;
    try {
      img = await once('truncated', more);
    } catch (err) {
      if (err instanceof ImlageError) throw err;
      throw fail(describeVipsFailure(errorMessage(err), more, context), err);
    }
    const lost = dataLossMessage(more, context);
    if (lost) throw fail(lost);
    return img;
  }, req.signal);
}

/** The whole picture at full size, as the original tools decode it. */
export function decodeFull(req: DecodeRequest): Promise<ImageInput> {
  return run(req, (failOn) => pipeline(req, failOn));
}

/**
 * Straight to the model size (fast mode) for what the addon's own decoders
 * do not cover (native-decode.ts takes the rest): libvips shrinks JPEG and
 * WebP while decoding, then resizes with an antialiasing kernel.
 */
export async function decodeResized(req: DecodeRequest, width: number, height: number, kernel: FastKernel): Promise<ImageInput> {
  return run(req, (failOn) => pipeline(req, failOn).resize(width, height, { fit: 'fill', kernel }));
}

/** Another size from pixels already decoded (no second decode of the file). */
export async function resizeDecoded(img: ImageInput, width: number, height: number, kernel: FastKernel): Promise<ImageInput> {
  // Through the lock too: a call running while another file's failure is read again alone would disturb it.
  return vipsDecode(async () => {
    const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels as 3 | 4 } })
      .resize(width, height, { fit: 'fill', kernel })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  });
}
