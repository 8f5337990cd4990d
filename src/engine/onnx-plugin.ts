// A manifest-only "onnx" plugin: a model file (converted once from TF.js
// when needed) run by the native addon with the manifest's pre- and
// post-processing.

import { basename } from 'node:path';
import { convertCached } from '../convert/index.js';
import { ImlageError, errorMessage } from '../errors.js';
import type { ClassScore, ImageInput, ImageResult, NativeAddon, NativeSession, PostprocessSpec, PreprocessSpec, SessionOptions, TensorInfo } from '../native/types.js';
import type { OnnxManifest, PreprocessMode } from '../plugins/manifest.js';
import { resolveModelFiles } from '../plugins/model-source.js';
import { round6, type BatchOptions, type DecodeNeed, type PluginRun, type PluginSubmitted, type ScoreOverrides, type TaggerPlugin } from './plugin.js';
import type { PluginResult, Tag } from './types.js';

export interface PluginLoadContext {
  addon: NativeAddon;
  session: SessionOptions;
  cacheDir?: string;
  log: (msg: string) => void;
}

function checkShape(m: OnnxManifest, input: TensorInfo): void {
  const { width, height, layout } = m.input;
  const want = layout === 'nchw' ? [3, height, width] : [height, width, 3];
  const got = input.shape.slice(1);
  const ok = got.length === 3 && got.every((d, i) => d === -1 || d === want[i]);
  if (!ok) {
    throw new ImlageError('IMLAGE_ERR_MANIFEST', `${m.file}: key 'input': the model's input "${input.name}" has shape ` +
      `[${input.shape.join(', ')}], which does not match ${layout} ${width}x${height}x3`);
  }
}

export class OnnxPlugin implements TaggerPlugin {
  private constructor(
    readonly manifest: OnnxManifest,
    private readonly session: NativeSession,
    /** "nsfwjs@4.3.0 dist/models/mobilenet_v2/model.min.js" */
    readonly model: string,
  ) {}

  get name(): string {
    return this.manifest.name;
  }

  get provider(): string {
    return this.session.provider;
  }

  get warnings(): string[] {
    return this.session.warnings;
  }

  static async load(m: OnnxManifest, ctx: PluginLoadContext): Promise<OnnxPlugin> {
    const src = resolveModelFiles(m);
    let modelPath = src.modelFile;
    if (m.model.format !== 'onnx') {
      const t0 = Date.now();
      const converted = await convertCached(
        { modelFile: src.modelFile, weightFiles: src.weightFiles.length ? src.weightFiles : undefined },
        { cacheDir: ctx.cacheDir, onProgress: (msg) => ctx.log(`${m.name}: ${msg}`) },
      );
      if (!converted.fromCache) ctx.log(`${m.name}: converted ${src.origin} ${basename(src.modelFile)} to ONNX in ${Date.now() - t0} ms (cached for next time)`);
      modelPath = converted.path;
    }
    const session = await ctx.addon.createSession(modelPath, ctx.session);
    try {
      const input = m.input.name ? session.inputs.find((i) => i.name === m.input.name) : session.inputs[0];
      if (!input) {
        throw new ImlageError('IMLAGE_ERR_MANIFEST', `${m.file}: key 'input.name': the model has no input "${m.input.name}" ` +
          `(it has: ${session.inputs.map((i) => i.name).join(', ')})`);
      }
      checkShape(m, input);
      for (const name of m.output.names) {
        const out = session.outputs.find((o) => o.name === name);
        if (!out) {
          throw new ImlageError('IMLAGE_ERR_MANIFEST', `${m.file}: key 'output.names': the model has no output "${name}" ` +
            `(it has: ${session.outputs.map((o) => o.name).join(', ')})`);
        }
        const classes = out.shape[out.shape.length - 1];
        if (classes !== undefined && classes !== -1 && classes !== m.output.labels.length) {
          throw new ImlageError('IMLAGE_ERR_MANIFEST', `${m.file}: key 'output.labels': ${m.output.labels.length} labels, ` +
            `but output "${name}" has ${classes} classes`);
        }
      }
    } catch (err) {
      await session.close();
      throw err;
    }
    return new OnnxPlugin(m, session, src.label);
  }

