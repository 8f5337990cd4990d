// A manifest-only "onnx" plugin: a model file (converted once from TF.js
// when needed) run by the native addon with the manifest's pre- and
// post-processing.

import { basename } from 'node:path';
import { convertCached, type GrayInput } from '../convert/index.js';
import { ImlageError, errorMessage } from '../errors.js';
import type { ClassScore, ImageInput, ImageResult, NativeAddon, NativeSession, NativeSpec, PostprocessSpec, PreprocessSpec, RunTiming, SessionOptions, Submitted, TensorInfo } from '../binding/types.js';
import type { InputSpec, ModelSource, OnnxManifest, PreprocessMode } from '../plugins/manifest.js';
import { resolveModelFiles } from '../plugins/model-source.js';
import { withRegionTags } from './region-tags.js';
import { displayedSize, regionsOf } from './regions.js';
import { round6, type BatchOptions, type DecodeNeed, type EncodedUse, type PluginRun, type PluginSubmitted, type ScoreOverrides, type TaggerPlugin } from './plugin.js';
import type { PluginResult, PluginSuccess, Tag } from './types.js';

export interface PluginLoadContext {
  addon: NativeAddon;
  session: SessionOptions;
  cacheDir?: string;
  log: (msg: string) => void;
}

// The engine's pixel buffers are its own and never transferred: read in place, not copied.
const BORROW = { borrowPixels: true } as const;

/** One model of the plugin: the manifest's [model], or one of its [[ensemble]] models. */
interface Member {
  session: NativeSession;
  input: InputSpec;
  /** Output names holding its class scores. */
  names: string[];
  /** "nsfwjs@4.3.0 dist/models/mobilenet_v2/model.min.js" */
  model: string;
}

function checkShape(m: OnnxManifest, key: string, spec: InputSpec, input: TensorInfo): void {
  const { width, height, layout } = spec;
  const want = layout === 'nchw' ? [3, height, width] : [height, width, 3];
  const got = input.shape.slice(1);
  const ok = got.length === 3 && got.every((d, i) => d === -1 || d === want[i]);
  if (!ok) {
    throw new ImlageError('IMLAGE_ERR_MANIFEST', `${m.file}: key '${key}': the model's input "${input.name}" has shape ` +
      `[${input.shape.join(', ')}], which does not match ${layout} ${width}x${height}x3`);
  }
}

/**
 * The labels must name every score the post-processing yields. With reduce
 * "max" each output has the same classes, one label each; with reduce
 * "none" the outputs' values are concatenated (native/src/core/postprocess.h),
 * so the labels cover all outputs together, in output.names order.
 */
function checkOutputs(m: OnnxManifest, namesKey: string, names: string[], outputs: TensorInfo[]): void {
  const per: { name: string; values: number }[] = [];
  for (const name of names) {
    const out = outputs.find((o) => o.name === name);
    if (!out) {
      throw new ImlageError('IMLAGE_ERR_MANIFEST', `${m.file}: key '${namesKey}': the model has no output "${name}" ` +
        `(it has: ${outputs.map((o) => o.name).join(', ')})`);
    }
    const dims = m.output.reduce === 'max' ? out.shape.slice(-1) : out.shape.slice(1);
    per.push({ name, values: dims.some((d) => d < 0) ? -1 : dims.reduce((a, d) => a * d, 1) });
  }
  const labels = m.output.labels.length;
  if (m.output.reduce === 'max') {
    const wrong = per.find((p) => p.values !== -1 && p.values !== labels);
    if (wrong) {
      throw new ImlageError('IMLAGE_ERR_MANIFEST', `${m.file}: key 'output.labels': ${labels} labels, ` +
        `but output "${wrong.name}" has ${wrong.values} classes`);
    }
  } else if (per.every((p) => p.values !== -1)) {
    const total = per.reduce((a, p) => a + p.values, 0);
    if (total !== labels) {
      throw new ImlageError('IMLAGE_ERR_MANIFEST', `${m.file}: key 'output.labels': ${labels} labels, but with reduce = "none" ` +
        `the outputs' values are concatenated: ${per.map((p) => `"${p.name}" ${p.values}`).join(' + ')} = ${total}; ` +
        'list one label per value, in output.names order (or use reduce = "max" for outputs that share their classes)');
    }
  }
}

