// The pure parts of input hardening: format sniffing, the JPEG marker walk,
// name escaping, message cleaning and the limits' validation.
import { describe, expect, it } from 'vitest';
import { displayName } from '../../src/engine/file-name.js';
import { jpegStructure } from '../../src/engine/jpeg-scans.js';
import { resolveLimits } from '../../src/engine/limits.js';
import { decodeBytes, type ImageHeader } from '../../src/engine/probe.js';
import { sniffFormat } from '../../src/engine/sniff.js';
import { describeVipsFailure, onlyHarmlessWarnings } from '../../src/engine/vips-message.js';
import { jpegPhoto, jpegWithoutScanData, manyScansJpeg, png, tinyGif, tinyTiff, tinyWebp } from './hostile-files.js';

describe('sniffFormat', () => {
  it('knows the six formats from their first bytes, whatever the name', async () => {
    expect(sniffFormat(await jpegPhoto(16, 16), 'x')).toBe('jpeg');
    expect(sniffFormat(png(4, 4), 'x')).toBe('png');
    expect(sniffFormat(tinyWebp(4, 4), 'x')).toBe('webp');
    expect(sniffFormat(tinyGif(4, 4), 'x')).toBe('gif');
    expect(sniffFormat(tinyTiff(4, 4), 'x')).toBe('tiff');
    const ftyp = (brand: string, ...compatible: string[]) => {
      const body = Buffer.from(`ftyp${brand}\0\0\0\0${compatible.join('')}`, 'latin1');
      return Buffer.concat([Buffer.from([0, 0, 0, body.length + 4]), body]);
    };
    expect(sniffFormat(ftyp('avif', 'mif1'), 'x')).toBe('heif');
    expect(sniffFormat(ftyp('mif1', 'heic'), 'x')).toBe('heif');
    expect(() => sniffFormat(ftyp('isom', 'mp41'), 'v.heic')).toThrow(/v\.heic: not an image imlage reads .*: it looks like an ISO media file of brand "isom"/);
  });

  it('refuses SVG however it starts, and says how to convert it', () => {
    for (const svg of ['<svg/>', '<svg xmlns="http://www.w3.org/2000/svg"/>', '\ufeff  <?xml version="1.0"?>\n<svg>', '<!-- hi -->\n<svg width="1">']) {
      expect(() => sniffFormat(Buffer.from(svg), 'd.png')).toThrow(/^cannot decode d\.png: it is an SVG drawing; .*rsvg-convert/);
    }
  });

  it('names common look-alikes', () => {
    const like = (b: Buffer | string) => {
      try {
        sniffFormat(Buffer.from(b), 'f');
      } catch (e) {
        return (e as Error).message.replace(/^.*it looks like /, '');
      }
    };
    expect(like('%PDF-1.4')).toBe('a PDF document');
    expect(like(Buffer.from([0x1f, 0x8b, 8, 0]))).toMatch(/^gzip-compressed data/);
    expect(like(Buffer.from([0x42, 0x4d, 0, 0, 0, 0]))).toMatch(/^a BMP picture/);
    expect(like(Buffer.from([0xff, 0x0a, 0, 0]))).toMatch(/^a JPEG XL picture/);
    expect(like(Buffer.from([0, 1, 2, 3, 250, 7]))).toBe('data of an unknown kind');
  });
});

describe('jpegStructure', () => {
  it('counts one scan in a baseline JPEG, about ten in a progressive one, and every scan of a hostile one', async () => {
    expect(jpegStructure(await jpegPhoto(64, 64)).scans).toBe(1);
    const progressive = jpegStructure(await jpegPhoto(64, 64, true)).scans;
    expect(progressive).toBeGreaterThan(4);
    expect(progressive).toBeLessThan(20);
    expect(jpegStructure(manyScansJpeg(64, 64, 1234)).scans).toBe(1234);
  });

  it('sees a scan header with no data after it', async () => {
    const s = jpegStructure(jpegWithoutScanData(await jpegPhoto(64, 64)));
    expect(s).toMatchObject({ scans: 1, firstScanBytes: 0 });
    expect(jpegStructure(await jpegPhoto(64, 64)).firstScanBytes).toBeGreaterThan(100);
  });
});

