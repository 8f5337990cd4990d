// The pipeline on real photos and real models: batching forms under load,
// input is read only as fast as results are taken, both result orders, and
// per-stage timing is kept.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, type TagResult } from '../../src/index.js';
import { photos } from '../helpers/paths.js';

const files = readdirSync(photos).filter((f) => /\.(jpe?g|png|webp)$/.test(f)).map((f) => join(photos, f));
let engine: Engine;

beforeAll(async () => {
  engine = await Engine.create({ config: false, plugins: ['nsfw'], mode: 'fast', batchSize: 8, maxInFlight: 12 });
});
afterAll(() => engine?.close());

describe('pipeline', () => {
  it('batches images under load and keeps per-stage timing', async () => {
    const inputs = [...files, ...files];
    let n = 0;
    for await (const r of engine.tag(inputs)) {
      expect(r.file).toBe(inputs[n++]);
    }
    const s = engine.stats();
    expect(s.images).toBe(inputs.length);
    expect(s.decode.count).toBe(inputs.length);
    expect(s.decode.meanMs).toBeGreaterThan(0);
    expect(s.plugins.nsfw!.inference.count).toBe(inputs.length);
    expect(s.plugins.nsfw!.meanBatch).toBeGreaterThan(2);
    // Every stage of every image is counted once.
    for (const stage of ['queue', 'preprocess', 'inference', 'postprocess'] as const) expect(s.plugins.nsfw![stage].count, stage).toBe(inputs.length);
    expect(s.failed).toBe(0);
  });

  it('reads the input no further than maxInFlight ahead of the consumer', async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 40; i++) {
        pulled++;
        yield files[i % files.length]!;
      }
    }
    const seenAt: number[] = [];
    for await (const _ of engine.tag(source())) {
      seenAt.push(pulled);
      // A slow consumer: the engine must wait for it, not read ahead.
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(seenAt).toHaveLength(40);
    for (let i = 0; i < seenAt.length; i++) expect(seenAt[i]! - i).toBeLessThanOrEqual(12 + 1);
  });

  it("order 'completion' yields each result as it finishes, not in input order", async () => {
    // The good images wait in one batch until nothing else is on its way
    // (batchSize above their count, an hour's delay); the undecodable buffer
    // last in the input fails at decode, before that batch can run.
    const e = await Engine.create({ config: false, plugins: ['nsfw'], mode: 'fast', batchSize: 64, maxBatchDelayMs: 3_600_000 });
    const inputs = [...files.slice(0, 4), Buffer.from('not an image')];
    try {
      const byCompletion: TagResult[] = [];
      for await (const r of e.tag(inputs, { order: 'completion' })) byCompletion.push(r);
      expect(byCompletion[0]!.file).toBe('<buffer 0>');
      expect(byCompletion[0]!.error).toBeTruthy();
      expect(byCompletion.slice(1).map((r) => r.file).sort()).toEqual(files.slice(0, 4).sort());
      const byInput: TagResult[] = [];
      for await (const r of e.tag(inputs)) byInput.push(r);
      expect(byInput.map((r) => r.file)).toEqual([...files.slice(0, 4), '<buffer 1>']);
    } finally {
      await e.close();
    }
  }, 60_000);

  it('a lone image goes at once: with nothing else on its way, waiting for a fuller batch is pointless', async () => {
    // Held for company, it would wait an hour and this test would time out.
    const e = await Engine.create({ config: false, plugins: ['nsfw'], mode: 'fast', batchSize: 64, maxBatchDelayMs: 3_600_000 });
    try {
      const r = await e.tagOne(files[0]!);
      expect(r.error).toBeUndefined();
      const nsfw = e.stats().plugins.nsfw!;
      expect(nsfw.queue.count).toBe(1);
      expect(nsfw.meanBatch).toBe(1);
    } finally {
      await e.close();
    }
  }, 60_000);
});
