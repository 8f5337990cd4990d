// SMI 1.2 regions through the addon: a plugin's boxes come back clipped to
// the image it got, scaled to the original picture and best first; a bad
// pointer, count, label, confidence or box fails that image only; a result
// whose struct_size does not cover the regions is read as before (a plugin
// built for SMI 1.0 runs unchanged: hardening.test.ts).
import { describe, expect, it } from 'vitest';

import { addon, solid, testPlugin } from './helpers.js';

const load = (variant: string) => addon().loadPlugin(testPlugin(variant), { configJson: '{}' });
// The test plugins' boxes are fractions of the image they get (misbehaving.c, make_regions).
const image = (firstByte: number) => solid(32, 16, [firstByte, 0, 0]);

describe('SMI regions', () => {
  it('are clipped to the image, mapped to the original picture and sorted best first', async () => {
    const plugin = await load('regions');
    const resized = { ...image(1), originalWidth: 640, originalHeight: 480 };
    const { results } = await plugin.run('m', [resized, image(1)]);
    expect(results[0]).toEqual({
      tags: [{ label: 'thing', score: 0.9 }],
      regions: [
        { label: 'whole', confidence: 0.9, box: [0, 0, 640, 480] },
        { label: 'overhang', confidence: 0.7, box: [0, 240, 640, 240] }, // [-2, 8, 36, 16] clipped, then x20, x30
        { label: 'left half', confidence: 0.6, box: [0, 0, 320, 480] },
        { label: 'small', confidence: 0.1, box: [160, 120, 160, 120] },
      ],
    });
    // No original size: the pixels are the picture.
    expect(results[1].regions).toEqual([
      { label: 'whole', confidence: 0.9, box: [0, 0, 32, 16] },
      { label: 'overhang', confidence: 0.7, box: [0, 8, 32, 8] },
      { label: 'left half', confidence: 0.6, box: [0, 0, 16, 16] },
      { label: 'small', confidence: 0.1, box: [8, 4, 8, 4] },
    ]);
    await plugin.close();
  });

  it.each([
    [246, "plugin returned a label that is not valid UTF-8 for region 0 ('caf\\xe9')"],
    [247, 'plugin returned a NULL label for region 0'],
    [248, "plugin returned region 1 ('whole') with confidence 1.5 (must be within [0,1])"],
    [249, "plugin returned region 2 ('small') with box [8, 4, 8, inf] (x, y, width and height must be finite)"],
    [250, 'plugin returned region_count 4 with a NULL regions array'],
    [251, 'plugin returned 1099511627776 regions (at most 10000 are allowed)'],
    [252, 'plugin returned region 2 as NULL'],
    [253, 'plugin returned region 1 with struct_size 16 (SMI 1.2 requires at least 32)'],
    [254, "plugin returned region 3 ('overhang') with box [nan, 8, 36, 16] (x, y, width and height must be finite)"],
    [255, "plugin returned region 0 ('left half') with box [0, 0, -1, 16] (width and height must not be negative)"],
  ])('fault %i fails only that image of the batch', async (fault, message) => {
    const plugin = await load('bad_regions');
    const { results } = await plugin.run('m', [image(1), image(fault), image(2)]);
    expect(results[1]).toEqual({ tags: [], error: message });
    for (const r of [results[0], results[2]]) {
      expect(r.error).toBeUndefined();
      expect(r.regions).toHaveLength(4);
    }
    await plugin.close();
  });

  it('are not read when the result struct_size the host finds does not cover them', async () => {
    const plugin = await load('regions_short');
    const { results } = await plugin.run('m', [image(1)]);
    expect(results[0]).toEqual({ tags: [{ label: 'thing', score: 0.9 }] });
    await plugin.close();
  });
});
