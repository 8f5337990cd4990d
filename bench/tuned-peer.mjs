// The tuned onnxruntime-node peer: the plain-JS pipeline a careful user
// would write (issue #9). On the main thread, sharp decodes straight to the
// model size (linear kernel, no cache, one libvips thread per decode, as many
// decodes in flight as libuv's pool runs by default) and each image is
// normalised through a 256-entry table straight into its slot of a
// preallocated batch buffer. Full batches go, transferred, to a
// worker_thread (bench/tuned-worker.mjs) that runs one session.run per batch
// and model and sends the buffers back; at most TUNED.buffers batches are in
// circulation, so decoding runs ahead of inference by at most that much.
// With several models, each gets its own decode at its own size, as a user
// running those tools side by side would do. colors has no model: its
// statistics are computed in JS on the main thread right after its decode
// (bench/colors-peer.mjs), as a user of sharp would.

import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { colorsAnalyse, colorsTable } from './colors-peer.mjs';
import { MODELS, TUNED, mapLimit, modelPath, normalisationTables } from './lib.mjs';

/** uint8 RGB pixels (3 channels) into slot `slot` of dst, through the model's tables, in its layout and channel order. */
function fill(name, tables, px, dst, slot) {
  const m = MODELS[name];
  const n = m.size * m.size;
  const base = slot * n * 3;
  // Output channel c reads source channel src[c] (BGR models swap R and B).
  const src = m.norm.bgr ? [2, 1, 0] : [0, 1, 2];
  const [t0, t1, t2] = tables;
  if (m.layout === 'nhwc') {
    for (let i = 0, o = base; i < n * 3; i += 3, o += 3) {
      dst[o] = t0[px[i + src[0]]];
      dst[o + 1] = t1[px[i + src[1]]];
      dst[o + 2] = t2[px[i + src[2]]];
    }
  } else {
    for (let i = 0, p = 0; i < n; i++, p += 3) {
      dst[base + i] = t0[px[p + src[0]]];
      dst[base + n + i] = t1[px[p + src[1]]];
      dst[base + 2 * n + i] = t2[px[p + src[2]]];
    }
  }
}

export async function tunedPeer(all) {
  const sharp = (await import('sharp')).default;
  sharp.cache(false);
  sharp.concurrency(1);
  const B = TUNED.batch;
  const models = all.filter((n) => !MODELS[n].js);
  const inJs = all.filter((n) => MODELS[n].js);
  if (inJs.length) colorsTable(); // set-up, not timed
  const tables = models.map(normalisationTables);
  const worker = models.length ? new Worker(new URL('./tuned-worker.mjs', import.meta.url), {
    workerData: { models: await Promise.all(models.map(async (name) => ({ name, path: await modelPath(name) }))), threads: TUNED.threads },
  }) : undefined;
  if (worker) {
    const [first] = await once(worker, 'message');
    if (!first.ready) throw new Error('tuned peer: the inference worker did not start');
  }

  // Buffer sets (one Float32Array's ArrayBuffer per model) not in use, and
  // those waiting for one.
  const free = Array.from({ length: TUNED.buffers }, () => models.map((n) => new ArrayBuffer(B * MODELS[n].size ** 2 * 3 * 4)));
  const waiting = [];
  const acquire = () => (free.length ? Promise.resolve(free.pop()) : new Promise((r) => waiting.push(r)));
  const release = (set) => (waiting.length ? waiting.shift()(set) : free.push(set));
  const replies = new Map();
  worker?.on('message', (msg) => {
    release(msg.buffers);
    replies.get(msg.id).resolve(msg);
    replies.delete(msg.id);
  });
  // A worker that dies fails the batches it held instead of leaving them pending.
  worker?.on('error', (err) => {
    for (const r of replies.values()) r.reject(err);
    replies.clear();
  });
  let nextId = 0;
  const infer = (set, n) => new Promise((resolve, reject) => {
    const id = nextId++;
    replies.set(id, { resolve, reject });
    worker.postMessage({ id, n, buffers: set }, set);
  });

  const decode = (file, size) => sharp(file)
    .rotate()
    .resize(size, size, { fit: 'fill', kernel: 'linear' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer();

  return {
    /** Tags files; returns errors and, per model, each file's top class (-1 where its decode failed). */
    async pass(files) {
      const batches = [];
      for (let i = 0; i < files.length; i += B) {
        const n = Math.min(B, files.length - i);
        // A batch takes its buffer set when its first image is decoded and
        // goes to the worker when its last one is in.
        batches.push({ start: i, n, left: n, set: undefined });
      }
      const failed = new Uint8Array(files.length);
      const tops = models.map(() => new Int16Array(files.length));
      const jsTops = inJs.map(() => new Int16Array(files.length));
      const inferred = [];
      let errors = 0;
      await mapLimit(files, TUNED.inFlight, async (file, i) => {
        const b = batches[Math.floor(i / B)];
        let px;
        try {
          const [onnx, js] = await Promise.all([
            Promise.all(models.map((n) => decode(file, MODELS[n].size))),
            Promise.all(inJs.map((n) => decode(file, MODELS[n].size))),
          ]);
          js.forEach((p, k) => (jsTops[k][i] = colorsAnalyse(p).top));
          px = onnx;
        } catch {
          failed[i] = 1;
          errors++;
        }
        if (!models.length) return;
        b.set ??= acquire();
        const set = await b.set;
        if (px) models.forEach((n, k) => fill(n, tables[k], px[k], new Float32Array(set[k]), i - b.start));
        if (--b.left === 0) {
          inferred.push(infer(set, b.n).then((msg) => {
            if (msg.error) throw new Error(`tuned peer: inference failed: ${msg.error}`);
            msg.tops.forEach((t, k) => tops[k].set(t, b.start));
          }));
        }
      });
      await Promise.all(inferred);
      const all = [...tops, ...jsTops];
      all.forEach((t) => failed.forEach((f, i) => f && (t[i] = -1)));
      return { images: files.length, errors, tops: Object.fromEntries([...models, ...inJs].map((n, k) => [n, Array.from(all[k])])) };
    },
    close: async () => worker?.terminate(),
  };
}
