// The engine's Prometheus metrics, shared by `imlage serve` and `imlage
// worker` so both export the same names: per-image time and outcome, decode
// time, per-plugin stage times and batch sizes (one observation per image,
// from engine.onTiming()), plugin info and restarts. Counters end in _total,
// times are in seconds; labels are bounded (plugin names, outcomes; never
// file names).

import client from 'prom-client';
import type { Engine, ImageTiming } from '../engine/engine.js';
import { isFailure, type TagResult } from '../engine/types.js';
import { isolatedRestarts } from '../server/readiness.js';

export const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Inference batches: powers of two up to well past the default batch of 16. */
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128];
const STAGES = ['queue', 'preprocess', 'inference', 'postprocess'] as const;

export class EngineMetrics {
  private readonly imageTime: client.Histogram;
  private readonly decode: client.Histogram;
  private readonly stage: client.Histogram<'plugin' | 'stage'>;
  private readonly batchSize: client.Histogram<'plugin'>;
  private readonly images: client.Counter<'outcome'>;
  private readonly pluginImages: client.Counter<'plugin' | 'outcome'>;
  private readonly unsubscribe: () => void;

  /** Registers the engine's metrics (and the process defaults) in `registry`. */
  constructor(readonly registry: client.Registry, engine: Engine) {
    const registers = [registry];
    client.collectDefaultMetrics({ register: registry });
    this.imageTime = new client.Histogram({ name: 'imlage_image_seconds', help: "An image's time in the engine: decode, batching and inference of all its plugins", buckets: LATENCY_BUCKETS, registers });
    this.decode = new client.Histogram({ name: 'imlage_decode_seconds', help: 'Time to decode an image (every size its plugins need), without the wait for memory', buckets: [0.001, ...LATENCY_BUCKETS], registers });
    this.stage = new client.Histogram({
      name: 'imlage_stage_seconds', help: "An image's time per plugin stage: queue (waiting for its batch to start), preprocess, inference, postprocess (its share of the batch)",
      labelNames: ['plugin', 'stage'], buckets: [0.0005, 0.001, ...LATENCY_BUCKETS], registers,
    });
    this.batchSize = new client.Histogram({ name: 'imlage_batch_size', help: 'Size of the inference batch each image ran in, per plugin', labelNames: ['plugin'], buckets: BATCH_BUCKETS, registers });
    this.images = new client.Counter({ name: 'imlage_images_total', help: 'Images answered: tagged (at least one plugin succeeded) or failed', labelNames: ['outcome'], registers });
    this.pluginImages = new client.Counter({ name: 'imlage_plugin_images_total', help: 'Per plugin: images tagged or failed', labelNames: ['plugin', 'outcome'], registers });
    new client.Gauge({
      name: 'imlage_plugin_info', help: 'Plugins this process runs: version and the execution provider actually used (value 1)', labelNames: ['plugin', 'version', 'provider'], registers,
      collect() {
        this.reset();
        for (const name of engine.manager.list().map((e) => e.name)) {
          const e = engine.manager.get(name);
          if (e?.instance) this.set({ plugin: name, version: e.manifest.version, provider: e.instance.provider }, 1);
        }
      },
    });
    const seen = new WeakMap<object, number>();
    new client.Counter({
      name: 'imlage_plugin_restarts_total', help: "Restarts of isolated plugins' processes after a crash or a hang", labelNames: ['plugin'], registers,
      collect() {
        for (const e of engine.manager.list({ state: 'active' })) {
          const r = isolatedRestarts(e);
          if (r === undefined) continue;
          // A reload brings a new instance whose count starts at 0.
          const inst = e.instance!.instance;
          const delta = r.restarts - (seen.get(inst) ?? 0);
          seen.set(inst, r.restarts);
          this.inc({ plugin: e.name }, Math.max(0, delta));
        }
      },
    });
    this.unsubscribe = engine.onTiming((t) => this.timed(t));
  }

  /** Stops observing the engine (it may outlive the server or worker). */
  close(): void {
    this.unsubscribe();
  }

  private timed(t: ImageTiming): void {
    if (t.decodeMs !== undefined) this.decode.observe(t.decodeMs / 1000);
    for (const [plugin, p] of Object.entries(t.plugins)) {
      this.batchSize.observe({ plugin }, p.batchSize);
      const ms = { queue: p.queueMs, preprocess: p.preprocessMs, inference: p.inferenceMs, postprocess: p.postprocessMs };
      for (const stage of STAGES) if (ms[stage] !== undefined) this.stage.observe({ plugin, stage }, ms[stage] / 1000);
    }
  }

  answered(r: TagResult, seconds: number): void {
    this.imageTime.observe(seconds);
    const plugins = Object.entries(r.results);
    const good = plugins.filter(([, v]) => !isFailure(v));
    this.images.inc({ outcome: r.error || good.length === 0 ? 'failed' : 'tagged' });
    for (const [plugin, v] of plugins) this.pluginImages.inc({ plugin, outcome: isFailure(v) ? 'failed' : 'tagged' });
  }

  /** An image refused before the engine saw it (over the pixel limit, unreadable path). */
  refused(): void {
    this.images.inc({ outcome: 'failed' });
  }
}
