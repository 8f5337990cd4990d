// What a detector's regions say as a whole: how many boxes stand behind each
// tag (its `count`), and the [[output.region_tags]] their number and size
// imply.

import type { TagCategory } from '../plugins/manifest-output.js';
import type { RegionTagRule } from '../plugins/manifest-region-tags.js';
import type { Region, Tag } from './types.js';

/**
 * `tags` with `count` set from `regions` (best first, as regionsOf returns
 * them), then one tag per rule that holds. A rule's tag takes the confidence
 * of its min_count-th best counted region: how sure the detector is that
 * there are at least that many.
 */
export function withRegionTags(tags: Tag[], regions: Region[], size: [number, number], rules: RegionTagRule[], categoryOf: (tag: string) => TagCategory | undefined): Tag[] {
  const counted = (of?: string) => (of === undefined ? regions : regions.filter((r) => r.label === of));
  const out = tags.map((t) => ({ ...t, count: counted(t.label).length }));
  const area = size[0] * size[1];
  for (const rule of rules) {
    const rs = counted(rule.of);
    if (rs.length < rule.minCount || rs.length > (rule.maxCount ?? Infinity)) continue;
    const largest = Math.max(...rs.map((r) => r.box[2] * r.box[3]));
    if (rule.minShare > 0 && !(area > 0 && largest / area >= rule.minShare)) continue;
    const confidence = rs.map((r) => r.confidence).sort((a, b) => b - a)[rule.minCount - 1]!;
    const category = categoryOf(rule.tag);
    out.push({ label: rule.tag, confidence, ...(category && { category }), count: rs.length });
  }
  return out;
}
