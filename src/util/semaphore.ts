// A weighted semaphore: bounds decodes in flight (weight 1 each) and decoded
// bytes held (weight = bytes). A request larger than the whole budget is let
// through alone, so one huge image can never block forever.

export class Semaphore {
  private used = 0;
  private waiters: { weight: number; wake: () => void }[] = [];

  constructor(readonly capacity: number) {}

  get inUse(): number {
    return this.used;
  }

  async acquire(weight = 1): Promise<void> {
    if (this.fits(weight) && this.waiters.length === 0) {
      this.used += weight;
      return;
    }
    await new Promise<void>((wake) => this.waiters.push({ weight, wake }));
  }

  release(weight = 1): void {
    this.used -= weight;
    while (this.waiters.length && this.fits(this.waiters[0]!.weight)) {
      const w = this.waiters.shift()!;
      this.used += w.weight;
      w.wake();
    }
  }

  private fits(weight: number): boolean {
    return this.used === 0 || this.used + weight <= this.capacity;
  }
}
