// Admission control in images, not requests: at most `maxActive` images in
// the engine, at most `maxQueued` waiting in FIFO order; a request whose
// images would overflow the queue is refused at once (429). A waiter whose
// request was cancelled (deadline, client gone, shutdown) leaves the queue
// without ever reaching the engine.

export class QueueFullError extends Error {
  constructor(readonly retryAfterS: number) {
    super('the server is at capacity: its queue of images is full');
  }
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

export class Admission {
  private active = 0;
  private queue: Waiter[] = [];
  /** Moving average of an image's time in the engine, for Retry-After. */
  private serviceMs = 100;

  constructor(
    private readonly maxActive: number,
    private readonly maxQueued: number,
  ) {}

  get inEngine(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Throws QueueFullError if `n` more images would not fit. */
  reserve(n: number): void {
    const free = Math.max(0, this.maxActive - this.active - this.queue.length);
    const mustWait = Math.max(0, n - free);
    if (mustWait > 0 && this.queue.length + mustWait > this.maxQueued) throw new QueueFullError(this.retryAfterS());
  }

  /** Resolves when the image may enter the engine; rejects with the signal's reason if cancelled first. */
  acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.active < this.maxActive && this.queue.length === 0) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.queue.indexOf(w);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', w.onAbort, { once: true });
      this.queue.push(w);
    });
  }

  /** An image left the engine after `ms`. */
  release(ms: number): void {
    this.serviceMs = 0.9 * this.serviceMs + 0.1 * ms;
    const next = this.queue.shift();
    if (next) {
      next.signal.removeEventListener('abort', next.onAbort);
      next.resolve();
    } else {
      this.active--;
    }
  }

  /** Seconds until the queue has room again, roughly: the queue ahead over the engine's rate. */
  private retryAfterS(): number {
    const seconds = ((this.queue.length / this.maxActive + 1) * this.serviceMs) / 1000;
    return Math.min(60, Math.max(1, Math.ceil(seconds)));
  }
}
