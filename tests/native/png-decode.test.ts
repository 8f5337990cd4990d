// The addon's own PNG decoder (native/src/decode/png*.cc) through the
// decode_dump tool: every pixel must equal sharp's `removeAlpha().raw()`
// (PNG is lossless, so identical is the bar), on the fixture photos, the
// shared corpus when it is there, and files made here for each colour type
// and bit depth; hostile files fail with the status and message they earn.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';

import { root } from '../helpers/paths.js';
import { PHOTOS } from './helpers.js';
import { chunk, idat, ihdr, lowDepthGrey, pngFile } from './png-file.js';

const DUMP = process.env.IMLAGE_DECODE_DUMP ?? join(root, 'build', 'tools', 'decode_dump');
const CORPUS = process.env.IMLAGE_CORPUS ?? '/tmp/imlage-corpus/real';
const EXIT = { ok: 0, unsupported: 2, corrupt: 3, tooLarge: 4, timedOut: 5 };
const tmp = mkdtempSync(join(tmpdir(), 'imlage-png-'));

interface Dumped {
  status: number | null;
  stderr: string;
  width: number;
  height: number;
  pixels: Buffer;
}

function dumpFile(file: string, args: string[] = []): Dumped {
  const r = spawnSync(DUMP, [...args, file], { maxBuffer: 512 << 20 });
  const stderr = r.stderr.toString();
  if (r.status !== 0) return { status: r.status, stderr, width: 0, height: 0, pixels: Buffer.alloc(0) };
  const nl = r.stdout.indexOf(10);
  const [width, height] = r.stdout.subarray(0, nl).toString().split(' ').map(Number) as [number, number];
  return { status: 0, stderr, width, height, pixels: r.stdout.subarray(nl + 1) };
}

let written = 0;
function dump(png: Buffer, args: string[] = []): Dumped {
  const file = join(tmp, `case-${written++}.png`);
  writeFileSync(file, png);
  return dumpFile(file, args);
}

/** sharp's pixels as the engine's sharp path takes them, as RGB. */
async function sharpRgb(png: Buffer, ignoreIcc = false): Promise<Buffer> {
  const { data, info } = await sharp(png, { ignoreIcc, limitInputPixels: false }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.channels === 3) return data;
  expect(info.channels).toBe(1);
  const rgb = Buffer.alloc(data.length * 3);
  for (let i = 0; i < data.length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = data[i]!;
  return rgb;
}

function meanAbsDiff(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

function hasChunk(png: Buffer, type: string): boolean {
  for (let pos = 8; pos + 8 <= png.length; pos += 12 + png.readUInt32BE(pos)) {
    if (png.toString('latin1', pos + 4, pos + 8) === type) return true;
  }
  return false;
}

async function expectSameAsSharp(png: Buffer, name: string, ignoreIcc = false): Promise<void> {
  const mine = dump(png);
  expect(mine.status, `${name}: ${mine.stderr}`).toBe(EXIT.ok);
  const meta = await sharp(png).metadata();
  expect([mine.width, mine.height]).toEqual([meta.width, meta.height]);
  const ref = await sharpRgb(png, ignoreIcc);
  expect(mine.pixels.length).toBe(ref.length);
  expect(mine.pixels.equals(ref), `${name}: pixels differ from sharp's (mean |diff| ${meanAbsDiff(mine.pixels, ref)})`).toBe(true);
}

function pngsUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.toLowerCase().endsWith('.png'))
    .sort()
    .map((f) => join(dir, f));
}

/** An 8-bit RGB file whose rows are `rows` (each with its filter byte). */
function rgbFile(width: number, rows: Buffer[], idatChunk = idat(rows)): Buffer {
  return pngFile(ihdr(width, rows.length, 8, 2), idatChunk);
}

function gradientRows(width: number, height: number, filter = 0, channels = 3): Buffer[] {
  return Array.from({ length: height }, (_, y) => {
    const row = Buffer.alloc(1 + width * channels);
    row[0] = filter;
    for (let i = 1; i < row.length; i++) row[i] = (i * 7 + y * 13) & 0xff;
    return row;
  });
}

