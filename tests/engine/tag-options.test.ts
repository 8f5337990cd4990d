// Per-call options of engine.tag()/tagOne() on the real engine: a subset of
// plugins (the others do not run), threshold and topK replacing the
// manifests' (per-label thresholds too), the mode per call, each option
// checked with a message naming it; per-image timing for observers; a
// plugin unloaded meanwhile failing its results only.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, isFailure, type ImageTiming, type PluginResult, type Tag, type TagResult } from '../../src/index.js';
import { photo } from '../helpers/paths.js';

let engine: Engine;

beforeAll(async () => {
  engine = await Engine.create({ config: false });
});
afterAll(() => engine?.close());

function tags(r: PluginResult | undefined) {
  if (!r || isFailure(r)) throw new Error(`expected tags, got ${JSON.stringify(r)}`);
  return r.tags;
}

/** The timings reported while `work` runs. */
async function timed<T>(e: Engine, work: () => Promise<T>): Promise<{ value: T; timings: ImageTiming[] }> {
  const timings: ImageTiming[] = [];
  const off = e.onTiming((t) => timings.push(t));
  try {
    return { value: await work(), timings };
  } finally {
    off();
  }
}

describe('tag options', () => {
  it('plugins: only the named ones run and answer', async () => {
    const { value: r, timings } = await timed(engine, () => engine.tagOne(photo('messi5.jpg'), { plugins: ['objects'] }));
    expect(Object.keys(r.results)).toEqual(['objects']);
    expect(tags(r.results.objects)[0]).toMatchObject({ label: 'person' });
    // nsfw never saw the image: no batch, no decode size for it.
    expect(timings).toHaveLength(1);
    expect(Object.keys(timings[0]!.plugins)).toEqual(['objects']);
    // Several names come back in the engine's order, whatever the order asked.
    const both = await engine.tagOne(photo('messi5.jpg'), { plugins: ['objects', 'nsfw'] });
    expect(Object.keys(both.results)).toEqual(['nsfw', 'objects']);
  });

  it('plugins: an unknown name is refused with the loaded ones listed', async () => {
    const err = await engine.tagOne(photo('apple.jpg'), { plugins: ['nsfw', 'colours'] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'IMLAGE_ERR_UNKNOWN_PLUGIN' });
    expect((err as Error).message).toMatch(/"colours" is not a plugin of this engine; it runs nsfw, objects/);
  });

  it('threshold and topK replace the manifests\' values, per-label thresholds included', async () => {
    const file = photo('messi5.jpg');
    const plain = await engine.tagOne(file);
    const all = await engine.tagOne(file, { threshold: 0, topK: 0 });
    const over = await engine.tagOne(file, { threshold: 0.2, topK: 0 });
    // objects: 80 COCO classes, "toilet" excluded by the manifest; top_k = 10 by default.
    expect(tags(plain.results.objects).length).toBeLessThanOrEqual(10);
    expect(tags(all.results.objects)).toHaveLength(79);
    // 0.2 applies to every label, also those with a manifest threshold of their own (keyboard 0.2, tv 0.15, person 0.4).
    // (A tag's count of boxes is left out: a lower threshold reports more boxes.)
    const scored = (ts: Tag[]) => ts.map(({ count: _count, ...t }) => t);
    expect(scored(tags(over.results.objects))).toEqual(scored(tags(all.results.objects).filter((t) => t.confidence >= 0.2)));
    expect(tags(over.results.objects).every((t) => t.count! >= 1)).toBe(true);
    const top1 = await engine.tagOne(file, { topK: 1 });
    expect(tags(top1.results.nsfw)).toEqual(tags(plain.results.nsfw).slice(0, 1));
    expect(tags(top1.results.objects)).toEqual(tags(plain.results.objects).slice(0, 1));
    // The next call without options is back to the plugins' own.
    const again = await engine.tagOne(file);
    expect(tags(again.results.objects)).toEqual(tags(plain.results.objects));
    expect(tags(plain.results.objects).length).toBeGreaterThan(1);
  });

  it('mode per call: a fast call answers as a fast Engine does, beside exact calls in the same batches', async () => {
    const fastEngine = await Engine.create({ config: false, mode: 'fast' });
    try {
      const names = ['messi5.jpg', 'baboon.jpg', 'fruits.jpg', 'apple.jpg'];
      const fastAlone = await Promise.all(names.map((n) => fastEngine.tagOne(photo(n))));
      const exactAlone = await Promise.all(names.map((n) => engine.tagOne(photo(n))));
      // Both modes at once through one engine: images of each mode batch only with their own.
      const mixed = await Promise.all(names.flatMap((n) => [engine.tagOne(photo(n), { mode: 'fast' }), engine.tagOne(photo(n))]));
      const strip = (r: TagResult) => Object.fromEntries(Object.entries(r.results).map(([k, v]) => [k, tags(v)]));
      names.forEach((_, i) => {
        expect(strip(mixed[2 * i]!)).toEqual(strip(fastAlone[i]!));
        expect(strip(mixed[2 * i + 1]!)).toEqual(strip(exactAlone[i]!));
      });
      expect(strip(fastAlone[0]!)).not.toEqual(strip(exactAlone[0]!));
    } finally {
      await fastEngine.close();
    }
  });

  it('checks each option and names it, with what it takes and what it got', async () => {
    const file = photo('apple.jpg');
    const bad = async (o: object) => engine.tagOne(file, o as never).then(() => 'accepted', (e: Error & { code?: string }) => `${e.code}: ${e.message}`);
    expect(await bad({ threshold: 1.5 })).toBe('IMLAGE_ERR_INVALID_ARG: tag option "threshold" must be a number from 0 to 1, got 1.5');
    expect(await bad({ threshold: '0.5' })).toBe('IMLAGE_ERR_INVALID_ARG: tag option "threshold" must be a number from 0 to 1, got "0.5"');
    expect(await bad({ threshold: Number.NaN })).toMatch(/"threshold" .* got NaN$/);
    expect(await bad({ topK: 2.5 })).toBe('IMLAGE_ERR_INVALID_ARG: tag option "topK" must be an integer of 0 or more (0: every tag over the threshold), got 2.5');
    expect(await bad({ topK: -1 })).toMatch(/"topK" .* got -1$/);
    expect(await bad({ mode: 'quick' })).toBe('IMLAGE_ERR_INVALID_ARG: tag option "mode" must be "exact" or "fast", got "quick"');
    expect(await bad({ plugins: [] })).toBe('IMLAGE_ERR_INVALID_ARG: tag option "plugins" must be a non-empty array of plugin names, got [] (array)');
    expect(await bad({ plugins: 'nsfw' })).toMatch(/"plugins" must be a non-empty array of plugin names, got "nsfw"$/);
    // Options are checked before any input is read.
    const read: string[] = [];
    const inputs = (function* () {
      read.push('read');
      yield file;
    })();
    await expect(engine.tag(inputs, { topK: -1 }).next()).rejects.toMatchObject({ code: 'IMLAGE_ERR_INVALID_ARG' });
    expect(read).toEqual([]);
  });

  it('reports each image\'s decode time and batch per plugin to onTiming listeners until they unsubscribe', async () => {
    const buf = readFileSync(photo('baboon.jpg'));
    const { timings } = await timed(engine, async () => {
      for await (const _ of engine.tag([buf, buf, buf, Buffer.from('not an image')])) void _;
    });
    expect(timings).toHaveLength(4);
    const good = timings.filter((t) => !t.failed);
    expect(good).toHaveLength(3);
    for (const t of good) {
      expect(t.decodeMs).toBeGreaterThan(0);
      expect(Object.keys(t.plugins)).toEqual(expect.arrayContaining(['nsfw', 'objects']));
      for (const p of Object.values(t.plugins)) {
        expect(p.batchSize).toBeGreaterThanOrEqual(1);
        expect(p.batchSize).toBeLessThanOrEqual(3);
        expect(p.inferenceMs).toBeGreaterThan(0);
      }
    }
    expect(timings.find((t) => t.failed)).toEqual({ failed: true, plugins: {} });
    const after: ImageTiming[] = [];
    const off = engine.onTiming((t) => after.push(t));
    off();
    await engine.tagOne(buf);
    expect(after).toEqual([]);
  });
});

