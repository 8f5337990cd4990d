// The colors plugin (plugins/colors, plain C) on synthetic images and on the
// real photos in tests/fixtures/photos.
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ImageInput, NativePlugin, SmiImageResult } from '../../src/binding/types.js';
import { allPhotos, photo } from '../native/helpers.js';
import { addon, COLORS_LIB, rejection, solid } from './helpers.js';

const COLOURS = ['red', 'orange', 'yellow', 'green', 'cyan', 'blue', 'purple', 'pink', 'brown', 'black', 'white', 'gray'];
const TONES = ['dark', 'bright', 'low key', 'high key', 'high contrast', 'low contrast', 'black and white', 'colorful'];

async function decode256(file: string): Promise<ImageInput> {
  const { data, info } = await sharp(file)
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .resize(256, 256, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: info.channels };
}

const score = (r: SmiImageResult, label: string) => r.tags.find((t) => t.label === label)?.score;
const colours = (r: SmiImageResult) => r.tags.filter((t) => COLOURS.includes(t.label));

let plugin: NativePlugin;
beforeAll(async () => {
  plugin = await addon().loadPlugin(COLORS_LIB, { configJson: JSON.stringify({ max_colors: 3, min_fraction: 0.08 }) });
});
afterAll(async () => plugin?.close());

async function tag(image: ImageInput): Promise<SmiImageResult> {
  const { results } = await plugin.run('palette', [image]);
  expect(results[0].error).toBeUndefined();
  return results[0];
}

