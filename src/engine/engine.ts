// The tagging engine: many images through several plugins, as a pipeline.
// Each image is decoded once (every size a plugin needs is cut from that one
// decode), handed to each plugin's dynamic batcher, and its result is
// yielded in input order (or as soon as it is done). A window bounds the
// images in flight and the decoded bytes held, so memory stays flat however
// many images go through.

import { freemem } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../config/config.js';
import { ImlageError, errorCode, errorMessage } from '../errors.js';
import { loadAddon } from '../binding/binding.js';
import { chooseOrtLibrary } from '../binding/ort-library.js';
import type { ExecutionProvider, GraphOptimization, ImageInput, NativeAddon, NativeAddonPlugins, OrtInfo } from '../binding/types.js';
import type { DiscoveryProblem } from '../plugins/discover.js';
import type { PreprocessMode } from '../plugins/manifest.js';
import { PluginManager } from '../plugins/manager.js';
import { builtinPluginsDir, cacheDir as defaultCacheRoot, configDir } from '../paths.js';
import { Semaphore } from '../util/semaphore.js';
import { checkCropSources, cropsOf, throughCrops } from './crops.js';
import { decodeFull, decodeResized, resizeDecoded, type DecodeRequest } from './decode.js';
import { displayName, type FilePath } from './file-name.js';
import { RAISE, resolveLimits, type DecodeLimits } from './limits.js';
import { DEFAULT_TRIM_EVERY, MemoryTrimmer, type TrimStats } from './memory-trim.js';
import { decodeBytes, probeImage } from './probe.js';
import { formatMiB, readImageFile } from './read-file.js';
import { FORMAT_NAMES } from './sniff.js';
import { timeoutMessage } from './vips-message.js';
import { coversNatively, submitNative, type NativeSubmission } from './native-decode.js';
import { needKey, type BatchOptions, type DecodeNeed, type EncodedUse, type PluginSubmitted, type ScoreOverrides, type TaggerPlugin } from './plugin.js';
import { StatsCollector, type EngineStats, type Stage } from './stats.js';
import { applyThreads, describeThreads, planThreads, recommendBatchSize, type ThreadBudget, type ThreadOptions } from './threads.js';
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
  /** Largest inference batch per plugin (default: recommendBatchSize() in threads.ts, 16 on the CPU). */
  batchSize?: number;
  /** How long a lone image waits for others to fill its batch (default 10 ms). */
  maxBatchDelayMs?: number;
  /** Images admitted but not yet yielded (default 4 x batchSize): the back-pressure on the input. */
  maxInFlight?: number;
  /**
   * Decoded pixels held at once, in MiB (default 512). Each image reserves
   * its decode's memory, estimated from its header, before it is decoded; an
   * image whose decode needs more than this is refused.
   */
  maxDecodedMiB?: number;
  /** Largest picture decoded, in pixels (default 100 million); larger ones fail with their size. */
  maxPixels?: number;
  /** Largest file read, in MiB (default 256). */
  maxFileMiB?: number;
  /** Most scans a JPEG may have (default 100; encoders write about 10). */
  maxJpegScans?: number;
  /** Longest decode of one image, in whole seconds (default 30); a longer one fails that image. */
  decodeTimeoutSeconds?: number;
  /**
   * Images between two malloc_trim calls (default 200; 0: never): hands the
   * memory glibc's malloc keeps free after large decodes back to the system,
   * on a libuv thread (docs/hardening.md, "Soak"). No effect off glibc.
   */
  trimMemoryEvery?: number;
  /** Decoders, libvips threads and ORT threads, sized together from the core count by default. */
  threads?: ThreadOptions;
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
  /** 'input' (default): results come in input order; 'completion': as soon as each is done. */
  order?: 'input' | 'completion';
  /** Only these of the engine's plugins run for this call (the others cost nothing); default: all. */
  plugins?: string[];
  /** This call's score threshold (0 to 1) for every plugin, replacing the Engine's and the manifests' (per-label ones too). */
  threshold?: number;
  /** This call's number of tags per image and plugin (0: all that pass the threshold). */
  topK?: number;
  /** This call's preprocessing, instead of the Engine's mode. */
  mode?: PreprocessMode;
}

