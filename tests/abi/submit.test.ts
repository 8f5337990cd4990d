// plugin.submit() (issue #9): an SMI plugin behind the addon's one batch
// queue, as an ONNX session is. On the real colors plugin and the test
// plugins: batches form natively and give run()'s results, flush() releases
// a partial one, a failed call keeps its code, an image the plugin fails
// fails alone, close() runs what is queued, submitEncoded() decodes a photo
// straight into a plugin's queue, and an isolated plugin's child batches
// with that same queue.
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ImageInput, NativePlugin, SmiSubmitted } from '../../src/binding/types.js';
import { defaultOrtLibrary } from '../../src/binding/binding.js';
import { IsolatedPlugin } from '../../src/plugins/isolation/host.js';
import { photo } from '../native/helpers.js';
import { addon, COLORS_LIB, rejection, solid, testPlugin } from './helpers.js';

// Far beyond the tests' timeouts: only a full batch or flush() releases.
const HOLD = { maxBatch: 64, maxDelayMs: 3_600_000 };
const PHOTOS = ['fruits.jpg', 'baboon.jpg', 'messi5.jpg', 'starry_night.jpg', 'home-exif6.jpg', 'smarties.png'];

async function decode(file: string, width = 256, height = 256): Promise<ImageInput> {
  const { data, info } = await sharp(file).rotate().removeAlpha().resize(width, height, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
}

let colors: NativePlugin;
let images: ImageInput[];
beforeAll(async () => {
  colors = await addon().loadPlugin(COLORS_LIB, { configJson: '{}' });
  images = await Promise.all(PHOTOS.map((f) => decode(photo(f))));
});
afterAll(async () => colors?.close());

describe('plugin.submit', () => {
  it('forms batches of maxBatch natively, each image with the result run() gives it', async () => {
    const subs = await Promise.all(images.map((img) => colors.submit(img, { models: ['palette'], maxBatch: 3, maxDelayMs: 3_600_000 })));
    const { results } = await colors.run('palette', images);
    expect(subs.map((s) => s.batchSize)).toEqual([3, 3, 3, 3, 3, 3]);
    subs.forEach((s, i) => {
      expect(s.result).toHaveLength(1);
      expect(s.result[0]!.error).toBeUndefined();
      expect(s.result[0]!.tags.length).toBeGreaterThan(0);
      expect(s.result[0], PHOTOS[i]).toEqual(results[i]);
      expect(s.timing.inferenceMs).toBeGreaterThan(0);
      expect(s.timing.preprocessMs).toBe(0);
    });
    // The fruits are colourful, the baboon is not black and white.
    expect(subs[0]!.result[0]!.tags.map((t) => t.label)).toContain('colorful');
  });

  it('flush() runs a partial batch at once; images with other models batch apart, one result per model', async () => {
    const one = images.slice(0, 2).map((img) => colors.submit(img, { ...HOLD, models: ['palette'] }));
    const two = colors.submit(images[2]!, { ...HOLD, models: ['palette', 'palette'] });
    colors.flush();
    const [a, b, c] = await Promise.all([...one, two]) as SmiSubmitted[];
    expect([a!.batchSize, b!.batchSize, c!.batchSize]).toEqual([2, 2, 1]);
    expect(c!.result).toHaveLength(2);
    expect(c!.result[1]).toEqual(c!.result[0]);
  });

  it('copies the pixels by default; a borrowed buffer transferred while queued rejects with IMLAGE_ERR_DETACHED', async () => {
    const red = solid(8, 8, [220, 20, 30]);
    const copied = colors.submit(red, { ...HOLD, models: ['palette'] });
    const lent = solid(8, 8, [220, 20, 30]);
    const borrowed = colors.submit(lent, { ...HOLD, models: ['palette'], borrowPixels: true });
    structuredClone(red.data.buffer, { transfer: [red.data.buffer as ArrayBuffer] });
    structuredClone(lent.data.buffer, { transfer: [lent.data.buffer as ArrayBuffer] });
    colors.flush();
    const { result } = await copied;
    expect(result[0]!.tags.find((t) => t.label === 'red')?.score).toBe(1);
    const e = await rejection(borrowed);
    expect(e.code).toBe('IMLAGE_ERR_DETACHED');
  });

  it('refuses bad options with IMLAGE_ERR_INVALID_ARG, naming the option', async () => {
    const img = solid(2, 2, [1, 2, 3]);
    const cases: [unknown, RegExp][] = [
      [undefined, /options object/],
      [{ maxBatch: 1, maxDelayMs: 0 }, /options\.models must be an array/],
      [{ models: [], maxBatch: 1, maxDelayMs: 0 }, /1 to 256 models, got 0/],
      [{ models: [''], maxBatch: 1, maxDelayMs: 0 }, /models\[0\] must be a non-empty string/],
      [{ models: ['palette'], maxDelayMs: 0 }, /maxBatch must be a number/],
      [{ models: ['palette'], maxBatch: 0, maxDelayMs: 0 }, /maxBatch is out of range/],
    ];
    for (const [opts, message] of cases) {
      const e = await rejection((colors.submit as (i: unknown, o: unknown) => Promise<unknown>)(img, opts));
      expect(e.code, String(message)).toBe('IMLAGE_ERR_INVALID_ARG');
      expect(e.message).toMatch(message);
    }
  });
});

describe('plugin.submit with misbehaving plugins', () => {
  const BAD = solid(2, 2, [255, 0, 0]); // 'full' fails an image whose first pixel is 255
  // 'full' keeps its registered model in a static: the first test leaves none loaded, the second uses another id.

  it('a batch_inference that fails rejects every request of the batch with IMLAGE_ERR_PLUGIN_CALL and its message', async () => {
    const full = await addon().loadPlugin(testPlugin('full'), { configJson: '{}' });
    try {
      await full.registerModel({ id: 'm', files: [] }); // registered, never loaded
      const subs = [1, 2].map((v) => full.submit(solid(2, 2, [v, 0, 0]), { models: ['m'], maxBatch: 2, maxDelayMs: 3_600_000 }));
      for (const s of subs) {
        const e = await rejection(s);
        expect(e.code).toBe('IMLAGE_ERR_PLUGIN_CALL');
        expect(e.message).toContain("batch_inference('m') failed with SMI_ERROR_NOT_LOADED: model is not loaded");
      }
    } finally {
      await full.close();
    }
  });

  it('an image the plugin fails, or a malformed one, fails alone; its batch-mates resolve', async () => {
    const full = await addon().loadPlugin(testPlugin('full'), { configJson: '{}' });
    try {
      await full.registerModel({ id: 'k', files: [] });
      await full.loadModel('k');
      const malformed = { data: new Uint8Array(5), width: 2, height: 2, channels: 3 };
      const subs = [solid(5, 2, [51, 0, 0]), BAD, malformed].map((img) => full.submit(img, { models: ['k'], maxBatch: 3, maxDelayMs: 3_600_000 }));
      const [good, bad, short] = await Promise.all(subs);
      expect(good!.batchSize).toBe(3);
      expect(good!.result[0]!.tags).toEqual([{ label: 'batched', score: 0.2 }]);
      expect(Array.from(good!.result[0]!.outputs![0]!.data)).toEqual([5, 2, 3, 15]);
      expect(bad!.result[0]!.error).toBe('inference failed with SMI_ERROR_INVALID_ARGUMENT: first pixel is 255');
      expect(short!.result[0]!.error).toMatch(/image data has 5 bytes, expected 12/);
    } finally {
      await full.close();
    }
  });

  it('close() runs what is queued and resolves after it; later submits reject with IMLAGE_ERR_CLOSED', async () => {
    const serial = await addon().loadPlugin(testPlugin('serial'), { configJson: '{}' });
    const queued = [1, 2, 3].map((v) => serial.submit(solid(4, 4, [v, 0, 0]), { ...HOLD, models: ['m'] }));
    const settled: string[] = [];
    for (const q of queued) void q.then(() => settled.push('image'));
    await serial.close().then(() => settled.push('closed'));
    expect(settled).toEqual(['image', 'image', 'image', 'closed']);
    for (const q of queued) expect((await q).batchSize).toBe(3);
    const e = await rejection(serial.submit(solid(2, 2, [1, 2, 3]), { ...HOLD, models: ['m'] }));
    expect(e.code).toBe('IMLAGE_ERR_CLOSED');
  });
});

describe('addon.submitEncoded into a plugin', () => {
  it('gives the result of decodeToSize + run for the same size, and tells the plugin the shown size', async () => {
    const a = addon();
    for (const name of ['fruits.jpg', 'smarties.png']) {
      const bytes = readFileSync(photo(name));
      const { results, decoded } = a.submitEncoded(bytes, [{ plugin: colors, models: ['palette'], width: 256, height: 256 }], { maxBatch: 1, maxDelayMs: 0 });
      await decoded;
      const [got] = await Promise.all(results) as SmiSubmitted[];
      const want = await colors.run('palette', [await a.decodeToSize(bytes, { width: 256, height: 256 })]);
      expect(got!.result, name).toEqual(want.results);
      expect(got!.result[0]!.tags.length).toBeGreaterThan(0);
    }
    // set_error answers with the original size it was told (SMI 1.1).
    const sized = await a.loadPlugin(testPlugin('set_error'), { configJson: '{}' });
    try {
      const { results } = a.submitEncoded(readFileSync(photo('fruits.jpg')), [{ plugin: sized, models: ['m'], width: 32, height: 24, originalWidth: 512, originalHeight: 480 }], { maxBatch: 1, maxDelayMs: 0 });
      const [got] = await Promise.all(results) as SmiSubmitted[];
      expect(got!.result[0]!.tags).toEqual([{ label: 'original 512x480', score: 0.5 }]);
    } finally {
      await sized.close();
    }
  });

  it('refuses a target that is not a plugin, and a closed plugin, before anything is queued', async () => {
    const a = addon();
    const bytes = readFileSync(photo('fruits.jpg'));
    expect(() => a.submitEncoded(bytes, [{ plugin: {} as NativePlugin, models: ['palette'], width: 8, height: 8 }], { maxBatch: 1, maxDelayMs: 0 }))
      .toThrow(/targets\[0\]\.plugin must be a plugin from loadPlugin\(\)/);
    expect(() => a.submitEncoded(bytes, [{ plugin: colors, models: [], width: 8, height: 8 }], { maxBatch: 1, maxDelayMs: 0 }))
      .toThrow(/targets\[0\]\.models must name 1 to 256 models/);
    const closed = await a.loadPlugin(testPlugin('noop'), { configJson: '{}' });
    await closed.close();
    let err: (Error & { code?: string }) | undefined;
    try {
      a.submitEncoded(bytes, [{ plugin: closed, models: ['m'], width: 8, height: 8 }], { maxBatch: 1, maxDelayMs: 0 });
    } catch (e) {
      err = e as Error & { code?: string };
    }
    expect(err?.code).toBe('IMLAGE_ERR_CLOSED');
  });
});

describe('an isolated plugin batches in its child with the same queue', () => {
  const start = (library: string, timeoutMs = 30_000) =>
    IsolatedPlugin.start({ name: 'isolated', library, ortLibrary: defaultOrtLibrary(), timeoutMs, load: { configJson: '{}' } });

  it('images sent one by one form batches in the child, with the in-process results', async () => {
    const isolated = await start(COLORS_LIB);
    try {
      const subs = images.map((img) => isolated.submit(img, { models: ['palette'], maxBatch: 3, maxDelayMs: 3_600_000 }));
      const got = await Promise.all(subs);
      const { results } = await colors.run('palette', images);
      expect(got.map((s) => s.batchSize)).toEqual([3, 3, 3, 3, 3, 3]);
      got.forEach((s, i) => expect(s.result, PHOTOS[i]).toEqual([results[i]]));
      // flush() reaches the child after the images sent before it.
      const partial = isolated.submit(images[0]!, { ...HOLD, models: ['palette'] });
      isolated.flush();
      expect((await partial).batchSize).toBe(1);
    } finally {
      await isolated.close();
    }
  });

  it('a crash fails the images in flight with IMLAGE_ERR_PLUGIN_CRASHED; images sent while the new child loads wait for it', { timeout: 30_000 }, async () => {
    const isolated = await start(testPlugin('crash_third'));
    try {
      const one = { models: ['m'], maxBatch: 1, maxDelayMs: 0 };
      for (const v of [1, 2]) expect((await isolated.submit(solid(2, 2, [v, 0, 0]), one)).result[0]!.error).toBeUndefined();
      const crash = await rejection(isolated.submit(solid(2, 2, [3, 0, 0]), one));
      expect(crash.code).toBe('IMLAGE_ERR_PLUGIN_CRASHED');
      expect(crash.message).toMatch(/killed by SIGSEGV in its isolated process; it will be restarted/);
      // Both are sent while the restarted child is still loading its plugin.
      const next = await Promise.all([4, 5].map((v) => isolated.submit(solid(2, 2, [v, 0, 0]), one)));
      for (const n of next) expect(n.result[0]!.error).toBeUndefined();
      expect(isolated.restarts).toBe(1);
    } finally {
      await isolated.close();
    }
  });

  it('at most two batches are in the child: a crash fails those, the images held back run in the new child', { timeout: 30_000 }, async () => {
    const isolated = await start(testPlugin('crash_third'));
    try {
      // Batches of one, so two images in the child at a time. It crashes on its third call; what fails is what it
      // held then: image 3 and either image 4 (sent once 2 was answered) or image 2 (done, its answer not yet out).
      const all = await Promise.allSettled([1, 2, 3, 4, 5].map((v) => isolated.submit(solid(2, 2, [v, 0, 0]), { models: ['m'], maxBatch: 1, maxDelayMs: 0 })));
      const failed = all.flatMap((r, i) => (r.status === 'rejected' ? [i + 1] : []));
      expect([[3, 4], [2, 3]]).toContainEqual(failed);
      for (const r of all) if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('IMLAGE_ERR_PLUGIN_CRASHED');
      expect(isolated.restarts).toBe(1);
    } finally {
      await isolated.close();
    }
  });

  it('a plugin that hangs in a batch: its submits time out with IMLAGE_ERR_PLUGIN_TIMEOUT and the child is restarted', { timeout: 30_000 }, async () => {
    // The limit covers the child's load too, which a loaded machine or a sanitized build slows: 3 s.
    const isolated = await start(testPlugin('hang'), 3000);
    try {
      const subs = [1, 2].map((v) => isolated.submit(solid(2, 2, [v, 0, 0]), { models: ['m'], maxBatch: 2, maxDelayMs: 0 }));
      for (const s of subs) {
        const e = await rejection(s);
        expect(e.code).toBe('IMLAGE_ERR_PLUGIN_TIMEOUT');
        expect(e.message).toMatch(/"isolated" did not answer submit within 3000 ms; its process was ended/);
      }
      expect(isolated.restarts).toBe(1);
    } finally {
      await isolated.close();
    }
  });
});
