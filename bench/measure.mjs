// One measurement, in a process of its own (forked by bench/run.mjs) so that
// each contender's peak RSS is its own. Receives its settings as the first
// IPC message, replies with one message and exits.
//
// Every contender is timed the same way: set-up (model load) and a warm-up
// pass over its first batch are not timed; then R timed passes over the
// same list of images.

import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as lib from './lib.mjs';
import { tunedPeer } from './tuned-peer.mjs';

const CONTENDERS = {
  // --- imlage, through its public API ---------------------------------------
  async imlage(cfg) {
    const { Engine, isFailure } = await lib.importDist('index.js');
    const engine = await Engine.create({
      plugins: cfg.plugins,
      mode: cfg.mode,
      config: false,
      ...(cfg.batchSize ? { batchSize: cfg.batchSize } : {}),
    });
    return {
      // At least one full batch of the engine's (its default batch is 16).
      warm: cfg.batchSize ?? 32,
      async pass(files) {
        let images = 0;
        let errors = 0;
        // Each file's best label per plugin (null: failed or no tag).
        const labels = Object.fromEntries(cfg.plugins.map((p) => [p, {}]));
        const probe = cfg.poolProbe ? poolProbe() : undefined;
        for await (const r of engine.tag(files)) {
          images++;
          if (r.error || Object.values(r.results).some((p) => isFailure(p))) errors++;
          for (const p of cfg.plugins) {
            const res = r.results?.[p];
            const best = res && !isFailure(res) ? res.tags.reduce((a, t) => (!a || t.confidence > a.confidence ? t : a), undefined) : undefined;
            labels[p][r.file] = best?.label ?? null;
          }
        }
        return { images, errors, labels, ...(probe ? { poolProbe: probe.stop() } : {}) };
      },
      close: () => engine.close(),
    };
  },

  // --- onnxruntime-node, naive: one image at a time, default session --------
  async ortNaive(cfg) {
    const ort = await import('onnxruntime-node');
    const sharp = (await import('sharp')).default;
    const m = lib.MODELS[cfg.model];
    const session = await ort.InferenceSession.create(await lib.modelPath(cfg.model));
    const input = session.inputNames[0];
    return {
      warm: 2,
      async pass(files) {
        let errors = 0;
        for (const f of files) {
          let px;
          try {
            px = await lib.decodeTo(sharp, f, m.size);
          } catch {
            errors++;
            continue;
          }
          const data = new Float32Array(m.size * m.size * 3);
          lib.toFloat(px, data, 0, m.size, m.layout);
          const dims = m.layout === 'nhwc' ? [1, m.size, m.size, 3] : [1, 3, m.size, m.size];
          const out = await session.run({ [input]: new ort.Tensor('float32', data, dims) }, m.outputs);
          lib.reduceOutputs(cfg.model, out, 1);
        }
        return { images: files.length, errors };
      },
      close: () => session.release(),
    };
  },

  // --- onnxruntime-node, tuned: the careful plain-JS pipeline (bench/tuned-peer.mjs).
  async ortTuned(cfg) {
    const peer = await tunedPeer(cfg.models);
    return {
      warm: lib.TUNED.batch * 2,
      async pass(files) {
        const { images, errors, tops } = await peer.pass(files);
        // Each file's best label, for the agreement check against imlage.
        const labels = Object.fromEntries(Object.entries(tops).map(([n, t]) => [n, Object.fromEntries(files.map((f, i) => [f, t[i] < 0 ? null : lib.MODELS[n].labels[t[i]]]))]));
        return { images, errors, labels };
      },
      close: () => peer.close(),
    };
  },

  // --- nsfwjs on TF.js (pure-JS cpu backend): what a user of nsfwjs runs ------
  async nsfwjs() {
    const sharp = (await import('sharp')).default;
    const quiet = console.info;
    const warn = console.warn;
    console.info = () => {}; // nsfwjs announces its model,
    console.warn = () => {}; // TF.js suggests tfjs-node
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    const { load } = await import('nsfwjs');
    const { MobileNetV2Model } = await import('nsfwjs/models/mobilenet_v2');
    const model = await load('MobileNetV2', { modelDefinitions: [MobileNetV2Model] });
    console.info = quiet;
    console.warn = warn;
    return {
      warm: 1,
      async pass(files) {
        let errors = 0;
        for (const f of files) {
          let img;
          try {
            // The whole picture, as nsfwjs's classify() expects it (it normalises and resizes itself).
            const { data, info } = await sharp(f).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
            img = tf.tensor3d(new Int32Array(data), [info.height, info.width, 3], 'int32');
          } catch {
            errors++;
            continue;
          }
          await model.classify(img, 5);
          img.dispose();
        }
        return { images: files.length, errors };
      },
      close: async () => model.dispose(),
    };
  },

  // --- floors -----------------------------------------------------------------
  // Model only: the same tensors (pre-decoded real pixels) again and again,
  // FLOOR_BATCH images per run, ORT threads = cores. Counts whole batches.
  async floorModel(cfg, files) {
    const ort = await import('onnxruntime-node');
    const sharp = (await import('sharp')).default;
    const m = lib.MODELS[cfg.model];
    const session = await ort.InferenceSession.create(await lib.modelPath(cfg.model), {
      intraOpNumThreads: lib.CORES,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    const B = lib.FLOOR_BATCH;
    const data = new Float32Array(B * m.size * m.size * 3);
    const px = await lib.mapLimit(Array.from({ length: B }, (_, i) => files[i % files.length]), lib.TUNED.inFlight,
      (f) => lib.decodeTo(sharp, f, m.size).catch(() => new Uint8Array(m.size * m.size * 3)));
    px.forEach((p, slot) => lib.toFloat(p, data, slot, m.size, m.layout));
    const dims = m.layout === 'nhwc' ? [B, m.size, m.size, 3] : [B, 3, m.size, m.size];
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) };
    return {
      warm: B,
      async pass(list) {
        const batches = Math.ceil(list.length / B);
        for (let b = 0; b < batches; b++) await session.run(feeds, m.outputs);
        return { images: batches * B, errors: 0 };
      },
      close: () => session.release(),
    };
  },

  // Decode only: sharp straight to the model size as imlage's fast mode runs it.
  async floorDecode(cfg) {
    const sharp = (await import('sharp')).default;
    return decodeFloor(cfg, (bytes) => lib.decodeLikeFast(sharp, bytes, cfg.size));
  },

  // Decode only: the addon's own decoders (decodeToSize). A file they do not
  // cover goes to sharp, as imlage's fast mode would send it; counted.
  async floorNativeDecode(cfg) {
    const sharp = (await import('sharp')).default;
    const { loadAddon } = await lib.importDist('binding/binding.js');
    const addon = loadAddon();
    // One decode thread per core, as the engine's thread plan sizes the pool (its default is 1).
    addon.setDecodeThreads(lib.CORES);
    return decodeFloor(cfg, async (bytes, file) => {
      let img;
      try {
        img = await lib.decodeNative(addon, bytes, cfg.size, cfg.size, cfg.meta[file]?.orientation ?? 1);
      } catch {
        await lib.decodeLikeFast(sharp, bytes, cfg.size);
        return FELL_BACK;
      }
      if (img.width !== cfg.size || img.height !== cfg.size || img.channels !== 3 || img.data.length !== cfg.size * cfg.size * 3) {
        throw new Error(`decodeToSize gave ${img.width}×${img.height}×${img.channels} (${img.data.length} bytes) for ${cfg.size}×${cfg.size}×3`);
      }
      return img.data;
    });
  },
};