/** One image's time in the engine, reported to onTiming() listeners when its result is ready. */
export interface ImageTiming {
  /** Decoding (every size its plugins need), without the wait for memory; absent when it never decoded. */
  decodeMs?: number;
  /** The image itself failed (unreadable, not an image): no plugin ran. */
  failed: boolean;
  /** Per plugin that ran on it. */
  plugins: Record<string, PluginTiming>;
}

export interface PluginTiming {
  /** Waiting for its batch to start. */
  queueMs: number;
  /** Images in the batch it ran in. */
  batchSize: number;
  /** Its share of the batch's stages, when the plugin reports them. */
  preprocessMs?: number;
  inferenceMs?: number;
  postprocessMs?: number;
}

/** A tag() call's options, checked once: the plugins in the engine's order, and each one's mode and overrides. */
interface CallPlan {
  plugins: string[];
  mode: PreprocessMode;
  overrides: Map<string, ScoreOverrides>;
}

type Timed = { res: PluginResult; t: Partial<Record<Stage, number>> };
/** A plugin's answer for one image, as the engine records it. */
type Submission = Promise<{ result: Timed; queueMs: number; batchSize: number }>;
/** One image decoded: pixels per decode need, and the plugins the addon fed directly. */
interface Decoded {
  images: Map<string, ImageInput>;
  native: Map<TaggerPlugin, Submission>;
  /** What the native submissions' pixels hold (3 bytes a pixel per target). */
  nativeBytes: number;
}

export class Engine {
  private closed = false;
  private inFlight = new Set<Promise<unknown>>();
  private bufferCount = 0;
  private stopWatching?: () => void;

  /** Plugins that have been submitted to (each batches in the addon: see submit()). */
  private submitters = new Set<TaggerPlugin>();
  /** Images admitted that have not reached the plugins' queues yet (decoding, or waiting for memory). */
  private coming = 0;
  private decodeSlots: Semaphore;
  private decodedBytes: Semaphore;
  private collector = new StatsCollector();
  private timingListeners = new Set<(t: ImageTiming) => void>();
  private trimmer: MemoryTrimmer;

  private constructor(
    readonly ort: OrtInfo,
    /** Finds, loads and reloads plugins; the engine runs the ones in `names`. */
    readonly manager: PluginManager,
    private readonly names: string[],
    readonly mode: PreprocessMode,
    private readonly batchSize: number,
    private readonly overrides: Map<string, ScoreOverrides>,
    /** How decoding and inference share the cores. */
    readonly threads: ThreadBudget,
    private readonly limits: { maxBatchDelayMs: number; maxInFlight: number; trimMemoryEvery: number; decode: DecodeLimits },
    /** Plugins asked for by name that failed to load: every image's result carries their error. */
    private readonly unavailable: Map<string, PluginResult>,
  ) {
    this.decodeSlots = new Semaphore(threads.decoders);
    this.decodedBytes = new Semaphore(limits.decode.maxDecodedBytes);
    this.trimmer = new MemoryTrimmer(loadAddon(), limits.trimMemoryEvery);
  }

