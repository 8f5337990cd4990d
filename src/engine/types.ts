// What the engine returns, shaped as the CLI prints it (JSON field names
// are part of the output format, hence snake_case).

import type { TagCategory } from '../plugins/manifest-output.js';

export interface Tag {
  label: string;
  confidence: number;
  /** How output, XMP and reports group it (object, scene, face, color, text, quality, safety), when the plugin says. */
  category?: TagCategory;
  /** A detector plugin's tag: how many of its boxes are in the result's `regions` (e.g. how many faces). */
  count?: number;
}

/** What a detector's tag points at. */
export interface Region {
  label: string;
  confidence: number;
  /** [x, y, width, height] in pixels of the original image as displayed (after EXIF orientation), top-left origin. */
  box: [number, number, number, number];
}

export interface PluginSuccess {
  tags: Tag[];
  /** A detector plugin: the boxes behind its tags, best first, after non-maximum suppression. */
  regions?: Region[];
  /** Where the weights come from, e.g. "nsfwjs@4.3.0 dist/models/mobilenet_v2/model.min.js". */
  model: string;
  /** The plugin's version. */
  version: string;
  /** This image's share of its batch's inference time. */
  inference_time_ms: number;
  /** An ensemble plugin: every model whose scores were combined into these tags. */
  models?: string[];
}

export interface PluginFailure {
  error: string;
}

export type PluginResult = PluginSuccess | PluginFailure;

export interface TagResult {
  /** The path (bytes that are not UTF-8 shown as \xNN), or the name given to a buffer input. */
  file: string;
  results: Record<string, PluginResult>;
  /** Set when the image itself failed (unreadable, not an image): no plugin ran. */
  error?: string;
}

/**
 * A path, raw encoded bytes, or bytes with a name to report them under.
 * `{ path }` carries a path as bytes (a Buffer) when it is not valid UTF-8,
 * as expandInputs yields such names; the result's `file` shows it escaped.
 */
export type TagInput = string | Uint8Array | { name: string; data: Uint8Array } | { path: string | Buffer };

export function isFailure(r: PluginResult): r is PluginFailure {
  return (r as PluginFailure).error !== undefined;
}
