// What an isolated plugin's child sends back for run() and submit(),
// checked before the engine uses it. The child's addon already checked the plugin's result
// (native/src/smi/results.cc), but the plugin shares that process and can
// corrupt it, and structured clone carries whatever it is handed. So the
// reply is held to the bounds smi.h sets: a malformed image result fails
// that image only; a reply that is not one result per image fails the call.

import { ImlageError } from '../../errors.js';
import { SMI_MAX_LABEL_BYTES, SMI_MAX_REGIONS, SMI_MAX_TAGS } from '../../binding/smi-limits.js';
import type { SmiImageResult, SmiRunResult, SmiSubmitted } from '../../binding/types.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const inUnit = (v: unknown): boolean => typeof v === 'number' && v >= 0 && v <= 1;
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
// A surrogate without its partner: the string did not come from UTF-8.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function labelProblem(v: unknown): string | undefined {
  if (typeof v !== 'string') return 'a label that is not a string';
  if (LONE_SURROGATE.test(v) || Buffer.byteLength(v, 'utf8') > SMI_MAX_LABEL_BYTES) return `a label that is not UTF-8 of at most ${SMI_MAX_LABEL_BYTES} bytes`;
  return undefined;
}

// A tag or region: an object with a label and a score-like member in [0, 1].
function entryProblem(v: unknown, what: 'tag' | 'region', key: 'score' | 'confidence'): string | undefined {
  if (!isObject(v)) return `a ${what} that is not an object`;
  return labelProblem(v.label) ?? (inUnit(v[key]) ? undefined : `${what} ${key} ${String(v[key])} (must be within [0,1])`);
}

// Why list is not an array of at most limit entries, or undefined.
function listProblem(list: unknown, what: string, limit: number): string | undefined {
  if (!Array.isArray(list)) return `${what} that are not an array`;
  return list.length > limit ? `${list.length} ${what} (at most ${limit})` : undefined;
}

// Why r is not an SmiImageResult the host could have made, or undefined.
function imageProblem(r: unknown): string | undefined {
  if (!isObject(r)) return 'not an object';
  if (r.error !== undefined && typeof r.error !== 'string') return 'an error that is not a string';
  const tags = listProblem(r.tags, 'tags', SMI_MAX_TAGS) ?? (r.tags as unknown[]).map((t) => entryProblem(t, 'tag', 'score')).find(Boolean);
  if (tags) return tags;
  if (r.outputs !== undefined && !Array.isArray(r.outputs)) return 'outputs that are not an array';
  if (r.regions === undefined) return undefined;
  const regions = listProblem(r.regions, 'regions', SMI_MAX_REGIONS);
  if (regions) return regions;
  for (const g of r.regions as unknown[]) {
    const bad = entryProblem(g, 'region', 'confidence');
    if (bad) return bad;
    const box = (g as Record<string, unknown>).box;
    if (!Array.isArray(box) || box.length !== 4 || !box.every((v) => finite(v) && v >= 0)) {
      return 'a region box that is not [x, y, width, height] of finite, non-negative numbers';
    }
  }
  return undefined;
}

/** One image result as the engine may use it: a malformed one becomes that image's error. */
function checked(r: unknown): SmiImageResult {
  const why = imageProblem(r);
  return why ? { tags: [], error: `its isolated process returned a malformed result for this image: ${why}` } : (r as SmiImageResult);
}

/** The child's reply to run() for `images` images, checked; `plugin` names it in errors. */
export function checkRunReply(value: unknown, images: number, plugin: string): SmiRunResult {
  const results = isObject(value) ? value.results : undefined;
  const timing = isObject(value) ? value.timing : undefined;
  if (!Array.isArray(results) || results.length !== images || !isObject(timing) || !finite(timing.inferenceMs)) {
    throw new ImlageError('IMLAGE_ERR_PLUGIN_CALL', `plugin "${plugin}": its isolated process answered run() with something other than one result per image (${images})`);
  }
  return { results: results.map(checked), timing: { inferenceMs: timing.inferenceMs } };
}

/** The child's reply to submit() through `models` models, checked; `plugin` names it in errors. */
export function checkSubmitReply(value: unknown, models: number, plugin: string): SmiSubmitted {
  const v = isObject(value) ? value : {};
  const timing = isObject(v.timing) ? v.timing : {};
  const count = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 1;
  if (!Array.isArray(v.result) || v.result.length !== models || !finite(v.queueMs) || !count(v.batchSize) ||
      !finite(timing.preprocessMs) || !finite(timing.inferenceMs) || !finite(timing.postprocessMs)) {
    throw new ImlageError('IMLAGE_ERR_PLUGIN_CALL', `plugin "${plugin}": its isolated process answered submit() with something other than one result per model (${models}) and its batch's timing`);
  }
  return {
    result: v.result.map(checked),
    queueMs: v.queueMs,
    batchSize: v.batchSize as number,
    timing: { preprocessMs: timing.preprocessMs, inferenceMs: timing.inferenceMs, postprocessMs: timing.postprocessMs },
  };
}
