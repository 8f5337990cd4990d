// From a tag result to the keywords a sidecar carries: flat (dc:subject),
// hierarchical for digiKam ('/') and Lightroom ('|').

import type { Tag } from '../../engine/types.js';

/** imlage/<plugin>/<tag>, or imlage/<category>/<tag> (tags without a category under "other"). */
export type Hierarchy = 'plugin' | 'category';

export interface TagRecord {
  plugin: string;
  model: string;
  version: string;
  label: string;
  confidence: number;
  category?: string;
  /** A detector's tag: how many boxes carry it (faces in the picture). */
  count?: number;
  date: string;
}

export interface Keywords {
  subject: string[];
  tagsList: string[];
  hierarchical: string[];
}

// A separator inside a level would split it into two levels in digiKam or Lightroom.
const level = (s: string) => s.replace(/[/|]/g, '-');

export function keywordsOf(records: TagRecord[], hierarchy: Hierarchy): Keywords {
  const subject = new Set<string>();
  const tagsList = new Set<string>();
  const hierarchical = new Set<string>();
  for (const r of records) {
    const path = ['imlage', level(hierarchy === 'plugin' ? r.plugin : (r.category ?? 'other')), level(r.label)];
    subject.add(r.label);
    tagsList.add(path.join('/'));
    hierarchical.add(path.join('|'));
  }
  return { subject: [...subject], tagsList: [...tagsList], hierarchical: [...hierarchical] };
}

export function recordsOf(plugin: string, model: string, version: string, tags: Tag[], date: string): TagRecord[] {
  return tags.map((t) => ({ plugin, model, version, label: t.label, confidence: t.confidence, date, ...(t.category ? { category: t.category } : {}), ...(t.count !== undefined ? { count: t.count } : {}) }));
}
