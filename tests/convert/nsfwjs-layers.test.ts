import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { convertTfjs } from '../../src/convert/index.js';
import { maxAbsDiff, memoryHandler, NSFW, ortSession, PHOTO_SET, photoTensor, runOrt, tf, tfArtifacts, tfReady } from './helpers.js';

const TOL = 1e-4;

async function checkLayersModel(dir: string, size: number): Promise<number> {
  await tfReady();
  const modelFile = join(NSFW, dir, 'model.min.js');
  const conv = await convertTfjs({ modelFile });
  expect(conv.format).toBe('tfjs-layers');
  expect(conv.inputs).toEqual([{ name: 'input_1', shape: ['batch', size, size, 3] }]);
  const session = await ortSession(conv.onnx);
  const model = await tf.loadLayersModel(memoryHandler(tfArtifacts(modelFile)));

  // all photos in one batch: also exercises the dynamic batch dimension
  const imgs = await Promise.all(PHOTO_SET.map((p) => photoTensor(p, size, size)));
  const batch = new Float32Array(imgs.length * size * size * 3);
  imgs.forEach((im, i) => batch.set(im, i * im.length));
  const dims = [imgs.length, size, size, 3];

  const tfOut = tf.tidy(() => (model.predict(tf.tensor4d(batch, dims as [number, number, number, number])) as tf.Tensor).dataSync() as Float32Array);
  const ortOut = await runOrt(session, conv.inputs[0]!.name, batch, dims);
  const outName = conv.outputs[0]!.name;
  expect(Object.keys(ortOut)).toEqual([outName]);
  const diff = maxAbsDiff(tfOut, ortOut[outName]!);
  console.log(`[convert] nsfwjs ${dir} (tfjs-layers): max abs diff ${diff.toExponential(3)} over ${tfOut.length} outputs (${PHOTO_SET.length} photos)`);
  model.dispose();
  await session.release();
  return diff;
}

describe('TF.js layers models → ONNX numerics', () => {
  it('nsfwjs mobilenet_v2 matches TF.js within 1e-4', async () => {
    expect(await checkLayersModel('mobilenet_v2', 224)).toBeLessThan(TOL);
  });
  it('nsfwjs inception_v3 matches TF.js within 1e-4', async () => {
    expect(await checkLayersModel('inception_v3', 299)).toBeLessThan(TOL);
  });
});
