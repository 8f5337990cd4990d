// The objects plugin's regions: the shipped NanoDet model through the real
// engine on real photos. Subject boxes were measured by looking at each photo
// (pixels of the picture as displayed); a region must overlap its subject
// with generous tolerance, and every region must be sane whatever the
// picture: a reported tag, inside the image, no two of one label overlapping
// past the manifest's iou.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, isFailure, type PluginSuccess, type Region } from '../../src/index.js';
import { readManifest } from '../../src/plugins/manifest.js';
import { photo, root } from '../helpers/paths.js';

type Box = [number, number, number, number];
const iou = (a: Box, b: Box): number => {
  const ix = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  return (ix * iy) / (a[2] * a[3] + b[2] * b[3] - ix * iy);
};

const manifest = readManifest(join(root, 'plugins', 'objects', 'plugin.toml'));
const IOU = manifest.kind === 'onnx' ? manifest.output.regions!.iou : NaN;
// The shared corpus (eval/corpus.mjs), where this machine has it; CI has only the fixtures.
const CORPUS = '/tmp/imlage-corpus/real';

let engine: Engine;

beforeAll(async () => {
  engine = await Engine.create({ plugins: ['objects'], config: false });
});

afterAll(async () => {
  await engine?.close();
});

async function objects(file: string, opts: { mode?: 'exact' | 'fast'; threshold?: number } = {}): Promise<PluginSuccess> {
  const r = (await engine.tagOne(file, opts)).results.objects!;
  if (isFailure(r)) throw new Error(r.error);
  expect(r.regions).toBeDefined();
  return r;
}

/** The region of `label` overlapping `box` best. */
function best(r: PluginSuccess, label: string, box: Box): { region?: Region; iou: number } {
  let out: { region?: Region; iou: number } = { iou: 0 };
  for (const g of r.regions!) if (g.label === label && iou(g.box, box) > out.iou) out = { region: g, iou: iou(g.box, box) };
  return out;
}

async function expectSane(file: string, r: PluginSuccess): Promise<void> {
  const m = await sharp(file).metadata();
  const [w, h] = (m.orientation ?? 1) >= 5 ? [m.height!, m.width!] : [m.width!, m.height!];
  const tags = new Map(r.tags.map((t) => [t.label, t.confidence]));
  for (const g of r.regions!) {
    expect(tags.has(g.label), `${file}: region ${g.label} is a reported tag`).toBe(true);
    expect(g.confidence).toBeLessThanOrEqual(tags.get(g.label)!);
    const [x, y, bw, bh] = g.box;
    expect(x >= 0 && y >= 0 && bw > 0 && bh > 0 && x + bw <= w && y + bh <= h, `${file}: ${g.box} inside ${w}x${h}`).toBe(true);
  }
  for (const a of r.regions!) {
    for (const b of r.regions!) if (a !== b && a.label === b.label) expect(iou(a.box, b.box)).toBeLessThanOrEqual(IOU);
  }
  const scores = r.regions!.map((g) => g.confidence);
  expect(scores).toEqual([...scores].sort((p, q) => q - p));
}

describe('objects regions on real photos', () => {
  it('boxes the footballer and the ball in messi5.jpg, in both modes', async () => {
    for (const mode of ['exact', 'fast'] as const) {
      // Measured: the player from his raised hand to his boot, the ball on the grass.
      const r = await objects(photo('messi5.jpg'), { mode });
      expect(best(r, 'person', [65, 60, 395, 275]).iou).toBeGreaterThan(0.7);
      // Its best person box is the tag's score.
      expect(best(r, 'person', [65, 60, 395, 275]).region!.confidence).toBe(r.tags.find((t) => t.label === 'person')!.confidence);
      await expectSane(photo('messi5.jpg'), r);
      const low = await objects(photo('messi5.jpg'), { mode, threshold: 0.3 });
      expect(best(low, 'sports ball', [337, 287, 52, 50]).iou).toBeGreaterThan(0.6);
      await expectSane(photo('messi5.jpg'), low);
    }
  });

  it('gives an EXIF-rotated copy the same boxes in displayed pixels', async () => {
    // home-exif6.jpg is home.jpg stored turned with orientation 6 (scripts/fetch-fixtures.sh).
    const plain = await objects(photo('home.jpg'), { threshold: 0.45 });
    const turned = await objects(photo('home-exif6.jpg'), { threshold: 0.45 });
    expect(plain.regions!.length).toBeGreaterThan(0);
    for (const g of plain.regions!) {
      expect(Math.max(...turned.regions!.filter((t) => t.label === g.label).map((t) => iou(t.box, g.box)))).toBeGreaterThan(0.8);
    }
  });

  it('keeps every region sane across the fixture photos at a low threshold', async () => {
    for (const name of ['aero1.jpg', 'apple.jpg', 'baboon.jpg', 'building.jpg', 'butterfly.jpg', 'fruits.jpg', 'squirrel_cls.jpg', 'smarties.png', 'chicky_512.png']) {
      const r = await objects(photo(name), { threshold: 0.25 });
      await expectSane(photo(name), r);
    }
  });

  it.skipIf(!existsSync(CORPUS))('boxes the subject of corpus photos (motorcycle, astronaut)', async () => {
    const moto = await objects(join(CORPUS, 'python3-skimage__motorcycle_left.png'));
    // Measured: rear wheel to front wheel, mirror tops to the tyres' contact.
    expect(best(moto, 'motorcycle', [95, 95, 600, 350]).iou).toBeGreaterThan(0.7);
    const astronaut = await objects(join(CORPUS, 'python3-skimage__astronaut.png'));
    // Measured: hair to the bottom edge, left shoulder to the helmet she holds.
    expect(best(astronaut, 'person', [20, 15, 345, 497]).iou).toBeGreaterThan(0.7);
    await expectSane(join(CORPUS, 'python3-skimage__motorcycle_left.png'), moto);
  });
});