describe('colors plugin', () => {
  it('describes itself', async () => {
    expect(plugin.info).toMatchObject({ id: 'colors', name: 'colors', version: '1.0.0', frameworks: ['none'], threadSafe: true });
    const info = (await plugin.modelInfo('palette')) as { id: string; labels: string[] };
    expect(info.id).toBe('palette');
    expect(info.labels).toEqual([...COLOURS, ...TONES]);
  });

  it('names solid colours with score 1 (fraction of pixels)', async () => {
    const cases: [[number, number, number], string][] = [
      [[220, 20, 30], 'red'],
      [[250, 140, 20], 'orange'],
      [[240, 230, 40], 'yellow'],
      [[30, 180, 40], 'green'],
      [[30, 90, 220], 'blue'],
      [[130, 40, 200], 'purple'],
      [[0, 0, 0], 'black'],
      [[255, 255, 255], 'white'],
      [[128, 128, 128], 'gray'],
      [[110, 70, 30], 'brown'],
    ];
    for (const [rgb, name] of cases) {
      const r = await tag(solid(16, 16, rgb));
      expect(colours(r), name).toEqual([{ label: name, score: 1 }]);
      expect(score(r, 'low contrast')).toBe(1);
    }
    expect(score(await tag(solid(8, 8, [0, 0, 0])), 'dark')).toBe(1);
    expect(score(await tag(solid(8, 8, [255, 255, 255])), 'bright')).toBe(1);
    expect(score(await tag(solid(8, 8, [128, 128, 128])), 'black and white')).toBe(1);
  });

  it('splits a two-colour image by pixel fraction and honours max_colors / min_fraction', async () => {
    const img = solid(10, 10, [30, 90, 220]);
    for (let i = 0; i < 25; ++i) img.data.set([220, 20, 30], i * 3); // 25% red
    expect(colours(await tag(img))).toEqual([
      { label: 'blue', score: 0.75 },
      { label: 'red', score: 0.25 },
    ]);
    // One instance per library and process: reload with another config.
    const twice = await rejection(addon().loadPlugin(COLORS_LIB, { configJson: '{}' }));
    expect(twice.code).toBe('IMLAGE_ERR_PLUGIN_LOAD');
    expect(twice.message).toContain('already loaded in this process');
    await plugin.close();
    const one = await addon().loadPlugin(COLORS_LIB, { configJson: '{"max_colors": 1, "min_fraction": 0}' });
    expect(colours((await one.run('palette', [img])).results[0])).toEqual([{ label: 'blue', score: 0.75 }]);
    await one.close();
    const strict = await addon().loadPlugin(COLORS_LIB, { configJson: '{"max_colors": 12, "min_fraction": 0.3}' });
    expect(colours((await strict.run('palette', [img])).results[0])).toEqual([{ label: 'blue', score: 0.75 }]);
    await strict.close();
    plugin = await addon().loadPlugin(COLORS_LIB, { configJson: JSON.stringify({ max_colors: 3, min_fraction: 0.08 }) });
  });

  it('takes gray and RGBA images (transparent pixels ignored)', async () => {
    const gray = { data: new Uint8Array(64).fill(250), width: 8, height: 8, channels: 1 };
    expect(colours(await tag(gray))).toEqual([{ label: 'white', score: 1 }]);
    const rgba = new Uint8Array(8 * 8 * 4);
    for (let i = 0; i < 64; ++i) rgba.set(i < 16 ? [30, 180, 40, 255] : [220, 20, 30, 0], i * 4);
    expect(colours(await tag({ data: rgba, width: 8, height: 8, channels: 4 }))).toEqual([{ label: 'green', score: 1 }]);
  });

  it('refuses invalid config at initialize with the reason', async () => {
    await plugin.close();
    const e = await rejection(addon().loadPlugin(COLORS_LIB, { configJson: '{"max_colors": 40}' }));
    expect(e.code).toBe('IMLAGE_ERR_PLUGIN_INIT');
    expect(e.message).toContain(COLORS_LIB);
    expect(e.message).toContain('max_colors must be an integer within [1, 12]');
    plugin = await addon().loadPlugin(COLORS_LIB, { configJson: JSON.stringify({ max_colors: 3, min_fraction: 0.08 }) });
  });

  it('an unknown model fails each image with the plugin message', async () => {
    const { results } = await plugin.run('nope', [solid(2, 2, [0, 0, 0])]);
    expect(results[0].error).toBe("inference failed with SMI_ERROR_NOT_FOUND: colors has one model, 'palette'");
  });

  it('gives sensible, valid tags on real photos', async () => {
    const files = allPhotos();
    expect(files.length).toBeGreaterThan(5);
    const images = await Promise.all(files.map(decode256));
    const { results, timing } = await plugin.run('palette', images);
    expect(timing.inferenceMs).toBeGreaterThan(0);
    const byName = new Map(files.map((f, i) => [path.basename(f), results[i]]));
    for (const [name, r] of byName) {
      expect(r.error, name).toBeUndefined();
      const cs = colours(r);
      expect(cs.length, name).toBeGreaterThanOrEqual(1);
      expect(cs.length, name).toBeLessThanOrEqual(3);
      for (let i = 1; i < cs.length; ++i) expect(cs[i - 1].score).toBeGreaterThanOrEqual(cs[i].score);
      expect(cs.reduce((s, t) => s + t.score, 0)).toBeLessThanOrEqual(1.0001);
      for (const t of r.tags) {
        expect([...COLOURS, ...TONES]).toContain(t.label);
        expect(t.score).toBeGreaterThanOrEqual(0);
        expect(t.score).toBeLessThanOrEqual(1);
      }
    }
    // Smarties: sweets of many colours on a white table.
    const smarties = byName.get('smarties.png')!;
    expect(score(smarties, 'colorful')).toBeGreaterThan(0.7);
    expect(colours(smarties)[0].label).toBe('white');
    // The Starry Night: mostly blue, nowhere white or bright.
    const starry = byName.get('starry_night.jpg')!;
    expect(colours(starry)[0].label).toBe('blue');
    expect(score(starry, 'blue')).toBeGreaterThan(0.4);
    expect(score(starry, 'white')).toBeUndefined();
    expect(score(starry, 'bright')).toBeUndefined();
    // The same photo with and without an EXIF rotation gives the same colours.
    expect(colours(byName.get('home-exif6.jpg')!).map((t) => t.label)).toEqual(colours(byName.get('home.jpg')!).map((t) => t.label));
  });

  it('is deterministic under concurrent runs (thread-safe)', async () => {
    const img = await decode256(photo('baboon.jpg'));
    const runs = await Promise.all(Array.from({ length: 8 }, () => plugin.run('palette', [img, img])));
    for (const run of runs) expect(run.results).toEqual(runs[0].results);
  });
});
