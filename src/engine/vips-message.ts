// libvips' messages, made into one clear line: noise dropped (retried seeks,
// tile numbers, counts), its generic wrappers ("Input buffer has corrupt
// header:" with nothing after it, "unsupported image format" for a file that
// is one) replaced by what they mean, and the format and size appended so a
// message such as "unable to read pixels" can be told from running out of memory.

import { RAISE } from './limits.js';

const NOISE = [
  /^source: bad seek/,
  /^read gave \d+ warnings?$/,
  /^error in tile \d+ x \d+$/,
  /^VipsImage: killed for image/,
  /^Warning treated as error due to failOn setting$/,
];

const CORRUPT_HEADER = /^Input (?:buffer|file) has corrupt header:\s*/;
const UNSUPPORTED = /^Input (?:buffer|file) contains unsupported image format$/;
const TIMEOUT = /^timeout: \d+% complete$/;
const OUT_OF_MEMORY = /out of memory|unable to allocate|memory allocation failed|cannot allocate|bad_alloc/i;

/** Warnings that mean pixels are missing or wrong (not merely odd metadata or stray bytes). */
const DATA_LOSS = /premature end|unexpected end|end of file|truncat|not enough (?:image )?data|bad huffman code|bad arithmetic code|instead of RST|\bIO error\b|read error/i;
const ENDS_EARLY = /premature end|unexpected end|end of file|truncat|not enough|\bIO error\b|read error/i;

/** libjpeg warnings that lose no pixel: sharp's 'warning' level fails on them, imlage does not. */
const HARMLESS = [
  /Corrupt JPEG data: \d+ extraneous bytes before marker/,
  /unknown JFIF revision number/,
  /Unknown Adobe color transform code/,
  /Invalid SOS parameters for sequential JPEG/,
  /Corrupt JPEG data: bad ICC marker/,
];

export interface MessageContext {
  /** "JPEG", "PNG", ... */
  format: string;
  width?: number;
  height?: number;
  /** The decode's estimated memory, for out-of-memory messages. */
  bytes?: number;
  timeoutSeconds: number;
}

export function timeoutMessage(limits: { timeoutSeconds: number }, what = 'decoding'): string {
  return `${what} took longer than ${limits.timeoutSeconds} s (${RAISE.timeout})`;
}

function lines(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (l && !NOISE.some((re) => re.test(l)) && !out.includes(l)) out.push(l);
  }
  return out;
}

function withContext(what: string, c: MessageContext): string {
  return c.width !== undefined ? `${what} (${c.format}, ${c.width}×${c.height})` : what;
}

const paren = (parts: string[]) => (parts.length ? ` (${parts.join('; ')})` : '');

/** Whether a failure under failOn 'warning' was only warnings that lose no pixel. */
export function onlyHarmlessWarnings(message: string): boolean {
  const l = lines(message);
  return l.length > 0 && l.every((x) => HARMLESS.some((re) => re.test(x)));
}

/** One line for a failed sharp call, from its message and the warnings it gave when run alone. */
export function describeVipsFailure(message: string, warnings: string[], c: MessageContext): string {
  const [first = '', ...rest] = lines(message);
  const warned = lines(warnings.join('\n'));
  if (TIMEOUT.test(first)) return withContext(timeoutMessage(c), c);
  if (CORRUPT_HEADER.test(first)) {
    const detail = [first.replace(CORRUPT_HEADER, ''), ...rest].filter(Boolean);
    return withContext(`the ${c.format} header is corrupt or cut short${paren(detail.length ? detail : warned)}`, c);
  }
  if (UNSUPPORTED.test(first)) {
    return withContext(`the ${c.format} structure cannot be read (it may be cut short or corrupt)${paren([...rest, ...warned])}`, c);
  }
  const all = [first, ...rest].filter(Boolean);
  if (all.some((l) => OUT_OF_MEMORY.test(l))) {
    const need = c.bytes ? `, about ${Math.ceil(c.bytes / 1024 / 1024)} MiB needed` : '';
    return withContext(`not enough memory to decode it${need} (${all.join('; ')})`, c);
  }
  if (all.some((l) => DATA_LOSS.test(l))) {
    return withContext(`the ${c.format} data ${all.some((l) => ENDS_EARLY.test(l)) ? 'ends early' : 'is corrupt'} (${all.join('; ')})`, c);
  }
  let what = all.join('; ') || warned.join('; ') || 'libvips gave no reason';
  if (/unable to read pixels/.test(what)) what += ': corrupt data, or not enough memory';
  return withContext(what, c);
}

/** For a decode that succeeded alone: the warning that says pixels are missing, as a message; else undefined. */
export function dataLossMessage(warnings: string[], c: MessageContext): string | undefined {
  const lost = lines(warnings.join('\n')).filter((w) => DATA_LOSS.test(w));
  if (!lost.length) return undefined;
  const how = lost.some((w) => ENDS_EARLY.test(w)) ? 'ends early' : 'is corrupt';
  return withContext(`the ${c.format} data ${how} (${lost.join('; ')})`, c);
}
