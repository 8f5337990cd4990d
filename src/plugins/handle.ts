// A stable handle on a plugin whose instance can be swapped (reload). Calls
// go to the current instance; a reload waits for the calls in flight, closes
// the old instance, then opens the new one while new calls wait at the gate,
// so no call ever meets a closed instance. (Closing first matters: a native
// library can be loaded only once per process.)

import type { ImageInput } from '../native/types.js';
import type { DecodeNeed, PluginRun, ScoreOverrides, TaggerPlugin } from '../engine/plugin.js';
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
