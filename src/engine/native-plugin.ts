// A kind = "native" plugin: an SMI shared library, in this process or in a
// child process of its own (isolation = "process"). Images reach it through
// the addon's batch queue (plugin.submit(); for an isolated plugin the
// child's), and in fast mode an in-process plugin is fed straight from the
// addon's decode (encoded()): its pixels never cross into JS.

import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ImlageError, errorCode, errorMessage } from '../errors.js';
import type { ImageInput, NativeAddon, NativeAddonPlugins, NativePlugin, SessionOptions, SmiImageResult, SmiRegion, SmiRunResult, SmiSubmitted } from '../binding/types.js';
import type { SettingValue } from '../plugins/config-schema.js';
import { IsolatedPlugin } from '../plugins/isolation/host.js';
import type { NativeManifest } from '../plugins/manifest.js';
import { findPackageDir } from '../paths.js';
import { round6, type BatchOptions, type DecodeNeed, type EncodedUse, type PluginRun, type PluginSubmitted, type ScoreOverrides, type TaggerPlugin } from './plugin.js';
import type { PluginResult, Region } from './types.js';

export interface NativeLoadContext {
  addon: NativeAddon & NativeAddonPlugins;
  ortLibrary: string;
  settings: Record<string, SettingValue>;
  /** Providers and threads for the ORT sessions the plugin creates through the host. */
  session: SessionOptions;
  /** config.toml's [plugins.<name>] timeout_ms, which wins over the manifest's. */
  timeoutMs?: number;
  log: (msg: string) => void;
}

export function platformKey(): string {
  return `${process.platform}-${process.arch}`;
}

/** The library file for this platform, or an error naming the manifest key and the fix. */
export function resolveLibrary(m: NativeManifest): string {
  const key = platformKey();
  const rel = m.library[key];
  if (!rel) {
    throw new ImlageError('IMLAGE_ERR_PLUGIN_LIBRARY', `${m.file}: key 'library': no library for ${key} ` +
      `(this plugin ships ${Object.keys(m.library).join(', ')})`);
  }
  const lib = isAbsolute(rel) ? rel : resolve(m.dir, rel);
  if (!existsSync(lib)) {
    throw new ImlageError('IMLAGE_ERR_PLUGIN_LIBRARY', `${m.file}: key 'library.${key}': ${lib} does not exist ` +
      `(plugins that ship with imlage are built by \`npm run build:native\`)`);
  }
  return lib;
}

/** Pixels to 1/100 (finer is noise), confidence as tags have it. */
function toRegion(g: SmiRegion): Region {
  return { label: g.label, confidence: round6(g.confidence), box: g.box.map((v) => Math.round(v * 100) / 100) as Region['box'] };
}

export class NativeTaggerPlugin implements TaggerPlugin {
  private constructor(
    readonly manifest: NativeManifest,
    private readonly plugin: NativePlugin,
    readonly library: string,
  ) {}

  get name(): string {
    return this.manifest.name;
  }

  get model(): string {
    return `${this.plugin.info.name}@${this.plugin.info.version} (${this.manifest.models.map((m) => m.id).join(', ')})`;
  }

  get provider(): string {
    return this.manifest.isolation === 'process' ? 'native, isolated' : 'native';
  }

  readonly warnings: string[] = [];

  /** Restarts after crashes or hangs (isolated plugins only). */
  get restarts(): number {
    return this.plugin instanceof IsolatedPlugin ? this.plugin.restarts : 0;
  }

  static async load(m: NativeManifest, ctx: NativeLoadContext): Promise<NativeTaggerPlugin> {
    const library = resolveLibrary(m);
    const load = {
      configJson: JSON.stringify(ctx.settings),
      session: ctx.session,
      onLog: (level: string, message: string) => ctx.log(`${m.name}: ${level}: ${message}`),
    };
    const plugin = m.isolation === 'process'
      ? await IsolatedPlugin.start({ name: m.name, library, ortLibrary: ctx.ortLibrary, timeoutMs: ctx.timeoutMs ?? m.timeoutMs, load })
      : await ctx.addon.loadPlugin(library, load);
    try {
      for (const model of m.models) {
        const base = model.package ? findPackageDir(model.package, m.dir) : m.dir;
        if (!base) throw new Error(`key 'models.package': npm package "${model.package}" is not installed; install it with \`npm install ${model.package}\` next to imlage`);
        const files = model.files.map((f) => (isAbsolute(f) ? f : resolve(base, f)));
        await plugin.registerModel({ id: model.id, files, configJson: JSON.stringify(model.config) });
        await plugin.loadModel(model.id);
      }
    } catch (err) {
      await plugin.close().catch(() => {});
      // A plugin's own failure (load_model) keeps its code; a missing package is the manifest's.
      throw new ImlageError(errorCode(err) ?? 'IMLAGE_ERR_MANIFEST', `${m.file}: plugin "${m.name}" could not load its models: ${errorMessage(err)}`, { cause: err });
    }
    return new NativeTaggerPlugin(m, plugin, library);
  }