/**
 * bench:threadpool's probe: one fs.stat at a time on libuv's pool, each as
 * soon as the last returned (at most every 2 ms), timed; stop() gives the
 * median and 99th percentile in ms.
 */
function poolProbe() {
  const ms = [];
  let on = true;
  (async () => {
    while (on) {
      const t = performance.now();
      await stat(lib.ROOT);
      ms.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  return { stop: () => ((on = false), { p50: lib.percentile(ms, 50), p99: lib.percentile(ms, 99), n: ms.length }) };
}

/** What a floor's decode returns when it handed the file to sharp instead. */
const FELL_BACK = Symbol('fell back to sharp');

/**
 * A decode-only floor: every file read and decoded, FLOOR_IN_FLIGHT at a time,
 * one format group after the other so that each group's CPU time is its own.
 */
function decodeFloor(cfg, decodeBytes) {
  return {
    warm: 8,
    async pass(files) {
      let errors = 0;
      const groups = {};
      for (const g of lib.FORMAT_GROUPS) {
        const list = files.filter((f) => (cfg.meta[f]?.group ?? 'other') === g);
        if (!list.length) continue;
        let fallbacks = 0;
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        await lib.mapLimit(list, lib.FLOOR_IN_FLIGHT, async (f) => {
          try {
            if ((await decodeBytes(await readFile(f), f)) === FELL_BACK) fallbacks++;
          } catch {
            errors++;
          }
        });
        const cpu = process.cpuUsage(cpu0);
        groups[g] = { images: list.length, seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, fallbacks };
      }
      return { images: files.length, errors, groups };
    },
    close: async () => {},
  };
}

// Per-image latency on a warm contender: one small JPEG again and again.
const LATENCY = {
  async imlage(cfg) {
    const { Engine } = await lib.importDist('index.js');
    const engine = await Engine.create({ plugins: cfg.plugins, mode: cfg.mode, config: false });
    return { once: (f) => engine.tagOne(f), close: () => engine.close() };
  },
  async ortNaive(cfg) {
    const c = await CONTENDERS.ortNaive(cfg);
    return { once: (f) => c.pass([f]), close: c.close };
  },
  // The SMI call itself: a no-op plugin given a batch of decoded images, so
  // what is timed is the host's ABI path (checks, result copies) and, when
  // isolated, the IPC round trip with the pixels.
  async abiNoop(cfg) {
    const { loadAddon, defaultOrtLibrary } = await lib.importDist('binding/binding.js');
    const library = join(lib.ROOT, 'build', 'test-plugins', 'libsmi_test_noop.so');
    if (!existsSync(library)) throw new Error(`${library} is missing: build the test plugins (npx cmake-js compile)`);
    const sharp = (await import('sharp')).default;
    const { data, info } = await sharp(cfg.latencyFile).resize(224, 224, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const images = Array.from({ length: cfg.abiBatch }, () => ({ data: Buffer.from(data), width: info.width, height: info.height, channels: info.channels }));
    let plugin;
    if (cfg.isolated) {
      const { IsolatedPlugin } = await lib.importDist('plugins/isolation/host.js');
      plugin = await IsolatedPlugin.start({ name: 'noop', library, ortLibrary: defaultOrtLibrary(), timeoutMs: 30000, load: { configJson: '{}' } });
    } else {
      const addon = loadAddon();
      addon.loadOrt(defaultOrtLibrary());
      plugin = await addon.loadPlugin(library, { configJson: '{}' });
    }
    await plugin.registerModel({ id: 'm', files: [] });
    await plugin.loadModel('m');
    return { once: () => plugin.run('m', images), close: () => plugin.close() };
  },
};

async function throughput(cfg) {
  const files = cfg.files;
  const t0 = performance.now();
  const c = await CONTENDERS[cfg.contender](cfg, files);
  const setupMs = performance.now() - t0;
  const t1 = performance.now();
  await c.pass(files.slice(0, Math.min(files.length, c.warm)));
  const warmupMs = performance.now() - t1;
  const runs = [];
  let labels;
  for (let r = 0; r < cfg.runs; r++) {
    const cpu0 = process.cpuUsage();
    const s0 = performance.now();
    const { images, errors, labels: l, groups, poolProbe: probe } = await c.pass(files);
    const seconds = (performance.now() - s0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    runs.push({ seconds, images, errors, cpuSeconds: (cpu.user + cpu.system) / 1e6, ...(groups ? { groups } : {}), ...(probe ? { poolProbe: probe } : {}) });
    labels = l;
  }
  await c.close();
  return { setupMs, warmupMs, runs, ...(labels ? { labels } : {}) };
}

async function latency(cfg) {
  const t0 = performance.now();
  const c = await LATENCY[cfg.contender](cfg);
  const setupMs = performance.now() - t0;
  const f = cfg.latencyFile;
  for (let i = 0; i < 5; i++) await c.once(f);
  const ms = [];
  for (let i = 0; i < cfg.calls; i++) {
    const s = performance.now();
    await c.once(f);
    ms.push(performance.now() - s);
  }
  await c.close();
  return { setupMs, file: f, calls: ms.length, p50: lib.percentile(ms, 50), p95: lib.percentile(ms, 95), mean: ms.reduce((a, b) => a + b, 0) / ms.length };
}

process.once('message', async (cfg) => {
  let reply;
  try {
    const result = cfg.kind === 'latency' ? await latency(cfg) : await throughput(cfg);
    reply = { ok: true, ...result, maxRssMiB: process.resourceUsage().maxRSS / 1024 };
  } catch (err) {
    reply = { ok: false, error: err?.stack ?? String(err) };
  }
  process.send(reply, () => process.exit(0));
});
