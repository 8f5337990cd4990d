// The engine's Prometheus metrics, shared by `imlage serve` and `imlage
// worker` so both export the same names: per-image time and outcome, per
// plugin inference and outcome, batch sizes, plugin info and restarts, and
// the engine's per-stage summaries. Counters end in _total, times are in
// seconds; labels are bounded (plugin names, outcomes; never file names).

import client from 'prom-client';
import type { Engine } from '../engine/engine.js';
import { isFailure, type TagResult } from '../engine/types.js';
import { isolatedRestarts } from '../server/readiness.js';

export const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * A Prometheus summary read from engine.stats() at scrape time: the engine
 * keeps per-stage sums and a uniform sample of the whole run (its quantiles
 * cover the whole run, not a sliding window).
 */
function engineSummaries(engine: Engine) {
  const q = (s: { count: number; totalMs: number; p50Ms: number; p95Ms: number }, labels: Record<string, string>, name: string) => [
    { labels: { ...labels, quantile: 0.5 }, value: s.p50Ms / 1000, metricName: name },
    { labels: { ...labels, quantile: 0.95 }, value: s.p95Ms / 1000, metricName: name },
    { labels, value: s.totalMs / 1000, metricName: `${name}_sum` },
    { labels, value: s.count, metricName: `${name}_count` },
  ];
  const summary = (name: string, help: string, values: () => ReturnType<typeof q>) => ({
    name, help, type: 'summary', aggregator: 'sum',
    get: async () => ({ name, help, type: 'summary', aggregator: 'sum', values: values() }),
    reset: () => {},
  });
  return [
    summary('imlage_decode_seconds', 'Time to decode an image (every size its plugins need), over the whole run', () => q(engine.stats().decode, {}, 'imlage_decode_seconds')),
    summary('imlage_stage_seconds', "An image's time per plugin stage: queue (waiting for its batch), preprocess, inference, postprocess (its share of the batch)", () =>
      Object.entries(engine.stats().plugins).flatMap(([plugin, p]) =>
        (['queue', 'preprocess', 'inference', 'postprocess'] as const).flatMap((stage) => q(p[stage], { plugin, stage }, 'imlage_stage_seconds')))),
  ];
}

export class EngineMetrics {
  private readonly imageTime: client.Histogram;
  private readonly inference: client.Histogram<'plugin'>;
  private readonly images: client.Counter<'outcome'>;
  private readonly pluginImages: client.Counter<'plugin' | 'outcome'>;

  /** Registers the engine's metrics (and the process defaults) in `registry`. */
  constructor(readonly registry: client.Registry, engine: Engine) {
    const registers = [registry];
    client.collectDefaultMetrics({ register: registry });
    this.imageTime = new client.Histogram({ name: 'imlage_image_seconds', help: "An image's time in the engine: decode, batching and inference of all its plugins", buckets: LATENCY_BUCKETS, registers });
    this.inference = new client.Histogram({ name: 'imlage_inference_seconds', help: "An image's share of its batch's inference time, per plugin", labelNames: ['plugin'], buckets: [0.001, ...LATENCY_BUCKETS], registers });
    this.images = new client.Counter({ name: 'imlage_images_total', help: 'Images answered: tagged (at least one plugin succeeded) or failed', labelNames: ['outcome'], registers });
    this.pluginImages = new client.Counter({ name: 'imlage_plugin_images_total', help: 'Per plugin: images tagged or failed', labelNames: ['plugin', 'outcome'], registers });
    new client.Gauge({
      name: 'imlage_batch_size_mean', help: 'Mean inference batch size per plugin (per image, over the whole run)', labelNames: ['plugin'], registers,
      collect() {
        for (const [plugin, p] of Object.entries(engine.stats().plugins)) this.set({ plugin }, p.meanBatch);
      },
    });
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
    for (const m of engineSummaries(engine)) registry.registerMetric(m as unknown as client.Metric);
  }

  answered(r: TagResult, seconds: number): void {
    this.imageTime.observe(seconds);
    const plugins = Object.entries(r.results);
    const good = plugins.filter(([, v]) => !isFailure(v));
    this.images.inc({ outcome: r.error || good.length === 0 ? 'failed' : 'tagged' });
    for (const [plugin, v] of plugins) {
      if (isFailure(v)) this.pluginImages.inc({ plugin, outcome: 'failed' });
      else {
        this.pluginImages.inc({ plugin, outcome: 'tagged' });
        this.inference.observe({ plugin }, v.inference_time_ms / 1000);
      }
    }
  }

  /** An image refused before the engine saw it (over the pixel limit, unreadable path). */
  refused(): void {
    this.images.inc({ outcome: 'failed' });
  }
}
