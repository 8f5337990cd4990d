// Second-stage plugins ([input.crops]): a plugin whose images are the crops
// of another plugin's regions, faces -> emotion. The engine hands each image
// to the source plugin first; once its result is in, the regions are cut
// out of the picture the engine already decoded (pixels of the picture as
// displayed, which is what regions are in) and go through the crops
// plugin's own batching, all of one picture's crops together. Each crop's
// tags become one region (the source region's box, labelled with the crop's
// best tag) and the image's tags gather them with a count.

import sharp from 'sharp';
import { ImlageError, errorMessage } from '../errors.js';
import type { ImageInput } from '../binding/types.js';
import type { CropsInput } from '../plugins/manifest-crops.js';
import type { TaggerPlugin } from './plugin.js';
import type { Stage } from './stats.js';
import { isFailure, type PluginResult, type Region, type Tag } from './types.js';
import { vipsCall } from './vips-lock.js';

type Box = [number, number, number, number];

/** One plugin's answer for one image, as the engine records it (engine.ts's Submission). */
export interface StageAnswer {
  result: { res: PluginResult; t: Partial<Record<Stage, number>> };
  queueMs: number;
  batchSize: number;
}

/** The [input.crops] of a plugin that has one. */
export function cropsOf(p: TaggerPlugin): CropsInput | undefined {
  return p.manifest.kind === 'onnx' ? p.manifest.crops : undefined;
}

/**
 * The source's regions to crop, best first (the order regions come in), and
 * the box cut for each: grown by `expand`, squared if asked, clipped to the
 * picture, whole pixels. Regions whose cut would be under min_size are left out.
 */
export function cropBoxes(regions: Region[], spec: CropsInput, [width, height]: [number, number]): { region: Region; box: Box }[] {
  const wanted = spec.labels.length ? new Set(spec.labels) : undefined;
  const out: { region: Region; box: Box }[] = [];
  for (const region of regions) {
    if (out.length === spec.max) break;
    if (wanted && !wanted.has(region.label)) continue;
    const [x, y, w, h] = region.box;
    let bw = w * (1 + spec.expand);
    let bh = h * (1 + spec.expand);
    if (spec.square) bw = bh = Math.max(bw, bh);
    const cx = x + w / 2, cy = y + h / 2;
    const x0 = Math.max(0, Math.round(cx - bw / 2)), y0 = Math.max(0, Math.round(cy - bh / 2));
    const x1 = Math.min(width, Math.round(cx + bw / 2)), y1 = Math.min(height, Math.round(cy + bh / 2));
    if (x1 - x0 < spec.minSize || y1 - y0 < spec.minSize) continue;
    out.push({ region, box: [x0, y0, x1 - x0, y1 - y0] });
  }
  return out;
}

/**
 * The pixels of `box` of a decoded picture (packed HWC). A crop longer than
 * max_side is shrunk to it by libvips (aspect kept), so no crop holds more
 * than max_side² pixels whatever the picture's size.
 */
