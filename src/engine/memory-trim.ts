// Hands the memory glibc's malloc holds free back to the system every so
// many images: the arenas of the decoding and inference threads keep what
// large decodes freed, and RSS creeps up over thousands of images otherwise
// (docs/hardening.md, "Soak"). The trim runs on a libuv thread (the addon's
// trimMemory), one at a time; elsewhere than glibc it does nothing.

import type { NativeAddon, TrimResult } from '../binding/types.js';

export const DEFAULT_TRIM_EVERY = 200;

export interface TrimStats {
  /** Trims run so far. */
  trims: number;
  /** RSS they handed back, in MiB (measured around each trim). */
  releasedMiB: number;
}

export class MemoryTrimmer {
  private sinceLast = 0;
  private running?: Promise<void>;
  private stats: TrimStats = { trims: 0, releasedMiB: 0 };

  /** `every`: images between trims; 0 never trims. */
  constructor(private readonly addon: Pick<NativeAddon, 'trimMemory'>, private readonly every: number) {}

  /** Counts an image done; starts a trim when `every` have been done since the last one and none is running. */
  imageDone(): void {
    if (this.every <= 0 || ++this.sinceLast < this.every || this.running) return;
    this.sinceLast = 0;
    this.running = this.addon.trimMemory().then(
      (r: TrimResult) => {
        if (!r.supported) return;
        this.stats.trims++;
        this.stats.releasedMiB += Math.max(0, r.rssBeforeKiB - r.rssAfterKiB) / 1024;
      },
      () => {}, // a trim that fails changes nothing but memory use
    ).finally(() => {
      this.running = undefined;
    });
  }

  snapshot(): TrimStats {
    return { trims: this.stats.trims, releasedMiB: +this.stats.releasedMiB.toFixed(1) };
  }

  /** Waits for a trim in flight (before the engine closes). */
  async idle(): Promise<void> {
    await this.running;
  }
}
