import { describe, expect, it } from 'vitest';

import type { NativeSpec } from '../../src/binding/types.js';
import { CLS_MODEL, CLS_POST, CLS_PRE, addonWithOrt, allPhotos, decode } from './helpers.js';

describe('session.submit (native dynamic batching)', () => {
  it('forms batches from concurrent submits; results equal run()', async () => {
    const addon = addonWithOrt();
    const session = await addon.createSession(CLS_MODEL, { intraOpThreads: 1 });
    const spec = session.compileSpec(CLS_PRE, CLS_POST);
    const images = await Promise.all(allPhotos().slice(0, 6).map(decode));
    const inputs = Array.from({ length: 24 }, (_, i) => images[i % images.length]!);
    const subs = await Promise.all(inputs.map((img) => session.submit(img, spec, { maxBatch: 8, maxDelayMs: 1000 })));
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

  it('holds a lone submit for company until maxDelayMs, unless flush() releases it', async () => {
    const addon = addonWithOrt();
    const session = await addon.createSession(CLS_MODEL, { intraOpThreads: 1 });
    const spec = session.compileSpec(CLS_PRE, CLS_POST);
    const [image] = await Promise.all(allPhotos().slice(0, 1).map(decode));
    const hold = { maxBatch: 2, maxDelayMs: 3_600_000 }; // far beyond this test's timeout
    // Held: the first waits for the second and they run as one batch.
    const pair = await Promise.all([session.submit(image!, spec, hold), session.submit(image!, spec, hold)]);
    expect(pair.map((r) => r.batchSize)).toEqual([2, 2]);
    // Released by flush(): without it this one would wait an hour and the test time out.
    const lone = session.submit(image!, spec, hold);
    session.flush();
    const r = await lone;
    expect(r.batchSize).toBe(1);
    expect(r.result.error).toBeUndefined();
    // Released by its own short delay, with no flush().
    const q = await session.submit(image!, spec, { maxBatch: 16, maxDelayMs: 5 });
    expect(q.batchSize).toBe(1);
    await session.close();
  }, 60_000);

  it('copies the pixels by default: a buffer transferred after submit() or run() is not read, and the result is the untouched image\'s', async () => {
    const addon = addonWithOrt();
    const session = await addon.createSession(CLS_MODEL, { intraOpThreads: 1 });
    const spec = session.compileSpec(CLS_PRE, CLS_POST);
    const [image] = await Promise.all(allPhotos().slice(0, 1).map(decode));
    const { results: [want] } = await session.run([image!], CLS_PRE, CLS_POST);
    const fresh = () => ({ ...image!, data: new Uint8Array(image!.data) });
    const give = (img: { data: Uint8Array }) => structuredClone(img.data.buffer, { transfer: [img.data.buffer as ArrayBuffer] });

    const queued = fresh();
    const sub = session.submit(queued, spec, { maxBatch: 2, maxDelayMs: 3_600_000 });
    give(queued); // transferred while queued: its pixels now belong to the receiver
    expect(queued.data.byteLength).toBe(0);
    session.flush();
    const ran = fresh();
    const run = session.run([ran], CLS_PRE, CLS_POST);
    give(ran);
    const [s, r] = await Promise.all([sub, run]);
    for (const got of [s.result, r.results[0]!]) {
      expect(got.error).toBeUndefined();
      expect(got.scores).toEqual(want!.scores);
    }

    // Borrowed (what the engine asks for its own buffers): read in place; one detached meanwhile is refused.
    const lent = fresh();
    const borrowed = session.submit(lent, spec, { maxBatch: 2, maxDelayMs: 3_600_000, borrowPixels: true });
    give(lent);
    session.flush();
    await expect(borrowed).rejects.toMatchObject({ code: 'IMLAGE_ERR_DETACHED' });
    const inPlace = await session.run([fresh()], CLS_PRE, CLS_POST, { borrowPixels: true });
    expect(inPlace.results[0]!.scores).toEqual(want!.scores);
    await expect(session.run([fresh()], CLS_PRE, CLS_POST, { borrowPixels: 'yes' as unknown as boolean })).rejects.toThrow(/borrowPixels must be true or false/);
    await session.close();
  });

  it('batches only requests with equal specs', async () => {
    const addon = addonWithOrt();
    const session = await addon.createSession(CLS_MODEL, { intraOpThreads: 1 });
    const spec = session.compileSpec(CLS_PRE, CLS_POST);
    const images = await Promise.all(allPhotos().slice(0, 4).map(decode));
    const opts = { maxBatch: 4, maxDelayMs: 60_000 };
    const top1 = session.compileSpec(CLS_PRE, { ...CLS_POST, topK: 1 });
    const a = images.map((img) => session.submit(img, spec, opts));
    const b = images.map((img) => session.submit(img, top1, opts));
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
    const spec = session.compileSpec(CLS_PRE, CLS_POST);
    const images = await Promise.all(allPhotos().slice(0, 3).map(decode));
    const subs = images.map((img) => session.submit(img, spec, { maxBatch: 16, maxDelayMs: 60_000 }));
    const t0 = performance.now();
    await session.close();
    expect(performance.now() - t0).toBeLessThan(5_000);
    const done = await Promise.all(subs);
    for (const r of done) {
      expect(r.result.error).toBeUndefined();
      expect(r.batchSize).toBe(3);
    }
    await expect(session.submit(images[0]!, spec, { maxBatch: 1, maxDelayMs: 0 })).rejects.toMatchObject({ code: 'IMLAGE_ERR_CLOSED' });
    session.flush(); // harmless after close
  });

  it('rejects bad arguments and fails a malformed image alone', async () => {
    const addon = addonWithOrt();
    const session = await addon.createSession(CLS_MODEL, { intraOpThreads: 1 });
    const spec = session.compileSpec(CLS_PRE, CLS_POST);
    const [image] = await Promise.all(allPhotos().slice(0, 1).map(decode));
    await expect(session.submit(image!, spec, { maxBatch: 0, maxDelayMs: 0 })).rejects.toMatchObject({ code: 'IMLAGE_ERR_INVALID_ARG' });
    expect(() => session.compileSpec(CLS_PRE, { ...CLS_POST, outputs: ['nope'] })).toThrow(expect.objectContaining({ code: 'IMLAGE_ERR_INVALID_ARG' }));
    expect(() => session.compileSpec({ ...CLS_PRE, layout: 'nope' as 'nchw' }, CLS_POST)).toThrow(/preprocess.layout/);
    await expect(session.submit(image!, { ...CLS_PRE } as unknown as NativeSpec, { maxBatch: 1, maxDelayMs: 0 })).rejects.toThrow(/spec from session.compileSpec/);
    const other = await addon.createSession(CLS_MODEL, { intraOpThreads: 1 });
    await expect(other.submit(image!, spec, { maxBatch: 1, maxDelayMs: 0 })).rejects.toThrow(/compiled by another session/);
    await other.close();
    const bad = { ...image!, width: image!.width + 1 };
    const [good, broken] = await Promise.all([
      session.submit(image!, spec, { maxBatch: 2, maxDelayMs: 60_000 }),
      session.submit(bad, spec, { maxBatch: 2, maxDelayMs: 60_000 }),
    ]);
    expect(good.result.error).toBeUndefined();
    expect(broken.result.error).toBeTruthy();
    await session.close();
  });

  it('a process that drops a session with a started batcher thread exits on its own', async () => {
    // In a child process: only its exit shows that teardown joined the thread.
    const { spawn } = await import('node:child_process');
    const { createRequire } = await import('node:module');
    const { defaultOrtLibrary, packageRoot } = await import('../../src/binding/binding.js');
    const require = createRequire(import.meta.url);
    const addonFile = process.env.IMLAGE_ADDON_PATH ?? (require('node-gyp-build') as { resolve(dir: string): string }).resolve(packageRoot);
    const [image] = await Promise.all(allPhotos().slice(0, 1).map(decode));
    const input = { addonFile, ort: defaultOrtLibrary(), model: CLS_MODEL, pre: CLS_PRE, post: CLS_POST, image: { ...image!, data: [...image!.data] } };
    const code = `
      let text = '';
      process.stdin.on('data', (d) => (text += d)).on('end', async () => {
        const w = JSON.parse(text);
        const addon = require(w.addonFile);
        addon.loadOrt(w.ort);
        const s = await addon.createSession(w.model, { intraOpThreads: 1 });
        const img = { ...w.image, data: Uint8Array.from(w.image.data) };
        const r = await s.submit(img, s.compileSpec(w.pre, w.post), { maxBatch: 1, maxDelayMs: 0 });
        process.stdout.write(String(r.batchSize));
        // Never closed, no process.exit(): the event loop must empty by itself.
      });
    `;
    const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(JSON.stringify(input));
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (c, sig) => resolve({ code: c, signal: sig })));
    expect(exit, stderr).toEqual({ code: 0, signal: null });
    expect(stdout).toBe('1');
  });
});

describe('session.submit in a worker thread', () => {
  it('a worker that exits with submits queued and its thread waiting tears down cleanly', async () => {
    const { Worker } = await import('node:worker_threads');
    const { createRequire } = await import('node:module');
    const { defaultOrtLibrary, packageRoot } = await import('../../src/binding/binding.js');
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
        const spec = s.compileSpec(w.pre, w.post);
        const r = await s.submit(img, spec, { maxBatch: 1, maxDelayMs: 0 });
        s.submit(img, spec, { maxBatch: 16, maxDelayMs: 60000 }); // left queued
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
