// Which format a file is, from its first bytes, and whether imlage reads it.
// Only an allow-list reaches libvips. SVG is refused: librsvg resolves the
// files an SVG refers to (<image href>, <use>, XInclude, stylesheets), so
// rendering one would read files nobody gave imlage.

import { ImlageError } from '../errors.js';

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'heif';

export const FORMAT_NAMES: Record<ImageFormat, string> = {
  jpeg: 'JPEG', png: 'PNG', webp: 'WebP', gif: 'GIF', tiff: 'TIFF', heif: 'AVIF/HEIF',
};

const ALLOWED = Object.values(FORMAT_NAMES).join(', ');

// Brands of ISO base media files that are still pictures (AVIF, HEIC, HEIF).
const HEIF_BRANDS = new Set(['avif', 'avis', 'heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1', 'mif2']);

const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
const startsWith = (b: Uint8Array, bytes: number[], at = 0) => bytes.every((x, i) => b[at + i] === x);

function isoBrands(b: Uint8Array): string[] | undefined {
  if (b.length < 12 || ascii(b, 4, 8) !== 'ftyp') return undefined;
  const size = Math.min(b.length, ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0);
  const brands = [ascii(b, 8, 12)];
  for (let at = 16; at + 4 <= size; at += 4) brands.push(ascii(b, at, at + 4));
  return brands;
}

function tiffProblem(b: Uint8Array): string | undefined {
  const le = b[0] === 0x49;
  const big = (le ? b[2] : b[3]) === 43;
  if (big) return undefined; // BigTIFF: 64-bit offsets, left to libtiff
  if (b.length < 8) return 'the TIFF is cut short inside its header';
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const ifd = dv.getUint32(4, le);
  if (ifd + 2 > b.length) return `the TIFF is cut short: its image directory (at byte ${ifd}) lies past the end of the file (${b.length} bytes)`;
  return undefined;
}

/** What a refused file looks like, for the message. */
function lookalike(b: Uint8Array): string {
  let i = 0;
  if (startsWith(b, [0xef, 0xbb, 0xbf])) i = 3; // UTF-8 byte order mark
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d)) i++;
  const head = ascii(b, i, Math.min(b.length, i + 4096)).toLowerCase();
  if (head.startsWith('<')) {
    if (/<svg[\s>/]/.test(head) || (head.startsWith('<?xml') && head.includes('svg'))) return 'svg';
    if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'an HTML page';
    if (head.startsWith('<?xml')) return 'an XML document';
  }
  if (startsWith(b, [0x25, 0x50, 0x44, 0x46])) return 'a PDF document';
  if (startsWith(b, [0x1f, 0x8b])) return 'gzip-compressed data (an .svgz is refused like any SVG)';
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04])) return 'a ZIP archive';
  if (startsWith(b, [0x42, 0x4d])) return 'a BMP picture, which imlage does not read';
  if (startsWith(b, [0xff, 0x0a]) || startsWith(b, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) return 'a JPEG XL picture, which this build does not read';
  if (startsWith(b, [0x38, 0x42, 0x50, 0x53])) return 'a Photoshop document';
  const brands = isoBrands(b);
  if (brands) return `an ISO media file of brand "${brands[0]}" (a video?), not AVIF/HEIF`;
  const sample = b.subarray(0, 512);
  const printable = sample.filter((c) => c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127) || c >= 128).length;
  if (sample.length && printable === sample.length) return 'text';
  return 'data of an unknown kind';
}

/**
 * The format of `bytes`, or an IMLAGE_ERR_DECODE naming `file` and what the
 * bytes look like instead.
 */
export function sniffFormat(bytes: Uint8Array, file: string): ImageFormat {
  const refuse = (why: string) => new ImlageError('IMLAGE_ERR_DECODE', `cannot decode ${file}: ${why}`);
  const b = bytes;
  if (b.length === 0) throw refuse('the input is empty (0 bytes)');
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'webp';
  if (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a') return 'gif';
  if (startsWith(b, [0x49, 0x49, 0x2a, 0]) || startsWith(b, [0x4d, 0x4d, 0, 0x2a]) || startsWith(b, [0x49, 0x49, 0x2b, 0]) || startsWith(b, [0x4d, 0x4d, 0, 0x2b])) {
    const problem = tiffProblem(b);
    if (problem) throw refuse(problem);
    return 'tiff';
  }
  if (isoBrands(b)?.some((brand) => HEIF_BRANDS.has(brand))) return 'heif';
  const like = lookalike(b);
  if (like === 'svg') {
    throw refuse('it is an SVG drawing; imlage does not render SVG, because an SVG can make the renderer open other files ' +
      '(convert it to PNG first if you trust it, e.g. `rsvg-convert -o out.png in.svg`)');
  }
  throw refuse(`not an image imlage reads (${ALLOWED}): it looks like ${like}`);
}