export async function cutCrop(full: ImageInput, [x, y, w, h]: Box, maxSide: number): Promise<ImageInput> {
  const ch = full.channels;
  if (Math.max(w, h) <= maxSide) {
    const data = new Uint8Array(w * h * ch);
    for (let row = 0; row < h; row++) {
      const from = ((y + row) * full.width + x) * ch;
      data.set(full.data.subarray(from, from + w * ch), row * w * ch);
    }
    return { data, width: w, height: h, channels: ch };
  }
  return vipsCall(async () => {
    const { data, info } = await sharp(full.data, { raw: { width: full.width, height: full.height, channels: ch as 3 | 4 } })
      .extract({ left: x, top: y, width: w, height: h })
      .resize(maxSide, maxSide, { fit: 'inside' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  });
}

/**
 * The crops plugin `p` on one picture: waits for the source's answer,
 * crops its regions from `full` and submits them together through `submit`
 * (the plugin's own batching). Never rejects: a failing source, crop or
 * plugin fails this plugin's entry only.
 */
export async function throughCrops(
  p: TaggerPlugin,
  spec: CropsInput,
  source: Promise<StageAnswer> | undefined,
  full: ImageInput,
  submit: (crops: ImageInput[]) => Promise<StageAnswer>[],
): Promise<StageAnswer> {
  const fail = (error: string): StageAnswer => ({ result: { res: { error }, t: {} }, queueMs: 0, batchSize: 1 });
  if (!source) return fail(`${p.name}: crops the regions of "${spec.from}", which did not run on this image`);
  const src = (await source).result.res;
  if (isFailure(src)) return fail(`${p.name}: needs the regions of "${spec.from}", which failed on this image: ${src.error}`);
  const cuts = cropBoxes(src.regions ?? [], spec, [full.originalWidth || full.width, full.originalHeight || full.height]);
  let answers: StageAnswer[];
  try {
    const crops = await Promise.all(cuts.map((c) => cutCrop(full, c.box, spec.maxSide)));
    answers = await Promise.all(submit(crops));
  } catch (err) {
    return fail(`${p.name}: cropping the regions of "${spec.from}" failed: ${errorMessage(err)}`);
  }
  const t: Partial<Record<Stage, number>> = {};
  for (const a of answers) for (const [k, v] of Object.entries(a.result.t) as [Stage, number][]) t[k] = (t[k] ?? 0) + v;
  return {
    result: { res: gather(p, cuts.map((c) => c.region), answers.map((a) => a.result.res)), t },
    queueMs: Math.max(0, ...answers.map((a) => a.queueMs)),
    batchSize: answers[0]?.batchSize ?? 0,
  };
}

/**
 * Per-crop results as one: a region per crop with a tag (the source
 * region's box, the crop's best tag), in the source's order; a tag per label
 * any crop reports, with its best confidence and `count`, the crops that
 * report it. One failed crop fails the entry.
 */
function gather(p: TaggerPlugin, regions: Region[], results: PluginResult[]): PluginResult {
  const failed = results.find(isFailure);
  if (failed) return { error: failed.error };
  const tags = new Map<string, Tag & { count: number }>();
  const out: Region[] = [];
  let inference = 0;
  results.forEach((r, k) => {
    if (isFailure(r)) return;
    inference += r.inference_time_ms;
    const best = r.tags[0];
    if (best) out.push({ label: best.label, confidence: best.confidence, box: regions[k]!.box });
    for (const tag of r.tags) {
      const seen = tags.get(tag.label);
      if (seen) {
        seen.count++;
        seen.confidence = Math.max(seen.confidence, tag.confidence);
      } else {
        tags.set(tag.label, { ...tag, count: 1 });
      }
    }
  });
  return {
    tags: [...tags.values()].sort((a, b) => b.confidence - a.confidence),
    regions: out,
    model: p.model,
    version: p.manifest.version,
    inference_time_ms: Math.round(inference * 100) / 100,
  };
}

/**
 * A crops plugin runs only beside its source: `names` (the plugins a run or
 * a call uses) must hold the source of every crops plugin among them.
 * `manifestOf` finds a plugin's manifest by name.
 */
export function checkCropSources(names: string[], manifestOf: (name: string) => TaggerPlugin['manifest'] | undefined): void {
  for (const n of names) {
    const m = manifestOf(n);
    const spec = m?.kind === 'onnx' ? m.crops : undefined;
    if (spec && !names.includes(spec.from)) {
      throw new ImlageError('IMLAGE_ERR_CONFIG', `plugin "${n}" crops the regions of plugin "${spec.from}" ([input.crops] from, in ${m!.file}), ` +
        `but "${spec.from}" is not among the plugins to run (${names.join(', ')}): run both (--plugin ${spec.from} --plugin ${n}, ` +
        `or [plugins] enabled = [..., "${spec.from}", "${n}"] in config.toml)`);
    }
  }
}
