// Calls into loaded plugins: result validation per image, newer minor
// versions, every optional entry point, logging, serialisation and close().
import { describe, expect, it } from 'vitest';

import type { SmiLogLevel } from '../../src/binding/types.js';
import { addon, rejection, solid, testPlugin } from './helpers.js';

const GOOD = solid(3, 3, [10, 20, 30]);
const BAD = solid(3, 3, [255, 0, 0]); // first byte 255: the test plugins misbehave on it

async function load(variant: string, onLog?: (l: SmiLogLevel, m: string) => void) {
  return addon().loadPlugin(testPlugin(variant), { configJson: '{"a":1}', onLog });
}

describe('SMI result validation', () => {
  it.each([
    ['bad_score', "plugin returned score 1.7 for label 'x' (must be within [0,1])"],
    ['nan_score', "plugin returned score nan for label 'nan' (must be within [0,1])"],
    ['bad_utf8', "plugin returned a label that is not valid UTF-8 for tag 0 ('caf\\xe9')"],
    ['null_label', 'plugin returned a NULL label for tag 1'],
    ['too_many_tags', 'plugin returned 1099511627776 tags (at most 100000 are allowed)'],
  ])('%s fails only that image', async (variant, message) => {
    const plugin = await load(variant);
    const { results } = await plugin.run('m', [GOOD, BAD, GOOD]);
    expect(results[0]).toEqual({ tags: [{ label: 'ok', score: 0.5 }] });
    expect(results[1].tags).toEqual([]);
    expect(results[1].error).toBe(message);
    expect(results[2]).toEqual({ tags: [{ label: 'ok', score: 0.5 }] });
    await plugin.close();
  });

  it('malformed images fail alone before reaching the plugin', async () => {
    const plugin = await load('serial');
    const wrong = { data: new Uint8Array(5), width: 3, height: 3, channels: 3 };
    const five = { data: new Uint8Array(45), width: 3, height: 3, channels: 5 };
    const { results } = await plugin.run('m', [wrong, GOOD, five]);
    expect(results[0].error).toMatch(/expected 27/);
    expect(results[1].error).toBeUndefined();
    expect(results[2].error).toMatch(/plugins take 1 to 4/);
    await plugin.close();
  });
});

