// The plugin manager on real plugins: states, search, settings checked
// against the manifest, reload (by hand and on file change) without failing
// work in flight.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine, isFailure, type TagResult } from '../../src/index.js';
import { photo, root } from '../helpers/paths.js';
import { nativePluginDir, testPluginLib } from '../helpers/plugin-dir.js';

const PHOTOS = ['baboon.jpg', 'messi5.jpg', 'fruits.jpg', 'apple.jpg', 'home.jpg', 'aero1.jpg'].map(photo);

describe('plugin manager', () => {
  it('lists every shipped plugin with its state; search by name, description and capability', async () => {
    const engine = await Engine.create({ config: false, plugins: ['colors'] });
    try {
      const m = engine.manager;
      const states = Object.fromEntries(m.list().map((e) => [e.name, e.state]));
      expect(states).toMatchObject({ colors: 'active', nsfw: 'discovered', objects: 'discovered' });
      expect(m.list({ capability: 'ocr' }).map((e) => e.name)).toEqual(['text']);
      expect(m.list({ search: 'coco' }).map((e) => e.name)).toEqual(['objects', 'objects-ensemble']);
      expect(m.list({ search: /^n/ }).map((e) => e.name)).toEqual(['nsfw', 'nsfw-ensemble']);
      expect(m.list({ kind: 'onnx' }).map((e) => e.name).sort()).toEqual(['emotion', 'faces', 'nsfw', 'nsfw-ensemble', 'objects', 'objects-ensemble']);
      await m.unload('colors');
      expect(m.get('colors')!.state).toBe('discovered');
      await m.load('colors');
      expect(m.get('colors')!.state).toBe('active');
    } finally {
      await engine.close();
    }
  });

  it("checks a plugin's settings from config.toml against its manifest, naming file and key", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imlage-cfg-'));
    const cfg = join(dir, 'config.toml');
    writeFileSync(cfg, '[plugins.colors]\nmax_colors = 40\n');
    await expect(Engine.create({ config: cfg, plugins: ['colors'] })).rejects.toThrow(
      new RegExp(`${cfg}: key 'plugins\\.colors\\.max_colors': must be <= 12, found 40`));
    writeFileSync(cfg, '[plugins.colors]\nmax_colour = 4\n');
    await expect(Engine.create({ config: cfg, plugins: ['colors'] })).rejects.toThrow(/key 'plugins\.colors\.max_colour': unknown setting \(this plugin has: max_colors, min_fraction\)/);
    // A valid setting reaches the plugin: one colour name at most.
    writeFileSync(cfg, '[plugins.colors]\nmax_colors = 1\nmin_fraction = 0.0\n');
    const engine = await Engine.create({ config: cfg, plugins: ['colors'] });
    try {
      const r = await engine.tagOne(photo('smarties.png'));
      const tags = (r.results.colors as { tags: { label: string }[] }).tags.map((t) => t.label);
      const names = ['red', 'orange', 'yellow', 'green', 'cyan', 'blue', 'purple', 'pink', 'brown', 'black', 'white', 'gray'];
      expect(tags.filter((t) => names.includes(t))).toHaveLength(1);
    } finally {
      await engine.close();
    }
  });

  it('a library missing for this platform is an error naming the manifest key', async () => {
    const dir = nativePluginDir('ghost', join(root, 'no', 'such', 'libghost.so'));
    await expect(Engine.create({ config: false, pluginDirs: [dir], plugins: ['ghost'] })).rejects.toThrow(
      new RegExp(`ghost/plugin\\.toml: key 'library\\.${process.platform}-${process.arch}': .*libghost\\.so does not exist`));
  });

  it('reload swaps a plugin while images are in flight; none of them fails', async () => {
    // The serial test plugin takes 30 ms per image, so a reload lands mid-run.
    const dir = nativePluginDir('slow', testPluginLib('serial'));
    const engine = await Engine.create({ config: false, pluginDirs: [dir], plugins: ['slow', 'nsfw'], mode: 'fast', batchSize: 2 });
    try {
      const out: TagResult[] = [];
      let reloaded: Promise<unknown> | undefined;
      for await (const r of engine.tag([...PHOTOS, ...PHOTOS])) {
        out.push(r);
        if (out.length === 2) {
          const f = join(dir, 'slow', 'plugin.toml');
          writeFileSync(f, readFileSync(f, 'utf8').replace('version = "1.0.0"', 'version = "1.1.0"'));
          reloaded = engine.manager.reload('slow');
        }
      }
      await reloaded;
      expect(out).toHaveLength(PHOTOS.length * 2);
      for (const r of out) {
        expect(isFailure(r.results.slow!), JSON.stringify(r.results.slow)).toBe(false);
        expect(isFailure(r.results.nsfw!)).toBe(false);
      }
      expect((out.at(-1)!.results.slow as { version: string }).version).toBe('1.1.0');
    } finally {
      await engine.close();
    }
  });

  it('watch mode reloads a plugin whose manifest changes', async () => {
    const dir = nativePluginDir('watched', testPluginLib('noop'));
    const engine = await Engine.create({ config: false, pluginDirs: [dir], plugins: ['watched'], watch: true });
    try {
      const reloaded = new Promise((r) => engine.manager.once('reload', r));
      const f = join(dir, 'watched', 'plugin.toml');
      writeFileSync(f, readFileSync(f, 'utf8').replace('version = "1.0.0"', 'version = "2.0.0"'));
      await reloaded;
      expect(engine.manager.get('watched')!.manifest.version).toBe('2.0.0');
      const r = await engine.tagOne(photo('apple.jpg'));
      expect((r.results.watched as { version: string }).version).toBe('2.0.0');
    } finally {
      await engine.close();
    }
  });
});