beforeAll(() => {
  if (!existsSync(DUMP)) {
    throw new Error(`${DUMP} is missing: build it with \`npm run build:native\` (needs libdeflate: apt-get install libdeflate-dev), or set IMLAGE_DECODE_DUMP`);
  }
});

describe('PNG decoder: same pixels as sharp', () => {
  it('on every PNG of the test fixtures', async () => {
    const files = pngsUnder(PHOTOS);
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) await expectSameAsSharp(readFileSync(f), f);
  });

  it.skipIf(!existsSync(CORPUS))(`on every PNG of the shared corpus (${CORPUS}); ICC profiles are not applied`, async () => {
    const files = pngsUnder(CORPUS);
    expect(files.length).toBeGreaterThan(0);
    const icc: string[] = [];
    for (const f of files) {
      const png = readFileSync(f);
      if (!hasChunk(png, 'iCCP')) {
        await expectSameAsSharp(png, f);
        continue;
      }
      // Fast mode does not convert colour: equal to sharp told to ignore the
      // profile; the difference to sharp's converted colours is reported.
      await expectSameAsSharp(png, f, true);
      const converted = await sharpRgb(png);
      icc.push(`${f.slice(CORPUS.length + 1)}: mean |diff| ${meanAbsDiff(dump(png).pixels, converted).toFixed(3)}`);
    }
    console.log(`${files.length} corpus PNGs, ${icc.length} with iCCP; against sharp's ICC-converted pixels:\n  ${icc.join('\n  ')}`);
  });

  describe('for each colour type and bit depth', () => {
    let photo: sharp.Sharp;
    beforeAll(() => {
      // Odd sizes: rows that end mid-byte at low bit depths.
      photo = sharp(join(PHOTOS, 'smarties.png')).resize(61, 37);
    });
    const made: Record<string, (s: sharp.Sharp) => sharp.Sharp> = {
      'grey 8-bit': (s) => s.toColourspace('b-w').png(),
      'grey+alpha 8-bit': (s) => s.ensureAlpha(0.5).toColourspace('b-w').png(),
      'RGB 8-bit': (s) => s.png(),
      'RGBA 8-bit': (s) => s.ensureAlpha(0.5).png(),
      'RGB 8-bit, adaptive filtering': (s) => s.png({ adaptiveFiltering: true }),
      'palette 1-bit': (s) => s.png({ palette: true, colours: 2 }),
      'palette 2-bit': (s) => s.png({ palette: true, colours: 4 }),
      'palette 4-bit': (s) => s.png({ palette: true, colours: 16 }),
      'palette 8-bit': (s) => s.png({ palette: true, colours: 256 }),
      'palette 1-bit with tRNS': (s) => s.ensureAlpha(0.5).png({ palette: true, colours: 2 }),
      'palette 2-bit with tRNS': (s) => s.ensureAlpha(0.5).png({ palette: true, colours: 4 }),
      'palette 4-bit with tRNS': (s) => s.ensureAlpha(0.5).png({ palette: true, colours: 16 }),
      'palette 8-bit with tRNS': (s) => s.ensureAlpha(0.5).png({ palette: true, colours: 256 }),
    };
    const header = (png: Buffer) => ({ depth: png[24], colorType: png[25], tRNS: hasChunk(png, 'tRNS') });
    const expected: Record<string, ReturnType<typeof header>> = {
      'grey 8-bit': { depth: 8, colorType: 0, tRNS: false },
      'grey+alpha 8-bit': { depth: 8, colorType: 4, tRNS: false },
      'RGB 8-bit': { depth: 8, colorType: 2, tRNS: false },
      'RGBA 8-bit': { depth: 8, colorType: 6, tRNS: false },
      'RGB 8-bit, adaptive filtering': { depth: 8, colorType: 2, tRNS: false },
    };
    for (const [name, make] of Object.entries(made)) {
      it(`${name} (made by sharp)`, async () => {
        const png = await make(photo.clone()).toBuffer();
        const palette = /palette (\d)-bit/.exec(name);
        expect(header(png)).toEqual(palette ? { depth: Number(palette[1]), colorType: 3, tRNS: name.includes('tRNS') } : expected[name]);
        await expectSameAsSharp(png, name);
      });
    }
    for (const depth of [1, 2, 4]) {
      it(`grey ${depth}-bit (written here; sharp cannot), scaled to 0..255 as libvips does`, async () => {
        const max = (1 << depth) - 1;
        const png = lowDepthGrey(29, 7, depth, (x, y) => (x * 3 + y) % (max + 1));
        await expectSameAsSharp(png, `grey ${depth}-bit`);
        const { pixels } = dump(png);
        expect(new Set(pixels)).toEqual(new Set(Array.from({ length: max + 1 }, (_, v) => (v * 255) / max)));
      });
    }
    for (const [colorType, channels] of [[0, 1], [4, 2], [2, 3], [6, 4]] as const) {
      it(`every filter type, each on its own rows, at ${channels} byte(s) per pixel`, async () => {
        // Sub, Up, Average, Paeth written by hand: the filtered bytes are
        // arbitrary, so whatever they decode to must match sharp.
        const rows = [0, 1, 2, 3, 4, 4, 3, 2, 1, 0, 4, 1, 3].map((f, y) => gradientRows(17, 13, f, channels)[y]!);
        await expectSameAsSharp(pngFile(ihdr(17, rows.length, 8, colorType), idat(rows)), `all filters, colour type ${colorType}`);
      });
    }
  });
});

