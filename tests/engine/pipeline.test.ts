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
    expect(s.plugins.nsfw!.queue.p95Ms).toBeGreaterThanOrEqual(s.plugins.nsfw!.queue.p50Ms);
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

  it("order 'completion' yields every result, as each finishes", async () => {
    const out: TagResult[] = [];
    for await (const r of engine.tag(files, { order: 'completion' })) out.push(r);
    expect(out.map((r) => r.file).sort()).toEqual([...files].sort());
  });

  it('a lone image goes at once: with nothing else on its way, waiting for a fuller batch is pointless', async () => {
    const e = await Engine.create({ config: false, plugins: ['nsfw'], mode: 'fast', batchSize: 64, maxBatchDelayMs: 2000 });
    try {
      const t0 = performance.now();
      const r = await e.tagOne(files[0]!);
      expect(r.error).toBeUndefined();
      const q = e.stats().plugins.nsfw!.queue;
      expect(q.count).toBe(1);
      // Far below the 2 s it would wait if the batcher held it for company.
      expect(q.meanMs).toBeLessThan(200);
      expect(performance.now() - t0).toBeLessThan(1500);
    } finally {
      await e.close();
    }
  });
});
