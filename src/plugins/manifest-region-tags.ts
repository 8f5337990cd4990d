// [[output.region_tags]] of an onnx manifest: tags that say something about
// a detector's regions as a whole, from how many there are and how much of
// the picture the largest covers ("group": three faces or more; "portrait":
// one or two, the largest big).

import type { TomlReader } from '../util/toml-reader.js';

export interface RegionTagRule {
  tag: string;
  /** Counts the regions of this tag; undefined: every region. */
  of?: string;
  minCount: number;
  /** Undefined when unbounded (a parsed manifest holds only finite numbers). */
  maxCount?: number;
  /** The largest counted region covers at least this share (0..1) of the picture's area. */
  minShare: number;
}

export const REGION_TAG_KEYS = ['tag', 'of', 'min_count', 'max_count', 'min_share'];

/** `tags`: the tags the labels report; a rule may not reuse one, and `of` must name one. */
export function parseRegionTags(o: TomlReader, tags: ReadonlySet<string>): RegionTagRule[] {
  const readers = o.tables('region_tags');
  if (readers.length && !o.has('regions')) o.fail('region_tags', 'needs [output.regions]: it counts the regions');
  const seen = new Set<string>();
  return readers.map((r) => {
    r.onlyKeys(REGION_TAG_KEYS);
    const tag = r.string('tag');
    if (tags.has(tag)) r.fail('tag', `"${tag}" is already a tag of the labels`);
    if (seen.has(tag)) r.fail('tag', `"${tag}" is given by another [[output.region_tags]]`);
    seen.add(tag);
    const of = r.string('of', undefined, true);
    if (of !== undefined && !tags.has(of)) r.fail('of', `"${of}" is not one of the tags`);
    const minCount = r.number('min_count', 1, { min: 1, integer: true });
    const maxCount = r.has('max_count') ? r.number('max_count', undefined, { min: minCount, integer: true }) : undefined;
    const minShare = r.number('min_share', 0, { min: 0, max: 1 });
    return maxCount === undefined ? { tag, of, minCount, minShare } : { tag, of, minCount, maxCount, minShare };
  });
}
