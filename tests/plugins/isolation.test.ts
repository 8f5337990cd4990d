// Process isolation through the engine: a plugin that segfaults, aborts or
// hangs fails only its own results for the images in flight; the engine
// restarts it and the other plugin's results are intact.
import { describe, expect, it } from 'vitest';
import { Engine, isFailure, type TagResult } from '../../src/index.js';
import { photo } from '../helpers/paths.js';
import { nativePluginDir, testPluginLib } from '../helpers/plugin-dir.js';
import type { NativeTaggerPlugin } from '../../src/engine/native-plugin.js';

const PHOTOS = ['baboon.jpg', 'messi5.jpg', 'fruits.jpg', 'apple.jpg', 'home.jpg'].map(photo);

async function run(plugin: string, lib: string, extra: string, files = PHOTOS) {
  const dir = nativePluginDir(plugin, testPluginLib(lib), `isolation = "process"\n${extra}`);
  const engine = await Engine.create({ config: false, pluginDirs: [dir], plugins: [plugin, 'nsfw'], mode: 'fast', batchSize: 1, maxInFlight: 1 });
  const out: TagResult[] = [];
  try {
    for await (const r of engine.tag(files)) out.push(r);
    const restarts = (engine.manager.active(plugin).instance as NativeTaggerPlugin).restarts;
    return { out, restarts };
  } finally {
    await engine.close();
  }
}

function nsfwIntact(out: TagResult[]) {
  for (const r of out) {
    expect(r.error).toBeUndefined();
    const n = r.results.nsfw!;
    expect(isFailure(n), r.file).toBe(false);
  }
}

describe('isolation = "process"', () => {
  it('a plugin that segfaults on its third image fails that image only, and is restarted', async () => {
    const { out, restarts } = await run('crashy', 'crash_third', '');
    expect(out.map((r) => isFailure(r.results.crashy!))).toEqual([false, false, true, false, false]);
    expect((out[2]!.results.crashy as { error: string }).error).toMatch(/crashy.*killed by SIGSEGV.*restarted/);
    expect(restarts).toBe(1);
    nsfwIntact(out);
  });

  it('a plugin that aborts fails its results with SIGABRT; tagging goes on', async () => {
    const { out } = await run('aborty', 'abort', '', PHOTOS.slice(0, 2));
    for (const r of out) expect((r.results.aborty as { error: string }).error).toMatch(/SIGABRT/);
    nsfwIntact(out);
  });

  it('a plugin that hangs is ended after timeout_ms; the batch finishes', async () => {
    const t0 = Date.now();
    const { out, restarts } = await run('hangy', 'hang', 'timeout_ms = 1500', PHOTOS.slice(0, 2));
    for (const r of out) expect((r.results.hangy as { error: string }).error).toMatch(/did not answer submit within 1500 ms/);
    expect(restarts).toBe(2);
    expect(Date.now() - t0).toBeLessThan(20000);
    nsfwIntact(out);
  });
});
