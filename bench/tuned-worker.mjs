// The tuned onnxruntime-node peer's inference thread (a worker_thread, so
// that session.run never holds up the main thread, which keeps decoding).
// It owns one session per model; the main thread sends it a batch of
// normalised pixels (transferred, not copied) and gets back each image's top
// class and the same buffers, to fill again.

import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { MODELS, reduceOutputs, topClass } from './lib.mjs';

const { models, threads } = workerData;
const sessions = await Promise.all(models.map(({ path }) => ort.InferenceSession.create(path, {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  // Idle ORT threads otherwise spin and take the cores the decoders need.
  extra: { session: { intra_op: { allow_spinning: '0' } } },
})));

parentPort.on('message', async ({ id, n, buffers }) => {
  const tops = [];
  try {
    for (let k = 0; k < models.length; k++) {
      const m = MODELS[models[k].name];
      const per = m.size * m.size * 3;
      const data = new Float32Array(buffers[k], 0, n * per);
      const dims = m.layout === 'nhwc' ? [n, m.size, m.size, 3] : [n, 3, m.size, m.size];
      const out = await sessions[k].run({ [sessions[k].inputNames[0]]: new ort.Tensor('float32', data, dims) }, m.outputs);
      tops.push(reduceOutputs(models[k].name, out, n).map((r) => topClass(models[k].name, r)));
    }
    parentPort.postMessage({ id, tops, buffers }, buffers);
  } catch (err) {
    parentPort.postMessage({ id, error: err?.stack ?? String(err), buffers }, buffers);
  }
});
parentPort.postMessage({ ready: true });
