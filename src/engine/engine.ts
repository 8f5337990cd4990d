// The tagging engine: many images through several plugins. Each image is
// decoded once per distinct input need, batched per plugin, and the next
// batch is decoded while the current one is inferred.

import { join } from 'node:path';
import { loadConfig, type Config } from '../config/config.js';
import { ImlageError, errorMessage } from '../errors.js';
import { defaultOrtLibrary, loadAddon } from '../native/binding.js';
import type { ExecutionProvider, GraphOptimization, ImageInput, NativeAddon, NativeAddonPlugins, OrtInfo } from '../native/types.js';
import type { DiscoveryProblem } from '../plugins/discover.js';
import type { PreprocessMode } from '../plugins/manifest.js';
import { PluginManager } from '../plugins/manager.js';
import { builtinPluginsDir, configDir } from '../paths.js';
import { decodeFull, decodeResized, resizeDecoded, type ImageSource } from './decode.js';
import { needKey, type DecodeNeed, type ScoreOverrides, type TaggerPlugin } from './plugin.js';
import type { PluginResult, TagInput, TagResult } from './types.js';

export interface EngineOptions {
  /** Plugins to run, by name; default: the config's `plugins.enabled`, else every plugin found. */
  plugins?: string[];
  /** More folders to look for plugins in (each holds <name>/plugin.toml). */
  pluginDirs?: string[];
  /** 'exact' (default) reproduces each model's original preprocessing; 'fast' decodes straight to model size. */
  mode?: PreprocessMode;
  /** Overrides every plugin's score threshold. */
  threshold?: number;
  /** Overrides every plugin's number of tags per image. */
  topK?: number;
  /** Images per inference batch (default 8). */
  batchSize?: number;
  providers?: ExecutionProvider[];
  /** ORT intra-op threads per session; 0 lets ORT choose. */
  intraOpThreads?: number;
  graphOptimization?: GraphOptimization;
  /** Path of the ONNX Runtime library; default $IMLAGE_ORT_LIBRARY, the config, then onnxruntime-node's. */
  ortLibrary?: string;
  /** Where converted models are cached. */
  cacheDir?: string;
  /** A config.toml to read instead of ~/.config/imlage/config.toml, or false for none. */
  config?: string | false;
  /** Plugins' own settings by plugin name (checked against each manifest's [config]); wins over config.toml. */
  settings?: Record<string, Record<string, unknown>>;
  /** Reload a plugin when its manifest or library changes, without failing work in flight. */
  watch?: boolean;
  /** Progress and diagnostics (which provider runs, conversions); default: silent. */
  onLog?: (message: string) => void;
}

export interface PluginInfo {
  name: string;
  version: string;
  description: string;
  model: string;
  provider: string;
  warnings: string[];
}

export interface TagOptions {
  /** Called after each image with its result. */
  onResult?: (r: TagResult) => void;
}

interface Decoded {
  file: string;
  images: Map<string, ImageInput>;
  error?: string;
}

interface Chunk {
  plugins: TaggerPlugin[];
  items: Decoded[];
}

export class Engine {
  private closed = false;
  private inFlight = new Set<Promise<unknown>>();
  private bufferCount = 0;
  private stopWatching?: () => void;

  private constructor(
    readonly ort: OrtInfo,
    /** Finds, loads and reloads plugins; the engine runs the ones in `names`. */
    readonly manager: PluginManager,
    private readonly names: string[],
    readonly mode: PreprocessMode,
    private readonly batchSize: number,
    private readonly overrides: Map<string, ScoreOverrides>,
  ) {}

