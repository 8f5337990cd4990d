// fast mode's decode through the addon's own decoders (native/src/decode/):
// libjpeg-turbo at the smallest DCT scale that keeps the model's size, a
// progressive JPEG stopped once that scale has its data, then an area
// resize, on the addon's decode threads (no libvips lock, no libuv thread).
// What they do not cover (CMYK, 12-bit, and every other format) answers
// 'unsupported' and is decoded by sharp as before. Embedded ICC profiles are
// not applied on this path (docs/performance.md).

import { ImlageError } from '../errors.js';
import { loadAddon } from '../native/binding.js';
import type { DecoderInfo, ImageInput, NativeDecodeFailure } from '../native/types.js';
import type { DecodeRequest } from './decode.js';
import { RAISE } from './limits.js';
import { decodeBytes } from './probe.js';
import { FORMAT_NAMES } from './sniff.js';
import { describeVipsFailure, timeoutMessage, type MessageContext } from './vips-message.js';

let info: DecoderInfo | undefined;

const DECODER: Partial<Record<DecodeRequest['header']['format'], string>> = { jpeg: 'libjpeg', png: 'imlage png' };

/** What this binary's native decoders cover (cached; the addon cannot change). */
export function nativeDecoders(): DecoderInfo {
  info ??= loadAddon().decoderInfo();
  return info;
}

function covers(format: DecodeRequest['header']['format']): boolean {
  const d = nativeDecoders();
  return (format === 'jpeg' && d.jpeg) || (format === 'png' && d.png);
}

/** One line for a native decoder's refusal, in the wording the sharp path uses. */
function describe(reason: NativeDecodeFailure, message: string, req: DecodeRequest): string {
  const h = req.header;
  const c: MessageContext = {
    format: FORMAT_NAMES[h.format], width: h.width, height: h.height, bytes: decodeBytes(h), timeoutSeconds: req.limits.timeoutSeconds,
  };
  switch (reason) {
    case 'timed-out': return timeoutMessage(req.limits);
    case 'too-large': return /memory/.test(message)
      ? describeVipsFailure(message, [], c)
      : `${message}; raise ${RAISE.maxPixels} to read it`;
    // The decoder is named as libvips names its own ("VipsJpeg: ..."), so a report tells the paths apart.
    default: return /scans/.test(message) ? `${message}; raise ${RAISE.maxJpegScans}` : describeVipsFailure(`${DECODER[h.format]}: ${message}`, [], c);
  }
}

/**
 * The picture at width x height through the native decoders, or undefined
 * when they do not cover it (the caller decodes it with sharp).
 */
export async function decodeNative(req: DecodeRequest, width: number, height: number): Promise<ImageInput | undefined> {
  if (!covers(req.header.format)) return undefined;
  try {
    return await loadAddon().decodeToSize(req.bytes, {
      width,
      height,
      orientation: req.header.orientation,
      maxPixels: req.limits.maxPixels,
      maxScans: req.limits.maxJpegScans,
      timeoutMs: req.limits.timeoutSeconds * 1000,
      signal: req.signal,
    });
  } catch (err) {
    const reason = (err as { reason?: NativeDecodeFailure }).reason;
    if (reason === 'unsupported') return undefined;
    if (!reason) throw err;
    throw new ImlageError('IMLAGE_ERR_DECODE', `cannot decode ${req.file}: ${describe(reason, (err as Error).message, req)}`, { cause: err });
  }
}