describe('PNG decoder: hostile and unsupported files', () => {
  const good = rgbFile(8, gradientRows(8, 4));

  function expectFailure(png: Buffer, code: number, message: RegExp, args: string[] = []): void {
    const r = dump(png, args);
    expect(r.status, r.stderr).toBe(code);
    expect(r.stderr).toMatch(message);
  }

  it('the good file the hostile ones are made from decodes', async () => {
    await expectSameAsSharp(good, 'good');
  });

  it('a bad CRC', () => {
    const bad = Buffer.from(good);
    bad[bad.indexOf('IDAT') + 6] ^= 0x01;  // a byte of the IDAT data
    expectFailure(bad, EXIT.corrupt, /corrupt: bad CRC in chunk IDAT/);
  });

  it('a truncated IDAT stream', () => {
    const z = deflateSync(Buffer.concat(gradientRows(8, 4)));
    expectFailure(rgbFile(8, gradientRows(8, 4), chunk('IDAT', z.subarray(0, z.length >> 1))), EXIT.corrupt, /corrupt: invalid or truncated zlib stream in IDAT/);
  });

  it('a complete zlib stream with too few rows', () => {
    const rows = gradientRows(8, 4);
    expectFailure(pngFile(ihdr(8, 5, 8, 2), idat(rows)), EXIT.corrupt, /corrupt: truncated image data: IDAT inflates to 100 bytes, 8x5 needs 125/);
  });

  it('IDAT inflating to more than IHDR implies', () => {
    const rows = gradientRows(8, 4);
    expectFailure(pngFile(ihdr(8, 3, 8, 2), idat(rows)), EXIT.corrupt, /corrupt: extra data: IDAT inflates to more than the 75 bytes 8x3 needs/);
  });

  it('a palette index past the PLTE', () => {
    const plte = chunk('PLTE', Buffer.from([255, 0, 0, 0, 255, 0]));
    const rows = [Buffer.from([0, 0, 1, 0, 1]), Buffer.from([0, 1, 5, 0, 0])];
    expectFailure(pngFile(ihdr(4, 2, 8, 3), plte, idat(rows)), EXIT.corrupt, /corrupt: palette index out of range in row 1 \(PLTE has 2 entries\)/);
  });

  it('a huge IHDR is refused before anything is allocated (max_pixels)', () => {
    // No IDAT data to speak of: the limit, not the inflate, must stop it.
    const huge = pngFile(ihdr(65535, 65535, 8, 6), idat([Buffer.alloc(1)]));
    expectFailure(huge, EXIT.tooLarge, /too large: 65535x65535 is 4294836225 pixels, over the limit of 100000000/);
    expectFailure(huge, EXIT.tooLarge, /over the limit of 1000000\b/, ['--max-pixels', '1000000']);
  });

  it('a filter byte of 7', () => {
    const rows = gradientRows(8, 4);
    rows[2]![0] = 7;
    expectFailure(rgbFile(8, rows), EXIT.corrupt, /corrupt: row 2 has unknown filter type 7/);
  });

  it('16-bit and interlaced files are reported unsupported (libvips decodes them)', async () => {
    const src = sharp(join(PHOTOS, 'smarties.png')).resize(20, 10);
    expectFailure(await src.clone().toColourspace('rgb16').png().toBuffer(), EXIT.unsupported, /unsupported: 16-bit PNG/);
    expectFailure(await src.clone().png({ progressive: true }).toBuffer(), EXIT.unsupported, /unsupported: interlaced \(Adam7\) PNG/);
  });

  it('an unknown critical chunk is unsupported; an unknown ancillary one is skipped', async () => {
    const rows = gradientRows(8, 4);
    expectFailure(pngFile(ihdr(8, 4, 8, 2), chunk('ZZZZ', Buffer.from('x')), idat(rows)), EXIT.unsupported, /unsupported: unknown critical chunk ZZZZ/);
    await expectSameAsSharp(pngFile(ihdr(8, 4, 8, 2), chunk('zzZz', Buffer.from('x')), idat(rows)), 'ancillary chunk');
  });

  it('invalid headers, chunk order and truncated files', () => {
    const rows = gradientRows(8, 4);
    expectFailure(Buffer.from('not a png at all'), EXIT.corrupt, /corrupt: not a PNG file \(bad signature\)/);
    expectFailure(Buffer.alloc(0), EXIT.corrupt, /not a PNG file/);
    expectFailure(good.subarray(0, good.length - 20), EXIT.corrupt, /corrupt: truncated: chunk IDAT needs \d+ bytes/);
    expectFailure(good.subarray(0, good.length - 12), EXIT.corrupt, /corrupt: truncated: no IEND chunk/);
    expectFailure(pngFile(ihdr(0, 4, 8, 2), idat(rows)), EXIT.corrupt, /corrupt: invalid dimensions 0x4/);
    expectFailure(pngFile(ihdr(8, 4, 4, 2), idat(rows)), EXIT.corrupt, /corrupt: invalid colour type 2 with bit depth 4/);
    expectFailure(pngFile(ihdr(8, 4, 8, 3), idat(rows)), EXIT.corrupt, /corrupt: palette PNG without PLTE/);
    expectFailure(pngFile(ihdr(8, 4, 8, 2)), EXIT.corrupt, /corrupt: no IDAT chunk/);
    expectFailure(pngFile(ihdr(8, 2, 8, 2), idat(rows.slice(0, 1)), chunk('tEXt', Buffer.from('a\0b')), idat(rows.slice(1, 2))), EXIT.corrupt, /corrupt: IDAT chunks are not consecutive/);
    expectFailure(pngFile(idat(rows)), EXIT.corrupt, /corrupt: first chunk is IDAT, not IHDR/);
  });

  it('IDAT split over many chunks decodes', async () => {
    const z = deflateSync(Buffer.concat(gradientRows(8, 4)));
    const parts = Array.from({ length: Math.ceil(z.length / 7) }, (_, i) => chunk('IDAT', z.subarray(i * 7, i * 7 + 7)));
    await expectSameAsSharp(pngFile(ihdr(8, 4, 8, 2), ...parts), 'split IDAT');
  });

  it('a passed deadline stops the decode as timed out', () => {
    expectFailure(good, EXIT.timedOut, /timed out: decode stopped: deadline passed or cancelled/, ['--timeout-ms', '0']);
  });
});
