// Hostile inputs, built in the test instead of committed as binaries: tiny
// files that declare huge pictures, truncated and cut files of each format,
// a progressive JPEG with thousands of scans, SVGs that refer to other files,
// and file-system traps (FIFOs, symlink loops, symlinked folders).
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

const u16be = (n: number) => [(n >> 8) & 255, n & 255];
const u32be = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  return Buffer.concat([Buffer.from(u32be(data.length)), td, Buffer.from(u32be(crc32(td)))]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A PNG of `width` x `height`. `rows` of zero pixels are really encoded (all
 * of them by default: a valid picture that compresses to almost nothing);
 * fewer make a tiny file that declares a huge picture.
 */
export function png(width: number, height: number, opts: { rows?: number; colorType?: number; depth?: number; interlace?: boolean } = {}): Buffer {
  const colorType = opts.colorType ?? 2;
  const depth = opts.depth ?? 8;
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType as 0 | 2 | 4 | 6];
  const rowBytes = 1 + Math.ceil((width * channels * depth) / 8);
  const rows = opts.rows ?? height;
  const ihdr = Buffer.from([...u32be(width), ...u32be(height), depth, colorType, 0, 0, opts.interlace ? 1 : 0]);
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(rowBytes * rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A lossless WebP header declaring `width` x `height` (at most 16384), with no pixel data: 32 bytes. */
export function tinyWebp(width: number, height: number): Buffer {
  const bits = (width - 1) | ((height - 1) << 14); // 14 bits each, then alpha = 0, version = 0
  const vp8l = Buffer.from([0x2f, bits & 255, (bits >>> 8) & 255, (bits >>> 16) & 255, (bits >>> 24) & 255, 0, 0, 0]);
  const chunk = Buffer.concat([Buffer.from('VP8L'), Buffer.from([vp8l.length, 0, 0, 0]), vp8l]);
  const body = Buffer.concat([Buffer.from('WEBP'), chunk]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(body.length);
  return Buffer.concat([Buffer.from('RIFF'), size, body]);
}

/** A GIF whose screen and first frame are `width` x `height`, with almost no LZW data. */
export function tinyGif(width: number, height: number): Buffer {
  const le = (n: number) => [n & 255, n >> 8];
  return Buffer.from([
    ...Buffer.from('GIF89a'), ...le(width), ...le(height), 0x80, 0, 0, // global colour table of 2
    0, 0, 0, 255, 255, 255,
    0x2c, 0, 0, 0, 0, ...le(width), ...le(height), 0, // image descriptor
    2, 2, 0x4c, 0x01, 0, // LZW: clear code, end code
    0x3b,
  ]);
}

/** A little-endian, uncompressed grey TIFF header of `width` x `height` whose strip lies past the end of the file. */
export function tinyTiff(width: number, height: number): Buffer {
  const entries: [number, number, number, number][] = [
    [256, 4, 1, width], [257, 4, 1, height], [258, 3, 1, 8], [259, 3, 1, 1], [262, 3, 1, 1],
    [273, 4, 1, 4096], [277, 3, 1, 1], [278, 4, 1, 1], [279, 4, 1, width],
  ];
  const b = Buffer.alloc(8 + 2 + entries.length * 12 + 4);
  b.write('II', 0, 'latin1');
  b.writeUInt16LE(42, 2);
  b.writeUInt32LE(8, 4);
  b.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, count, value], i) => {
    const o = 10 + i * 12;
    b.writeUInt16LE(tag, o);
    b.writeUInt16LE(type, o + 2);
    b.writeUInt32LE(count, o + 4);
    if (type === 3) b.writeUInt16LE(value, o + 8);
    else b.writeUInt32LE(value, o + 8);
  });
  return b;
}

/** A small real AVIF whose `ispe` box (the size every reader trusts first) is rewritten to `width` x `height`. */
export async function avifDeclaring(width: number, height: number): Promise<Buffer> {
  const b = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).avif({ quality: 30, effort: 0 }).toBuffer();
  const at = b.indexOf('ispe');
  if (at < 0) throw new Error('no ispe box in the AVIF sharp wrote');
  b.writeUInt32BE(width, at + 8); // after 'ispe', version and flags
  b.writeUInt32BE(height, at + 12);
  return b;
}

/**
 * A grey progressive JPEG of `width` x `height` with `scans` scans: one DC
 * scan, then AC scans that are each a few end-of-band runs long. Every scan
 * makes the decoder walk the whole picture, so a small file costs minutes.
 */
