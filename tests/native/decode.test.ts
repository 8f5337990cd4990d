// The addon's own fast-path decoder (native/src/decode/) on real photos:
// its pixels against sharp's Lanczos resize, the DCT scale it picks, a
// progressive JPEG stopped once the scale has what it reads, the limits
// (scans, time, cancel) and what it leaves to libvips (CMYK).
import sharp from 'sharp';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';

import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { loadAddon, packageRoot } from '../../src/binding/binding.js';
import type { DecodedImage, NativeAddon } from '../../src/binding/types.js';
import { jpegCutWithEnd, manyScansJpeg } from '../hardening/hostile-files.js';
import { photo } from './helpers.js';

const SIZE = 224;

async function sharpReference(bytes: Buffer, width = SIZE, height = SIZE): Promise<Buffer> {
  return sharp(bytes).rotate().removeAlpha().toColourspace('srgb')
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer();
}

function mae(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** The failure reason decodeToSize rejected with (fails the test if it resolved). */
async function reason(p: Promise<DecodedImage>): Promise<{ reason: string; message: string; code: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { reason: string; code: string };
    return { reason: e.reason, message: e.message, code: e.code };
  }
  throw new Error('decodeToSize resolved; a rejection was expected');
}

describe('decodeToSize (native JPEG decoder)', () => {
  let addon: NativeAddon;
  const cases: Record<string, Buffer> = {};

  beforeAll(async () => {
    addon = loadAddon();
    if (!addon.decoderInfo().jpeg) throw new Error('this addon was built without libjpeg-turbo (install libjpeg62-turbo-dev and rebuild)');
    const fruits = readFileSync(photo('fruits.jpg'));
    cases['baseline fruits.jpg'] = fruits;
    cases['baseline 4:4:4 starry_night.jpg'] = readFileSync(photo('starry_night.jpg'));
    cases['EXIF 6 home-exif6.jpg'] = readFileSync(photo('home-exif6.jpg'));
    cases['progressive baboon.jpg'] = await sharp(photo('baboon.jpg')).jpeg({ quality: 90, progressive: true }).toBuffer();
    cases['grey building.jpg'] = await sharp(photo('building.jpg')).greyscale().jpeg({ quality: 90 }).toBuffer();
    // A large progressive picture, decoded at 1/8 from its DC scans only.
    cases['progressive 3000x2000 messi5.jpg'] = await sharp(photo('messi5.jpg')).resize(3000, 2000, { fit: 'fill' })
      .jpeg({ quality: 90, progressive: true }).toBuffer();
  });

  // Measured: 1.8 (home-exif6) to 5.5 (baboon) on these textured test photos,
  // 1.0-1.5x what sharp's own 'linear' kernel differs from its 'lanczos3';
  // the area average is softer than Lanczos, which sharpens.
  it('matches sharp\'s Lanczos resize to 224x224 within MAE 7 on 0-255, orientation applied', async () => {
    const figures: string[] = [];
    for (const [name, bytes] of Object.entries(cases)) {
      const orientation = (await sharp(bytes).metadata()).orientation ?? 1;
      const img = await addon.decodeToSize(bytes, { width: SIZE, height: SIZE, orientation });
      expect([img.width, img.height, img.channels], name).toEqual([SIZE, SIZE, 3]);
      const m = mae(img.data, await sharpReference(bytes));
      figures.push(`${name}: MAE ${m.toFixed(2)}`);
      expect(m, name).toBeLessThan(7);
    }
    console.log(`native vs sharp lanczos3 at ${SIZE}x${SIZE}: ${figures.join('; ')}`);
  });

  it('a wrong orientation is seen: the EXIF-6 photo unturned differs from sharp\'s by far more', async () => {
    const bytes = cases['EXIF 6 home-exif6.jpg']!;
    const ref = await sharpReference(bytes);
    const turned = await addon.decodeToSize(bytes, { width: SIZE, height: SIZE, orientation: 6 });
    const unturned = await addon.decodeToSize(bytes, { width: SIZE, height: SIZE, orientation: 1 });
    expect(mae(unturned.data, ref)).toBeGreaterThan(4 * mae(turned.data, ref));
  });

  it('picks the smallest DCT scale that keeps the target: 3000x2000 -> 224 decodes at 1/8 (375x250)', async () => {
    const bytes = cases['progressive 3000x2000 messi5.jpg']!;
    const at = (width: number, height: number) => addon.decodeToSize(bytes, { width, height, shrinkOnly: true });
    expect(await at(SIZE, SIZE)).toMatchObject({ width: 375, height: 250 });
    // 251 rows need 2/8 (750x500); sharp would pick 1/4 even for 224.
    expect(await at(SIZE, 251)).toMatchObject({ width: 750, height: 500 });
    // Bigger than the picture: full size.
    expect(await at(4000, 4000)).toMatchObject({ width: 3000, height: 2000 });
  });

  it('a progressive JPEG cut short after its first scans decodes at 1/8 (the scans it needs are in) and fails at full size', async () => {
    const cut = jpegCutWithEnd(cases['progressive 3000x2000 messi5.jpg']!);
    const small = await addon.decodeToSize(cut, { width: SIZE, height: SIZE });
    expect(mae(small.data, await sharpReference(cases['progressive 3000x2000 messi5.jpg']!))).toBeLessThan(7);
    const full = await reason(addon.decodeToSize(cut, { width: 3000, height: 2000 }));
    expect(full).toMatchObject({ reason: 'corrupt', code: 'IMLAGE_ERR_DECODE' });
    expect(full.message).toMatch(/premature end of data segment/);
  });

  it('a baseline JPEG cut at half with an end marker appended fails as corrupt', async () => {
    const r = await reason(addon.decodeToSize(jpegCutWithEnd(cases['baseline fruits.jpg']!), { width: SIZE, height: SIZE }));
    expect(r).toMatchObject({ reason: 'corrupt', code: 'IMLAGE_ERR_DECODE' });
    expect(r.message).toMatch(/Corrupt JPEG data: premature end of data segment/);
  });

  it('more scans than maxScans fails, with the limit and the count in the message', async () => {
    const r = await reason(addon.decodeToSize(manyScansJpeg(256, 256, 40), { width: 256, height: 256, maxScans: 5 }));
    expect(r.reason).toBe('corrupt');
    expect(r.message).toMatch(/the JPEG has more than 5 scans \(6 read so far\)/);
    const ok = await addon.decodeToSize(manyScansJpeg(256, 256, 40), { width: 256, height: 256, maxScans: 40 });
    expect(ok.width).toBe(256);
  });

  it('refuses a picture over maxPixels from its header, with its size', async () => {
    const r = await reason(addon.decodeToSize(cases['baseline fruits.jpg']!, { width: SIZE, height: SIZE, maxPixels: 1000 }));
    expect(r).toMatchObject({ reason: 'too-large' });
    expect(r.message).toMatch(/512x480 is more than 1000 pixels/);
  });

  it('leaves CMYK JPEGs and other formats to libvips: unsupported', async () => {
    const cmyk = await sharp(photo('fruits.jpg')).toColourspace('cmyk').jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    expect((await reason(addon.decodeToSize(cmyk, { width: SIZE, height: SIZE }))).reason).toBe('unsupported');
    expect((await reason(addon.decodeToSize(readFileSync(photo('fruits.webp')), { width: SIZE, height: SIZE }))).reason).toBe('unsupported');
  });

  it('a time limit or an abort stops a long progressive decode as timed-out, and the pool serves the next image', { timeout: 60_000 }, async () => {
    // 4000x4000 with 3000 scans at full size: seconds of decoding.
    const slow = manyScansJpeg(4000, 4000, 3000);
    const opts = { width: 4000, height: 4000, maxScans: 10_000 };
    addon.setDecodeThreads(1);
    const late = await reason(addon.decodeToSize(slow, { ...opts, timeoutMs: 50 }));
    expect(late).toMatchObject({ reason: 'timed-out', code: 'IMLAGE_ERR_DECODE' });
    const control = new AbortController();
    const aborted = addon.decodeToSize(slow, { ...opts, signal: control.signal });
    const next = addon.decodeToSize(cases['baseline fruits.jpg']!, { width: SIZE, height: SIZE });
    setTimeout(() => control.abort(), 20);
    expect((await reason(aborted)).reason).toBe('timed-out');
    expect((await next).width).toBe(SIZE);
    // Aborted before it starts: never decoded.
    const before = new AbortController();
    before.abort();
    expect((await reason(addon.decodeToSize(slow, { ...opts, signal: before.signal }))).reason).toBe('timed-out');
  });

  it('copies the bytes: a buffer transferred right after the call still decodes', async () => {
    const bytes = new Uint8Array(cases['baseline fruits.jpg']!);
    const p = addon.decodeToSize(bytes, { width: SIZE, height: SIZE });
    structuredClone(bytes.buffer, { transfer: [bytes.buffer] });
    expect(bytes.byteLength).toBe(0);
    expect((await p).width).toBe(SIZE);
  });

  it('runs many decodes at once on the pool, each result its own', async () => {
    expect(addon.setDecodeThreads(3)).toBe(3);
    expect(addon.decoderInfo().threads).toBe(3);
    const names = Object.keys(cases);
    const outs = await Promise.all(names.flatMap((n) => [1, 2, 3].map(() => addon.decodeToSize(cases[n]!, { width: 64, height: 48 }))));
    for (let i = 0; i < names.length; i++) {
      expect(outs[i * 3]!.data.equals(outs[i * 3 + 2]!.data), names[i]).toBe(true);
    }
    addon.setDecodeThreads(1);
  });

  it('refuses bad arguments with a TypeError naming the option', async () => {
    await expect(addon.decodeToSize(cases['baseline fruits.jpg']!, { width: 0, height: SIZE })).rejects.toThrow(/opts\.width must be an integer from 1/);
    await expect(addon.decodeToSize(cases['baseline fruits.jpg']!, { width: SIZE, height: SIZE, orientation: 9 })).rejects.toThrow(/opts\.orientation/);
    await expect(addon.decodeToSize('x' as unknown as Uint8Array, { width: SIZE, height: SIZE })).rejects.toThrow(/Uint8Array/);
  });
});

