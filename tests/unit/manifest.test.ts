import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifest, readManifest } from '../../src/plugins/manifest.js';
import { discoverPlugins } from '../../src/plugins/discover.js';
import { resolveModelFiles } from '../../src/plugins/model-source.js';

const root = join(import.meta.dirname, '..', '..');
const nsfwFile = join(root, 'plugins', 'nsfw', 'plugin.toml');
const nsfwText = readFileSync(nsfwFile, 'utf8');

function expectManifestError(text: string, ...fragments: string[]) {
  let err: any;
  try {
    parseManifest('/x/plugin.toml', text);
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a manifest error').toBeDefined();
  expect(err.code).toBe('IMLAGE_ERR_MANIFEST');
  for (const f of ['/x/plugin.toml', ...fragments]) expect(err.message).toContain(f);
}

describe('plugin manifests', () => {
  it('reads the shipped nsfw and objects manifests', () => {
    const nsfw = readManifest(nsfwFile);
    expect(nsfw.name).toBe('nsfw');
    expect(nsfw.model).toMatchObject({ package: 'nsfwjs', format: 'tfjs-layers' });
    expect(nsfw.output.labels).toEqual(['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);
    expect(nsfw.preprocess.exact).toMatchObject({ resize: 'bilinear-align-corners', normalizeFirst: true });
    const objects = readManifest(join(root, 'plugins', 'objects', 'plugin.toml'));
    expect(objects.output.labels).toHaveLength(80);
    expect(objects.output.reduce).toBe('max');
    expect(objects.input).toMatchObject({ width: 416, height: 416, layout: 'nchw' });
  });

  it('resolves model files inside the npm packages that ship them', () => {
    const r = resolveModelFiles(readManifest(nsfwFile));
    expect(r.modelFile).toMatch(/node_modules\/nsfwjs\/dist\/models\/mobilenet_v2\/model\.min\.js$/);
    expect(r.weightFiles).toHaveLength(1);
    expect(r.label).toMatch(/^nsfwjs@\d+\.\d+\.\d+ dist\/models\/mobilenet_v2\/model\.min\.js$/);
  });

  it('names the file and key of a wrong type', () => {
    expectManifestError(nsfwText.replace('width = 224', 'width = "224"'), "'input.width'", 'expected a number', 'string "224"');
  });

  it('names the key of an out-of-range value', () => {
    expectManifestError(nsfwText.replace('threshold = 0.0', 'threshold = 1.5'), "'output.threshold'", 'must be <= 1');
  });

  it('rejects unknown keys instead of ignoring a typo', () => {
    expectManifestError(nsfwText.replace('top_k = 5', 'topk = 5'), "'output.topk'", 'unknown key');
  });

  it('rejects an unknown enum value, listing the allowed ones', () => {
    expectManifestError(nsfwText.replace('layout = "nhwc"', 'layout = "hwc"'), "'input.layout'", '"nchw", "nhwc"');
  });

  it('reports TOML syntax errors with a line number', () => {
    expectManifestError('name = "x"\nversion = [1,\n', 'not valid TOML', 'line');
  });

  it('reports a missing model package with the install command', () => {
    const m = parseManifest('/x/plugin.toml', nsfwText.replace('package = "nsfwjs"', 'package = "no-such-model-package"'));
    expect(() => resolveModelFiles(m)).toThrow(/npm install no-such-model-package/);
  });

  it('discovery reports a broken manifest without hiding the good ones', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'imlage-plugins-'));
    mkdirSync(join(dir, 'broken'));
    writeFileSync(join(dir, 'broken', 'plugin.toml'), 'name = "broken"\nkind = "onnx"\n');
    const found = discoverPlugins([join(root, 'plugins'), dir]);
    // Every shipped manifest (nsfw, objects and the native ones) is found; the broken one is not.
    expect(found.plugins.map((p) => p.name)).toEqual(expect.arrayContaining(['nsfw', 'objects']));
    expect(found.plugins.map((p) => p.name)).not.toContain('broken');
    expect(found.problems).toHaveLength(1);
    expect(found.problems[0]!.error).toContain(join(dir, 'broken', 'plugin.toml'));
  });
});

