import { describe, expect, it } from 'vitest';

import type { NativeSession } from '../../src/binding/types.js';
import { CLS_MODEL, CLS_POST, CLS_PRE, addonWithOrt, allPhotos, decode } from './helpers.js';

describe('native sessions', () => {
  it('exposes model metadata', async () => {
    const addon = addonWithOrt();
    const session = await addon.createSession(CLS_MODEL, { intraOpThreads: 1 });
    expect(session.inputs).toEqual([{ name: 'x', shape: [-1, 3, -1, -1], type: 'float32' }]);
    expect(session.outputs).toEqual([{ name: 'softmax_0.tmp_0', shape: [-1, 2], type: 'float32' }]);
    expect(session.provider).toBe('cpu');
    expect(session.warnings).toEqual([]);
    await session.close();
  });

  it('creates a session from model bytes', async () => {
    const { readFileSync } = await import('node:fs');
    const addon = addonWithOrt();
    const session = await addon.createSession(new Uint8Array(readFileSync(CLS_MODEL)), {});
    expect(session.inputs[0]?.name).toBe('x');
    await session.close();
  });

  it('rejects a missing model file with a code', async () => {
    const addon = addonWithOrt();
    await expect(addon.createSession('/nonexistent/model.onnx', {})).rejects.toMatchObject({
      code: expect.stringMatching(/^IMLAGE_ERR_/),
      message: expect.stringContaining('/nonexistent/model.onnx'),
    });
  });

  it('runs real photos in one batch; softmax scores sum to 1', async () => {
    const addon = addonWithOrt();
    const session = await addon.createSession(CLS_MODEL, { graphOptimization: 'all' });
    const files = allPhotos().slice(0, 6);
    const images = await Promise.all(files.map(decode));
    const { results, timing } = await session.run(images, CLS_PRE, { ...CLS_POST, topK: 1 });
    expect(results).toHaveLength(files.length);
    for (const r of results) {
      expect(r.error).toBeUndefined();
      expect(r.scores).toBeInstanceOf(Float32Array);
      expect(r.scores.length).toBe(2);
      expect(r.scores[0]! + r.scores[1]!).toBeCloseTo(1, 5);
      expect(r.top).toHaveLength(1);
      expect(r.top[0]!.score).toBe(Math.max(r.scores[0]!, r.scores[1]!));
    }
    expect(timing.preprocessMs).toBeGreaterThanOrEqual(0);
    expect(timing.inferenceMs).toBeGreaterThan(0);
    expect(timing.postprocessMs).toBeGreaterThanOrEqual(0);

    // Batched results equal one-at-a-time results.
    for (let i = 0; i < 2; i++) {
      const single = await session.run([images[i]!], CLS_PRE, CLS_POST);
      const a = single.results[0]!.scores;
      const b = results[i]!.scores;
      expect(Math.abs(a[0]! - b[0]!)).toBeLessThan(1e-5);
    }
    await session.close();
  });

  it('fails only the bad image in a batch', async () => {
    const addon = addonWithOrt();
    const session = await addon.createSession(CLS_MODEL, {});
    const [a, b] = await Promise.all(allPhotos().slice(0, 2).map(decode));
    const wrongLength = { ...a!, data: a!.data.subarray(0, a!.data.length - 7) };
    const twoChannels = { data: new Uint8Array(8), width: 2, height: 2, channels: 2 };
    const zero = { data: new Uint8Array(0), width: 0, height: 5, channels: 3 };
    const rgba = { data: new Uint8Array(4 * 4 * 4).fill(200), width: 4, height: 4, channels: 4 };
    const { results } = await session.run([a!, wrongLength, b!, twoChannels, zero, rgba], CLS_PRE, CLS_POST);
    expect(results[0]!.error).toBeUndefined();
    expect(results[1]!.error).toMatch(/bytes/);
    expect(results[1]!.scores.length).toBe(0);
    expect(results[1]!.top).toEqual([]);
    expect(results[2]!.error).toBeUndefined();
    expect(results[3]!.error).toMatch(/channels/);
    expect(results[4]!.error).toMatch(/zero size/);
    expect(results[5]!.error).toBeUndefined();
    expect(results[5]!.scores.length).toBe(2);
    await session.close();
  });

  it('close() waits for runs in flight; later runs reject with IMLAGE_ERR_CLOSED', async () => {
    const addon = addonWithOrt();
    const session = await addon.createSession(CLS_MODEL, {});
    const image = await decode(allPhotos()[0]!);
    const order: string[] = [];
    const runs = [0, 1, 2].map((i) =>
      session.run(Array(16).fill(image), CLS_PRE, CLS_POST).then((r) => {
        order.push(`run${i}`);
        return r;
      }),
    );
    const closed = session.close().then(() => order.push('close'));
    const done = await Promise.all(runs);
    await closed;
    // Runs execute concurrently on the thread pool; close settles after all.
    expect(order).toHaveLength(4);
    expect(order[3]).toBe('close');
    expect([...order.slice(0, 3)].sort()).toEqual(['run0', 'run1', 'run2']);
    for (const r of done) expect(r.results.every((x) => x.error === undefined)).toBe(true);
    await expect(session.run([image], CLS_PRE, CLS_POST)).rejects.toMatchObject({ code: 'IMLAGE_ERR_CLOSED' });
    await expect(
      session.runTensors({ x: { data: new Float32Array(3 * 48 * 192), shape: [1, 3, 48, 192] } }),
    ).rejects.toMatchObject({ code: 'IMLAGE_ERR_CLOSED' });
    await session.close(); // idempotent
  });

  it("falls back to CPU with a warning when 'cuda' is requested on a CPU build", async () => {
    const addon = addonWithOrt();
    const session = await addon.createSession(CLS_MODEL, { providers: ['cuda', 'cpu'] });
    expect(session.provider).toBe('cpu');
    expect(session.warnings.length).toBe(1);
    expect(session.warnings[0]).toMatch(/^cuda: .+/);
    const image = await decode(allPhotos()[0]!);
    const { results } = await session.run([image], CLS_PRE, CLS_POST);
    expect(results[0]!.scores.length).toBe(2);
    await session.close();
  });

  it('rejects invalid specs and session-level problems with codes', async () => {
    const addon = addonWithOrt();
    const session = await addon.createSession(CLS_MODEL, {});
    const image = await decode(allPhotos()[0]!);
    await expect(session.run([image], { ...CLS_PRE, layout: 'nhwc' }, CLS_POST)).rejects.toMatchObject({
      code: 'IMLAGE_ERR_INVALID_ARG',
    });
    await expect(session.run([image], CLS_PRE, { ...CLS_POST, outputs: ['nope'] })).rejects.toMatchObject({
      code: 'IMLAGE_ERR_INVALID_ARG',
    });
    await expect(
      session.runTensors({ x: { data: new Float32Array(10), shape: [1, 3, 48, 192] } }),
    ).rejects.toMatchObject({ code: 'IMLAGE_ERR_INVALID_ARG' });
    // ORT itself rejects a wrong rank at Run time.
    await expect(session.runTensors({ x: { data: new Float32Array(6), shape: [2, 3] } })).rejects.toMatchObject({
      code: expect.stringMatching(/^IMLAGE_ERR_/),
    });
    await session.close();
  });

  it('create/run/close 200 times with bounded RSS growth', async () => {
    const addon = addonWithOrt();
    const image = await decode(allPhotos()[0]!);
    const cycle = async () => {
      const s: NativeSession = await addon.createSession(CLS_MODEL, { intraOpThreads: 1, interOpThreads: 1 });
      const { results } = await s.run([image, image], CLS_PRE, CLS_POST);
      expect(results[1]!.scores.length).toBe(2);
      await s.close();
    };
    for (let i = 0; i < 20; i++) await cycle(); // warm up allocator arenas
    global.gc?.();
    const before = process.memoryUsage.rss();
    for (let i = 0; i < 200; i++) await cycle();
    global.gc?.();
    const growthMiB = (process.memoryUsage.rss() - before) / 2 ** 20;
    console.log(`RSS growth over 200 create/run/close cycles: ${growthMiB.toFixed(1)} MiB`);
    // One session of this model holds ~2 MiB; a leaked session per cycle would
    // grow RSS by hundreds of MiB. Allow 40 MiB of allocator noise.
    expect(growthMiB).toBeLessThan(40);
  });

  it('is released by the finalizer when never closed', async () => {
    const addon = addonWithOrt();
    for (let i = 0; i < 5; i++) {
      const s = await addon.createSession(CLS_MODEL, {});
      expect(s.inputs.length).toBe(1);
    }
    global.gc?.();
  });
});
