// SMI plugins through the engine's one batching path (issue #9): the
// addon's batch queue, fed in fast mode straight from the native decode
// (in process) or, for an isolated plugin, image by image into its child's
// queue. On the real colors plugin (C) and quality plugin (Rust) and real
// photos: batches form, and every result is the one a direct plugin.run()
// on the same pixels gives.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

import { Engine, isFailure, type TagResult } from '../../src/index.js';
import type { NativeTaggerPlugin } from '../../src/engine/native-plugin.js';
import { defaultOrtLibrary, loadAddon } from '../../src/binding/binding.js';
import type { NativeAddon, NativeAddonPlugins, SmiImageResult } from '../../src/binding/types.js';
import { photo, root } from '../helpers/paths.js';

const PHOTOS = ['fruits.jpg', 'baboon.jpg', 'messi5.jpg', 'starry_night.jpg', 'home-exif6.jpg', 'apple.jpg', 'smarties.png', 'butterfly.png'].map(photo);
const COLORS = join(root, 'plugins', 'colors');
const COLORS_LIB = join(COLORS, 'lib', `${process.platform}-${process.arch}`, 'libimlage_colors.so');

type Tags = { label: string; confidence: number }[];

/** Tags every photo; the results in order and the batch sizes the plugin reported. */
async function tagAll(engine: Engine, plugin: string): Promise<{ tags: Tags[]; batches: number[] }> {
  const batches: number[] = [];
  const off = engine.onTiming((t) => batches.push(t.plugins[plugin]!.batchSize));
  const tags: Tags[] = [];
  try {
    for await (const r of engine.tag(PHOTOS)) tags.push(resultTags(r, plugin));
  } finally {
    off();
    await engine.close();
  }
  return { tags, batches };
}

function resultTags(r: TagResult, plugin: string): Tags {
  const res = r.results[plugin]!;
  if (isFailure(res)) throw new Error(`${plugin} failed on ${r.file}: ${res.error}`);
  return res.tags;
}

/** What the engine makes of a plugin's raw tags: over the threshold, best first, six decimals. */
function asEngine(r: SmiImageResult, threshold: number): Tags {
  expect(r.error).toBeUndefined();
  return r.tags.filter((t) => t.score >= threshold).sort((a, b) => b.score - a.score)
    .map((t) => ({ label: t.label, confidence: Math.round(t.score * 1e6) / 1e6 }));
}

const addon = () => loadAddon() as NativeAddon & NativeAddonPlugins;

describe('SMI plugins batch in the addon', () => {
  let inProcess: Tags[] = [];

  it('fast mode: colors is fed from the native decode into its queue, in batches, with run()\'s results on the same pixels', { timeout: 60_000 }, async () => {
    const engine = await Engine.create({ config: false, plugins: ['colors'], mode: 'fast', batchSize: 4, maxInFlight: 8, threshold: 0 });
    // What the engine hands submitEncoded for it: the plugin itself, its models, its size and the shown size.
    const use = (engine.manager.active('colors').instance as NativeTaggerPlugin).encoded('fast', {}, [640, 480]);
    expect(use?.targets).toEqual([expect.objectContaining({ models: ['palette'], width: 256, height: 256, originalWidth: 640, originalHeight: 480 })]);
    const { tags, batches } = await tagAll(engine, 'colors');
    expect(Math.max(...batches)).toBeGreaterThan(1);
    expect(batches.every((b) => b >= 1 && b <= 4)).toBe(true);
    // The engine closed the plugin: load it here and run the same decodes.
    addon().loadOrt(defaultOrtLibrary());
    const colors = await addon().loadPlugin(COLORS_LIB, { configJson: JSON.stringify({ max_colors: 3, min_fraction: 0.08 }) });
    try {
      for (const [i, file] of PHOTOS.entries()) {
        const bytes = readFileSync(file);
        const orientation = (await sharp(bytes).metadata()).orientation ?? 1;
        const pixels = await addon().decodeToSize(bytes, { width: 256, height: 256, orientation });
        const { results } = await colors.run('palette', [pixels]);
        expect(tags[i], file).toEqual(asEngine(results[0]!, 0));
        expect(tags[i]!.length, file).toBeGreaterThan(0);
      }
    } finally {
      await colors.close();
    }
    inProcess = tags;
  });

  it('an isolated plugin: each image goes to its child, whose queue forms the batches; the results are the in-process ones', { timeout: 60_000 }, async () => {
    expect(inProcess).toHaveLength(PHOTOS.length);
    const dir = mkdtempSync(join(tmpdir(), 'imlage-isolated-colors-'));
    mkdirSync(join(dir, 'colors-isolated'));
    const manifest = readFileSync(join(COLORS, 'plugin.toml'), 'utf8')
      .replace('name = "colors"', 'name = "colors-isolated"\nisolation = "process"')
      .replace(/^linux-x64 = .*$/m, `linux-x64 = "${COLORS_LIB}"`);
    writeFileSync(join(dir, 'colors-isolated', 'plugin.toml'), manifest);
    const engine = await Engine.create({ config: false, pluginDirs: [dir], plugins: ['colors-isolated'], mode: 'fast', batchSize: 4, maxInFlight: 8, threshold: 0 });
    // Its queue is in the child: the addon's decode gives its pixels back to JS, which sends them.
    expect((engine.manager.active('colors-isolated').instance as NativeTaggerPlugin).encoded('fast', {}, [640, 480])).toBeUndefined();
    const { tags, batches } = await tagAll(engine, 'colors-isolated');
    expect(Math.max(...batches)).toBeGreaterThan(1);
    expect(tags).toEqual(inProcess);
  });

  it('a plugin that takes the full picture (quality, Rust) gets its pixels through submit, in batches', { timeout: 60_000 }, async () => {
    const engine = await Engine.create({ config: false, plugins: ['quality'], batchSize: 4, maxInFlight: 8, threshold: 0 });
    const { tags, batches } = await tagAll(engine, 'quality');
    expect(Math.max(...batches)).toBeGreaterThan(1);
    for (const t of tags) expect(t.map((x) => x.label)).toEqual(expect.arrayContaining(['sharp', 'blurry']));
  });
});