  static async create(options: EngineOptions = {}): Promise<Engine> {
    const log = options.onLog ?? (() => {});
    const config: Config = loadConfig(options.config);
    const askedBatch = options.batchSize ?? config.batchSize;
    if (askedBatch !== undefined && (!Number.isInteger(askedBatch) || askedBatch < 1)) {
      throw new ImlageError('IMLAGE_ERR_INVALID_ARG', `batchSize must be a positive integer, got ${askedBatch}`);
    }
    const trimEvery = options.trimMemoryEvery;
    if (trimEvery !== undefined && (!Number.isInteger(trimEvery) || trimEvery < 0)) {
      throw new ImlageError('IMLAGE_ERR_INVALID_ARG', `trimMemoryEvery must be an integer of 0 or more (0: never trim), got ${trimEvery}`);
    }
    const mode = options.mode ?? config.mode ?? 'exact';
    const decodeLimits = resolveLimits(options, config.decode);
    const { manager, ort, ortChoice, threads } = openPluginManager(options, config);
    const names = selectPlugins(manager, options.plugins ?? config.enabledPlugins, config);
    checkCropSources(names, (n) => manager.get(n)?.manifest);

    const explicit = Boolean(options.plugins ?? config.enabledPlugins);
    const settled = await Promise.allSettled(names.map((n) => manager.load(n)));
    const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [{ name: names[i]!, reason: s.reason as unknown }] : []));
    const failures = failed.map((f) => `plugin "${f.name}" failed to load: ${errorMessage(f.reason)}`);
    const usable = names.filter((_, i) => settled[i]!.status === 'fulfilled');
    // Nothing can be tagged: stop before reading any image, with the plugin's own code.
    if (usable.length === 0) {
      await manager.close();
      throw new ImlageError(errorCode(failed[0]!.reason) ?? 'IMLAGE_ERR_PLUGIN_LOAD', failures.join('\n'), { cause: failed[0]!.reason });
    }
    // The batch goes on with the plugins that loaded. One asked for by name
    // reports its load error in every image's results; one of the default
    // set is left out with a warning.
    const unavailable = new Map<string, PluginResult>();
    failed.forEach((f, i) => {
      if (explicit) unavailable.set(f.name, { error: failures[i]! });
      log(`warning: ${failures[i]}; ${explicit ? 'each image reports this under its name' : 'running without it'}`);
    });
    names.splice(0, names.length, ...usable);
    const loaded = names.map((n) => manager.active(n));
    // The same derivation `imlage hardware` prints: from the provider the models run on and the memory free.
    const batchSize = askedBatch ?? recommendBatchSize({
      provider: loaded.find((p) => p.provider !== 'cpu')?.provider ?? 'cpu',
      availableMiB: freemem() / (1024 * 1024),
    });
    log(`ONNX Runtime ${ort.version} (${ort.libraryPath}, ${ortChoice.reason}); ${loaded.map((p) => `${p.name} on ${p.provider}`).join(', ')}; mode ${mode}`);
    log(describeThreads(threads));
    for (const p of loaded) for (const w of p.warnings) log(`warning: ${p.name}: ${w}`);

    const overrides = new Map<string, ScoreOverrides>();
    for (const n of names) {
      const c = config.plugins[n] ?? { settings: {} };
      overrides.set(n, { threshold: options.threshold ?? c.threshold, topK: options.topK ?? c.topK });
    }
    const limits = {
      maxBatchDelayMs: options.maxBatchDelayMs ?? 10,
      maxInFlight: options.maxInFlight ?? 4 * batchSize,
      trimMemoryEvery: trimEvery ?? DEFAULT_TRIM_EVERY,
      decode: decodeLimits,
    };
    const engine = new Engine(ort, manager, names, mode, batchSize, overrides, threads, limits, unavailable);
    if (options.watch) engine.stopWatching = manager.watch((name, err) => log(`warning: reloading ${name} failed, the previous version stays active: ${errorMessage(err)}`));
    return engine;
  }

  /** Manifests found but not usable, with the reason. */
  get problems(): DiscoveryProblem[] {
    return this.manager.problems;
  }

  /** The engine's plugins that are loaded now (one unloaded through the manager is left out). */
  private get loaded(): TaggerPlugin[] {
    return this.names.flatMap((n) => this.manager.get(n)?.instance ?? []);
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

  /** What changes a plugin's results besides its model and version: the threshold and top-k it scores with, and its settings. */
  resultSettings(name: string): { threshold?: number; topK?: number; settings?: Record<string, unknown> } {
    const o = this.overrides.get(name) ?? {};
    const settings = this.manager.settingsOf(name);
    return { threshold: o.threshold, topK: o.topK, ...(Object.keys(settings).length ? { settings } : {}) };
  }

  /**
   * Tags images, yielding each result as soon as it (and, in input order,
   * every earlier one) is done. Never throws for a bad image or a failing
   * plugin: the result says so. Inputs are read only as fast as results are
   * consumed (at most maxInFlight ahead).
   */
  async *tag(inputs: Iterable<TagInput> | AsyncIterable<TagInput>, opts: TagOptions = {}): AsyncGenerator<TagResult> {
    this.assertOpen();
    const it = (Symbol.asyncIterator in inputs ? inputs[Symbol.asyncIterator]() : inputs[Symbol.iterator]()) as
      AsyncIterator<TagInput> | Iterator<TagInput>;
    const plan = this.plan(opts);
    const inOrder = (opts.order ?? 'input') === 'input';
    const active = new Map<number, Promise<{ idx: number; r: TagResult }>>();
    const done = new Map<number, TagResult>();
    let nextIn = 0;
    let nextOut = 0;
    let exhausted = false;
    this.collector.begin();
    try {
      for (;;) {
        while (!exhausted && active.size + done.size < this.limits.maxInFlight) {
          const n = await it.next();
          if (n.done) {
            exhausted = true;
            break;
          }
          const idx = nextIn++;
          active.set(idx, this.track(this.processOne(n.value, plan)).then((r) => {
            this.trimmer.imageDone();
            return { idx, r };
          }));
        }
        if (inOrder && done.has(nextOut)) {
          const r = done.get(nextOut)!;
          done.delete(nextOut++);
          opts.onResult?.(r);
          yield r;
          continue;
        }
        if (active.size === 0) break;
        const { idx, r } = await Promise.race(active.values());
        active.delete(idx);
        if (inOrder) done.set(idx, r);
        else {
          opts.onResult?.(r);
          yield r;
        }
      }
    } finally {
      // The consumer stopped early: let what was started finish before close() frees anything.
      await Promise.allSettled(active.values());
    }
  }

  /** Timing per stage (decode, queue, preprocess, inference, postprocess) over everything tagged so far. */
  stats(): EngineStats {
    return this.collector.snapshot();
  }

  /** The malloc_trim calls made so far (see trimMemoryEvery). */
  memoryTrims(): TrimStats {
    return this.trimmer.snapshot();
  }

  /**
   * Calls `listener` with each image's timing as its result is ready (a
   * server's histograms, for one); returns the function that unsubscribes.
   */
  onTiming(listener: (t: ImageTiming) => void): () => void {
    this.timingListeners.add(listener);
    return () => this.timingListeners.delete(listener);
  }

  /** Tags one image. */
  async tagOne(input: TagInput, opts: Omit<TagOptions, 'order' | 'onResult'> = {}): Promise<TagResult> {
    for await (const r of this.tag([input], opts)) return r;
    throw new ImlageError('IMLAGE_ERR_INPUT', 'no result');
  }

  /** Waits for work in flight, then frees every model. Later calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopWatching?.();
    await Promise.allSettled([...this.inFlight]);
    await this.trimmer.idle();
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

  /** `file`: the name in the result; `shown`: the same, escaped for messages. */
  private describe(input: TagInput): { file: string; shown: string; path?: FilePath; data?: Uint8Array } {
    if (typeof input === 'string') return { file: input, shown: displayName(input), path: input };
    if (input instanceof Uint8Array) {
      const file = `<buffer ${this.bufferCount++}>`;
      return { file, shown: file, data: input };
    }
    if (input && typeof input === 'object') {
      if ('path' in input && (typeof input.path === 'string' || Buffer.isBuffer(input.path))) {
        const shown = displayName(input.path);
        return { file: typeof input.path === 'string' ? input.path : shown, shown, path: input.path };
      }
      if ('name' in input && typeof input.name === 'string' && input.data instanceof Uint8Array) {
        return { file: input.name, shown: displayName(input.name), data: input.data };
      }
    }
    throw new ImlageError('IMLAGE_ERR_INVALID_ARG', 'each input must be a path, a Buffer/Uint8Array, { name, data } or { path }');
  }

  /**
   * Checks a call's options once, like sharp: a wrong one throws naming the
   * option, what it takes and what it got.
   */
  private plan(opts: TagOptions): CallPlan {
    const bad = (option: string, expected: string, got: unknown) =>
      new ImlageError('IMLAGE_ERR_INVALID_ARG', `tag option "${option}" must be ${expected}, got ${describeValue(got)}`);
    const { threshold, topK, mode } = opts;
    if (threshold !== undefined && (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1))) throw bad('threshold', 'a number from 0 to 1', threshold);
    if (topK !== undefined && (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 0)) throw bad('topK', 'an integer of 0 or more (0: every tag over the threshold)', topK);
    if (mode !== undefined && mode !== 'exact' && mode !== 'fast') throw bad('mode', '"exact" or "fast"', mode);
    if (opts.order !== undefined && opts.order !== 'input' && opts.order !== 'completion') throw bad('order', '"input" or "completion"', opts.order);
    const known = [...this.names, ...this.unavailable.keys()];
    let plugins = known;
    if (opts.plugins !== undefined) {
      if (!Array.isArray(opts.plugins) || opts.plugins.length === 0 || !opts.plugins.every((n) => typeof n === 'string')) {
        throw bad('plugins', 'a non-empty array of plugin names', opts.plugins);
      }
      const unknown = opts.plugins.filter((n) => !known.includes(n));
      if (unknown.length) {
        throw new ImlageError('IMLAGE_ERR_UNKNOWN_PLUGIN', `tag option "plugins": ${unknown.map((n) => `"${n}"`).join(', ')} ` +
          `${unknown.length === 1 ? 'is not a plugin' : 'are not plugins'} of this engine; it runs ${known.join(', ')} (Engine.create({ plugins }) chooses them)`);
      }
      const wanted = new Set(opts.plugins);
      plugins = known.filter((n) => wanted.has(n));
      checkCropSources(plugins, (n) => this.manager.get(n)?.manifest);
    }
    const overrides = new Map<string, ScoreOverrides>();
    for (const n of plugins) {
      const base = this.overrides.get(n) ?? {};
      overrides.set(n, { threshold: threshold ?? base.threshold, topK: topK ?? base.topK });
    }
    return { plugins, mode: mode ?? this.mode, overrides };
  }

  private report(t: ImageTiming): void {
    if (t.failed) this.collector.image(true);
    else this.collector.image(false, t.decodeMs);
    for (const [name, p] of Object.entries(t.plugins)) {
      const stages = { queue: p.queueMs, preprocess: p.preprocessMs, inference: p.inferenceMs, postprocess: p.postprocessMs };
      this.collector.plugin(name, Object.fromEntries(Object.entries(stages).filter(([, ms]) => ms !== undefined)), p.batchSize);
    }
    for (const l of this.timingListeners) {
      try {
        l(t);
      } catch (err) {
        // An observer's bug is not the image's failure.
        process.emitWarning(`an Engine onTiming listener threw: ${errorMessage(err)}`);
      }
    }
  }

  /** One image through the call's plugins. */
  private async processOne(input: TagInput, plan: CallPlan): Promise<TagResult> {
    let file = '<input>';
    // Plugins are taken once per image: a reload swaps them between images,
    // never during one. One unloaded meanwhile fails its results only.
    const plugins: TaggerPlugin[] = [];
    const absent: Record<string, PluginResult> = {};
    for (const n of plan.plugins) {
      const gone = this.unavailable.get(n);
      const e = this.manager.get(n);
      if (gone) absent[n] = gone;
      else if (e?.instance) plugins.push(e.instance);
      else absent[n] = { error: `plugin "${n}" is not loaded (its state is ${e?.state ?? 'unknown'}${e?.error ? `: ${e.error}` : ''}); load it again to tag with it` };
    }
    const timing: ImageTiming = { failed: false, plugins: {} };
    let held = 0;
    let arrived = false;
    const arrive = () => {
      if (arrived) return;
      arrived = true;
      // The last image on its way has arrived: partial batches need not wait for more.
      if (--this.coming === 0) this.nothingComing();
    };
    this.coming++;
    try {
      const described = this.describe(input);
      file = described.file;
      const results: Record<string, PluginResult> = { ...absent };
      if (plugins.length > 0) {
        const t0 = performance.now();
        const decoded = await this.decodeStage(described, plugins, plan);
        const images = decoded.images;
        held = decoded.held;
        // Waiting for memory is the pipeline's back-pressure, not decoding.
        timing.decodeMs = performance.now() - t0 - decoded.waitMs;
        this.coming--;
        arrived = true;
        const subs = new Map<string, Submission>();
        for (const p of plugins) if (!cropsOf(p)) subs.set(p.name, decoded.native.get(p) ?? this.submit(p, images.get(needKey(p.decodeNeed(plan.mode)))!, plan));
        // A crops plugin waits for its source's regions of this image, then takes their crops (crops.ts).
        for (const p of plugins) {
          const spec = cropsOf(p);
          if (spec) subs.set(p.name, throughCrops(p, spec, subs.get(spec.from), images.get('full')!, (crops) => this.submitCrops(p, crops, plan)));
        }
        const submitted = plugins.map((p) => subs.get(p.name)!);
        if (this.coming === 0) this.nothingComing();
        await Promise.all(submitted.map(async (sub, k) => {
          const { result, queueMs, batchSize } = await sub;
          const p = plugins[k]!;
          results[p.name] = result.res;
          const { preprocess, inference, postprocess } = result.t;
          timing.plugins[p.name] = { queueMs, batchSize, ...(preprocess === undefined ? {} : { preprocessMs: preprocess, inferenceMs: inference, postprocessMs: postprocess }) };
        }));
      }
      // Plugins finish in any order; report them in the engine's order.
      return { file, results: Object.fromEntries(plan.plugins.map((n) => [n, results[n]!])) };
    } catch (err) {
      timing.failed = true;
      return { file, results: {}, error: errorMessage(err) };
    } finally {
      arrive();
      if (held) this.decodedBytes.release(held);
      this.report(timing);
    }
  }

  /**
   * Read, probe and decode one image in a decode slot. The memory its decode
   * needs is reserved from the header before a pixel is decoded (`waitMs`:
   * the time spent waiting for it), then trimmed to what the decoded images
   * hold (`held`, released by the caller). Reading or decoding that runs past
   * the time limit fails now, but its slot and reservation are freed only
   * when libvips returns, so what is in use stays bounded.
   */
  private async decodeStage(src: ReturnType<Engine['describe']>, plugins: TaggerPlugin[], plan: CallPlan): Promise<Decoded & { held: number; waitMs: number }> {
    const mode = plan.mode;
    const limits = this.limits.decode;
    await this.decodeSlots.acquire();
    let reserved = 0;
    const overdue: Promise<unknown>[] = [];
    const control = new AbortController();
    const inTime = <T>(work: Promise<T>, what: string): Promise<T> => new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        control.abort();
        overdue.push(work.catch(() => {}));
        reject(new ImlageError('IMLAGE_ERR_DECODE', `cannot decode ${src.shown}: ${timeoutMessage(limits, what)}`));
      }, limits.timeoutSeconds * 1000);
      work.then(resolve, reject).finally(() => clearTimeout(timer));
    });
    try {
      const needs = this.needs(plugins, mode);
      const { bytes, header } = await inTime((async () => {
        const bytes = src.data ?? await readImageFile(src.path!, limits.maxFileBytes);
        return { bytes, header: await probeImage(bytes, src.shown, limits, control.signal, mode === 'fast') };
      })(), 'reading it and its header');
      const need = decodeBytes(header) + [...needs.values()].reduce((n, d) => n + (d.kind === 'resized' ? d.width * d.height * 3 : 0), 0);
      if (need > limits.maxDecodedBytes) {
        throw new ImlageError('IMLAGE_ERR_DECODE', `cannot decode ${src.shown}: a ${header.width}×${header.height} ${FORMAT_NAMES[header.format]} needs about ` +
          `${Math.ceil(need / 1024 / 1024)} MiB to decode, more than maxDecodedMiB (${formatMiB(limits.maxDecodedBytes)}); raise ${RAISE.maxDecodedMiB} to read it`);
      }
      const t0 = performance.now();
      await this.decodedBytes.acquire(need);
      const waitMs = performance.now() - t0;
      reserved = need;
      const { images, native, nativeBytes } = await inTime(this.decode({ bytes, header, file: src.shown, limits, signal: control.signal }, needs, plugins, plan), 'decoding');
      const held = [...images.values()].reduce((n, i) => n + i.data.byteLength, nativeBytes);
      // The estimate bounds what is held (3 bytes a pixel for each size); keep only that.
      const keep = Math.min(held, reserved);
      this.decodedBytes.release(reserved - keep);
      reserved = 0;
      return { images, native, nativeBytes, held: keep, waitMs };
    } finally {
      const free = () => {
        if (reserved) this.decodedBytes.release(reserved);
        this.decodeSlots.release();
      };
      if (overdue.length) void this.track(Promise.allSettled(overdue).then(free));
      else free();
    }
  }

  private needs(plugins: TaggerPlugin[], mode: PreprocessMode): Map<string, DecodeNeed> {
    return new Map(plugins.map((p) => {
      const n = p.decodeNeed(mode);
      return [needKey(n), n] as const;
    }));
  }

  /**
   * One decode per image. The full picture when a plugin needs it (exact
   * mode), every other size cut from those pixels. Otherwise (fast mode) a
   * file the addon's decoders cover goes to them and straight into the
   * plugins' native queues (`native`: their submissions; pixels come back
   * only for plugins without one); anything else libvips decodes straight
   * to the largest size needed (shrink-on-load) and the smaller ones are cut
   * from that.
   */
  private async decode(req: DecodeRequest, needs: Map<string, DecodeNeed>, plugins: TaggerPlugin[], plan: CallPlan): Promise<Decoded> {
    const viaAddon = !needs.has('full') && coversNatively(req.header.format) ? await this.decodeInAddon(req, needs, plugins, plan) : undefined;
    const { images, native, nativeBytes } = viaAddon ?? { images: new Map<string, ImageInput>(), native: new Map<TaggerPlugin, Submission>(), nativeBytes: 0 };
    if (!viaAddon) {
      const resized = [...needs].filter(([, n]) => n.kind === 'resized') as [string, Extract<DecodeNeed, { kind: 'resized' }>][];
      resized.sort(([, a], [, b]) => b.width * b.height - a.width * a.height);
      let base: ImageInput;
      if (needs.has('full')) {
        base = await decodeFull(req);
        images.set('full', base);
      } else {
        const [key, n] = resized.shift()!;
        base = await decodeResized(req, n.width, n.height, n.kernel);
        images.set(key, base);
      }
      await Promise.all(resized.map(async ([key, n]) => {
        try {
          images.set(key, await resizeDecoded(base, n.width, n.height, n.kernel));
        } catch (err) {
          throw new ImlageError('IMLAGE_ERR_DECODE', `cannot decode ${req.file}: resizing to ${n.width}×${n.height} failed: ${errorMessage(err)}`, { cause: err });
        }
      }));
    }
    return { images: shownAs(images, req), native, nativeBytes };
  }

  /**
   * The addon decodes the file once into every plugin that takes encoded
   * images (native-decode.ts); undefined when its decoders do not cover
   * this file after all (nothing was queued).
   */
  private async decodeInAddon(req: DecodeRequest, needs: Map<string, DecodeNeed>, plugins: TaggerPlugin[], plan: CallPlan): Promise<Decoded | undefined> {
    const uses = new Map<TaggerPlugin, EncodedUse>();
    for (const p of plugins) {
      const use = p.encoded?.(plan.mode, plan.overrides.get(p.name)!, shownSize(req));
      if (use) uses.set(p, use);
    }
    const pixelKeys = [...new Set(plugins.filter((p) => !uses.has(p)).map((p) => needKey(p.decodeNeed(plan.mode))))];
    const pixels = pixelKeys.map((k) => needs.get(k) as Extract<DecodeNeed, { kind: 'resized' }>).map(({ width, height }) => ({ width, height }));
    const targets = [...uses.values()].flatMap((u) => u.targets);
    let sub: NativeSubmission;
    try {
      sub = submitNative(req, targets, pixels, this.batchOptions());
    } catch (err) {
      for (const u of uses.values()) void u.collect(u.targets.map(() => Promise.reject(err)), shownSize(req));
      throw err;
    }
    const native = new Map<TaggerPlugin, Submission>();
    let k = 0;
    for (const [p, u] of uses) {
      native.set(p, this.timed(u.collect(sub.results.slice(k, (k += u.targets.length)), shownSize(req))));
      this.submitters.add(p);
    }
    const images = await sub.decoded;
    if (!images) return undefined; // each submission has failed with 'unsupported'; the pixel path takes over
    return {
      images: shownAs(new Map(pixelKeys.map((key, i) => [key, images[i]!])), req),
      native,
      nativeBytes: targets.reduce((n, t) => n + t.width * t.height * 3, 0),
    };
  }

  /** No image is on its way: partial batches go now instead of waiting for company. */
  private nothingComing(): void {
    for (const p of this.submitters) p.flush();
  }

  private batchOptions(): BatchOptions {
    return { maxBatch: this.batchSize, maxDelayMs: this.limits.maxBatchDelayMs };
  }

  /** One image into a plugin's batch queue (the addon's, for every kind of plugin). */
  private submit(p: TaggerPlugin, image: ImageInput, plan: CallPlan): Submission {
    this.submitters.add(p);
    return this.timed(p.submit(image, plan.mode, plan.overrides.get(p.name)!, this.batchOptions()));
  }

  /** One picture's crops to a crops plugin's batching together; with no image on its way they go at once. */
  private submitCrops(p: TaggerPlugin, crops: ImageInput[], plan: CallPlan): Submission[] {
    const subs = crops.map((c) => this.submit(p, c, plan));
    if (this.coming === 0) p.flush();
    return subs;
  }

  /** A native queue's answer, with its batch's stages shared out per image. */
  private async timed(sub: Promise<PluginSubmitted>): Submission {
    const { result, queueMs, batchSize, timing } = await sub;
    const n = batchSize;
    const t: Partial<Record<Stage, number>> = timing
      ? { preprocess: timing.preprocessMs / n, inference: timing.inferenceMs / n, postprocess: timing.postprocessMs / n }
      : {};
    return { result: { res: result, t }, queueMs, batchSize };
  }
}

