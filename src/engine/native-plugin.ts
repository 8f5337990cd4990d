// A kind = "native" plugin: an SMI shared library, in this process or in a
// child process of its own (isolation = "process").

import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ImlageError, errorCode, errorMessage } from '../errors.js';
import type { ImageInput, NativeAddon, NativeAddonPlugins, NativePlugin, SessionOptions, SmiRegion, SmiRunResult } from '../native/types.js';
import type { SettingValue } from '../plugins/config-schema.js';
import { IsolatedPlugin } from '../plugins/isolation/host.js';
import type { NativeManifest } from '../plugins/manifest.js';
import { findPackageDir } from '../paths.js';
import { round6, type DecodeNeed, type PluginRun, type ScoreOverrides, type TaggerPlugin } from './plugin.js';
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

  async run(images: ImageInput[], _mode: unknown, o: ScoreOverrides): Promise<PluginRun> {
    const threshold = o.threshold ?? this.manifest.output.threshold;
    const topK = o.topK ?? this.manifest.output.topK;
    try {
      const t0 = performance.now();
      const perModel: SmiRunResult[] = [];
      for (const model of this.manifest.models) perModel.push(await this.plugin.run(model.id, images));
      const share = Math.round(((performance.now() - t0) / Math.max(1, images.length)) * 100) / 100;
      const results = images.map((_, i): PluginResult => {
        const failed = perModel.map((r) => r.results[i]!).find((r) => r.error);
        if (failed) return { error: `${this.name}: ${failed.error}` };
        const tags = perModel.flatMap((r) => r.results[i]!.tags)
          .filter((t) => t.score >= threshold)
          .sort((a, b) => b.score - a.score);
        // Boxes (SMI 1.2) pass the tags' threshold; topK counts tags only.
        const regions = perModel.flatMap((r) => r.results[i]!.regions ?? [])
          .filter((g) => g.confidence >= threshold)
          .sort((a, b) => b.confidence - a.confidence);
        return {
          tags: (topK ? tags.slice(0, topK) : tags).map((t) => ({ label: t.label, confidence: round6(t.score) })),
          ...(regions.length > 0 ? { regions: regions.map(toRegion) } : {}),
          model: this.model,
          version: this.manifest.version,
          inference_time_ms: share,
        };
      });
      const inferenceMs = perModel.reduce((s, r) => s + r.timing.inferenceMs, 0);
      return { results, timing: { preprocessMs: 0, inferenceMs, postprocessMs: 0 } };
    } catch (err) {
      const error = `${this.name}: ${errorMessage(err)}`;
      return { results: images.map(() => ({ error })) };
    }
  }

  close(): Promise<void> {
    return this.plugin.close();
  }
}
