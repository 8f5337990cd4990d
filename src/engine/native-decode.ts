// fast mode's path for the files the addon's own decoders cover
// (native/src/decode/: libjpeg-turbo at the smallest DCT scale that keeps
// the model's size, a progressive JPEG stopped once that scale has its
// data, PNG through libdeflate; then an area resize): addon.submitEncoded
// decodes the bytes once on the addon's decode threads and queues the
// pixels straight into each plugin's native batch queue (an ONNX session's,
// an in-process SMI plugin's), so they never come back to JS; only an
// isolated plugin (its queue is in its child process) gets pixels back. What the decoders do not cover (CMYK, 12-bit, 16-bit or interlaced
// PNG, every other format) answers 'unsupported' and is decoded by sharp as
// before. Embedded ICC profiles are not applied on this path
// (docs/performance.md).

import { ImlageError } from '../errors.js';
import { loadAddon } from '../binding/binding.js';
import type { DecoderInfo, EncodedTarget, ImageInput, NativeDecodeFailure, SmiSubmitted, Submitted } from '../binding/types.js';
import type { DecodeRequest } from './decode.js';
import { RAISE } from './limits.js';
import type { BatchOptions } from './plugin.js';
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

/** Whether the native decoders may take this format (a file can still answer 'unsupported'). */
export function coversNatively(format: DecodeRequest['header']['format']): boolean {
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

export interface NativeSubmission {
  /**
   * The pixels asked for (in `pixels` order) once every target is queued;
   * undefined when the decoders do not cover this file (nothing was queued:
   * decode it with sharp). Rejects with the file's IMLAGE_ERR_DECODE.
   */
  decoded: Promise<ImageInput[] | undefined>;
  /** One per target; each rejects when the decode failed (the decoded promise says why). */
  results: Promise<Submitted | SmiSubmitted>[];
}

/** The file's bytes decoded once in the addon and queued into every target's batch queue. */
export function submitNative(req: DecodeRequest, targets: EncodedTarget[], pixels: { width: number; height: number }[], batch: BatchOptions): NativeSubmission {
  const sub = loadAddon().submitEncoded(req.bytes, targets, {
    ...batch,
    pixels,
    orientation: req.header.orientation,
    maxPixels: req.limits.maxPixels,
    maxScans: req.limits.maxJpegScans,
    timeoutMs: req.limits.timeoutSeconds * 1000,
    signal: req.signal,
  });
  const decoded = sub.decoded.then(({ images }) => images as ImageInput[], (err: unknown) => {
    const reason = (err as { reason?: NativeDecodeFailure }).reason;
    if (reason === 'unsupported') return undefined;
    if (!reason) throw err;
    throw new ImlageError('IMLAGE_ERR_DECODE', `cannot decode ${req.file}: ${describe(reason, (err as Error).message, req)}`, { cause: err });
  });
  return { decoded, results: sub.results };
}
