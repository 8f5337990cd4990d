import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { convertTfjs } from '../../src/convert/index.js';
import {
  CENTERNET,
  maxAbsDiff,
  maxRelDiff,
  parity,
  perOutputText,
  memoryHandler,
  BLAZEFACE,
  EMOTION,
  NANODET,
  NSFW,
  ortSession,
  PHOTO_SET,
  photoTensor,
  runOrt,
  tf,
  tfArtifacts,
  tfReady,
  toChw,
} from './helpers.js';

const TOL = 1e-4;

describe('TF.js graph models → ONNX numerics', () => {
  it('nsfwjs mobilenet_v2_mid matches TF.js within 1e-4', async () => {
    await tfReady();
    const modelFile = join(NSFW, 'mobilenet_v2_mid', 'model.min.js');
    const conv = await convertTfjs({ modelFile });
    expect(conv.format).toBe('tfjs-graph');
    expect(conv.inputs).toEqual([{ name: 'input', shape: ['batch', 224, 224, 3] }]);
    expect(conv.outputs).toEqual([{ name: 'Identity', shape: ['batch', 5] }]);
    const session = await ortSession(conv.onnx);
    const model = await tf.loadGraphModel(memoryHandler(tfArtifacts(modelFile)));

    const imgs = await Promise.all(PHOTO_SET.map((p) => photoTensor(p, 224, 224)));
    const batch = new Float32Array(imgs.length * 224 * 224 * 3);
    imgs.forEach((im, i) => batch.set(im, i * im.length));
    const dims: [number, number, number, number] = [imgs.length, 224, 224, 3];
    const tfOut = tf.tidy(() => (model.execute(tf.tensor4d(batch, dims), 'Identity:0') as tf.Tensor).dataSync() as Float32Array);
    const ortOut = await runOrt(session, 'input', batch, dims);
    const diff = maxAbsDiff(tfOut, ortOut.Identity!);
    console.log(`[convert] nsfwjs mobilenet_v2_mid (tfjs-graph): max abs diff ${diff.toExponential(3)} over ${tfOut.length} outputs (${PHOTO_SET.length} photos)`);
    expect(diff).toBeLessThan(TOL);
    model.dispose();
    await session.release();
  });

  it('human-models nanodet matches TF.js within 1e-4 on every output', async () => {
    await tfReady();
    const conv = await convertTfjs({ modelFile: NANODET });
    expect(conv.format).toBe('tfjs-graph');
    // the model declares batch 1; its Reshapes provably keep axis 0, so the converter makes it dynamic
    expect(conv.inputs).toEqual([{ name: 'input_1', shape: ['batch', 3, 416, 416] }]);
    const names = conv.outputs.map((o) => o.name);
    expect(names).toEqual(['Identity', 'Identity_1', 'Identity_2', 'Identity_3', 'Identity_4', 'Identity_5']);
    expect(conv.outputs.map((o) => o.shape)).toEqual([
      ['batch', 2704, 80],
      ['batch', 676, 80],
      ['batch', 169, 80],
      ['batch', 2704, 44],
      ['batch', 676, 44],
      ['batch', 169, 44],
    ]);
    const session = await ortSession(conv.onnx);
    const model = await tf.loadGraphModel(memoryHandler(tfArtifacts(NANODET)));

    const inputs = await Promise.all(PHOTO_SET.map(async (photo) => toChw(await photoTensor(photo, 416, 416), 416, 416)));
    const p = await parity(model, session, 'input_1', names, inputs, [3, 416, 416]);
    console.log(`[convert] human-models nanodet (tfjs-graph): max abs diff ${p.worst.toExponential(3)} (${PHOTO_SET.length} photos; per output ${perOutputText(p)})`);
    console.log(`[convert] human-models nanodet batch ${inputs.length} ONNX run vs TF.js: max abs diff ${p.batchWorst.toExponential(3)}`);
    expect(p.worst).toBeLessThan(TOL);
    // dynamic batch: all photos in one ONNX run agree with the per-photo TF.js results
    expect(p.batchWorst).toBeLessThan(TOL);
    model.dispose();
    await session.release();
  });

  it('human-models blazeface (the faces plugin) matches TF.js within 1e-4 of each value on every output, batched too', async () => {
    await tfReady();
    const conv = await convertTfjs({ modelFile: BLAZEFACE });
    expect(conv.format).toBe('tfjs-graph');
    expect(conv.inputs).toEqual([{ name: 'input', shape: ['batch', 256, 256, 3] }]);
    const names = conv.outputs.map((o) => o.name);
    // scores and box regressors of the 16x16x2 and the 8x8x6 anchor grids
    expect(conv.outputs).toEqual([
      { name: 'Identity', shape: ['batch', 512, 1] },
      { name: 'Identity_1', shape: ['batch', 384, 1] },
      { name: 'Identity_2', shape: ['batch', 512, 16] },
      { name: 'Identity_3', shape: ['batch', 384, 16] },
    ]);
    const session = await ortSession(conv.onnx);
    const model = await tf.loadGraphModel(memoryHandler(tfArtifacts(BLAZEFACE)));
    // The regressors are in input pixels (up to a few hundred), where float32
    // rounding alone is 1e-5 per step: compare relative to the value's size.
    // @vladmandic/human's input: pixels / 127.5 - 1.
    const inputs = await Promise.all(PHOTO_SET.map(async (photo) => (await photoTensor(photo, 256, 256)).map((v) => v * 2 - 1)));
    const p = await parity(model, session, 'input', names, inputs, [256, 256, 3], maxRelDiff);
    console.log(`[convert] human-models blazeface (tfjs-graph): max diff relative to max(1, |value|) ${p.worst.toExponential(3)}, batched ${p.batchWorst.toExponential(3)} (${PHOTO_SET.length} photos; per output ${perOutputText(p)})`);
    expect(p.worst).toBeLessThan(TOL);
    expect(p.batchWorst).toBeLessThan(TOL);
    model.dispose();
    await session.release();
  });

  it('converts only the outputs asked for: the CenterNet class heatmap without its TopK/Gather head', async () => {
    // Whole, the model needs ops the converter lacks (its detection head);
    // the heatmap alone does not.
    await expect(convertTfjs({ modelFile: CENTERNET })).rejects.toThrow(/unsupported.*(Equal|TopKV2|GatherV2|FloorDiv|FloorMod|StridedSlice)/i);
    await expect(convertTfjs({ modelFile: CENTERNET, outputs: ['tower_0/nope'] })).rejects.toThrow(/no node 'tower_0\/nope'.*offers: .*tower_0\/keypoints/);
    await tfReady();
    const conv = await convertTfjs({ modelFile: CENTERNET, outputs: ['tower_0/keypoints'] });
    expect(conv.outputs.map((o) => o.name)).toEqual(['tower_0/keypoints']);
    const session = await ortSession(conv.onnx);
    const model = await tf.loadGraphModel(memoryHandler(tfArtifacts(CENTERNET)));
    const input = conv.inputs[0]!.name;
    // @vladmandic/human feeds it RGB on 0-255.
    const x = (await photoTensor('messi5.jpg', 512, 512)).map((v) => v * 255);
    const dims: [number, number, number, number] = [1, 512, 512, 3];
    const theirs = tf.tidy(() => (model.execute(tf.tensor4d(x, dims), 'tower_0/keypoints') as tf.Tensor).dataSync() as Float32Array);
    const ours = (await runOrt(session, input, x, dims))['tower_0/keypoints']!;
    expect(ours.length).toBe(128 * 128 * 80);
    const diff = maxAbsDiff(theirs, ours);
    console.log(`[convert] human-models centernet heatmap (tfjs-graph, outputs chosen): max abs diff ${diff.toExponential(3)}`);
    expect(diff).toBeLessThan(TOL);
    model.dispose();
    await session.release();
  });

  it('human-models emotion (the emotion plugin) matches TF.js within 1e-4, and so does its grey front on RGB pixels', async () => {
    await tfReady();
    const plain = await convertTfjs({ modelFile: EMOTION });
    expect(plain.inputs).toEqual([{ name: 'input_1', shape: ['batch', 64, 64, 1] }]);
    expect(plain.outputs).toEqual([{ name: 'Identity', shape: ['batch', 7] }]);
    // The plugin's conversion: RGB pixel values in, greyed inside with human's
    // weights and (grey / 255 - 0.5) * 2 folded in (plugins/emotion/plugin.toml).
    const rgb = [0.2989, 0.587, 0.114];
    const front = await convertTfjs({ modelFile: EMOTION, grayInput: { weights: rgb.map((w) => w / 127.5) as [number, number, number], offset: -1 } });
    expect(front.inputs).toEqual([{ name: 'input_1', shape: ['batch', 64, 64, 3] }]);
    const model = await tf.loadGraphModel(memoryHandler(tfArtifacts(EMOTION)));
    const plainSession = await ortSession(plain.onnx);
    const frontSession = await ortSession(front.onnx);
    const photos = await Promise.all(PHOTO_SET.map((p) => photoTensor(p, 64, 64)));
    let worstPlain = 0, worstFront = 0;
    for (const rgb01 of photos) {
      // @vladmandic/human's emotion.ts on a 0..1 RGB crop
      const grey = tf.tidy(() => tf.tensor4d(rgb01, [1, 64, 64, 3]).mul(tf.tensor1d(rgb)).sum(3, true).sub(0.5).mul(2).dataSync() as Float32Array);
      const theirs = tf.tidy(() => (model.execute(tf.tensor4d(grey, [1, 64, 64, 1]), 'Identity') as tf.Tensor).dataSync() as Float32Array);
      expect(theirs.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 4);
      worstPlain = Math.max(worstPlain, maxAbsDiff(theirs, (await runOrt(plainSession, 'input_1', grey, [1, 64, 64, 1])).Identity!));
      const pixels = rgb01.map((v) => v * 255);
      worstFront = Math.max(worstFront, maxAbsDiff(theirs, (await runOrt(frontSession, 'input_1', pixels, [1, 64, 64, 3])).Identity!));
    }
    console.log(`[convert] human-models emotion (tfjs-graph): max abs diff ${worstPlain.toExponential(3)}; with the grey front on RGB pixels vs human's grey ${worstFront.toExponential(3)} (${PHOTO_SET.length} photos)`);
    expect(worstPlain).toBeLessThan(TOL);
    expect(worstFront).toBeLessThan(TOL);
    // a grey front needs one NHWC channel: a colour model is refused, naming its input
    await expect(convertTfjs({ modelFile: BLAZEFACE, grayInput: { weights: [0.3, 0.6, 0.1], offset: 0 } })).rejects.toThrow(/grey input needs an NHWC input with one channel; 'input' has shape \[1, 256, 256, 3\]/);
    model.dispose();
    await plainSession.release();
    await frontSession.release();
  });
});