function checkRegions(m: OnnxManifest, addon: NativeAddon, outputs: TensorInfo[]): void {
  const { decoder, outputs: names } = m.output.regions!;
  const known = addon.detectDecoders();
  if (!known.includes(decoder)) {
    throw new ImlageError('IMLAGE_ERR_MANIFEST', `${m.file}: key 'output.regions.decoder': "${decoder}" is not a detection head ` +
      `this build knows (it knows: ${known.join(', ') || 'none'})`);
  }
  const missing = names.find((n) => !outputs.some((o) => o.name === n));
  if (missing !== undefined) {
    throw new ImlageError('IMLAGE_ERR_MANIFEST', `${m.file}: key 'output.regions.outputs': the model has no output "${missing}" ` +
      `(it has: ${outputs.map((o) => o.name).join(', ')})`);
  }
}

async function loadMember(m: OnnxManifest, ctx: PluginLoadContext, source: ModelSource, key: string, input: InputSpec, names: string[]): Promise<Member> {
  const src = resolveModelFiles(m, source, key);
  let modelPath = src.modelFile;
  if (source.format !== 'onnx') {
    const t0 = Date.now();
    const converted = await convertCached(
      { modelFile: src.modelFile, weightFiles: src.weightFiles.length ? src.weightFiles : undefined, outputs: source.outputs, grayInput: grayInput(input) },
      { cacheDir: ctx.cacheDir, onProgress: (msg) => ctx.log(`${m.name}: ${msg}`) },
    );
    if (!converted.fromCache) ctx.log(`${m.name}: converted ${src.origin} ${basename(src.modelFile)} to ONNX in ${Date.now() - t0} ms (cached for next time)`);
    modelPath = converted.path;
  }
  const session = await ctx.addon.createSession(modelPath, ctx.session);
  try {
    const inputKey = key === 'model' ? 'input' : key;
    const info = input.name ? session.inputs.find((i) => i.name === input.name) : session.inputs[0];
    if (!info) {
      throw new ImlageError('IMLAGE_ERR_MANIFEST', `${m.file}: key 'input.name': the model has no input "${input.name}" ` +
        `(it has: ${session.inputs.map((i) => i.name).join(', ')})`);
    }
    checkShape(m, inputKey, input, info);
    const namesKey = key === 'model' ? 'output.names' : `${key}.names`;
    checkOutputs(m, namesKey, names, session.outputs);
    if (key === 'model' && m.output.regions) checkRegions(m, ctx.addon, session.outputs);
  } catch (err) {
    await session.close();
    throw err;
  }
  return { session, input, names, model: src.label };
}

/**
 * channels = "gray": the converted model greys its RGB input itself, with
 * the normalisation folded into the weights; the engine then feeds it
 * plain pixel values (preprocessSpec).
 */
function grayInput(i: InputSpec): GrayInput | undefined {
  if (i.channels !== 'gray') return undefined;
  const k = i.scale * i.std[0];
  return { weights: i.grayWeights.map((w) => w / k) as [number, number, number], offset: -i.mean[0] / i.std[0] };
}

/** Compiled specs kept per plugin (mode × overrides); a server's per-request thresholds cannot grow it without bound. */
const MAX_COMPILED = 64;

const share = (ms: number, n: number): number => Math.round((ms / Math.max(1, n)) * 100) / 100;

function addTiming(a: RunTiming | undefined, b: RunTiming): RunTiming {
  if (!a) return { ...b };
  return { preprocessMs: a.preprocessMs + b.preprocessMs, inferenceMs: a.inferenceMs + b.inferenceMs, postprocessMs: a.postprocessMs + b.postprocessMs };
}