describe('SMI versions and entry points', () => {
  it('a plugin built for SMI 1.7 with larger structs loads and runs', async () => {
    const plugin = await load('minor7');
    expect(plugin.info.smi).toEqual({ major: 1, minor: 7 });
    expect(plugin.info.id).toBe('minor7');
    const { results } = await plugin.run('m', [GOOD]);
    expect(results[0].tags).toEqual([{ label: 'ok', score: 0.5 }]);
    await plugin.close();
  });

  it('info describes the plugin', async () => {
    const plugin = await load('serial');
    expect(plugin.info).toEqual({
      id: 'test',
      name: 'misbehaving',
      version: '0.0.1',
      frameworks: ['none'],
      smi: { major: 1, minor: 2 },
      threadSafe: false,
      entryPoints: ['inference', 'get_last_error'],
    });
    expect(await plugin.modelInfo('m')).toBeNull();
    await plugin.registerModel({ id: 'm', files: [] }); // NULL entries are no-ops
    await plugin.loadModel('m');
    await plugin.unloadModel('m');
    await plugin.unregisterModel('m');
    await plugin.close();
  });

  it('models, batches, model info, raw outputs, logs and per-thread errors', async () => {
    const logs: [SmiLogLevel, string][] = [];
    const plugin = await load('full', (l, m) => logs.push([l, m]));
    expect(plugin.info.threadSafe).toBe(true);
    expect(plugin.info.frameworks).toEqual(['none', 'test']);
    expect(plugin.info.entryPoints).toContain('batch_inference');
    expect(plugin.info.entryPoints).not.toContain('inference');

    let e = await rejection(plugin.loadModel('m'));
    expect(e.code).toBe('IMLAGE_ERR_PLUGIN_CALL');
    expect(e.message).toContain("load_model('m') failed with SMI_ERROR_NOT_FOUND: no such model registered");

    await plugin.registerModel({ id: 'm', files: ['/a/b.onnx'], configJson: '{"k":2}' });
    e = await rejection(plugin.registerModel({ id: 'm', files: [] }));
    expect(e.message).toContain('SMI_ERROR_ALREADY_EXISTS: model already registered');

    e = await rejection(plugin.run('m', [GOOD]));
    expect(e.code).toBe('IMLAGE_ERR_PLUGIN_CALL');
    expect(e.message).toContain('batch_inference');
    expect(e.message).toContain('SMI_ERROR_NOT_LOADED: model is not loaded');

    await plugin.loadModel('m');
    const info = (await plugin.modelInfo('m')) as { id: string; loaded: boolean; padding: string };
    expect(info.id).toBe('m');
    expect(info.loaded).toBe(true);
    expect(info.padding).toHaveLength(5000); // larger than the host's first buffer

    const img = solid(5, 2, [51, 0, 0]);
    const { results } = await plugin.run('m', [img, BAD, { data: new Uint8Array(1), width: 1, height: 1, channels: 1 }]);
    expect(results[0].tags).toEqual([{ label: 'batched', score: 0.2 }]);
    expect(results[0].outputs).toHaveLength(1);
    expect(results[0].outputs![0].name).toBe('dims');
    expect(results[0].outputs![0].shape).toEqual([1, 4]);
    expect(Array.from(results[0].outputs![0].data)).toEqual([5, 2, 3, 15]);
    expect(results[1].error).toBe('inference failed with SMI_ERROR_INVALID_ARGUMENT: first pixel is 255');
    expect(results[2].tags).toEqual([{ label: 'batched', score: 0 }]);

    await plugin.unloadModel('m');
    await plugin.unregisterModel('m');
    await plugin.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(logs).toContainEqual(['info', 'initialize: config received']);
    expect(logs).toContainEqual(['debug', 'register_model m files=1 config={"k":2}']);
    expect(logs).toContainEqual(['warn', 'load_model: loaded']);
    expect(logs).toContainEqual(['info', 'cleanup']);
  });
});

describe('SMI threading', () => {
  const maxConcurrency = (r: { tags: { label: string; score: number }[] }) => Math.round(r.tags[0].score * 16);

  it('serialises every call into a plugin that is not thread-safe', async () => {
    const plugin = await load('serial');
    const runs = await Promise.all(Array.from({ length: 6 }, () => plugin.run('m', [GOOD, GOOD])));
    for (const run of runs) for (const r of run.results) expect(maxConcurrency(r)).toBe(1);
    await plugin.close();
  });

  it('lets a thread-safe plugin run concurrently', async () => {
    const plugin = await load('concurrent');
    const runs = await Promise.all(Array.from({ length: 4 }, () => plugin.run('m', [GOOD, GOOD])));
    const seen = Math.max(...runs.flatMap((run) => run.results.map(maxConcurrency)));
    expect(seen).toBeGreaterThan(1);
    await plugin.close();
  });

  it('close waits for calls in flight; later calls reject with IMLAGE_ERR_CLOSED', async () => {
    const logs: string[] = [];
    const plugin = await load('serial', (_l, m) => logs.push(m));
    const order: string[] = [];
    const slow = solid(2, 2, [1, 1, 1]); // width 2: the plugin sleeps 300 ms
    const run = plugin.run('m', [slow]).then((r) => {
      order.push('run');
      return r;
    });
    const closed = plugin.close().then(() => order.push('close'));
    const again = plugin.close();
    const late = rejection(plugin.run('m', [GOOD]));
    await Promise.all([run, closed, again]);
    expect(order).toEqual(['run', 'close']);
    expect((await run).results[0].error).toBeUndefined();
    expect((await late).code).toBe('IMLAGE_ERR_CLOSED');
    expect((await rejection(plugin.modelInfo('m'))).code).toBe('IMLAGE_ERR_CLOSED');
    await plugin.close(); // idempotent
  });
});
