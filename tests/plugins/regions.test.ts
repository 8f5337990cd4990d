// SMI 1.2 regions through the engine, in process and across the isolated
// plugin's process boundary: the plugin sees the manifest's 32x32 pixels,
// the user gets boxes in the photo's own pixels, at the tags' threshold.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';
import { photo } from '../helpers/paths.js';
import { nativePluginDir, testPluginLib } from '../helpers/plugin-dir.js';

const r2 = (v: number) => Math.round(v * 100) / 100;

describe('regions of a native plugin', () => {
  it.each(['in-process', 'process'])('isolation %s: boxes in the original picture as displayed, at the threshold', async (isolation) => {
    const dir = nativePluginDir('boxes', testPluginLib('regions'), `isolation = "${isolation}"\n[output]\nthreshold = 0.5`);
    const engine = await Engine.create({ config: false, pluginDirs: [dir], plugins: ['boxes'], mode: 'fast' });
    try {
      // home-exif6.jpg is stored on its side (EXIF orientation 6): it is displayed, and boxed, turned.
      for (const file of [photo('messi5.jpg'), photo('home-exif6.jpg')]) {
        const r = await engine.tagOne(file);
        const m = await sharp(file).metadata();
        const [w, h] = (m.orientation ?? 1) >= 5 ? [m.height!, m.width!] : [m.width!, m.height!];
        expect(r.results.boxes, file).toEqual({
          tags: [{ label: 'thing', confidence: 0.9 }],
          // 'small' (0.1) is under the threshold.
          regions: [
            { label: 'whole', confidence: 0.9, box: [0, 0, w, h] },
            { label: 'overhang', confidence: 0.7, box: [0, r2(h / 2), w, r2(h / 2)] },
            { label: 'left half', confidence: 0.6, box: [0, 0, r2(w / 2), h] },
          ],
          model: expect.any(String),
          version: '1.0.0',
          inference_time_ms: expect.any(Number),
        });
      }
    } finally {
      await engine.close();
    }
  });

  it('a plugin without regions has no regions key', async () => {
    const dir = nativePluginDir('plain', testPluginLib('minor0'));
    const engine = await Engine.create({ config: false, pluginDirs: [dir], plugins: ['plain'], mode: 'fast' });
    try {
      const r = await engine.tagOne(photo('messi5.jpg'));
      expect(Object.keys(r.results.plain!)).not.toContain('regions');
      expect(r.results.plain).toMatchObject({ tags: [{ label: 'ok', confidence: 0.5 }] });
    } finally {
      await engine.close();
    }
  });
});
