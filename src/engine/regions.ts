// A detector's boxes (fractions of the model input, from the addon) to the
// result contract's regions: original-image pixels and reported tag names.

import type { Detection, ImageInput } from '../binding/types.js';
import { round6 } from './plugin.js';
import type { Region, Tag } from './types.js';

/**
 * The picture's size as displayed: the engine sets originalWidth/Height (EXIF
 * orientation applied) on every image it hands a plugin; a caller that passes
 * its own pixels without them gets boxes in those pixels.
 */
export function displayedSize(image: Pick<ImageInput, 'width' | 'height' | 'originalWidth' | 'originalHeight'>): [number, number] {
  return [image.originalWidth || image.width, image.originalHeight || image.height];
}

/** A span of fractions [a, a + len] as whole pixels inside 0..size. */
function span(a: number, len: number, size: number): [number, number] {
  const from = Math.min(size, Math.max(0, Math.round(a * size)));
  const to = Math.min(size, Math.max(from, Math.round((a + len) * size)));
  return [from, to - from];
}

/** Intersection over union of two [x, y, w, h] boxes, as the native suppression computes it. */
function iou(a: Detection['box'], b: Detection['box']): number {
  if (a[2] <= 0 || a[3] <= 0 || b[2] <= 0 || b[3] <= 0) return 0;
  const ix = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * `tagOf` says which tag a class reports at a score (undefined: none, as for
 * the tags themselves: excluded, under its threshold). A box is kept only
 * when its tag is among `tags`, so every region points at a reported tag.
 *
 * The native suppression ran per model label; aliases fold several labels
 * into one tag, so boxes of one tag are suppressed again here (`iou`, the
 * manifest's; undefined when the native pass already ran across labels).
 * `dets` come best first, so a box only meets the better ones of its tag.
 */
export function regionsOf(dets: Detection[] | undefined, [width, height]: [number, number], tagOf: (index: number, score: number) => string | undefined, tags: Tag[], iouMax?: number): Region[] {
  const reported = new Set(tags.map((t) => t.label));
  const kept = new Map<string, Detection['box'][]>();
  const regions: Region[] = [];
  for (const d of dets ?? []) {
    const label = tagOf(d.label, d.score);
    if (label === undefined || !reported.has(label)) continue;
    let ofTag = kept.get(label);
    if (!ofTag) kept.set(label, (ofTag = []));
    if (iouMax !== undefined && ofTag.some((k) => iou(k, d.box) > iouMax)) continue;
    ofTag.push(d.box);
    const [x, w] = span(d.box[0], d.box[2], width);
    const [y, h] = span(d.box[1], d.box[3], height);
    regions.push({ label, confidence: round6(d.score), box: [x, y, w, h] });
  }
  return regions;
}
