// The thread plan against libuv's pool (issue #9): libvips calls (sharp
// decodes and resizes, which hold a pool thread for their whole run) are
// capped one below the pool's size, so the short calls every image makes
// (file reads, header reads) always find a thread; the cores the cap leaves
// idle go to libvips threads per call.
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { describeThreads, planThreads } from '../../src/engine/threads.js';
import { setVipsDecodeSlots, vipsDecode } from '../../src/engine/vips-lock.js';
import { photo } from '../helpers/paths.js';

describe('planThreads and libuv pool', () => {
  it('runs one libvips call per decoder where the pool has room for them and the short calls', () => {
    expect(planThreads({}, 2, 4)).toEqual({ cores: 2, decoders: 2, vipsThreads: 1, ortThreads: 2, uvThreads: 4, vipsCalls: 2 });
    expect(planThreads({}, 3, 4)).toMatchObject({ decoders: 3, vipsCalls: 3, vipsThreads: 1 });
    expect(planThreads({}, 16, 17)).toMatchObject({ decoders: 16, vipsCalls: 16, vipsThreads: 1 });
  });

  it('keeps one pool thread free of libvips calls and shares the decoders out over the calls that fit', () => {
    expect(planThreads({}, 4, 4)).toMatchObject({ decoders: 4, vipsCalls: 3, vipsThreads: 1 });
    expect(planThreads({}, 16, 4)).toMatchObject({ decoders: 16, vipsCalls: 3, vipsThreads: 5 });
    expect(planThreads({}, 16, 8)).toMatchObject({ decoders: 16, vipsCalls: 7, vipsThreads: 2 });
    // A pool of one still decodes, one call at a time.
    expect(planThreads({}, 2, 1)).toMatchObject({ vipsCalls: 1, vipsThreads: 2 });
  });

  it('takes the caller\'s libvips threads and decoders as given', () => {
    expect(planThreads({ vipsThreads: 1 }, 16, 4)).toMatchObject({ decoders: 16, vipsCalls: 3, vipsThreads: 1 });
    expect(planThreads({ decoders: 2 }, 16, 4)).toMatchObject({ decoders: 2, vipsCalls: 2, vipsThreads: 1 });
  });

  it('says when the pool caps libvips decodes, and how to lift the cap', () => {
    expect(describeThreads(planThreads({}, 2, 4))).not.toMatch(/UV_THREADPOOL_SIZE/);
    expect(describeThreads(planThreads({}, 16, 4))).toMatch(/at most 3 libvips call\(s\) at once, 5 libvips thread\(s\) each.*UV_THREADPOOL_SIZE=17/);
  });
});

describe('vipsDecode', () => {
  afterAll(() => setVipsDecodeSlots(planThreads({}).vipsCalls));

  it('runs no more real sharp decodes at once than its slots, and every one of them', async () => {
    const bytes = readFileSync(photo('baboon.jpg'));
    for (const slots of [1, 2]) {
      setVipsDecodeSlots(slots);
      let running = 0;
      let most = 0;
      const sizes = await Promise.all(Array.from({ length: 8 }, (_, i) => vipsDecode(async () => {
        most = Math.max(most, ++running);
        try {
          return (await sharp(bytes).resize(64 + i, 64).raw().toBuffer({ resolveWithObject: true })).info.width;
        } finally {
          running--;
        }
      })));
      expect(most, `${slots} slot(s)`).toBe(slots);
      expect(sizes).toEqual([64, 65, 66, 67, 68, 69, 70, 71]);
    }
  });

  it('frees its slot when the call fails', async () => {
    setVipsDecodeSlots(1);
    await expect(vipsDecode(() => sharp(Buffer.from('not an image')).raw().toBuffer())).rejects.toThrow();
    const ok = await vipsDecode(async () => (await sharp(readFileSync(photo('baboon.jpg'))).metadata()).width);
    expect(ok).toBeGreaterThan(0);
  });
});
