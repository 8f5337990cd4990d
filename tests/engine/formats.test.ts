// Every container sharp reads goes through the engine: the same photo as
// JPEG, PNG, WebP, GIF, TIFF and AVIF gets the same top nsfw class, and
// close scores (lossy re-encodes move pixels a little).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, isFailure } from '../../src/index.js';
import { photo, photos } from '../helpers/paths.js';

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.create({ config: false, plugins: ['nsfw'] });
});
afterAll(() => engine?.close());

describe('image formats', () => {
  it('JPEG, GIF, TIFF and AVIF of one photo are all tagged alike', async () => {
    const files = [photo('squirrel_cls.jpg'), ...['squirrel.gif', 'squirrel.tiff', 'squirrel.avif'].map((f) => join(photos, 'formats', f))];
    const tops: { label: string; confidence: number }[] = [];
    for await (const r of engine.tag(files)) {
      expect(r.error, r.file).toBeUndefined();
      const n = r.results.nsfw!;
      if (isFailure(n)) throw new Error(n.error);
      tops.push(n.tags[0]!);
    }
    for (const t of tops) {
      expect(t.label).toBe(tops[0]!.label);
      // GIF quantises to 256 colours: the score moves, but not much.
      expect(Math.abs(t.confidence - tops[0]!.confidence)).toBeLessThan(0.15);
    }
  });
});