describe('decode pool lifecycle', () => {
  const require = createRequire(import.meta.url);
  const addonFile = process.env.IMLAGE_ADDON_PATH ?? (require('node-gyp-build') as { resolve(dir: string): string }).resolve(packageRoot);

  // The worker's environment goes away with a long decode running and more
  // queued: its cleanup hook cancels the decode and joins the pool's threads.
  for (const how of ['exits', 'is terminated'] as const) {
    it(`a worker thread that ${how} with decodes running and queued tears down cleanly; this thread's pool still serves`, { timeout: 60_000 }, async () => {
      const code = `
        const { parentPort, workerData: w } = require('node:worker_threads');
        const addon = require(w.addonFile);
        addon.setDecodeThreads(2);
        const opts = { width: 4000, height: 4000, maxScans: 10000, timeoutMs: 600000 };
        // Two threads: the small one, then the slow ones (two running, one queued).
        addon.decodeToSize(w.small, { width: 32, height: 32 }).then((r) => {
          parentPort.postMessage(r.width);
          if (w.exit) setTimeout(() => process.exit(0), 20);
        });
        for (let i = 0; i < 3; i++) addon.decodeToSize(w.slow, opts).catch(() => {});
      `;
      const worker = new Worker(code, {
        eval: true,
        workerData: { addonFile, slow: manyScansJpeg(4000, 4000, 3000), small: readFileSync(photo('fruits.jpg')), exit: how === 'exits' },
      });
      const first = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(first).toBe(32);
      const exitCode = how === 'exits'
        ? await new Promise<number>((resolve) => worker.on('exit', resolve))
        : await worker.terminate();
      expect(exitCode).toBe(how === 'exits' ? 0 : 1);
      const img = await loadAddon().decodeToSize(readFileSync(photo('baboon.jpg')), { width: SIZE, height: SIZE });
      expect(img.width).toBe(SIZE);
    });
  }
});
