// A stable handle on a plugin whose instance can be swapped (reload). Calls
// go to the current instance; a reload waits for the calls in flight, closes
// the old instance, then opens the new one while new calls wait at the gate,
// so no call ever meets a closed instance. (Closing first matters: a native
// library can be loaded only once per process.)

import type { ImageInput } from '../native/types.js';
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

  /** Present when the current instance batches natively; calls are gated like run(). */
  get submit(): TaggerPlugin['submit'] {
    if (!this.current.submit) return undefined;
    return async (image: ImageInput, mode: PreprocessMode, o: ScoreOverrides, opts: BatchOptions): Promise<PluginSubmitted> => {
      // No await before the instance's submit when no reload is waiting:
      // the image is queued synchronously, before the caller's flush().
      while (this.gate) await this.gate;
      this.inFlight++;
      try {
        const current = this.current;
        if (current.submit) return await current.submit(image, mode, o, opts);
        // Reloaded as a plugin without its own batching: run this image alone.
        const { results, timing } = await current.run([image], mode, o);
        return { result: results[0]!, queueMs: 0, batchSize: 1, timing };
      } finally {
        if (--this.inFlight === 0) this.idle?.();
      }
    };
  }

  /** Present when the current instance takes encoded images; none while a reload waits (the image gets pixels, which wait at the gate). */
  get encoded(): TaggerPlugin['encoded'] {
    if (!this.current.encoded) return undefined;
    return (mode: PreprocessMode, o: ScoreOverrides): EncodedUse | undefined => {
      if (this.gate) return undefined;
      const use = this.current.encoded?.(mode, o);
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

  get flush(): TaggerPlugin['flush'] {
    return this.current.flush ? () => this.current.flush?.() : undefined;
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