describe('manifest vocabularies and thresholds', () => {
  const labelsLine = 'labels = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"]';
  // The shipped manifest without its own [output.thresholds], which these tests write themselves.
  const nsfwText = readFileSync(nsfwFile, 'utf8').replace(/\n\[output\.thresholds\][^[]*$/, '\n');
  const withOutput = (extra: string, labels = labelsLine) => nsfwText.replace(labelsLine, `${labels}\n${extra}`);
  // [output] is the manifest's last table, so its sub-tables go at the end.
  const withTables = (tables: string) => `${nsfwText}\n${tables}\n`;

  it('reads the objects vocabulary from its labels_file and its per-label thresholds', () => {
    const objects = readManifest(join(root, 'plugins', 'objects', 'plugin.toml'));
    const file = readFileSync(join(root, 'plugins', 'objects', 'coco-labels.txt'), 'utf8').trim().split('\n');
    expect(objects.output.labels).toEqual(file);
    expect(objects.output.labels[0]).toBe('person');
    expect(objects.output.thresholds.person).toBeGreaterThan(0);
    expect(objects.output.category).toBe('object');
    expect(objects.preprocess.exact.reference).toContain('NanoDet');
  });

  it('reads the shipped ensemble: its second model with its own input size', () => {
    const m = readManifest(join(root, 'plugins', 'nsfw-ensemble', 'plugin.toml'));
    expect(m.kind === 'onnx' && m.ensemble.map((e) => [e.input.width, e.names])).toEqual([[299, ['dense_3']]]);
    expect(m.kind === 'onnx' && m.output.combine).toBe('mean');
    expect(m.kind === 'onnx' && resolveModelFiles(m, m.ensemble[0]!.model, 'ensemble[0]').label).toMatch(/inception_v3/);
  });

  it('reads the objects ensemble: a member with its own input normalisation and only the outputs it reads converted', () => {
    const m = readManifest(join(root, 'plugins', 'objects-ensemble', 'plugin.toml'));
    if (m.kind !== 'onnx') throw new Error('expected an onnx manifest');
    expect([m.input.channels, m.input.layout, m.input.mean]).toEqual(['bgr', 'nchw', [103.53, 116.28, 123.675]]);
    const [c] = m.ensemble;
    expect([c!.input.width, c!.input.channels, c!.input.layout, c!.input.scale, c!.input.mean, c!.input.std]).toEqual([512, 'rgb', 'nhwc', 1, [0, 0, 0], [1, 1, 1]]);
    expect(c!.model.outputs).toEqual(['tower_0/keypoints']);
    expect(m.output.labels).toHaveLength(80);
  });

  it('refuses outputs for models that are not TF.js graph models', () => {
    expectManifestError(nsfwText.replace('file = "dist/models/mobilenet_v2/model.min.js"', 'file = "dist/models/mobilenet_v2/model.min.js"\noutputs = ["dense_3"]'),
      "'model.outputs'", 'format = "tfjs-graph" only');
  });

  it('takes labels or labels_file, not both and not neither', () => {
    expectManifestError(withOutput('labels_file = "tags.txt"'), "'output.labels'", 'exactly one of labels');
    expectManifestError(nsfwText.replace(labelsLine, ''), "'output.labels'", 'exactly one of labels');
  });

  it('names a labels_file that cannot be read', () => {
    expectManifestError(nsfwText.replace(labelsLine, 'labels_file = "no-such-tags.txt"'), "'output.labels_file'", '/x/no-such-tags.txt');
  });

  it('checks thresholds, aliases and categories against the labels', () => {
    expectManifestError(withTables('[output.thresholds]\nPorm = 0.5'), "'output.thresholds.Porm'", 'not one of the labels');
    expectManifestError(withTables('[output.thresholds]\nPorn = 1.5'), "'output.thresholds.Porn'", 'must be <= 1');
    expectManifestError(withTables('[output.aliases]\nPorm = "adult"'), "'output.aliases.Porm'", 'not one of the labels');
    expectManifestError(withTables('[output.categories]\nPorn = "spicy"'), "'output.categories.Porn'", '"safety"');
    expectManifestError(nsfwText.replace('category = "safety"', 'category = "tone"'), "'output.category'", '"object", "scene"');
  });

  it('applies a threshold given for a tag to every label behind it', () => {
    const m = parseManifest('/x/plugin.toml', withTables('[output.aliases]\nPorn = "unsafe"\nHentai = "unsafe"\n[output.thresholds]\nunsafe = 0.7'));
    expect(m.kind === 'onnx' && m.output.thresholds).toEqual({ Porn: 0.7, Hentai: 0.7 });
  });

  it('finds no threshold, alias or category for a label that is an Object method name', () => {
    const m = parseManifest('/x/plugin.toml', nsfwText.replace('"Sexy"]', '"constructor"]'));
    expect(m.kind === 'onnx' && [m.output.thresholds.constructor, m.output.aliases.constructor, m.output.categories.constructor]).toEqual([undefined, undefined, undefined]);
  });

  it('reads the faces manifest\'s regions and region tags, and checks region tags against the labels', () => {
    const facesFile = join(root, 'plugins', 'faces', 'plugin.toml');
    const faces = readManifest(facesFile);
    expect(faces.kind === 'onnx' && [faces.defaultEnabled, faces.output.regions?.decoder, faces.output.regionTags]).toEqual([false, 'blazeface', [
      { tag: 'portrait', of: 'face', minCount: 1, maxCount: 2, minShare: 0.03 },
      { tag: 'group', of: 'face', minCount: 3, minShare: 0 },
    ]]);
    const text = readFileSync(facesFile, 'utf8');
    const rule = (body: string) => text + `\n[[output.region_tags]]\n${body}\n`;
    expectManifestError(text.replace(/\[output\.regions\][\s\S]*?(?=\[\[output\.region_tags\]\])/, ''), "'output.region_tags'", 'needs [output.regions]');
    expectManifestError(rule('tag = "face"'), "'output.region_tags[2].tag'", '"face" is already a tag of the labels');
    expectManifestError(rule('tag = "group"'), "'output.region_tags[2].tag'", 'given by another');
    expectManifestError(rule('tag = "crowd"\nof = "person"'), "'output.region_tags[2].of'", '"person" is not one of the tags');
    expectManifestError(rule('tag = "pair"\nmin_count = 2\nmax_count = 1'), "'output.region_tags[2].max_count'", 'must be >= 2');
    expectManifestError(rule('tag = "big"\nmin_share = 2'), "'output.region_tags[2].min_share'", 'must be <= 1');
    expectManifestError(rule('tag = "big"\nshare = 0.5'), "'output.region_tags[2].share'", 'unknown key');
    const withCategory = parseManifest('/x/plugin.toml', text + '\n[output.categories]\ngroup = "scene"\n');
    expect(withCategory.kind === 'onnx' && withCategory.output.categories.group).toBe('scene');
  });

  it('refuses combine without ensemble models, and unknown ensemble keys', () => {
    expectManifestError(withOutput('combine = "mean"'), "'output.combine'", 'needs [[ensemble]]');
    expectManifestError(nsfwText + '\n[[ensemble]]\nfile = "x.onnx"\nformat = "onnx"\nsize = 3\n', "'ensemble[0].size'", 'unknown key');
  });

  it('reads the emotion manifest\'s crops and grey input, and refuses what cannot work', () => {
    const file = join(root, 'plugins', 'emotion', 'plugin.toml');
    const m = readManifest(file);
    expect(m.kind === 'onnx' && [m.defaultEnabled, m.crops, m.input.channels, m.input.grayWeights]).toEqual([false,
      { from: 'faces', labels: ['face'], expand: 0.4, square: true, max: 8, minSize: 16, maxSide: 512 }, 'gray', [0.2989, 0.587, 0.114]]);
    const text = readFileSync(file, 'utf8');
    const crops = (from: string, to: string) => text.replace(from, to);
    expectManifestError(crops('from = "faces"', 'from = "emotion"'), "'input.crops.from'", 'cannot crop its own regions');
    expectManifestError(crops('max = 8', 'max = 65'), "'input.crops.max'", 'must be <= 64');
    expectManifestError(crops('expand = 0.4', 'grow = 0.4'), "'input.crops.grow'", 'unknown key');
    expectManifestError(crops('from = "faces"\n', ''), "'input.crops.from'", 'missing');
    expectManifestError(text + '\n[output.regions]\ndecoder = "blazeface"\noutputs = ["Identity"]\n', "'output.regions'", 'reports the crops as its regions');
    // one grey channel: one mean and one std, NHWC, from a TF.js graph model
    expectManifestError(crops('mean = [0.5, 0.5, 0.5]', 'mean = [0.5, 0.4, 0.5]'), "'input.mean'", 'must be equal');
    expectManifestError(crops('layout = "nhwc"', 'layout = "nchw"'), "'input.layout'", 'needs layout = "nhwc"');
    expectManifestError(crops('format = "tfjs-graph"', 'format = "onnx"'), "'input.channels'", 'needs a TF.js graph model');
    expectManifestError(crops('channels = "gray"', 'channels = "rgb"'), "'input.gray_weights'", 'is for channels = "gray"');
    // BT.601 when no weights are given
    const bt601 = parseManifest('/x/plugin.toml', crops('gray_weights = [0.2989, 0.5870, 0.1140]\n', ''));
    expect(bt601.kind === 'onnx' && bt601.input.grayWeights).toEqual([0.299, 0.587, 0.114]);
  });
});