/**
 * The plugin manager Engine.create() works with: ONNX Runtime loaded, threads
 * planned, every plugin discovered and none loaded yet. `imlage plugins list
 * --check` uses it to load each plugin and report its state.
 */
export function openPluginManager(options: EngineOptions = {}, config: Config = loadConfig(options.config)) {
  const log = options.onLog ?? (() => {});
  const addon = loadAddon() as NativeAddon & NativeAddonPlugins;
  const providers = options.providers ?? config.providers ?? ['cpu'];
  const cacheDir = options.cacheDir ?? config.cacheDir;
  const ortChoice = chooseOrtLibrary({ explicit: options.ortLibrary ?? config.ortLibrary, providers, cacheDir: cacheDir ?? defaultCacheRoot() });
  const ortLibrary = ortChoice.path;
  const ort = addon.loadOrt(ortLibrary);
  const threadOpts: ThreadOptions = { ...options.threads };
  threadOpts.ortThreads ??= options.intraOpThreads ?? (config.intraOpThreads || undefined);
  const threads = planThreads(threadOpts);
  applyThreads(threads);
  const manager = new PluginManager({
    dirs: [builtinPluginsDir(), join(configDir(), 'plugins'), ...config.pluginPaths, ...(options.pluginDirs ?? [])],
    config,
    addon,
    ortLibrary,
    session: {
      providers,
      intraOpThreads: threads.ortThreads,
      graphOptimization: options.graphOptimization ?? config.graphOptimization ?? 'all',
    },
    cacheDir,
    settings: options.settings,
    log,
  });
  manager.discover();
  for (const p of manager.problems) log(`warning: ${p.error}`);
  return { manager, ort, ortChoice, threads };
}

