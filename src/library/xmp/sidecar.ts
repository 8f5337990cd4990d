// Writing a photo's XMP sidecar: read what is there, retract imlage's own
// keywords that no longer pass, add the new ones, and replace the file
// atomically (temporary file in the same folder, fsync, rename). Keywords
// imlage did not add are never removed: which ones it added is recorded in
// imlage:Owned* bags, so a keyword the user had first stays the user's.
// Regions go the same way (regions.ts): imlage replaces only its own.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { Document } from '@xmldom/xmldom';
import { isFailure, type TagResult } from '../../engine/types.js';
import { NotXmpError, editList, newXmp, parseXmp, readList, readRecords, serializeXmp, writeRecords } from './document.js';
import { keywordsOf, recordsOf, type Hierarchy, type Keywords, type TagRecord } from './keywords.js';
import type { Prefix } from './namespaces.js';
import { mergeRegions, regionRecordsOf, sameRegionRecords, type RegionRecord } from './regions.js';
import { displayedSizeOf } from '../displayed-size.js';

/** 'ext': photo.jpg.xmp (darktable, digiKam); 'base': photo.xmp (Lightroom). */
export type SidecarNaming = 'ext' | 'base';

export interface XmpOptions {
  naming?: SidecarNaming;
  hierarchy?: Hierarchy;
  /** Largest sidecar read (default 4 MiB); a larger one is left alone. */
  maxBytes?: number;
}

export interface XmpOutcome {
  sidecar: string;
  status: 'written' | 'unchanged' | 'left alone';
  added: number;
  retracted: number;
  /** MWG regions of imlage's in the sidecar now (faces, objects, text lines). */
  regions?: number;
  /** Why a sidecar was left alone or could not be written, or what it lacks (regions of a photo whose size cannot be read): names the file and the fix. */
  warning?: string;
}

export function sidecarPath(image: string, naming: SidecarNaming = 'ext'): string {
  if (naming === 'ext') return `${image}.xmp`;
  return join(dirname(image), `${basename(image, extname(image))}.xmp`);
}

const LISTS: { key: keyof Keywords; prefix: Prefix; local: string; container: 'Bag' | 'Seq'; owned: string }[] = [
  { key: 'subject', prefix: 'dc', local: 'subject', container: 'Bag', owned: 'OwnedSubject' },
  { key: 'tagsList', prefix: 'digiKam', local: 'TagsList', container: 'Seq', owned: 'OwnedTagsList' },
  { key: 'hierarchical', prefix: 'lr', local: 'hierarchicalSubject', container: 'Bag', owned: 'OwnedHierarchicalSubject' },
];

