// A stable handle on a plugin whose instance can be swapped (reload). Calls
// go to the current instance; a reload waits for the calls in flight, closes
// the old instance, then opens the new one while new calls wait at the gate,
// so no call ever meets a closed instance. (Closing first matters: a native
// library can be loaded only once per process.)

import type { ImageInput } from '../binding/types.js';
import type { BatchOptions, DecodeNeed, EncodedUse, PluginRun, PluginSubmitted, ScoreOverrides, TaggerPlugin } from '../engine/plugin.js';
import type { PluginManifest, PreprocessMode } from './manifest.js';

export class PluginHandle implements TaggerPlugin {
  private inFlight = 0;
  private idle?: () => void;
  private gate?: Promise<void>;

  constructor(private current: TaggerPlugin) {}

  get instance(): TaggerPlugin {
    return this.current;
  }

  get name(): string {
    return this.current.name;
  }

  get manifest(): PluginManifest {
    return this.current.manifest;
  }

  get model(): string {
    return this.current.model;
  }

  get provider(): string {
    return this.current.provider;
  }

  get warnings(): string[] {
    return this.current.warnings;
  }

  decodeNeed(mode: PreprocessMode): DecodeNeed {
    return this.current.decodeNeed(mode);
  }

  async run(images: ImageInput[], mode: PreprocessMode, o: ScoreOverrides): Promise<PluginRun> {
    while (this.gate) await this.gate;
    this.inFlight++;
    try {
      return await this.current.run(images, mode, o);
    } finally {
      if (--this.inFlight === 0) this.idle?.();
    }
  }

  /** Gated like run(). */
  async submit(image: ImageInput, mode: PreprocessMode, o: ScoreOverrides, opts: BatchOptions): Promise<PluginSubmitted> {
    // No await before the instance's submit when no reload is waiting:
    // the image is queued synchronously, before the caller's flush().
    while (this.gate) await this.gate;
    this.inFlight++;
    try {
      return await this.current.submit(image, mode, o, opts);
    } finally {
      if (--this.inFlight === 0) this.idle?.();
    }
  }

  /** Present when the current instance takes encoded images; none while a reload waits (the image gets pixels, which wait at the gate). */
  get encoded(): TaggerPlugin['encoded'] {
    if (!this.current.encoded) return undefined;
    return (mode: PreprocessMode, o: ScoreOverrides, shown: [number, number]): EncodedUse | undefined => {
      if (this.gate) return undefined;
      const use = this.current.encoded?.(mode, o, shown);
      if (!use) return undefined;
      // In flight until collected, so a reload waits for the queued requests.
      this.inFlight++;
      return {
        targets: use.targets,
        collect: async (results, shown) => {
          try {
            return await use.collect(results, shown);
          } finally {
            if (--this.inFlight === 0) this.idle?.();
          }
        },
      };
    };
  }

  flush(): void {
    this.current.flush();
  }

  /**
   * Replaces the instance: `open` is called once the old one is closed. If it
   * fails, `reopen` brings the old version back and the error is thrown.
   */
  async swap(open: () => Promise<TaggerPlugin>, reopen: () => Promise<TaggerPlugin>): Promise<void> {
    while (this.gate) await this.gate;
    let release!: () => void;
    this.gate = new Promise((r) => (release = r));
    try {
      if (this.inFlight > 0) await new Promise<void>((r) => (this.idle = r));
      this.idle = undefined;
      await this.current.close();
      try {
        this.current = await open();
      } catch (err) {
        this.current = await reopen();
        throw err;
      }
    } finally {
      this.gate = undefined;
      release();
    }
  }

  async close(): Promise<void> {
    while (this.gate) await this.gate;
    await this.current.close();
  }
}