  decodeNeed(): DecodeNeed {
    const { width, height } = this.manifest.input;
    return width === 0 ? { kind: 'full' } : { kind: 'resized', width, height, kernel: 'lanczos3' };
  }

  private get modelIds(): string[] {
    return this.manifest.models.map((m) => m.id);
  }

  /** Low-level: these images as one batch now, model after model (the engine uses submit()). */
  async run(images: ImageInput[], _mode: unknown, o: ScoreOverrides): Promise<PluginRun> {
    try {
      const t0 = performance.now();
      const perModel: SmiRunResult[] = [];
      for (const id of this.modelIds) perModel.push(await this.plugin.run(id, images));
      const share = Math.round(((performance.now() - t0) / Math.max(1, images.length)) * 100) / 100;
      const results = images.map((_, i) => this.toResult(perModel.map((r) => r.results[i]!), o, share));
      const inferenceMs = perModel.reduce((s, r) => s + r.timing.inferenceMs, 0);
      return { results, timing: { preprocessMs: 0, inferenceMs, postprocessMs: 0 } };
    } catch (err) {
      const error = `${this.name}: ${errorMessage(err)}`;
      return { results: images.map(() => ({ error })) };
    }
  }

  /** One image into the plugin's batch queue (the addon's, or its isolated process's); never rejects. */
  submit(image: ImageInput, _mode: unknown, o: ScoreOverrides, opts: BatchOptions): Promise<PluginSubmitted> {
    let sub: Promise<SmiSubmitted>;
    try {
      // The engine's buffers stay put until the promise settles.
      sub = this.plugin.submit(image, { ...opts, models: this.modelIds, borrowPixels: true });
    } catch (err) {
      sub = Promise.reject(err);
    }
    return this.collect(sub, o);
  }

  /**
   * The addon decodes the file straight into this plugin's queue (one target
   * for all its models); none for an isolated plugin, whose queue is in its
   * child process, nor for one that takes the full picture.
   */
  encoded(_mode: unknown, o: ScoreOverrides, shown: [number, number]): EncodedUse | undefined {
    const { width, height } = this.manifest.input;
    if (this.plugin instanceof IsolatedPlugin || width === 0) return undefined;
    const [originalWidth, originalHeight] = shown;
    return {
      targets: [{ plugin: this.plugin, models: this.modelIds, width, height, originalWidth, originalHeight }],
      collect: (results) => this.collect(results[0] as Promise<SmiSubmitted>, o),
    };
  }

  flush(): void {
    this.plugin.flush();
  }

  /** A submission as this plugin's result; never rejects. */
  private async collect(pending: Promise<SmiSubmitted>, o: ScoreOverrides): Promise<PluginSubmitted> {
    try {
      const { result, queueMs, batchSize, timing } = await pending;
      const share = Math.round((timing.inferenceMs / Math.max(1, batchSize)) * 100) / 100;
      return { result: this.toResult(result, o, share), queueMs, batchSize, timing };
    } catch (err) {
      return { result: { error: `${this.name}: ${errorMessage(err)}` }, queueMs: 0, batchSize: 1 };
    }
  }

  /** One image's results, one per model, as this plugin's: the first failure, or the tags and boxes over the threshold. */
  private toResult(perModel: SmiImageResult[], o: ScoreOverrides, inferenceMs: number): PluginResult {
    const threshold = o.threshold ?? this.manifest.output.threshold;
    const topK = o.topK ?? this.manifest.output.topK;
    const failed = perModel.find((r) => r.error);
    if (failed) return { error: `${this.name}: ${failed.error}` };
    const tags = perModel.flatMap((r) => r.tags)
      .filter((t) => t.score >= threshold)
      .sort((a, b) => b.score - a.score);
    // Boxes (SMI 1.2) pass the tags' threshold; topK counts tags only.
    const regions = perModel.flatMap((r) => r.regions ?? [])
      .filter((g) => g.confidence >= threshold)
      .sort((a, b) => b.confidence - a.confidence);
    return {
      tags: (topK ? tags.slice(0, topK) : tags).map((t) => ({ label: t.label, confidence: round6(t.score) })),
      ...(regions.length > 0 ? { regions: regions.map(toRegion) } : {}),
      model: this.model,
      version: this.manifest.version,
      inference_time_ms: inferenceMs,
    };
  }

  close(): Promise<void> {
    return this.plugin.close();
  }
}