describe('a plugin unloaded while the engine runs', () => {
  it('fails its results only, per image, and comes back when loaded again', async () => {
    const e = await Engine.create({ config: false });
    try {
      await e.manager.unload('objects');
      expect(e.plugins.map((p) => p.name)).toEqual(['nsfw']);
      const out: TagResult[] = [];
      for await (const r of e.tag([photo('messi5.jpg'), photo('apple.jpg')])) out.push(r);
      for (const r of out) {
        expect(r.error).toBeUndefined();
        expect(tags(r.results.nsfw).length).toBeGreaterThan(0);
        expect((r.results.objects as { error: string }).error).toMatch(/^plugin "objects" is not loaded \(its state is discovered\)/);
      }
      // Only the unloaded one asked for: nothing is decoded, and the result says why.
      const { value: only, timings } = await timed(e, () => e.tagOne(photo('messi5.jpg'), { plugins: ['objects'] }));
      expect(only.results.objects).toMatchObject({ error: expect.stringMatching(/not loaded/) });
      expect(timings[0]).toEqual({ failed: false, plugins: {} });
      await e.manager.load('objects');
      expect(tags((await e.tagOne(photo('messi5.jpg'))).results.objects)[0]).toMatchObject({ label: 'person' });
    } finally {
      await e.close();
    }
  });
});

describe('per-call options on a plugin batched in JS (native colors)', () => {
  it('concurrent calls with different topK batch apart and each gets its own', async () => {
    const e = await Engine.create({ config: false, plugins: ['colors'] });
    try {
      const file = photo('fruits.jpg');
      const all = tags((await e.tagOne(file, { topK: 0, threshold: 0 })).results.colors);
      expect(all.length).toBeGreaterThan(2);
      const [one, two, plain] = await Promise.all([e.tagOne(file, { topK: 1, threshold: 0 }), e.tagOne(file, { topK: 2, threshold: 0 }), e.tagOne(file)]);
      expect(tags(one.results.colors)).toEqual(all.slice(0, 1));
      expect(tags(two.results.colors)).toEqual(all.slice(0, 2));
      expect(tags(plain.results.colors)).toEqual(tags((await e.tagOne(file)).results.colors));
    } finally {
      await e.close();
    }
  });
});
