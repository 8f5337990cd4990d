// [output] of an onnx manifest: from the model's score tensors to tags.
// Labels come inline or from a file (one per line, as RAM++ and most taggers
// ship their vocabularies); thresholds per label inline or from a file (one
// number per line, in label order, as RAM++ ships them).

import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { errorMessage } from '../errors.js';
import { quote, type TomlReader } from '../util/toml-reader.js';
import { parseRegionTags, type RegionTagRule } from './manifest-region-tags.js';
import { parseRegions, type RegionsOutput } from './manifest-regions.js';

/** How output, XMP and reports group tags. */
export const TAG_CATEGORIES = ['object', 'scene', 'face', 'color', 'text', 'quality', 'safety'] as const;
export type TagCategory = (typeof TAG_CATEGORIES)[number];

export interface OutputSpec {
  names: string[];
  /** 'sigmoid' is the multi-label head: every class scored on its own. */
  activation: 'none' | 'softmax' | 'sigmoid';
  reduce: 'none' | 'max';
  /** One per class, in output order. */
  labels: string[];
  /** Labels never reported (a model's known false positives). */
  exclude: string[];
  threshold: number;
  /** Per-label thresholds, by label; the others use `threshold`. */
  thresholds: Record<string, number>;
  /** label -> the tag it is reported as; several labels may share one tag (its score: their best). */
  aliases: Record<string, string>;
  /** Category of every tag, unless `categories` names another for its tag. */
  category?: TagCategory;
  categories: Record<string, TagCategory>;
  topK: number;
  /** How an ensemble's models' scores become one per class: their mean or their maximum. */
  combine: 'mean' | 'max';
  /** [output.regions]: a detector's boxes behind its tags. */
  regions?: RegionsOutput;
  /** [[output.region_tags]]: tags from the regions' number and size. */
  regionTags: RegionTagRule[];
}

export const OUTPUT_KEYS = ['names', 'activation', 'reduce', 'labels', 'labels_file', 'exclude', 'threshold', 'thresholds',
  'thresholds_file', 'aliases', 'category', 'categories', 'top_k', 'combine', 'regions', 'region_tags'];

/** Big enough for any tag list in use (RAM++ has 4585 tags); bounds what a manifest can make us read. */
const MAX_LIST_BYTES = 4 * 1024 * 1024;

function readLines(o: TomlReader, key: string, rel: string): string[] {
  const path = isAbsolute(rel) ? rel : resolve(o.file, '..', rel);
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_LIST_BYTES) o.fail(key, `${path} is ${size} bytes; at most ${MAX_LIST_BYTES} are read`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'IMLAGE_ERR_MANIFEST') throw err;
    o.fail(key, `cannot read ${path}: ${errorMessage(err)}`);
  }
  // Blank lines are skipped, so a trailing newline or CRLF endings do not add labels.
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
}

/** Lookup tables keyed by label: no prototype, so a tag named "constructor" finds nothing it did not set. */
const table = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

function stringTable(o: TomlReader, key: string): Record<string, string> {
  const t = table<string>();
  for (const [k, v] of Object.entries(o.raw(key) ?? {})) {
    if (typeof v !== 'string') o.fail(`${key}.${k}`, 'expected a string');
    t[k] = v;
  }
  return t;
}

export function parseOutput(o: TomlReader): OutputSpec {
  o.onlyKeys(OUTPUT_KEYS);
  if (o.has('labels') === o.has('labels_file')) o.fail('labels', 'give exactly one of labels (an array) and labels_file (one label per line)');
  const labels = o.has('labels') ? o.strings('labels') : readLines(o, 'labels_file', o.string('labels_file'));
  if (labels.length === 0) o.fail(o.has('labels') ? 'labels' : 'labels_file', 'must list at least one label');
  const known = new Set(labels);

  const aliases = stringTable(o, 'aliases');
  for (const l of Object.keys(aliases)) if (!known.has(l)) o.fail(`aliases.${l}`, `"${l}" is not one of the labels`);
  const tagOf = (l: string) => aliases[l] ?? l;
  const tags = new Set(labels.map(tagOf));

  // Keys name a label or, to cover every label behind an alias, a tag.
  const thresholds = table<number>();
  if (o.has('thresholds_file')) {
    const lines = readLines(o, 'thresholds_file', o.string('thresholds_file'));
    if (lines.length !== labels.length) o.fail('thresholds_file', `has ${lines.length} thresholds for ${labels.length} labels (one per line, in label order)`);
    lines.forEach((line, i) => {
      const v = Number(line);
      if (!Number.isFinite(v) || v < 0 || v > 1) o.fail('thresholds_file', `line ${i + 1}: expected a number in 0..1, found ${quote(line)}`);
      thresholds[labels[i]!] = v;
    });
  }
  const th = o.sub('thresholds');
  for (const k of th?.keys() ?? []) {
    const v = th!.number(k, undefined, { min: 0, max: 1 });
    if (tags.has(k)) {
      for (const l of labels) if (tagOf(l) === k) thresholds[l] = v;
    } else if (known.has(k)) {
      thresholds[k] = v;
    } else {
      th!.fail(k, `"${k}" is not one of the labels or tags`);
    }
  }

  const regionTags = parseRegionTags(o, tags);

  const categories = table<TagCategory>();
  const cats = o.sub('categories');
  for (const k of cats?.keys() ?? []) {
    if (!tags.has(k) && !regionTags.some((r) => r.tag === k)) cats!.fail(k, `"${k}" is not one of the tags`);
    categories[k] = cats!.oneOf(k, TAG_CATEGORIES);
  }

  const output: OutputSpec = {
    names: o.strings('names'),
    activation: o.oneOf('activation', ['none', 'softmax', 'sigmoid'] as const, 'none'),
    reduce: o.oneOf('reduce', ['none', 'max'] as const, 'none'),
    labels,
    exclude: o.strings('exclude', []),
    threshold: o.number('threshold', 0, { min: 0, max: 1 }),
    thresholds,
    aliases,
    category: o.has('category') ? o.oneOf('category', TAG_CATEGORIES) : undefined,
    categories,
    topK: o.number('top_k', 0, { min: 0, integer: true }),
    combine: o.oneOf('combine', ['mean', 'max'] as const, 'mean'),
    regions: parseRegions(o.sub('regions')),
    regionTags,
  };
  if (output.names.length === 0) o.fail('names', 'must name at least one model output');
  for (const l of output.exclude) if (!known.has(l)) o.fail('exclude', `"${l}" is not one of the labels`);
  return output;
}
