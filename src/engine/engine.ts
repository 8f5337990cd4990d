// The tagging engine: many images through several plugins. Each image is
// decoded once per distinct input need, batched per plugin, and the next
// batch is decoded while the current one is inferred.

import { join } from 'node:path';
import { loadConfig, type Config } from '../config/config.js';
import { ImlageError, errorMessage } from '../errors.js';
import { defaultOrtLibrary, loadAddon } from '../native/binding.js';
import type { ExecutionProvider, GraphOptimization, ImageInput, OrtInfo } from '../native/types.js';
import { discoverPlugins, type DiscoveryProblem } from '../plugins/discover.js';
import type { PluginManifest, PreprocessMode } from '../plugins/manifest.js';
import { builtinPluginsDir, configDir } from '../paths.js';
import { decodeFull, decodeResized, type ImageSource } from './decode.js';
import { OnnxPlugin, type ScoreOverrides } from './onnx-plugin.js';
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

export class Engine {
  private closed = false;
  private inFlight = new Set<Promise<unknown>>();
  private bufferCount = 0;

  private constructor(
    readonly ort: OrtInfo,
    private readonly loaded: OnnxPlugin[],
    readonly mode: PreprocessMode,
    private readonly batchSize: number,
    private readonly overrides: Map<string, ScoreOverrides>,
    /** Manifests found but not usable, with the reason. */
    readonly problems: DiscoveryProblem[],
  ) {}

  static async create(options: EngineOptions = {}): Promise<Engine> {
    const log = options.onLog ?? (() => {});
    const config: Config = loadConfig(options.config);
    const addon = loadAddon();
    const ort = addon.loadOrt(options.ortLibrary ?? config.ortLibrary ?? defaultOrtLibrary());

    const dirs = [builtinPluginsDir(), join(configDir(), 'plugins'), ...config.pluginPaths, ...(options.pluginDirs ?? [])];
    const found = discoverPlugins(dirs);
    for (const p of found.problems) log(`warning: ${p.error}`);
    const chosen = selectPlugins(found.plugins, options.plugins ?? config.enabledPlugins, config, found.problems);

    const batchSize = options.batchSize ?? config.batchSize ?? 8;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ImlageError('IMLAGE_ERR_INVALID_ARG', `batchSize must be a positive integer, got ${batchSize}`);
    }
    const mode = options.mode ?? config.mode ?? 'exact';
    const session = {
      providers: options.providers ?? config.providers ?? ['cpu'],
      intraOpThreads: options.intraOpThreads ?? config.intraOpThreads ?? 0,
      graphOptimization: options.graphOptimization ?? config.graphOptimization ?? 'all',
    };
    const ctx = { addon, session, cacheDir: options.cacheDir ?? config.cacheDir, log };
    const settled = await Promise.allSettled(chosen.map((m) => OnnxPlugin.load(m, ctx)));
    const loaded: OnnxPlugin[] = [];
    const failures: string[] = [];
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') loaded.push(s.value);
      else failures.push(`plugin "${chosen[i]!.name}" failed to load: ${errorMessage(s.reason)}`);
    });
    if (failures.length) {
      await Promise.all(loaded.map((p) => p.close()));
      throw new ImlageError('IMLAGE_ERR_MANIFEST', failures.join('\n'));
    }
    log(`ONNX Runtime ${ort.version} (${ort.libraryPath}); ${loaded.map((p) => `${p.name} on ${p.provider}`).join(', ')}; mode ${mode}`);
    for (const p of loaded) for (const w of p.warnings) log(`warning: ${p.name}: ${w}`);

    const overrides = new Map<string, ScoreOverrides>();
    for (const p of loaded) {
      const c = config.plugins[p.name] ?? {};
      overrides.set(p.name, { threshold: options.threshold ?? c.threshold, topK: options.topK ?? c.topK });
    }
    return new Engine(ort, loaded, mode, batchSize, overrides, found.problems);
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
        if (chunk.length === 0) break;
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
    await Promise.allSettled([...this.inFlight]);
    await Promise.all(this.loaded.map((p) => p.close()));
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

  /** One decode per distinct need: the full picture in exact mode, each model size in fast mode. */
  private async decodeOne(input: TagInput): Promise<Decoded> {
    const { file, source } = this.describe(input);
    const images = new Map<string, ImageInput>();
    try {
      if (this.mode === 'exact') {
        images.set('full', await decodeFull(source, file));
      } else {
        const needs = new Map(this.loaded.map((p) => [this.decodeKey(p), p.manifest] as const));
        await Promise.all([...needs].map(async ([key, m]) => {
          images.set(key, await decodeResized(source, file, m.input.width, m.input.height, m.preprocess.fast.kernel));
        }));
      }
      return { file, images };
    } catch (err) {
      return { file, images, error: errorMessage(err) };
    }
  }

  private decodeKey(p: OnnxPlugin): string {
    if (this.mode === 'exact') return 'full';
    const { width, height } = p.manifest.input;
    return `${width}x${height}/${p.manifest.preprocess.fast.kernel}`;
  }

  private async decodeChunk(it: AsyncIterator<TagInput> | Iterator<TagInput>): Promise<Decoded[]> {
    const pending: Promise<Decoded>[] = [];
    while (pending.length < this.batchSize) {
      const n = await it.next();
      if (n.done) break;
      pending.push(this.decodeOne(n.value));
    }
    return Promise.all(pending);
  }

  private async inferChunk(chunk: Decoded[]): Promise<TagResult[]> {
    const out: TagResult[] = chunk.map((d) => (d.error ? { file: d.file, results: {}, error: d.error } : { file: d.file, results: {} }));
    const ok = chunk.map((d, i) => ({ d, i })).filter(({ d }) => !d.error);
    if (ok.length === 0) return out;
    await Promise.all(this.loaded.map(async (p) => {
      const key = this.decodeKey(p);
      const res: PluginResult[] = await p.run(ok.map(({ d }) => d.images.get(key)!), this.mode, this.overrides.get(p.name)!);
      ok.forEach(({ i }, k) => {
        out[i]!.results[p.name] = res[k]!;
      });
    }));
    return out;
  }
}

function selectPlugins(all: PluginManifest[], wanted: string[] | undefined, config: Config, problems: DiscoveryProblem[]): PluginManifest[] {
  if (!wanted) {
    const enabled = all.filter((m) => config.plugins[m.name]?.enabled !== false);
    if (enabled.length === 0) {
      throw new ImlageError('IMLAGE_ERR_UNKNOWN_PLUGIN', 'no plugins are installed or enabled' +
        (problems.length ? `; problems found:\n${problems.map((p) => `  ${p.error}`).join('\n')}` : ''));
    }
    return enabled;
  }
  if (wanted.length === 0) throw new ImlageError('IMLAGE_ERR_INVALID_ARG', 'the list of plugins to run is empty');
  return [...new Set(wanted)].map((name) => {
    const m = all.find((p) => p.name === name);
    if (!m) {
      const broken = problems.find((p) => p.error.includes(`/${name}/plugin.toml`) || p.file.includes(`/${name}/`));
      throw new ImlageError('IMLAGE_ERR_UNKNOWN_PLUGIN', `unknown plugin "${name}"` +
        (broken ? ` (its manifest is broken: ${broken.error})` : '') +
        `; available: ${all.map((p) => p.name).join(', ') || 'none'} (see \`imlage plugins list\`)`);
    }
    return m;
  });
}
