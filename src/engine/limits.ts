// What one input file may cost the engine, checked before it is decoded.
// Defaults suit tagging: models look at a few hundred pixels, so a picture
// above the largest camera sensors, a file above a few hundred MiB or a JPEG
// with more scans than any encoder writes is far more likely hostile than
// wanted. Each limit is an Engine option and a config.toml key.

import { ImlageError } from '../errors.js';

export interface DecodeLimits {
  /** Largest picture, in pixels (width x height from the header). */
  maxPixels: number;
  /** Largest file read, in bytes. */
  maxFileBytes: number;
  /** Most scans in a JPEG (progressive JPEGs have about 10; each scan costs a pass over the picture). */
  maxJpegScans: number;
  /** Longest decode of one image, in seconds. */
  timeoutSeconds: number;
  /** Decoded pixels held at once, in bytes; a picture whose decode needs more is refused. */
  maxDecodedBytes: number;
}

export const DEFAULT_LIMITS = {
  maxPixels: 100_000_000,
  maxFileMiB: 256,
  maxJpegScans: 100,
  timeoutSeconds: 30,
  maxDecodedMiB: 512,
} as const;

export interface LimitSettings {
  maxPixels?: number;
  maxFileMiB?: number;
  maxJpegScans?: number;
  decodeTimeoutSeconds?: number;
  maxDecodedMiB?: number;
}

const MIB = 1024 * 1024;

function check(name: string, v: number | undefined, fallback: number, opts: { integer?: boolean; min: number; max: number }): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || Number.isNaN(v) || v < opts.min || v > opts.max || (opts.integer && !Number.isInteger(v))) {
    throw new ImlageError('IMLAGE_ERR_INVALID_ARG',
      `${name} must be ${opts.integer ? 'an integer' : 'a number'} from ${opts.min} to ${opts.max}, got ${String(v)}`);
  }
  return v;
}

/** Engine options win over config.toml's [decode] keys, which win over the defaults. */
export function resolveLimits(options: LimitSettings, config: LimitSettings = {}): DecodeLimits {
  const pick = <K extends keyof LimitSettings>(k: K) => options[k] ?? config[k];
  return {
    maxPixels: check('maxPixels', pick('maxPixels'), DEFAULT_LIMITS.maxPixels, { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER }),
    maxFileBytes: Math.floor(check('maxFileMiB', pick('maxFileMiB'), DEFAULT_LIMITS.maxFileMiB, { min: 1 / MIB, max: 1024 * 1024 }) * MIB),
    maxJpegScans: check('maxJpegScans', pick('maxJpegScans'), DEFAULT_LIMITS.maxJpegScans, { integer: true, min: 1, max: 1_000_000 }),
    // sharp's pipeline timeout counts whole seconds.
    timeoutSeconds: check('decodeTimeoutSeconds', pick('decodeTimeoutSeconds'), DEFAULT_LIMITS.timeoutSeconds, { integer: true, min: 1, max: 3600 }),
    maxDecodedBytes: Math.floor(check('maxDecodedMiB', pick('maxDecodedMiB'), DEFAULT_LIMITS.maxDecodedMiB, { min: 1, max: 1024 * 1024 }) * MIB),
  };
}

/** How a user raises a limit, for messages. */
export const RAISE = {
  maxPixels: 'maxPixels (config [decode] max_pixels, --max-pixels)',
  maxFileMiB: 'maxFileMiB (config [decode] max_file_mib)',
  maxJpegScans: 'maxJpegScans (config [decode] max_jpeg_scans)',
  timeout: 'decodeTimeoutSeconds (config [decode] timeout_s)',
  maxDecodedMiB: 'maxDecodedMiB (config [decode] max_decoded_mib)',
} as const;
