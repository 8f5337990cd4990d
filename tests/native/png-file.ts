// Writing PNG files chunk by chunk, for the cases sharp cannot make: 1/2/4-bit
// greyscale and hostile files (bad CRCs, short or long IDAT streams, bad
// filter bytes, out-of-range palette indices, huge headers).
import { deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function chunk(type: string, body: Uint8Array = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

export function ihdr(width: number, height: number, depth: number, colorType: number, interlace = 0): Buffer {
  const b = Buffer.alloc(13);
  b.writeUInt32BE(width, 0);
  b.writeUInt32BE(height, 4);
  b[8] = depth;
  b[9] = colorType;
  b[12] = interlace;
  return chunk('IHDR', b);
}

/** A whole file from its chunks (IHDR first, IEND added). */
export function pngFile(...chunks: Buffer[]): Buffer {
  return Buffer.concat([SIGNATURE, ...chunks, chunk('IEND')]);
}

/** Rows (each already with its filter byte) compressed into one IDAT. */
export function idat(rows: Uint8Array[]): Buffer {
  return chunk('IDAT', deflateSync(Buffer.concat(rows)));
}

/** Greyscale at 1, 2 or 4 bits: samples (0..2^depth-1) packed MSB first, filter None. */
export function lowDepthGrey(width: number, height: number, depth: number, sample: (x: number, y: number) => number): Buffer {
  const rowBytes = Math.ceil((width * depth) / 8);
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + rowBytes);
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      row[1 + (bit >> 3)] |= sample(x, y) << (8 - depth - (bit & 7));
    }
    rows.push(row);
  }
  return pngFile(ihdr(width, height, depth, 0), idat(rows));
}
