import { describe, expect, it } from 'vitest';

import { CLS_MODEL, CLS_POST, CLS_PRE, addonWithOrt, allPhotos, decode } from './helpers.js';

describe('session.submit (native dynamic batching)', () => {
  it('forms batches from concurrent submits; results equal run()', async () => {
    const addon = addonWithOrt();
    const session = await addon.createSession(CLS_MODEL, { intraOpThreads: 1 });
    const images = await Promise.all(allPhotos().slice(0, 6).map(decode));
    const inputs = Array.from({ length: 24 }, (_, i) => images[i % images.length]!);
    const subs = await Promise.all(inputs.map((img) => session.submit(img, CLS_PRE, CLS_POST, { maxBatch: 8, maxDelayMs: 1000 })));
    expect(Math.max(...subs.map((s) => s.batchSize))).toBeGreaterThan(1);
    for (const s of subs) {
      expect(s.batchSize).toBeLessThanOrEqual(8);
      expect(s.queueMs).toBeGreaterThanOrEqual(0);
      expect(s.timing.inferenceMs).toBeGreaterThan(0);
      expect(s.result.error).toBeUndefined();
    }
    const { results } = await session.run(images, CLS_PRE, CLS_POST);
    subs.forEach((s, i) => {
      const want = results[i % images.length]!;
      expect(s.result.scores.length).toBe(want.scores.length);
      for (let k = 0; k < want.scores.length; k++) expect(Math.abs(s.result.scores[k]! - want.scores[k]!)).toBeLessThan(1e-5);
      expect(s.result.top.map((t) => t.index)).toEqual(want.top.map((t) => t.index));
    });
    await session.close();
  });

  it('holds a lone submit for maxDelayMs unless flush() releases it', async () => {
    const addon = addonWithOrt();
    const session = await addon.createSession(CLS_MODEL, { intraOpThreads: 1 });
    const [image] = await Promise.all(allPhotos().slice(0, 1).map(decode));
    let settled = false;
    const p = session.submit(image!, CLS_PRE, CLS_POST, { maxBatch: 16, maxDelayMs: 60_000 }).then((r) => {
      settled = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false);
    const t0 = performance.now();
    session.flush();
    const r = await p;
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(r.batchSize).toBe(1);
    expect(r.queueMs).toBeGreaterThanOrEqual(90);
    // A short delay releases a lone request on its own.
    const q = await session.submit(image!, CLS_PRE, CLS_POST, { maxBatch: 16, maxDelayMs: 5 });
    expect(q.batchSize).toBe(1);
    await session.close();
  });

  it('batches only requests with equal specs', async () => {
    const addon = addonWithOrt();
    const session = await addon.createSession(CLS_MODEL, { intraOpThreads: 1 });
    const images = await Promise.all(allPhotos().slice(0, 4).map(decode));
    const opts = { maxBatch: 4, maxDelayMs: 60_000 };
    const a = images.map((img) => session.submit(img, CLS_PRE, CLS_POST, opts));
    const b = images.map((img) => session.submit(img, CLS_PRE, { ...CLS_POST, topK: 1 }, opts));
    const [ra, rb] = await Promise.all([Promise.all(a), Promise.all(b)]);
    for (const r of ra) expect(r.batchSize).toBe(4);
    for (const r of rb) {
      expect(r.batchSize).toBe(4);
      expect(r.result.top).toHaveLength(1);
    }
    await session.close();
  });

  it('close() runs queued submits at once, then refuses new ones', async () => {
    const addon = addonWithOrt();
    const session = await addon.createSession(CLS_MODEL, { intraOpThreads: 1 });
    const images = await Promise.all(allPhotos().slice(0, 3).map(decode));
    const subs = images.map((img) => session.submit(img, CLS_PRE, CLS_POST, { maxBatch: 16, maxDelayMs: 60_000 }));
    const t0 = performance.now();
    await session.close();
    expect(performance.now() - t0).toBeLessThan(5_000);
    const done = await Promise.all(subs);
    for (const r of done) {
      expect(r.result.error).toBeUndefined();
      expect(r.batchSize).toBe(3);
    }
    await expect(session.submit(images[0]!, CLS_PRE, CLS_POST, { maxBatch: 1, maxDelayMs: 0 })).rejects.toMatchObject({ code: 'IMLAGE_ERR_CLOSED' });
    session.flush(); // harmless after close
  });

  it('rejects bad arguments and fails a malformed image alone', async () => {
    const addon = addonWithOrt();
    const session = await addon.createSession(CLS_MODEL, { intraOpThreads: 1 });
    const [image] = await Promise.all(allPhotos().slice(0, 1).map(decode));
    await expect(session.submit(image!, CLS_PRE, CLS_POST, { maxBatch: 0, maxDelayMs: 0 })).rejects.toMatchObject({ code: 'IMLAGE_ERR_INVALID_ARGUMENT' });
    await expect(session.submit(image!, CLS_PRE, { ...CLS_POST, outputs: ['nope'] }, { maxBatch: 1, maxDelayMs: 0 })).rejects.toMatchObject({ code: 'IMLAGE_ERR_INVALID_ARGUMENT' });
    const bad = { ...image!, width: image!.width + 1 };
    const [good, broken] = await Promise.all([
      session.submit(image!, CLS_PRE, CLS_POST, { maxBatch: 2, maxDelayMs: 60_000 }),
      session.submit(bad, CLS_PRE, CLS_POST, { maxBatch: 2, maxDelayMs: 60_000 }),
    ]);
    expect(good.result.error).toBeUndefined();
    expect(broken.result.error).toBeTruthy();
    await session.close();
  });

  it('a session dropped with a started batcher thread does not hang the process', async () => {
    const addon = addonWithOrt();
    const session = await addon.createSession(CLS_MODEL, { intraOpThreads: 1 });
    const [image] = await Promise.all(allPhotos().slice(0, 1).map(decode));
    await session.submit(image!, CLS_PRE, CLS_POST, { maxBatch: 1, maxDelayMs: 0 });
    // Never closed: the finalizer (GC or environment teardown) joins the thread.
  });
});

describe('session.submit in a worker thread', () => {
  it('a worker that exits with submits queued and its thread waiting tears down cleanly', async () => {
    const { Worker } = await import('node:worker_threads');
    const { createRequire } = await import('node:module');
    const { defaultOrtLibrary, packageRoot } = await import('../../src/native/binding.js');
    const require = createRequire(import.meta.url);
    const addonFile = process.env.IMLAGE_ADDON_PATH ?? (require('node-gyp-build') as { resolve(dir: string): string }).resolve(packageRoot);
    const [image] = await Promise.all(allPhotos().slice(0, 1).map(decode));
    const code = `
      const { parentPort, workerData: w } = require('node:worker_threads');
      const addon = require(w.addonFile);
      addon.loadOrt(w.ort);
      (async () => {
        const s = await addon.createSession(w.model, { intraOpThreads: 1 });
        const img = { ...w.image, data: new Uint8Array(w.image.data) };
        const r = await s.submit(img, w.pre, w.post, { maxBatch: 1, maxDelayMs: 0 });
        s.submit(img, w.pre, w.post, { maxBatch: 16, maxDelayMs: 60000 }); // left queued
        parentPort.postMessage(r.batchSize);
        setTimeout(() => process.exit(0), 20);
      })().catch((e) => { parentPort.postMessage(String(e)); process.exit(1); });
    `;
    const worker = new Worker(code, {
      eval: true,
      workerData: { addonFile, ort: defaultOrtLibrary(), model: CLS_MODEL, image, pre: CLS_PRE, post: CLS_POST },
    });
    const messages: unknown[] = [];
    worker.on('message', (m) => messages.push(m));
    const exitCode = await new Promise<number>((resolve, reject) => {
      worker.on('exit', resolve);
      worker.on('error', reject);
    });
    expect(messages).toEqual([1]);
    expect(exitCode).toBe(0);
  });
});