export class OnnxPlugin implements TaggerPlugin {
  /** Per mode and overrides, one compiled spec per member (native/src/core/compiled_spec.h). */
  private readonly compiled = new Map<string, NativeSpec[]>();

  private constructor(
    readonly manifest: OnnxManifest,
    /** The [model] first, then the [[ensemble]] models. */
    private readonly members: Member[],
  ) {}

  get name(): string {
    return this.manifest.name;
  }

  /** What results name as their model; an ensemble lists its models in `models`. */
  get model(): string {
    return this.members.map((x) => x.model).join(' + ');
  }

  get provider(): string {
    return [...new Set(this.members.map((x) => x.session.provider))].join(', ');
  }

  get warnings(): string[] {
    return this.members.flatMap((x) => x.session.warnings);
  }

  private get isEnsemble(): boolean {
    return this.members.length > 1;
  }

  static async load(m: OnnxManifest, ctx: PluginLoadContext): Promise<OnnxPlugin> {
    const members: Member[] = [];
    try {
      members.push(await loadMember(m, ctx, m.model, 'model', m.input, m.output.names));
      for (const e of m.ensemble) members.push(await loadMember(m, ctx, e.model, e.key, e.input, e.names));
    } catch (err) {
      await Promise.allSettled(members.map((x) => x.session.close()));
      throw err;
    }
    return new OnnxPlugin(m, members);
  }

  /**
   * Exact mode resizes the full picture natively; fast mode has libvips
   * decode to the model size (an ensemble: to its largest model's size, the
   * others resize from there).
   */
  decodeNeed(mode: PreprocessMode): DecodeNeed {
    // A crops plugin's crops are cut from the picture as decoded, in both modes.
    if (mode === 'exact' || this.manifest.crops) return { kind: 'full' };
    const { width, height } = this.largest();
    return { kind: 'resized', width, height, kernel: this.manifest.preprocess.fast.kernel };
  }

  private largest(): InputSpec {
    return this.members.map((x) => x.input).reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
  }

  preprocessSpec(mode: PreprocessMode, i: InputSpec = this.manifest.input): PreprocessSpec {
    const exact = mode === 'exact';
    const big = this.largest();
    // Fast mode decodes to the largest model's size; a smaller model resizes from it.
    const resizeHere = exact || Boolean(this.manifest.crops) || i.width !== big.width || i.height !== big.height;
    const gray = i.channels === 'gray';
    return {
      width: i.width,
      height: i.height,
      layout: i.layout,
      channels: i.channels === 'gray' ? 'rgb' : i.channels,
      resize: resizeHere ? this.manifest.preprocess.exact.resize : 'none',
      normalizeFirst: exact ? this.manifest.preprocess.exact.normalizeFirst : false,
      // A grey model normalises inside (grayInput()): it takes pixel values.
      scale: gray ? 1 : i.scale,
      mean: gray ? [0, 0, 0] : i.mean,
      std: gray ? [1, 1, 1] : i.std,
    };
  }

  postprocessSpec(o: ScoreOverrides = {}, names: string[] = this.manifest.output.names): PostprocessSpec {
    const out = this.manifest.output;
    const topK = o.topK ?? out.topK;
    // Per-label thresholds, aliases and ensembles are applied in tagsOf(),
    // over every class that passes the lowest threshold in use.
    const perLabel = o.threshold === undefined && Object.keys(out.thresholds).length > 0;
    const inJs = perLabel || Object.keys(out.aliases).length > 0 || this.isEnsemble;
    const threshold = this.isEnsemble ? 0 : perLabel ? Math.min(out.threshold, ...Object.values(out.thresholds)) : o.threshold ?? out.threshold;
    const r = out.regions;
    return {
      outputs: names,
      activation: out.activation,
      reduce: out.reduce,
      threshold,
      // Room for the excluded labels, which are dropped after the native top-k.
      topK: topK === 0 || inJs ? 0 : topK + out.exclude.length,
      // Boxes from the lowest threshold in use; regionsOf() keeps those whose tag is reported.
      ...(r && { regions: { decoder: r.decoder, outputs: r.outputs, threshold: Math.max(r.threshold, threshold), iou: r.iou, maxDetections: r.max, perClass: r.perClass } }),
    };
  }