export function manyScansJpeg(width: number, height: number, scans: number): Buffer {
  const out: number[] = [0xff, 0xd8];
  const seg = (marker: number, body: number[]) => out.push(0xff, marker, ...u16be(body.length + 2), ...body);
  const oneCode = (symbol: number, table: number) => [table, 1, ...new Array(15).fill(0), symbol]; // one code: '0'
  seg(0xdb, [0, ...new Array(64).fill(1)]);
  seg(0xc2, [8, ...u16be(height), ...u16be(width), 1, 1, 0x11, 0]);
  seg(0xc4, oneCode(0x00, 0x00)); // DC: every difference is 0
  seg(0xc4, oneCode(0xe0, 0x10)); // AC: an end-of-band run of 2^14 + 14 more bits
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const entropy = (emit: (bit: (b: number) => void) => void) => {
    const bytes: number[] = [];
    let acc = 0;
    let n = 0;
    const bit = (b: number) => {
      acc = (acc << 1) | b;
      if (++n === 8) {
        bytes.push(acc);
        if (acc === 0xff) bytes.push(0); // byte stuffing
        acc = 0;
        n = 0;
      }
    };
    emit(bit);
    while (n) bit(1);
    return bytes;
  };
  const sos = (ss: number, se: number) => Buffer.from([0xff, 0xda, ...u16be(8), 1, 1, 0x00, ss, se, 0x00]);
  const dc = Buffer.concat([sos(0, 0), Buffer.from(entropy((bit) => { for (let i = 0; i < blocks; i++) bit(0); }))]);
  const ac = Buffer.concat([sos(1, 63), Buffer.from(entropy((bit) => {
    for (let left = blocks; left > 0; left -= 32767) {
      bit(0);
      for (let i = 0; i < 14; i++) bit(1);
    }
  }))]);
  return Buffer.concat([Buffer.from(out), dc, ...new Array<Buffer>(scans - 1).fill(ac), Buffer.from([0xff, 0xd9])]);
}

function sosAt(jpeg: Buffer): number {
  for (let i = 2; i < jpeg.length - 1; i++) if (jpeg[i] === 0xff && jpeg[i + 1] === 0xda) return i;
  throw new Error('no SOS marker');
}

/** A JPEG's headers and its scan header, then the end marker: no scan data at all. */
export function jpegWithoutScanData(jpeg: Buffer): Buffer {
  const s = sosAt(jpeg);
  return Buffer.concat([jpeg.subarray(0, s + 2 + jpeg.readUInt16BE(s + 2)), Buffer.from([0xff, 0xd9])]);
}

/** The first half of a JPEG with an end marker appended, so it looks complete. */
export function jpegCutWithEnd(jpeg: Buffer): Buffer {
  return Buffer.concat([jpeg.subarray(0, jpeg.length >> 1), Buffer.from([0xff, 0xd9])]);
}

/** A JPEG with junk before its end marker: libjpeg warns, but every pixel is there. */
export function jpegWithJunkBeforeEnd(jpeg: Buffer): Buffer {
  return Buffer.concat([jpeg.subarray(0, jpeg.length - 2), Buffer.from([0, 0, 0]), Buffer.from([0xff, 0xd9])]);
}

/** An SVG painting `href` over its whole canvas (librsvg would load the referenced file). */
export function svgImage(href: string, size = 64): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${size}" height="${size}">` +
    `<rect width="100%" height="100%" fill="white"/><image href="${href}" xlink:href="${href}" width="100%" height="100%"/></svg>\n`;
}

/** An SVG that pulls a text file into its drawing with XInclude. */
export function svgXInclude(path: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xi="http://www.w3.org/2001/XInclude" width="900" height="120">` +
    `<rect width="100%" height="100%" fill="white"/><text x="10" y="70" font-size="48" fill="black">` +
    `<xi:include href="file://${path}" parse="text"/></text></svg>\n`;
}

/** A PNG of `words` in big black letters on white, for the text plugin to read (drawn by sharp from an SVG with no references). */
export function wordsPng(words: string): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${80 + words.length * 52}" height="160"><rect width="100%" height="100%" fill="white"/>` +
    `<text x="40" y="105" font-family="sans-serif" font-size="72" font-weight="bold" fill="black">${words}</text></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** A JPEG of smooth noise, encoded by sharp (baseline unless `progressive`). */
export async function jpegPhoto(width = 320, height = 240, progressive = false): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 7 + (i >> 10) * 13) & 255;
  return sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90, progressive }).toBuffer();
}

/** The same small picture in each of the four common formats, cut short so each decoder fails its own way. */
export async function truncatedFiles(): Promise<Record<'jpg' | 'png' | 'gif' | 'webp', Buffer>> {
  const raw = Buffer.alloc(200 * 150 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 31 + (i >> 9)) & 255;
  const img = () => sharp(raw, { raw: { width: 200, height: 150, channels: 3 } });
  const cut = (b: Buffer) => b.subarray(0, b.length >> 1);
  return {
    jpg: cut(await img().jpeg().toBuffer()),
    png: cut(await img().png().toBuffer()),
    gif: cut(await img().gif().toBuffer()),
    webp: cut(await img().webp().toBuffer()),
  };
}

/** File-system traps beside real files, in `dir`: a FIFO, links to it, a loop, a linked folder, a dangling link. */
export function fileSystemTraps(dir: string): Record<string, string> {
  const p = (...n: string[]) => join(dir, ...n);
  execFileSync('mkfifo', [p('fifo.jpg')]);
  symlinkSync('fifo.jpg', p('link-to-fifo.jpg'));
  symlinkSync('loop-b.jpg', p('loop-a.jpg'));
  symlinkSync('loop-a.jpg', p('loop-b.jpg'));
  mkdirSync(p('folder'));
  writeFileSync(p('folder', 'inside.txt'), 'not an image');
  symlinkSync('folder', p('linked-folder.jpg'));
  symlinkSync('nowhere.jpg', p('dangling.jpg'));
  return {
    fifo: p('fifo.jpg'),
    linkToFifo: p('link-to-fifo.jpg'),
    loop: p('loop-a.jpg'),
    linkedFolder: p('linked-folder.jpg'),
    dangling: p('dangling.jpg'),
  };
}
