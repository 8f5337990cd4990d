// Per-stage timing of every image: decode, queue (waiting for a batch),
// inference and post-processing, per plugin. Kept as sums plus a bounded
// sample for percentiles, so memory stays flat on long runs.

export const STAGES = ['decode', 'queue', 'preprocess', 'inference', 'postprocess'] as const;
export type Stage = (typeof STAGES)[number];

const SAMPLE = 4096;

export interface StageSummary {
  count: number;
  totalMs: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
}

class Series {
  count = 0;
  total = 0;
  private sample: number[] = [];

  add(ms: number): void {
    this.count++;
    this.total += ms;
    if (this.sample.length < SAMPLE) this.sample.push(ms);
    else {
      // Reservoir sampling keeps a uniform sample of the whole run.
      const j = Math.floor(Math.random() * this.count);
      if (j < SAMPLE) this.sample[j] = ms;
    }
  }

  summary(): StageSummary {
    const s = [...this.sample].sort((a, b) => a - b);
    const q = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : 0);
    const r = (x: number) => Math.round(x * 100) / 100;
    return { count: this.count, totalMs: r(this.total), meanMs: r(this.count ? this.total / this.count : 0), p50Ms: r(q(0.5)), p95Ms: r(q(0.95)) };
  }
}

export interface EngineStats {
  images: number;
  failed: number;
  wallMs: number;
  imagesPerSecond: number;
  decode: StageSummary;
  /** Per plugin: queue, preprocess, inference and postprocess per image, and the mean batch size. */
  plugins: Record<string, Record<Exclude<Stage, 'decode'>, StageSummary> & { meanBatch: number }>;
}

export class StatsCollector {
  private images = 0;
  private failed = 0;
  private started?: number;
  private last = 0;
  private decode = new Series();
  private plugins = new Map<string, { stages: Map<Stage, Series>; batches: Series }>();

  begin(): void {
    this.started ??= performance.now();
  }

  image(failed: boolean, decodeMs?: number): void {
    this.images++;
    if (failed) this.failed++;
    if (decodeMs !== undefined) this.decode.add(decodeMs);
    this.last = performance.now();
  }

  plugin(name: string, t: Partial<Record<Stage, number>>, batchSize: number): void {
    let p = this.plugins.get(name);
    if (!p) {
      p = { stages: new Map(), batches: new Series() };
      this.plugins.set(name, p);
    }
    for (const [stage, ms] of Object.entries(t) as [Stage, number][]) {
      if (!p.stages.has(stage)) p.stages.set(stage, new Series());
      p.stages.get(stage)!.add(ms);
    }
    p.batches.add(batchSize);
  }

  snapshot(): EngineStats {
    const wallMs = this.started === undefined ? 0 : this.last - this.started;
    const plugins: EngineStats['plugins'] = {};
    for (const [name, p] of this.plugins) {
      const get = (s: Stage) => (p.stages.get(s) ?? new Series()).summary();
      plugins[name] = {
        queue: get('queue'), preprocess: get('preprocess'), inference: get('inference'), postprocess: get('postprocess'),
        meanBatch: p.batches.summary().meanMs,
      };
    }
    return {
      images: this.images,
      failed: this.failed,
      wallMs: Math.round(wallMs),
      imagesPerSecond: wallMs > 0 ? Math.round((this.images / wallMs) * 1e5) / 100 : 0,
      decode: this.decode.summary(),
      plugins,
    };
  }
}