  /** Runs a batch; a failure fails this plugin's results for these images only. */
  async run(images: ImageInput[], mode: PreprocessMode, o: ScoreOverrides): Promise<PluginRun> {
    try {
      const runs = await Promise.all(this.members.map((x) => x.session.run(images, this.preprocessSpec(mode, x.input), this.postprocessSpec(o, x.names), BORROW)));
      const timing = runs.map((r) => r.timing).reduce<RunTiming | undefined>(addTiming, undefined)!;
      const each = share(timing.inferenceMs, images.length);
      return { results: images.map((image, k) => this.toResult(runs.map((r) => r.results[k]!), each, o, displayedSize(image))), timing };
    } catch (err) {
      const error = `${this.name}: ${errorMessage(err)}`;
      return { results: images.map(() => ({ error })) };
    }
  }

  /** The members' specs for this mode and overrides, parsed natively once and then reused. */
  private specs(mode: PreprocessMode, o: ScoreOverrides): NativeSpec[] {
    const key = `${mode}/${o.threshold}/${o.topK}`;
    let specs = this.compiled.get(key);
    if (!specs) {
      specs = this.members.map((x) => x.session.compileSpec(this.preprocessSpec(mode, x.input), this.postprocessSpec(o, x.names)));
      if (this.compiled.size >= MAX_COMPILED) this.compiled.delete(this.compiled.keys().next().value!);
      this.compiled.set(key, specs);
    }
    return specs;
  }

  /** One image through each model's native batching queue; a failure fails this image only. */
  async submit(image: ImageInput, mode: PreprocessMode, o: ScoreOverrides, opts: BatchOptions): Promise<PluginSubmitted> {
    let subs: Promise<Submitted>[];
    try {
      const specs = this.specs(mode, o);
      subs = this.members.map((x, k) => x.session.submit(image, specs[k]!, { ...opts, ...BORROW }));
    } catch (err) {
      subs = [Promise.reject(err)];
    }
    return this.collect(subs, o, displayedSize(image));
  }

  /** Fast mode: the addon decodes the file into every member's queue at the plugin's decode size. */
  encoded(mode: PreprocessMode, o: ScoreOverrides): EncodedUse | undefined {
    if (mode !== 'fast' || this.manifest.crops) return undefined;
    let specs: NativeSpec[];
    try {
      specs = this.specs(mode, o);
    } catch {
      return undefined; // submit() reports the spec's error with the pixels
    }
    const { width, height } = this.largest();
    return { targets: specs.map((spec) => ({ spec, width, height })), collect: (results, shown) => this.collect(results as Promise<Submitted>[], o, shown) };
  }

  /** The members' submissions of one image as this plugin's result; never rejects. */
  private async collect(pending: Promise<Submitted>[], o: ScoreOverrides, shown: [number, number]): Promise<PluginSubmitted> {
    try {
      const subs = await Promise.all(pending);
      const timing = subs.map((r) => r.timing).reduce<RunTiming | undefined>(addTiming, undefined)!;
      const inference = subs.reduce((a, r) => a + share(r.timing.inferenceMs, r.batchSize), 0);
      const first = subs[0]!;
      return { result: this.toResult(subs.map((r) => r.result), Math.round(inference * 100) / 100, o, shown), queueMs: first.queueMs, batchSize: first.batchSize, timing };
    } catch (err) {
      // Every member settles before the next image's results are read: none is left rejected unheard.
      await Promise.allSettled(pending);
      return { result: { error: `${this.name}: ${errorMessage(err)}` }, queueMs: 0, batchSize: 1 };
    }
  }

