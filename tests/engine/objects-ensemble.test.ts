// The shipped objects-ensemble on real photos: per label, its score is the
// mean of what NanoDet (the objects plugin) and CenterNet (the eval's
// candidate, its own RGB 0-255 input) score on their own, so each member was
// fed its own normalisation and size.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';
import type { PluginSuccess } from '../../src/engine/types.js';
import { photo, root } from '../helpers/paths.js';

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.create({
    config: false, mode: 'exact', pluginDirs: [join(root, 'eval', 'variants')],
    plugins: ['objects-ensemble', 'objects', 'objects-centernet'],
  });
}, 300_000);
afterAll(() => engine?.close());

const scores = (r: PluginSuccess) => new Map(r.tags.map((t) => [t.label, t.confidence]));

describe('objects-ensemble', () => {
  it.each(['messi5.jpg', 'fruits.jpg'])('%s: each label scores the mean of NanoDet and CenterNet', async (f) => {
    const r = await engine.tagOne(photo(f), { threshold: 0, topK: 0 });
    const [ens, nano, centre] = (['objects-ensemble', 'objects', 'objects-centernet'] as const).map((n) => scores(r.results[n] as PluginSuccess));
    expect(ens!.size).toBe(79); // 80 COCO labels, "toilet" excluded
    for (const [label, v] of ens!) {
      expect(v, label).toBeCloseTo(((nano!.get(label) ?? 0) + (centre!.get(label) ?? 0)) / 2, 5);
    }
    expect((r.results['objects-ensemble'] as PluginSuccess).models).toEqual([
      expect.stringMatching(/nanodet\.json$/), expect.stringMatching(/centernet\.json$/),
    ]);
  });

  it('finds the footballer at its shipped thresholds', async () => {
    const r = (await engine.tagOne(photo('messi5.jpg'))).results['objects-ensemble'] as PluginSuccess;
    expect(r.tags.map((t) => t.label)).toContain('person');
  });
});