/** A value as a message shows it: strings quoted, arrays and objects as JSON, the rest with its type. */
function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === undefined || v === null) return `${String(v)}${typeof v === 'number' ? '' : ` (${v === null ? 'null' : typeof v})`}`;
  try {
    return `${JSON.stringify(v)?.slice(0, 80)} (${Array.isArray(v) ? 'array' : typeof v})`;
  } catch {
    return typeof v;
  }
}

function selectPlugins(manager: PluginManager, wanted: string[] | undefined, config: Config): string[] {
  if (!wanted) {
    // config.toml's [plugins.<name>] enabled = true turns on a plugin that is off by default.
    const names = manager.list({ state: 'discovered' })
      .filter((e) => config.plugins[e.name]?.enabled ?? e.manifest.defaultEnabled)
      .map((e) => e.name);
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

/** The picture's size as displayed: the header's, turned as EXIF orientation turns the pixels. */
function shownSize(req: DecodeRequest): [number, number] {
  return req.header.orientation >= 5 ? [req.header.height, req.header.width] : [req.header.width, req.header.height];
}

/** Native plugins and detectors are told the picture's size before resizing (SMI 1.1): the size as displayed. */
function shownAs<T extends Map<string, ImageInput>>(images: T, req: DecodeRequest): T {
  const [originalWidth, originalHeight] = shownSize(req);
  for (const img of images.values()) Object.assign(img, { originalWidth, originalHeight });
  return images;
}