  flush(): void {
    for (const x of this.members) x.session.flush();
  }

  /** One image's results, one per model. */
  /** `shown`: the picture's size as displayed (EXIF orientation applied), which boxes are given in. */
  private toResult(rs: ImageResult[], inferenceMs: number, o: ScoreOverrides, shown: [number, number]): PluginResult {
    const failed = rs.find((r) => r.error);
    if (failed) return { error: failed.error! };
    // Dynamic output shapes are checked here, per image: a score without a label is the manifest's mistake.
    const labels = this.manifest.output.labels.length;
    const short = rs.find((r) => r.scores.length !== labels);
    if (short) {
      return { error: `${this.name}: the model gave ${short.scores.length} scores but ${this.manifest.file} lists ${labels} labels (key 'output.labels')` };
    }
    const result: PluginSuccess = {
      tags: this.tagsOf(this.isEnsemble ? this.combine(rs) : rs[0]!.top, o),
      model: this.model,
      version: this.manifest.version,
      inference_time_ms: inferenceMs,
    };
    if (this.isEnsemble) result.models = this.members.map((x) => x.model);
    if (this.manifest.output.regions) {
      const { regionTags, categories, category, regions, aliases } = this.manifest.output;
      // Labels folded into one tag were suppressed apart natively: once more per tag.
      const iou = regions.perClass && Object.keys(aliases).length > 0 ? regions.iou : undefined;
      result.regions = regionsOf(rs[0]!.regions, shown, (i, score) => this.tagOf(i, score, o), result.tags, iou);
      result.tags = withRegionTags(result.tags, result.regions, shown, regionTags, (t) => categories[t] ?? category);
    }
    return result;
  }

  /** An ensemble's classes, best first: per class the mean (or max) of its models' scores. */
  private combine(rs: ImageResult[]): ClassScore[] {
    const n = this.manifest.output.labels.length;
    const max = this.manifest.output.combine === 'max';
    const out: ClassScore[] = [];
    for (let c = 0; c < n; c++) {
      let v = max ? -Infinity : 0;
      for (const r of rs) v = max ? Math.max(v, r.scores[c] ?? 0) : v + (r.scores[c] ?? 0);
      out.push({ index: c, score: max ? v : v / rs.length });
    }
    return out.sort((a, b) => b.score - a.score || a.index - b.index);
  }

  /** Classes (best first) to tags: exclude, per-label thresholds, aliases merged (best score), top_k, category. */
  private tagsOf(top: ClassScore[], o: ScoreOverrides): Tag[] {
    const { category, categories } = this.manifest.output;
    const topK = o.topK ?? this.manifest.output.topK;
    const tags: Tag[] = [];
    const seen = new Set<string>();
    for (const t of top) {
      const name = this.tagOf(t.index, t.score, o);
      if (name === undefined) continue;
      // top is sorted best first, so the first class behind a tag carries its best score.
      if (seen.has(name)) continue;
      seen.add(name);
      const cat = categories[name] ?? category;
      tags.push(cat ? { label: name, confidence: round6(t.score), category: cat } : { label: name, confidence: round6(t.score) });
      if (topK && tags.length === topK) break;
    }
    return tags;
  }

  /** The tag class `index` reports at `score`; undefined when excluded or under its threshold. Tags and regions both ask here. */
  private tagOf(index: number, score: number, o: ScoreOverrides): string | undefined {
    const { labels, exclude, thresholds, threshold, aliases } = this.manifest.output;
    const label = labels[index];
    if (label === undefined || exclude.includes(label)) return undefined;
    if (score < (o.threshold ?? thresholds[label] ?? threshold)) return undefined;
    return aliases[label] ?? label;
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((x) => x.session.close()));
  }
}
