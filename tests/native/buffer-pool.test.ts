import { describe, expect, it } from 'vitest';

import type { ImageInput } from '../../src/binding/types.js';
import { CLS_MODEL, CLS_POST, CLS_PRE, addonWithOrt, allPhotos, decode } from './helpers.js';

// Input batches come from a per-session pool of reused buffers: a reused
// buffer must never change a result, whatever ran in it before.
describe('pooled input buffers', () => {
  it('many runs of varying batch sizes, sequential and concurrent, match fresh sessions', async () => {
    const addon = addonWithOrt();
    const images: ImageInput[] = await Promise.all(allPhotos().slice(0, 6).map(decode));
    const batchOf = (n: number, offset: number) =>
      Array.from({ length: n }, (_, k) => images[(k + offset) % images.length]!);

    const expected = new Map<string, Float32Array[]>();
    const key = (n: number, offset: number) => `${n}:${offset}`;
    const sizes = [6, 1, 3, 6, 2, 5, 1, 4, 6, 1];
    for (let i = 0; i < sizes.length; i++) {
      const n = sizes[i]!;
      if (expected.has(key(n, i % 3))) continue;
      const fresh = await addon.createSession(CLS_MODEL, { intraOpThreads: 1 });
      const { results } = await fresh.run(batchOf(n, i % 3), CLS_PRE, CLS_POST);
      expected.set(key(n, i % 3), results.map((r) => r.scores));
      await fresh.close();
    }

    const session = await addon.createSession(CLS_MODEL, { intraOpThreads: 1 });
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < sizes.length; i++) {
        const { results } = await session.run(batchOf(sizes[i]!, i % 3), CLS_PRE, CLS_POST);
        expect(results.map((r) => r.scores)).toEqual(expected.get(key(sizes[i]!, i % 3)));
      }
      // More runs in flight than the pool keeps idle buffers.
      const concurrent = await Promise.all(
        sizes.map((n, i) => session.run(batchOf(n, i % 3), CLS_PRE, CLS_POST)),
      );
      concurrent.forEach(({ results }, i) => {
        expect(results.map((r) => r.scores)).toEqual(expected.get(key(sizes[i]!, i % 3)));
      });
    }
    await session.close();
  });

  it.skipIf(process.env.IMLAGE_SANITIZED)('memory does not grow over many runs', async () => {
    const addon = addonWithOrt();
    const images: ImageInput[] = await Promise.all(allPhotos().slice(0, 6).map(decode));
    const session = await addon.createSession(CLS_MODEL, { intraOpThreads: 1 });
    const runs = async (count: number) => {
      for (let i = 0; i < count; i++) {
        await Promise.all([
          session.run(images, CLS_PRE, CLS_POST),
          session.run(images.slice(0, 1 + (i % images.length)), CLS_PRE, CLS_POST),
        ]);
      }
    };
    await runs(50);
    const before = process.memoryUsage().rss;
    await runs(300);
    const grown = process.memoryUsage().rss - before;
    // A batch here is ~0.65 MB; a leak of one buffer per run would be ~200 MB.
    expect(grown).toBeLessThan(48 * 1024 * 1024);
    await session.close();
  });
});
