// The engine calls malloc_trim (the addon's trimMemory) every
// trimMemoryEvery images, one trim at a time, and close() waits for it.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';
import { photo } from '../helpers/paths.js';

const glibc = Boolean((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime);
const photos = ['apple.jpg', 'baboon.jpg', 'fruits.jpg', 'home.jpg', 'messi5.jpg', 'smarties.png'].map(photo);

async function trimsAfter(trimMemoryEvery: number | undefined, images: string[]) {
  const engine = await Engine.create({ config: false, plugins: ['colors'], ...(trimMemoryEvery === undefined ? {} : { trimMemoryEvery }) });
  try {
    for await (const r of engine.tag(images)) expect(r.error, r.file).toBeUndefined();
  } finally {
    await engine.close();
  }
  return engine.memoryTrims();
}

describe('trimMemoryEvery', () => {
  it.runIf(glibc)('trims while tagging: every 2 images over 6 trims at least once and at most 3 times', async () => {
    const t = await trimsAfter(2, photos);
    expect(t.trims).toBeGreaterThanOrEqual(1);
    expect(t.trims).toBeLessThanOrEqual(3);
    expect(t.releasedMiB).toBeGreaterThanOrEqual(0);
  });

  it('0 never trims, and the default (200) does not trim within 6 images', async () => {
    expect((await trimsAfter(0, photos)).trims).toBe(0);
    expect((await trimsAfter(undefined, photos)).trims).toBe(0);
  });

  it('refuses what is not a whole number of images', async () => {
    await expect(Engine.create({ config: false, plugins: ['colors'], trimMemoryEvery: -1 })).rejects.toThrow(/trimMemoryEvery must be an integer of 0 or more/);
    await expect(Engine.create({ config: false, plugins: ['colors'], trimMemoryEvery: 2.5 })).rejects.toThrow(/trimMemoryEvery/);
  });
});
