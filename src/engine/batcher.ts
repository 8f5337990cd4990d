// Dynamic batching per plugin, with Triton's dynamic_batching semantics: a
// request waits at most maxDelayMs for others to share its batch; a full
// batch goes at once. While the plugin is busy requests queue up, so under
// load every batch is full, and a lone request is never held long.
// Requests batch together only with the same key (the native queue's rule:
// one batch runs with one mode and one set of score overrides).

export interface BatcherOptions {
  maxBatch: number;
  maxDelayMs: number;
  /** Batches of one plugin running at the same time. */
  maxConcurrent: number;
  /**
   * Whether more requests are on their way (e.g. images still decoding).
   * When none are, waiting for company is pointless: a partial batch goes at once.
   */
  expectMore?: () => boolean;
}

export interface Batched<R> {
  result: R;
  /** Time from submit() until its batch started. */
  queueMs: number;
  batchSize: number;
}

interface Item<I, R> {
  input: I;
  key: string;
  at: number;
  resolve: (v: Batched<R>) => void;
  reject: (e: unknown) => void;
}

export class Batcher<I, R> {
  private queue: Item<I, R>[] = [];
  private running = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly runBatch: (inputs: I[]) => Promise<R[]>,
    private readonly opts: BatcherOptions,
  ) {}

  submit(input: I, key = ''): Promise<Batched<R>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, key, at: performance.now(), resolve, reject });
      this.pump();
    });
  }

  /** Re-evaluate now (e.g. the caller learnt that nothing more is coming). */
  poke(): void {
    this.pump();
  }

  private pump(): void {
    while (this.running < this.opts.maxConcurrent && this.queue.length > 0) {
      const head = this.queue[0]!;
      const same = this.queue.filter((it) => it.key === head.key).slice(0, this.opts.maxBatch);
      const waited = performance.now() - head.at;
      const worthWaiting = this.opts.expectMore?.() ?? true;
      if (same.length < this.opts.maxBatch && waited < this.opts.maxDelayMs && worthWaiting) {
        // Not full yet: give others until the oldest request's deadline.
        if (!this.timer) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.pump();
          }, Math.max(0, this.opts.maxDelayMs - waited));
        }
        return;
      }
      clearTimeout(this.timer);
      this.timer = undefined;
      const taken = new Set(same);
      this.queue = this.queue.filter((it) => !taken.has(it));
      this.start(same);
    }
  }

  private start(items: Item<I, R>[]): void {
    this.running++;
    const t0 = performance.now();
    this.runBatch(items.map((i) => i.input)).then(
      (results) => items.forEach((it, k) => it.resolve({ result: results[k]!, queueMs: t0 - it.at, batchSize: items.length })),
      (err) => items.forEach((it) => it.reject(err)),
    ).finally(() => {
      this.running--;
      this.pump();
    });
  }
}
