// fast mode's JS header read (src/engine/quick-header.ts) against libvips'
// own, on real photos: wherever it answers, it must answer what libvips
// says, and it must leave to libvips what it cannot be sure of.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { resolveLimits } from '../../src/engine/limits.js';
import { probeImage } from '../../src/engine/probe.js';
import { quickHeader } from '../../src/engine/quick-header.js';
import { sniffFormat } from '../../src/engine/sniff.js';
import { photos } from '../helpers/paths.js';
import { jpegPhoto, png } from './hostile-files.js';

// The shared corpus when it has been built (../shared/corpus/make-corpus.sh), and the fixtures always.
const CORPUS = '/tmp/imlage-corpus/real';
const dirs = [photos, ...(existsSync(CORPUS) ? [CORPUS] : [])];
const files = dirs.flatMap((d) => readdirSync(d).filter((f) => /\.(jpe?g|png)$/i.test(f)).map((f) => join(d, f)));
const limits = resolveLimits({});

describe('quickHeader', () => {
  it('gives what libvips gives for every real JPEG and PNG it answers for, and answers for most', async () => {
    expect(files.length).toBeGreaterThan(10);
    let answered = 0;
    for (const f of files) {
      const bytes = readFileSync(f);
      const q = quickHeader(bytes, sniffFormat(bytes, f));
      if (!q) continue;
      answered++;
      expect(q, f).toEqual(await probeImage(bytes, f, limits));
      expect(await probeImage(bytes, f, limits, undefined, true), f).toEqual(q);
    }
    expect(answered).toBeGreaterThan(files.length * 0.8);
  }, 120_000);

  it('reads EXIF orientation, progressive frames and grey JPEGs as libvips does', async () => {
    const raw = Buffer.alloc(40 * 30 * 3, 128);
    const cases = [
      await sharp(raw, { raw: { width: 40, height: 30, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer(),
      await sharp(raw, { raw: { width: 40, height: 30, channels: 3 } }).jpeg({ progressive: true }).withMetadata({ orientation: 3 }).toBuffer(),
      await sharp(raw, { raw: { width: 40, height: 30, channels: 3 } }).toColourspace('b-w').jpeg().toBuffer(),
      await jpegPhoto(64, 48, true),
    ];
    for (const b of cases) expect(quickHeader(b, 'jpeg')).toEqual(await probeImage(b, 'x.jpg', limits));
    expect(quickHeader(cases[0]!, 'jpeg')?.orientation).toBe(6);
    expect(quickHeader(cases[1]!, 'jpeg')).toMatchObject({ orientation: 3, progressive: true });
    expect(quickHeader(cases[2]!, 'jpeg')?.channels).toBe(1);
  });

  it('leaves to libvips what it cannot be sure of', async () => {
    // A PNG with tRNS: libvips adds an alpha band.
    const withTrns = await sharp(Buffer.alloc(8 * 8 * 4, 0), { raw: { width: 8, height: 8, channels: 4 } }).png({ palette: true }).toBuffer();
    expect(withTrns.includes(Buffer.from('tRNS'))).toBe(true);
    expect(quickHeader(withTrns, 'png')).toBeUndefined();
    // A JPEG whose frame header is missing, or cut short before it.
    const jpeg = await jpegPhoto(32, 32);
    expect(quickHeader(jpeg.subarray(0, 20), 'jpeg')).toBeUndefined();
    // Two EXIF blocks: which one libvips reads is its business.
    const exif = await sharp(jpeg).withMetadata({ orientation: 8 }).toBuffer();
    const at = exif.indexOf(Buffer.from('Exif\0\0')) - 4;
    const len = exif.readUInt16BE(at + 2) + 2;
    const twice = Buffer.concat([exif.subarray(0, at + len), exif.subarray(at, at + len), exif.subarray(at + len)]);
    expect(quickHeader(exif, 'jpeg')?.orientation).toBe(8);
    expect(quickHeader(twice, 'jpeg')).toBeUndefined();
    // 16-bit and interlaced PNGs are read, as libvips reads them.
    const deep = png(20, 10, { colorType: 6, depth: 16, interlace: true });
    expect(quickHeader(deep, 'png')).toEqual(await probeImage(deep, 'x.png', limits));
  });

  it('keeps the limits: a JPEG or PNG over maxPixels is refused before libvips or a decoder sees it', async () => {
    const small = resolveLimits({ maxPixels: 1000 });
    await expect(probeImage(await jpegPhoto(64, 48), 'big.jpg', small, undefined, true)).rejects.toThrow(/the JPEG is 64×48 .* more than the/);
    await expect(probeImage(png(30000, 30000, { rows: 1 }), 'big.png', limits, undefined, true)).rejects.toThrow(/the PNG is 30000×30000/);
  });
});