  /** Exact mode resizes the full picture natively; fast mode has libvips decode to the model size. */
  decodeNeed(mode: PreprocessMode): DecodeNeed {
    if (mode === 'exact') return { kind: 'full' };
    const { width, height } = this.manifest.input;
    return { kind: 'resized', width, height, kernel: this.manifest.preprocess.fast.kernel };
  }

  preprocessSpec(mode: PreprocessMode): PreprocessSpec {
    const i = this.manifest.input;
    const exact = mode === 'exact';
    return {
      width: i.width,
      height: i.height,
      layout: i.layout,
      channels: i.channels,
      resize: exact ? this.manifest.preprocess.exact.resize : 'none',
      normalizeFirst: exact ? this.manifest.preprocess.exact.normalizeFirst : false,
      scale: i.scale,
      mean: i.mean,
      std: i.std,
    };
  }

  postprocessSpec(o: ScoreOverrides = {}): PostprocessSpec {
    const out = this.manifest.output;
    const topK = o.topK ?? out.topK;
    // Per-label thresholds and aliases are applied in toResult(), over every
    // class that passes the lowest threshold in use.
    const perLabel = o.threshold === undefined && Object.keys(out.thresholds).length > 0;
    const merging = Object.keys(out.aliases).length > 0;
    const threshold = perLabel ? Math.min(out.threshold, ...Object.values(out.thresholds)) : o.threshold ?? out.threshold;
    return {
      outputs: out.names,
      activation: out.activation,
      reduce: out.reduce,
      threshold,
      // Room for the excluded labels, which are dropped after the native top-k.
      topK: topK === 0 || perLabel || merging ? 0 : topK + out.exclude.length,
    };
  }

  /** Runs a batch; a failure fails this plugin's results for these images only. */
  async run(images: ImageInput[], mode: PreprocessMode, o: ScoreOverrides): Promise<PluginRun> {
    try {
      const { results, timing } = await this.session.run(images, this.preprocessSpec(mode), this.postprocessSpec(o));
      const share = Math.round((timing.inferenceMs / Math.max(1, images.length)) * 100) / 100;
      return { results: results.map((r) => this.toResult(r, share, o)), timing };
    } catch (err) {
      const error = `${this.name}: ${errorMessage(err)}`;
      return { results: images.map(() => ({ error })) };
    }
  }

  /** One image through the session's native batching queue; a failure fails this image only. */
  async submit(image: ImageInput, mode: PreprocessMode, o: ScoreOverrides, opts: BatchOptions): Promise<PluginSubmitted> {
    try {
      const { result, queueMs, batchSize, timing } = await this.session.submit(image, this.preprocessSpec(mode), this.postprocessSpec(o), opts);
      const share = Math.round((timing.inferenceMs / Math.max(1, batchSize)) * 100) / 100;
      return { result: this.toResult(result, share, o), queueMs, batchSize, timing };
    } catch (err) {
      return { result: { error: `${this.name}: ${errorMessage(err)}` }, queueMs: 0, batchSize: 1 };
    }
  }

  flush(): void {
    this.session.flush();
  }

  private toResult(r: ImageResult, share: number, o: ScoreOverrides): PluginResult {
    if (r.error) return { error: r.error };
    return {
      tags: this.tagsOf(r.top, o),
      model: this.model,
      version: this.manifest.version,
      inference_time_ms: share,
    };
  }

  /** Classes (best first) to tags: exclude, per-label thresholds, aliases merged (best score), top_k, category. */
  private tagsOf(top: ClassScore[], o: ScoreOverrides): Tag[] {
    const { labels, exclude, thresholds, threshold, aliases, category, categories } = this.manifest.output;
    const topK = o.topK ?? this.manifest.output.topK;
    const tags: Tag[] = [];
    const seen = new Set<string>();
    for (const t of top) {
      const label = labels[t.index] ?? `#${t.index}`;
      if (exclude.includes(label)) continue;
      if (o.threshold === undefined && t.score < (thresholds[label] ?? threshold)) continue;
      const name = aliases[label] ?? label;
      // top is sorted best first, so the first class behind a tag carries its best score.
      if (seen.has(name)) continue;
      seen.add(name);
      const cat = categories[name] ?? category;
      tags.push(cat ? { label: name, confidence: round6(t.score), category: cat } : { label: name, confidence: round6(t.score) });
      if (topK && tags.length === topK) break;
    }
    return tags;
  }

  close(): Promise<void> {
    return this.session.close();
  }
}
