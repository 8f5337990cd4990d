// libvips keeps one error buffer and sharp one warning queue for the whole
// process, and each sharp call clears or drains them when it ends. With
// several decodes at once, a failing call can read another file's message
// (or none: "Unknown error"). Whether a call failed is its own, though, so
// calls run side by side, and one that fails runs again alone: with nothing
// else running, what libvips says is about that file only. Failures are rare,
// so the pause costs little. The state is libvips', hence one lock per
// process (per thread's copy of this module).

import { ImlageError } from '../errors.js';
import { Semaphore } from '../util/semaphore.js';

type Waiter = { exclusive: boolean; wake: () => void };

class SharedExclusiveLock {
  private shared = 0;
  private exclusive = false;
  private queue: Waiter[] = [];

  async acquire(exclusive: boolean): Promise<void> {
    if (this.queue.length === 0 && this.free(exclusive)) this.take(exclusive);
    else await new Promise<void>((wake) => this.queue.push({ exclusive, wake }));
  }

  release(exclusive: boolean): void {
    if (exclusive) this.exclusive = false;
    else this.shared--;
    // In arrival order, so an exclusive waiter is not starved by a stream of shared ones.
    while (this.queue.length && this.free(this.queue[0]!.exclusive)) {
      const w = this.queue.shift()!;
      this.take(w.exclusive);
      w.wake();
    }
  }

  private free(exclusive: boolean): boolean {
    return !this.exclusive && (!exclusive || this.shared === 0);
  }

  private take(exclusive: boolean): void {
    if (exclusive) this.exclusive = true;
    else this.shared++;
  }
}

const lock = new SharedExclusiveLock();

async function locked<T>(exclusive: boolean, run: () => Promise<T>): Promise<T> {
  await lock.acquire(exclusive);
  try {
    return await run();
  } finally {
    lock.release(exclusive);
  }
}

/**
 * Runs a sharp call beside others; if it fails, runs it again alone
 * (`alone` = true) and returns or throws what that run gives. A failure that
 * is already a verdict (an ImlageError: e.g. the time limit) is not run
 * again, nor one after `signal` was aborted (the caller has given up).
 */
export async function vipsCall<T>(run: (alone: boolean) => Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return await locked(false, () => run(false));
  } catch (err) {
    if (err instanceof ImlageError || signal?.aborted) throw err;
    return locked(true, () => run(true));
  }
}

// A sharp call that decodes or resizes holds one of libuv's threads for its
// whole run (tens of milliseconds), while every image also makes short
// calls on the same pool (reading its file, its header). With as many such
// calls at once as the pool has threads, the short calls queue behind them
// and the pipeline stalls; so they are capped below the pool's size
// (threads.ts, vipsCalls), process-wide like the pool itself.
let decodeSlots = new Semaphore(3);

/** At most n decoding or resizing sharp calls at once (the thread plan's vipsCalls). */
export function setVipsDecodeSlots(n: number): void {
  if (n !== decodeSlots.capacity) decodeSlots = new Semaphore(Math.max(1, n));
}

/** vipsCall for a decode or resize: waits for one of the slots above first. */
export async function vipsDecode<T>(run: (alone: boolean) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const slots = decodeSlots;
  await slots.acquire();
  try {
    return await vipsCall(run, signal);
  } finally {
    slots.release();
  }
}
