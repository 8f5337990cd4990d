// The npm API on real photos: paths and buffers in, typed results out,
// bad input reported per image, lifecycle rules enforced.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, isFailure, type TagResult } from '../../src/index.js';
import { photo, photos } from '../helpers/paths.js';

let engine: Engine;
const logs: string[] = [];

beforeAll(async () => {
  engine = await Engine.create({ config: false, onLog: (m) => logs.push(m) });
});
afterAll(() => engine?.close());

describe('Engine', () => {
  it('loads both default plugins and says which provider runs them', () => {
    expect(engine.plugins.map((p) => p.name)).toEqual(['nsfw', 'objects']);
    expect(engine.ort.version).toMatch(/^1\.\d+\.\d+/);
    expect(logs.join('\n')).toMatch(/ONNX Runtime .* nsfw on cpu, objects on cpu; mode exact/);
  });

  it('tags paths, buffers and named buffers in input order', async () => {
    const buf = readFileSync(photo('fruits.jpg'));
    const out: TagResult[] = [];
    for await (const r of engine.tag([photo('messi5.jpg'), buf, { name: 'fruits-copy', data: buf }])) out.push(r);
    expect(out.map((r) => r.file)).toEqual([photo('messi5.jpg'), '<buffer 0>', 'fruits-copy']);
    // The same bytes give the same tags and scores whichever way they come in
    // (their share of a batch's inference time depends on the batch they ran in).
    const scores = (r: TagResult) => Object.fromEntries(Object.entries(r.results).map(([k, v]) => [k, isFailure(v) ? v : v.tags]));
    expect(scores(out[1]!)).toEqual(scores(out[2]!));
    expect(Object.keys(out[1]!.results)).toEqual(['nsfw', 'objects']);
    const objects = out[0]!.results.objects;
    expect(isFailure(objects)).toBe(false);
    if (!isFailure(objects)) expect(objects.tags[0]).toMatchObject({ label: 'person' });
  });

  it('a corrupt image fails alone; the rest of the batch is tagged', async () => {
    const inputs = [photo('baboon.jpg'), join(photos, 'bad', 'truncated.jpg'), join(photos, 'missing.jpg'), photo('apple.jpg')];
    const out: TagResult[] = [];
    for await (const r of engine.tag(inputs)) out.push(r);
    expect(out.map((r) => Boolean(r.error))).toEqual([false, true, true, false]);
    expect(out[1]!.error).toMatch(/cannot decode .*truncated\.jpg/);
    expect(out[2]!.error).toMatch(/missing\.jpg/);
    expect(Object.keys(out[3]!.results)).toEqual(['nsfw', 'objects']);
  });

  // fast mode decodes a JPEG or PNG once in the addon: nsfw's queue gets its
  // pixels there, colors (an SMI plugin, no native queue) gets them back in
  // JS from the same decode; a file cut short fails alone, with the native
  // decoder's message.
  it('fast mode feeds an ONNX and an SMI plugin from one native decode, and a cut JPEG fails alone', async () => {
    const fast = await Engine.create({ config: false, plugins: ['nsfw', 'colors'], mode: 'fast' });
    try {
      const inputs = [photo('fruits.jpg'), photo('butterfly.png'), join(photos, 'bad', 'truncated.jpg'), photo('home-exif6.jpg')];
      const out: TagResult[] = [];
      for await (const r of fast.tag(inputs)) out.push(r);
      expect(out.map((r) => Boolean(r.error))).toEqual([false, false, true, false]);
      expect(out[2]!.error).toMatch(/cannot decode .*truncated\.jpg: the JPEG data ends early \(libjpeg: /);
      for (const r of [out[0]!, out[1]!, out[3]!]) {
        expect(Object.keys(r.results)).toEqual(['nsfw', 'colors']);
        for (const res of Object.values(r.results)) expect(isFailure(res), JSON.stringify(res)).toBe(false);
      }
      expect(fast.stats().failed).toBe(1);
    } finally {
      await fast.close();
    }
  });

  it('fast mode decodes straight to model size and still classifies', async () => {
    const fast = await Engine.create({ config: false, plugins: ['nsfw'], mode: 'fast' });
    try {
      const r = await fast.tagOne(photo('messi5.jpg'), { threshold: 0 }); // all five classes, which sum to 1
      const nsfw = r.results.nsfw!;
      expect(isFailure(nsfw)).toBe(false);
      if (!isFailure(nsfw)) expect(nsfw.tags.reduce((s, t) => s + t.confidence, 0)).toBeCloseTo(1, 3);
    } finally {
      await fast.close();
    }
  });

  it('rejects unknown plugins and calls after close', async () => {
    await expect(Engine.create({ config: false, plugins: ['nope'] })).rejects.toMatchObject({ code: 'IMLAGE_ERR_UNKNOWN_PLUGIN' });
    const e = await Engine.create({ config: false, plugins: ['nsfw'] });
    await e.close();
    await expect(e.tagOne(photo('apple.jpg'))).rejects.toMatchObject({ code: 'IMLAGE_ERR_CLOSED' });
  });
});