/** Merges one image's results into its sidecar. Plugins that failed, or did not run, keep what they wrote before. */
export async function writeSidecar(image: string, result: TagResult, opts: XmpOptions = {}, now = new Date()): Promise<XmpOutcome> {
  const sidecar = sidecarPath(image, opts.naming);
  // Before the sidecar is read: from there to its rename nothing waits.
  const withRegions = !result.error && Object.values(result.results).some((r) => !isFailure(r) && r.regions?.length);
  const size = withRegions ? await displayedSizeOf(image) : undefined;
  const outcome = (status: XmpOutcome['status'], added = 0, retracted = 0, warning?: string): XmpOutcome =>
    ({ sidecar, status, added, retracted, ...(warning ? { warning } : {}) });
  let text: string | undefined;
  let mode: number | undefined;
  try {
    const st = statSync(sidecar);
    if (!st.isFile()) return outcome('left alone', 0, 0, `${sidecar} is not a regular file: left alone; move it away to let imlage write the sidecar`);
    if (st.size > (opts.maxBytes ?? 4 << 20)) return outcome('left alone', 0, 0, `${sidecar} is ${st.size} bytes, larger than a sidecar should be: left alone`);
    mode = st.mode & 0o777;
    text = readFileSync(sidecar, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') return outcome('left alone', 0, 0, `cannot read ${sidecar} (${code}): left alone; make it readable to let imlage merge into it`);
  }
  let doc: Document;
  try {
    doc = text === undefined ? newXmp() : parseXmp(text);
  } catch (err) {
    if (!(err instanceof NotXmpError)) throw err;
    return outcome('left alone', 0, 0, `${sidecar} is ${err.message}: left alone; fix or move it away to let imlage write its tags`);
  }

  const date = now.toISOString();
  const ran = new Set<string>();
  const fresh: TagRecord[] = [];
  const freshRegions: RegionRecord[] = [];
  let sizeWarning: string | undefined;
  if (!result.error) {
    for (const [plugin, res] of Object.entries(result.results)) {
      if (isFailure(res)) continue;
      ran.add(plugin);
      fresh.push(...recordsOf(plugin, res.model, res.version, res.tags, date));
      if (!res.regions?.length) continue;
      if (size) freshRegions.push(...regionRecordsOf(plugin, res, size, date));
      else sizeWarning = `cannot read the size of ${image} from its header: its regions are left out of ${sidecar}; the keywords are written`;
    }
  }
  const previous = readRecords(doc);
  const records = [...previous.filter((r) => !ran.has(r.plugin)), ...fresh];
  const wanted = keywordsOf(records, opts.hierarchy ?? 'plugin');

  let added = 0;
  let retracted = 0;
  for (const l of LISTS) {
    const present = new Set(readList(doc, l.prefix, l.local));
    const ownedBefore = new Set(readList(doc, 'imlage', l.owned));
    const want = new Set(wanted[l.key]);
    const remove = new Set([...ownedBefore].filter((k) => !want.has(k)));
    const add = wanted[l.key].filter((k) => !present.has(k));
    // Only what imlage added itself, or owned already, is imlage's to retract later.
    const ownedNow = wanted[l.key].filter((k) => !present.has(k) || ownedBefore.has(k));
    if (l.key === 'subject') {
      added = add.length;
      retracted = [...remove].filter((k) => present.has(k)).length;
    }
    editList(doc, l.prefix, l.local, l.container, remove, add);
    editList(doc, 'imlage', l.owned, 'Bag', new Set(ownedBefore), ownedNow);
  }
  // Records of fresh tags carry today's date; the sidecar only changes when a keyword or a record does.
  const sameRecords = JSON.stringify(strip(previous)) === JSON.stringify(strip(records));
  const regions = mergeRegions(doc, ran, freshRegions, size);
  const sameRegions = !regions.lost && sameRegionRecords(regions.previous, regions.records);
  if (text !== undefined && added === 0 && retracted === 0 && sameRecords && sameRegions) return { ...outcome('unchanged'), ...(sizeWarning && { warning: sizeWarning }) };
  writeRecords(doc, records);
  const out = serializeXmp(doc);
  try {
    writeAtomic(sidecar, out, mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const fix = code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? `the folder ${dirname(sidecar)} is not writable: make it writable, or run without --xmp`
      : `${(err as Error).message}`;
    return outcome('left alone', 0, 0, `cannot write ${sidecar} (${code ?? 'error'}): ${fix}`);
  }
  return { ...outcome('written', added, retracted, sizeWarning), regions: regions.records.length };
}

function strip(records: TagRecord[]): unknown[] {
  return records.map(({ date: _d, ...r }) => ({ ...r, confidence: Number(r.confidence.toFixed(4)) }))
    .sort((a, b) => (a.plugin + a.label < b.plugin + b.label ? -1 : 1));
}

/** Replaces `path` with `text` so that a reader sees the old file or the new one, never half of one. */
export function writeAtomic(path: string, text: string | Uint8Array, mode = 0o644): void {
  const tmp = join(dirname(path), `.${basename(path)}.imlage-${process.pid}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, typeof text === 'string' ? Buffer.from(text) : text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
}
