// Limits on what a file can make the engine decode, checked from the header
// before any pixel is decoded: pixel count, decoded-memory budget, JPEG scan
// count and decode time; and files that look whole but are not.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, isFailure, type EngineOptions, type TagInput, type TagResult } from '../../src/index.js';
import { avifDeclaring, jpegCutWithEnd, jpegPhoto, jpegWithJunkBeforeEnd, jpegWithoutScanData, manyScansJpeg, png, tinyGif, tinyTiff, tinyWebp } from './hostile-files.js';

const engines = new Map<string, Engine>();
async function engine(opts: EngineOptions = {}): Promise<Engine> {
  const key = JSON.stringify(opts);
  let e = engines.get(key);
  if (!e) {
    e = await Engine.create({ config: false, plugins: ['nsfw'], ...opts });
    engines.set(key, e);
  }
  return e;
}
// close() waits for a decode that outlived its time limit.
afterAll(async () => {
  for (const e of engines.values()) await e.close();
}, 60_000);

async function tagAll(e: Engine, inputs: TagInput[]): Promise<TagResult[]> {
  const out: TagResult[] = [];
  for await (const r of e.tag(inputs)) out.push(r);
  return out;
}

const tagged = (r: TagResult) => !r.error && !isFailure(r.results.nsfw!);