describe('displayName', () => {
  it('keeps UTF-8, escapes bytes that are not and control characters', () => {
    expect(displayName('photos/été.jpg')).toBe('photos/été.jpg');
    expect(displayName(Buffer.from('photos/été.jpg'))).toBe('photos/été.jpg');
    expect(displayName(Buffer.from([0x61, 0xe9, 0x2e, 0x6a]))).toBe('a\\xe9.j');
    expect(displayName(Buffer.from([0xc3]))).toBe('\\xc3'); // a sequence cut short
    expect(displayName('a\nb\x1b[2Jc')).toBe('a\\x0ab\\x1b[2Jc');
  });
});

describe('describeVipsFailure', () => {
  const c = { format: 'WebP', width: 16383, height: 16383, bytes: 2.4e9, timeoutSeconds: 30 };
  it('replaces an empty "corrupt header" with what it means and keeps the loader\'s words', () => {
    expect(describeVipsFailure('Input buffer has corrupt header: ', ['not enough data'], { format: 'PNG', timeoutSeconds: 30 }))
      .toBe('the PNG header is corrupt or cut short (not enough data)');
  });

  it('adds the size to memory failures and to "unable to read pixels"', () => {
    expect(describeVipsFailure('vips_tracked: out of memory --- size == 2.2GB', [], c))
      .toBe('not enough memory to decode it, about 2289 MiB needed (vips_tracked: out of memory --- size == 2.2GB) (WebP, 16383×16383)');
    expect(describeVipsFailure('webp2vips: unable to read pixels', [], c))
      .toBe('webp2vips: unable to read pixels: corrupt data, or not enough memory (WebP, 16383×16383)');
  });

  it('drops noise lines and repeats', () => {
    expect(describeVipsFailure('source: bad seek to 1024\nheif: Invalid input\nheif: Invalid input', ['read gave 1 warnings'], { format: 'AVIF/HEIF', timeoutSeconds: 30 }))
      .toBe('heif: Invalid input');
  });

  it('lets through only libjpeg warnings that lose no pixel', () => {
    expect(onlyHarmlessWarnings('VipsJpeg: Corrupt JPEG data: 3 extraneous bytes before marker 0xd9')).toBe(true);
    expect(onlyHarmlessWarnings('VipsJpeg: Corrupt JPEG data: premature end of data segment')).toBe(false);
    expect(onlyHarmlessWarnings('Warning treated as error due to failOn setting\nVipsJpeg: Corrupt JPEG data: bad Huffman code')).toBe(false);
    expect(onlyHarmlessWarnings('')).toBe(false);
  });
});

describe('limits', () => {
  it('defaults, options over config, and a clear error for a bad value', () => {
    const d = resolveLimits({});
    expect(d).toEqual({ maxPixels: 100_000_000, maxFileBytes: 256 * 2 ** 20, maxJpegScans: 100, timeoutSeconds: 30, maxDecodedBytes: 512 * 2 ** 20 });
    expect(resolveLimits({ maxPixels: 5 }, { maxPixels: 7, maxJpegScans: 9 })).toMatchObject({ maxPixels: 5, maxJpegScans: 9 });
    expect(() => resolveLimits({ decodeTimeoutSeconds: 0.5 })).toThrow(/decodeTimeoutSeconds must be an integer from 1 to 3600, got 0\.5/);
    expect(() => resolveLimits({ maxPixels: -1 })).toThrow(/maxPixels must be an integer/);
  });

  it('a decode\'s memory estimate grows with what the loader holds', () => {
    const h = (o: Partial<ImageHeader>): ImageHeader => ({ format: 'jpeg', width: 1000, height: 1000, channels: 3, bytesPerSample: 1, progressive: false, orientation: 1, ...o });
    expect(decodeBytes(h({}))).toBe(4e6);
    expect(decodeBytes(h({ progressive: true }))).toBe(10e6);
    expect(decodeBytes(h({ orientation: 6 }))).toBe(7e6);
    expect(decodeBytes(h({ format: 'heif' }))).toBe(21e6);
    expect(decodeBytes(h({ format: 'png', progressive: true, channels: 4, bytesPerSample: 2 }))).toBe(12e6);
  });
});
