// The quality plugin (Rust) through the engine: a blurred copy of a photo
// scores clearly blurrier than the photo; orientation follows the aspect.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, isFailure, type TagResult } from '../../src/index.js';
import { photo } from '../helpers/paths.js';

let engine: Engine | undefined;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'imlage-quality-'));
  // threshold 0: every score, not only those at 0.5 or more.
  engine = await Engine.create({ plugins: ['quality'], config: false, threshold: 0 });
});
afterAll(async () => {
  await engine?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function scores(files: string[]): Promise<Record<string, number>[]> {
  const out: TagResult[] = [];
  for await (const r of engine!.tag(files)) out.push(r);
  return out.map((r) => {
    const q = r.results.quality;
    if (!q || isFailure(q)) throw new Error(`quality failed on ${r.file}: ${JSON.stringify(q)}`);
    return Object.fromEntries(q.tags.map((t) => [t.label, t.confidence]));
  });
}

describe('quality plugin', () => {
  it('scores a blurred copy as blurry and the photo as sharp', async () => {
    const blurred = join(tmp, 'home-blur8.png');
    await sharp(photo('home.jpg')).blur(8).png().toFile(blurred);
    const [orig, blur] = await scores([photo('home.jpg'), blurred]);
    expect(orig!.sharp).toBeGreaterThan(0.8);
    expect(blur!.blurry).toBeGreaterThan(0.9);
    expect(blur!.blurry! - orig!.blurry!).toBeGreaterThan(0.5);
    expect(orig!.sharp! + orig!.blurry!).toBeCloseTo(1, 5);
  });

  it('tags noise, exposure and orientation', async () => {
    const bright = join(tmp, 'messi-bright.png');
    await sharp(photo('messi5.jpg')).linear(2.5, 0).png().toFile(bright);
    const tall = join(tmp, 'tall.png');
    await sharp(photo('fruits.jpg')).resize(200, 400, { fit: 'fill' }).png().toFile(tall);
    const { data, info } = await sharp(photo('building.jpg')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(data[i]! + 15 * Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd()))));
    const noisy = join(tmp, 'building-noise.png');
    await sharp(data, { raw: info }).png().toFile(noisy);

    const [messi, over, portrait, square, building, noised] = await scores([
      photo('messi5.jpg'), bright, tall, photo('baboon.jpg'), photo('building.jpg'), noisy,
    ]);
    expect(messi!.landscape).toBe(1);
    expect(portrait!.portrait).toBe(1);
    expect(square!.square).toBe(1);
    expect(messi!.overexposed).toBeLessThan(0.1);
    expect(over!.overexposed).toBeGreaterThan(0.5);
    expect(building!.noisy).toBeLessThan(0.2);
    expect(noised!.noisy).toBeGreaterThan(0.8);
  });

  it('by default reports only the tags at 0.5 or more', async () => {
    // One instance of an SMI library per process: close the first engine.
    await engine?.close();
    engine = undefined;
    const e = await Engine.create({ plugins: ['quality'], config: false });
    try {
      const out: TagResult[] = [];
      for await (const r of e.tag([photo('home.jpg')])) out.push(r);
      const q = out[0]!.results.quality;
      expect(q && !isFailure(q) && q.tags.map((t) => t.label).sort()).toEqual(['landscape', 'sharp']);
    } finally {
      await e.close();
    }
  });
});