describe.each(['exact', 'fast'] as const)('%s mode', (mode) => {
  let photoJpeg: Buffer;
  beforeAll(async () => {
    photoJpeg = await jpegPhoto(640, 480);
  });

  it('tiny files that declare huge pictures are refused from their header, with the size', async () => {
    const e = await engine({ mode });
    const files: [string, Buffer, RegExp][] = [
      ['w.webp', tinyWebp(16383, 16383), /WebP is 16383×16383 \(268 megapixels\)/],
      ['g.gif', tinyGif(16383, 16383), /GIF is 16383×16383 \(268 megapixels\)/],
      ['p.png', png(30000, 30000, { rows: 4 }), /PNG is 30000×30000 \(900 megapixels\)/],
      ['t.tiff', tinyTiff(60000, 60000), /TIFF is 60000×60000 \(3600 megapixels\)/],
      ['a.avif', await avifDeclaring(30000, 30000), /AVIF\/HEIF is 30000×30000 \(900 megapixels\)/],
    ];
    const out = await tagAll(e, files.map(([name, data]) => ({ name, data })));
    files.forEach(([name, data, re], i) => {
      expect(data.length, name).toBeLessThan(1024);
      expect(out[i]!.error, name).toMatch(re);
      expect(out[i]!.error, name).toMatch(/more than the 100-megapixel limit; raise maxPixels/);
    });
  });

  it('maxPixels is configurable', async () => {
    const e = await engine({ mode, maxPixels: 1_000_000 });
    const [over, under] = await tagAll(e, [{ name: 'over.png', data: png(2000, 1000) }, { name: 'under.png', data: png(1000, 1000) }]);
    expect(over!.error).toMatch(/PNG is 2000×1000 \(2 megapixels\), more than the 1-megapixel limit/);
    expect(tagged(under!)).toBe(true);
  });

  it('a picture that can never fit in maxDecodedMiB is refused before decoding, with its size', async () => {
    const e = await engine({ mode, maxDecodedMiB: 64 });
    const [big, fits] = await tagAll(e, [{ name: 'big.png', data: png(6000, 4000) }, { name: 'fits.png', data: png(2000, 2000) }]);
    expect(big!.error).toMatch(/cannot decode big\.png: a 6000×4000 PNG needs about \d+ MiB to decode, more than maxDecodedMiB \(64\)/);
    expect(tagged(fits!)).toBe(true);
    // Interlaced 16-bit RGBA: libpng holds the whole picture at 8 bytes a pixel.
    const [deep] = await tagAll(await engine({ mode }), [{ name: 'deep.png', data: png(9000, 9000, { rows: 1, colorType: 6, depth: 16, interlace: true }) }]);
    expect(deep!.error).toMatch(/a 9000×9000 PNG needs about \d+ MiB to decode, more than maxDecodedMiB \(512\)/);
  });

  it('a progressive JPEG with thousands of scans is refused from its scan count', async () => {
    const many = manyScansJpeg(512, 512, 3000);
    const [r] = await tagAll(await engine({ mode }), [{ name: 'scans.jpg', data: many }]);
    expect(r!.error).toMatch(/cannot decode scans\.jpg: the JPEG has 3000 scans, more than the limit of 100 \(maxJpegScans/);
    const [allowed] = await tagAll(await engine({ mode, maxJpegScans: 5000 }), [{ name: 'scans.jpg', data: many }]);
    expect(tagged(allowed!), allowed!.error).toBe(true);
  });

  it('a JPEG with a header but no scan data fails', async () => {
    const [r] = await tagAll(await engine({ mode }), [{ name: 'header-only.jpg', data: jpegWithoutScanData(photoJpeg) }]);
    expect(r!.error).toMatch(/cannot decode header-only\.jpg: the JPEG has no image data after its header/);
  });

  it('a JPEG cut at half with an end marker appended fails, baseline and progressive', async () => {
    const progressive = await jpegPhoto(640, 480, true);
    const out = await tagAll(await engine({ mode }), [
      { name: 'cut.jpg', data: jpegCutWithEnd(photoJpeg) },
      { name: 'cut-progressive.jpg', data: jpegCutWithEnd(progressive) },
    ]);
    for (const r of out) expect(r.error, r.file).toMatch(/cannot decode cut.*\.jpg: the JPEG data ends early \((?:VipsJpeg|libjpeg): Corrupt JPEG data: premature end of data segment\)/);
  });

  it('a JPEG with junk before its end marker (a warning, no pixel lost) is still tagged', async () => {
    const [r] = await tagAll(await engine({ mode }), [{ name: 'junk.jpg', data: jpegWithJunkBeforeEnd(photoJpeg) }]);
    expect(tagged(r!), r!.error).toBe(true);
  });
});

describe('time limit', () => {
  it('a decode that runs past decodeTimeoutSeconds fails that image, saying so; the next one is tagged', { timeout: 60_000 }, async () => {
    // 4000 x 4000 with 3000 scans: 4-5 s of decoding here, several times the limit on a faster machine.
    const slow = manyScansJpeg(4000, 4000, 3000);
    const e = await engine({ maxJpegScans: 10_000, decodeTimeoutSeconds: 1 });
    const [r, next] = await tagAll(e, [{ name: 'slow.jpg', data: slow }, { name: 'next.jpg', data: await jpegPhoto(640, 480) }]);
    expect(r!.error).toMatch(/cannot decode slow\.jpg: decoding took longer than 1 s \(decodeTimeoutSeconds/);
    expect(tagged(next!)).toBe(true);
  });
});

describe('config.toml [decode]', () => {
  it('sets the limits; Engine options win over it; a bad key is named', async () => {
    const d = mkdtempSync(join(tmpdir(), 'imlage-decode-config-'));
    const file = join(d, 'config.toml');
    writeFileSync(file, '[decode]\nmax_pixels = 1000000\nmax_jpeg_scans = 5\nmax_file_mib = 64\ntimeout_s = 10\nmax_decoded_mib = 256\n');
    const e = await Engine.create({ config: file, plugins: ['nsfw'], maxJpegScans: 50 });
    try {
      const [big, scans] = await tagAll(e, [{ name: 'big.png', data: png(2000, 1000) }, { name: 's.jpg', data: manyScansJpeg(64, 64, 20) }]);
      expect(big!.error).toMatch(/more than the 1-megapixel limit/);
      expect(tagged(scans!), scans!.error).toBe(true);
    } finally {
      await e.close();
    }
    writeFileSync(file, '[decode]\ntimeout_s = 0\n');
    await expect(Engine.create({ config: file, plugins: ['nsfw'] })).rejects.toThrow(/timeout_s/);
    writeFileSync(file, '[decode]\nmax_pixel = 5\n');
    await expect(Engine.create({ config: file, plugins: ['nsfw'] })).rejects.toThrow(/max_pixel/);
  });
});