  static async create(options: EngineOptions = {}): Promise<Engine> {
    const log = options.onLog ?? (() => {});
    const config: Config = loadConfig(options.config);
    const addon = loadAddon() as NativeAddon & NativeAddonPlugins;
    const ortLibrary = options.ortLibrary ?? config.ortLibrary ?? defaultOrtLibrary();
    const ort = addon.loadOrt(ortLibrary);

    const batchSize = options.batchSize ?? config.batchSize ?? 8;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ImlageError('IMLAGE_ERR_INVALID_ARG', `batchSize must be a positive integer, got ${batchSize}`);
    }
    const mode = options.mode ?? config.mode ?? 'exact';
    const manager = new PluginManager({
      dirs: [builtinPluginsDir(), join(configDir(), 'plugins'), ...config.pluginPaths, ...(options.pluginDirs ?? [])],
      config,
      addon,
      ortLibrary,
      session: {
        providers: options.providers ?? config.providers ?? ['cpu'],
        intraOpThreads: options.intraOpThreads ?? config.intraOpThreads ?? 0,
        graphOptimization: options.graphOptimization ?? config.graphOptimization ?? 'all',
      },
      cacheDir: options.cacheDir ?? config.cacheDir,
      settings: options.settings,
      log,
    });
    manager.discover();
    for (const p of manager.problems) log(`warning: ${p.error}`);
    const names = selectPlugins(manager, options.plugins ?? config.enabledPlugins);

    const explicit = Boolean(options.plugins ?? config.enabledPlugins);
    const settled = await Promise.allSettled(names.map((n) => manager.load(n)));
    const failures = settled.flatMap((s, i) => (s.status === 'rejected' ? [`plugin "${names[i]}" failed to load: ${errorMessage(s.reason)}`] : []));
    // Plugins asked for by name must all load; of the default set, the ones that load are used.
    const usable = names.filter((_, i) => settled[i]!.status === 'fulfilled');
    if (failures.length && (explicit || usable.length === 0)) {
      await manager.close();
      throw new ImlageError('IMLAGE_ERR_MANIFEST', failures.join('\n'));
    }
    for (const f of failures) log(`warning: ${f}; running without it`);
    names.splice(0, names.length, ...usable);
    const loaded = names.map((n) => manager.active(n));
    log(`ONNX Runtime ${ort.version} (${ort.libraryPath}); ${loaded.map((p) => `${p.name} on ${p.provider}`).join(', ')}; mode ${mode}`);
    for (const p of loaded) for (const w of p.warnings) log(`warning: ${p.name}: ${w}`);

