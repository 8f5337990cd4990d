// A detector's boxes (fractions of the model input, from the addon) to the
// result contract's regions: original-image pixels and reported tag names.

import type { Detection, ImageInput } from '../native/types.js';
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

/**
 * `tagOf` says which tag a class reports at a score (undefined: none, as for
 * the tags themselves: excluded, under its threshold). A box is kept only
 * when its tag is among `tags`, so every region points at a reported tag.
 */
export function regionsOf(dets: Detection[] | undefined, [width, height]: [number, number], tagOf: (index: number, score: number) => string | undefined, tags: Tag[]): Region[] {
  const reported = new Set(tags.map((t) => t.label));
  const regions: Region[] = [];
  for (const d of dets ?? []) {
    const label = tagOf(d.label, d.score);
    if (label === undefined || !reported.has(label)) continue;
    const [x, w] = span(d.box[0], d.box[2], width);
    const [y, h] = span(d.box[1], d.box[3], height);
    regions.push({ label, confidence: round6(d.score), box: [x, y, w, h] });
  }
  return regions;
}
