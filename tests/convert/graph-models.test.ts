import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { convertTfjs } from '../../src/convert/index.js';
import {
  maxAbsDiff,
  memoryHandler,
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
    expect(conv.inputs).toEqual([{ name: 'input_1', shape: [1, 3, 416, 416] }]);
    const names = conv.outputs.map((o) => o.name);
    expect(names).toEqual(['Identity', 'Identity_1', 'Identity_2', 'Identity_3', 'Identity_4', 'Identity_5']);
    expect(conv.outputs.map((o) => o.shape)).toEqual([
      [1, 2704, 80],
      [1, 676, 80],
      [1, 169, 80],
      [1, 2704, 44],
      [1, 676, 44],
      [1, 169, 44],
    ]);
    const session = await ortSession(conv.onnx);
    const model = await tf.loadGraphModel(memoryHandler(tfArtifacts(NANODET)));

    let worst = 0;
    const perOutput: Record<string, number> = {};
    for (const photo of PHOTO_SET) {
      const chw = toChw(await photoTensor(photo, 416, 416), 416, 416);
      const dims: [number, number, number, number] = [1, 3, 416, 416];
      const tfOuts = tf.tidy(() => {
        const res = model.execute(tf.tensor4d(chw, dims), names.map((n) => `${n}:0`)) as tf.Tensor[];
        return res.map((t) => t.dataSync() as Float32Array);
      });
      const ortOut = await runOrt(session, 'input_1', chw, dims);
      names.forEach((n, i) => {
        const d = maxAbsDiff(tfOuts[i]!, ortOut[n]!);
        perOutput[n] = Math.max(perOutput[n] ?? 0, d);
        worst = Math.max(worst, d);
      });
    }
    console.log(
      `[convert] human-models nanodet (tfjs-graph): max abs diff ${worst.toExponential(3)} (${PHOTO_SET.length} photos; per output ${Object.entries(perOutput)
        .map(([k, v]) => `${k}=${v.toExponential(2)}`)
        .join(' ')})`,
    );
    expect(worst).toBeLessThan(TOL);
    model.dispose();
    await session.release();
  });
});