    const overrides = new Map<string, ScoreOverrides>();
    for (const n of names) {
      const c = config.plugins[n] ?? { settings: {} };
      overrides.set(n, { threshold: options.threshold ?? c.threshold, topK: options.topK ?? c.topK });
    }
    const engine = new Engine(ort, manager, names, mode, batchSize, overrides);
    if (options.watch) engine.stopWatching = manager.watch((name, err) => log(`warning: reloading ${name} failed, the previous version stays active: ${errorMessage(err)}`));
    return engine;
  }

  /** Manifests found but not usable, with the reason. */
  get problems(): DiscoveryProblem[] {
    return this.manager.problems;
  }

  private get loaded(): TaggerPlugin[] {
    return this.names.map((n) => this.manager.active(n));
  }

  get plugins(): PluginInfo[] {
    return this.loaded.map((p) => ({
      name: p.name,
      version: p.manifest.version,
      description: p.manifest.description,
      model: p.model,
      provider: p.provider,
      warnings: p.warnings,
    }));
  }

  /**
   * Tags images in input order, yielding each result as its batch finishes.
   * Never throws for a bad image or a failing plugin: the result says so.
   */
  async *tag(inputs: Iterable<TagInput> | AsyncIterable<TagInput>, opts: TagOptions = {}): AsyncGenerator<TagResult> {
    this.assertOpen();
    const it = (Symbol.asyncIterator in inputs ? inputs[Symbol.asyncIterator]() : inputs[Symbol.iterator]()) as
      AsyncIterator<TagInput> | Iterator<TagInput>;
    let next = this.track(this.decodeChunk(it));
    try {
      for (;;) {
        const chunk = await next;
        if (chunk.items.length === 0) break;
        next = this.track(this.decodeChunk(it));
        const results = await this.track(this.inferChunk(chunk));
        for (const r of results) {
          opts.onResult?.(r);
          yield r;
        }
      }
    } finally {
      // Early exit by the consumer: let the prefetch finish so nothing runs on after close().
      await next.catch(() => {});
    }
  }

  /** Tags one image. */
  async tagOne(input: TagInput): Promise<TagResult> {
    for await (const r of this.tag([input])) return r;
    throw new ImlageError('IMLAGE_ERR_INPUT', 'no result');
  }

  /** Waits for work in flight, then frees every model. Later calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopWatching?.();
    await Promise.allSettled([...this.inFlight]);
    await this.manager.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new ImlageError('IMLAGE_ERR_CLOSED', 'this Engine was closed; create a new one with Engine.create()');
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  private describe(input: TagInput): { file: string; source: ImageSource } {
    if (typeof input === 'string') return { file: input, source: input };
    if (input instanceof Uint8Array) return { file: `<buffer ${this.bufferCount++}>`, source: input };
    if (input && typeof input === 'object' && typeof input.name === 'string' && input.data instanceof Uint8Array) {
      return { file: input.name, source: input.data };
    }
    throw new ImlageError('IMLAGE_ERR_INVALID_ARG', 'each input must be a path, a Buffer/Uint8Array, or { name, data }');
  }

  /**
   * One decode per image: the full picture when any plugin needs it, other
   * sizes resized from those pixels; otherwise libvips decodes straight to
   * each size (shrink-on-load).
   */
  private async decodeOne(input: TagInput, needs: Map<string, DecodeNeed>): Promise<Decoded> {
    const { file, source } = this.describe(input);
    const images = new Map<string, ImageInput>();
    try {
      const full = needs.has('full') ? await decodeFull(source, file) : undefined;
      if (full) images.set('full', full);
      await Promise.all([...needs].map(async ([key, n]) => {
        if (n.kind === 'full') return;
        images.set(key, full
          ? await resizeDecoded(full, n.width, n.height, n.kernel)
          : await decodeResized(source, file, n.width, n.height, n.kernel));
      }));
      return { file, images };
    } catch (err) {
      return { file, images, error: errorMessage(err) };
    }
  }

  private async decodeChunk(it: AsyncIterator<TagInput> | Iterator<TagInput>): Promise<Chunk> {
    // The plugins are taken once per batch: a reload swaps them between batches.
    const plugins = this.loaded;
    const needs = new Map(plugins.map((p) => {
      const n = p.decodeNeed(this.mode);
      return [needKey(n), n] as const;
    }));
    const pending: Promise<Decoded>[] = [];
    while (pending.length < this.batchSize) {
      const n = await it.next();
      if (n.done) break;
      pending.push(this.decodeOne(n.value, needs));
    }
    return { plugins, items: await Promise.all(pending) };
  }

  private async inferChunk({ plugins, items }: Chunk): Promise<TagResult[]> {
    const out: TagResult[] = items.map((d) => (d.error ? { file: d.file, results: {}, error: d.error } : { file: d.file, results: {} }));
    const ok = items.map((d, i) => ({ d, i })).filter(({ d }) => !d.error);
    if (ok.length === 0) return out;
    await Promise.all(plugins.map(async (p) => {
      const key = needKey(p.decodeNeed(this.mode));
      const res: PluginResult[] = await p.run(ok.map(({ d }) => d.images.get(key)!), this.mode, this.overrides.get(p.name)!);
      ok.forEach(({ i }, k) => {
        out[i]!.results[p.name] = res[k]!;
      });
    }));
    return out;
  }
}

function selectPlugins(manager: PluginManager, wanted: string[] | undefined): string[] {
  if (!wanted) {
    const names = manager.list({ state: 'discovered' }).map((e) => e.name);
    if (names.length === 0) {
      throw new ImlageError('IMLAGE_ERR_UNKNOWN_PLUGIN', 'no plugins are installed or enabled' +
        (manager.problems.length ? `; problems found:\n${manager.problems.map((p) => `  ${p.error}`).join('\n')}` : ''));
    }
    return names;
  }
  if (wanted.length === 0) throw new ImlageError('IMLAGE_ERR_INVALID_ARG', 'the list of plugins to run is empty');
  const names = [...new Set(wanted)];
  for (const n of names) if (!manager.get(n)) throw manager.unknown(n);
  return names;
}
