// A detector's regions as MWG regions (mwg-rs:Regions), which digiKam,
// Lightroom and exiftool read: the displayed size in AppliedToDimensions, each
// box a centre-based normalised stArea, named by its tag. imlage records the
// regions it wrote in imlage:Regions (with the area as written), so a re-run
// replaces only those: a region drawn or renamed by the user no longer
// matches a record and is never touched, as with keywords; nor is it boxed
// again where such a region of the same Type already covers the box.

import type { Document, Element } from '@xmldom/xmldom';
import type { PluginSuccess } from '../../engine/types.js';
import { children, declare, description, findProperty, rdfPrefix, readStructs, writeStructs } from './document.js';
import { NS, type Prefix } from './namespaces.js';

export interface RegionRecord {
  plugin: string;
  model: string;
  version: string;
  label: string;
  confidence: number;
  /** [x, y, w, h] in pixels of the picture as displayed, as the result gave it. */
  box: [number, number, number, number];
  /** mwg-rs:Type written: Face for a tag of category face, else the category (Object, Text, …), else Object. */
  type: string;
  /** stArea x y w h as written: the centre and size as fractions of the displayed size. */
  area: [number, number, number, number];
  date: string;
}

const FIELDS = ['Plugin', 'Model', 'Version', 'Label', 'Confidence', 'Type', 'Box', 'Area', 'Date'] as const;

const fraction = (v: number) => Number(Math.min(1, Math.max(0, v)).toFixed(6));

/** MWG's Type is an open choice; Face is the one every reader knows. */
function typeOf(category: string | undefined): string {
  if (category === undefined) return 'Object';
  return category === 'face' ? 'Face' : category[0]!.toUpperCase() + category.slice(1);
}

export function regionRecordsOf(plugin: string, res: PluginSuccess, [width, height]: [number, number], date: string): RegionRecord[] {
  const category = new Map(res.tags.map((t) => [t.label, t.category]));
  return (res.regions ?? []).map((r) => {
    const [x, y, w, h] = r.box;
    return {
      plugin, model: res.model, version: res.version, label: r.label, confidence: r.confidence, box: r.box,
      type: typeOf(category.get(r.label)),
      area: [fraction((x + w / 2) / width), fraction((y + h / 2) / height), fraction(w / width), fraction(h / height)],
      date,
    };
  });
}

const numbers = (s: string | undefined, n: number) => {
  const v = (s ?? '').split(' ').map(Number);
  return v.length === n && v.every(Number.isFinite) ? v : undefined;
};

export function readRegionRecords(doc: Document): RegionRecord[] {
  const out: RegionRecord[] = [];
  for (const row of readStructs(doc, 'Regions')) {
    const box = numbers(row.Box, 4);
    const area = numbers(row.Area, 4);
    if (!box || !area) continue; // not imlage's own format: nothing to match it by
    out.push({
      plugin: row.Plugin ?? '', model: row.Model ?? '', version: row.Version ?? '', label: row.Label ?? '',
      confidence: Number(row.Confidence ?? 0), type: row.Type ?? '', box: box as RegionRecord['box'], area: area as RegionRecord['area'], date: row.Date ?? '',
    });
  }
  return out;
}

function writeRegionRecords(doc: Document, records: RegionRecord[]): void {
  writeStructs(doc, 'Regions', FIELDS, records.map((r) => ({
    Plugin: r.plugin, Model: r.model, Version: r.version, Label: r.label, Confidence: r.confidence.toFixed(4),
    Type: r.type, Box: r.box.join(' '), Area: r.area.join(' '), Date: r.date,
  })));
}

/** What a record compares by, dates aside: a re-run that finds the same boxes changes nothing. */
export function sameRegionRecords(a: RegionRecord[], b: RegionRecord[]): boolean {
  const key = (rs: RegionRecord[]) => rs.map((r) => JSON.stringify([r.plugin, r.model, r.version, r.label, r.confidence.toFixed(4), r.type, r.box, r.area])).sort();
  return JSON.stringify(key(a)) === JSON.stringify(key(b));
}

// A structure in RDF/XML: fields as child elements (rdf:parseType="Resource"),
// as attributes, or inside one rdf:Description; other tools write any of these.
function struct(el: Element): Element {
  return children(el, NS.rdf, 'Description')[0] ?? el;
}

function field(el: Element, ns: string, local: string): string | undefined {
  const s = struct(el);
  if (s.hasAttributeNS(ns, local)) return s.getAttributeNS(ns, local) ?? undefined;
  const c = children(s, ns, local)[0];
  return c ? (c.textContent ?? '') : undefined;
}

/** Which region an area and name are: fractions to 4 places, so a tool rewriting 0.5 as 0.50000 keeps it matched. */
function regionKey(name: string | undefined, area: (string | number | undefined)[]): string {
  return `${name ?? ''}|${area.map((v) => Number(v ?? NaN).toFixed(4)).join(' ')}`;
}

/** A region element as any tool wrote it: its key, Type and Area (undefined fields where it has none). */
function readElement(li: Element): { key: string; type?: string; area: number[] } {
  const a = children(struct(li), NS['mwg-rs'], 'Area')[0];
  const area = a ? (['x', 'y', 'w', 'h'] as const).map((k) => field(a, NS.stArea, k)) : [];
  return { key: regionKey(field(li, NS['mwg-rs'], 'Name'), area), type: field(li, NS['mwg-rs'], 'Type'), area: area.map((v) => Number(v ?? NaN)) };
}

/** IoU of two centre-based areas; 0 when either is not four finite numbers. */
function areaIou(a: number[], b: number[]): number {
  if (a.length !== 4 || b.length !== 4 || ![...a, ...b].every(Number.isFinite)) return 0;
  const ix = Math.max(0, Math.min(a[0]! + a[2]! / 2, b[0]! + b[2]! / 2) - Math.max(a[0]! - a[2]! / 2, b[0]! - b[2]! / 2));
  const iy = Math.max(0, Math.min(a[1]! + a[3]! / 2, b[1]! + b[3]! / 2) - Math.max(a[1]! - a[3]! / 2, b[1]! - b[3]! / 2));
  const union = a[2]! * a[3]! + b[2]! * b[3]! - ix * iy;
  return union > 0 ? (ix * iy) / union : 0;
}

/** A user's region of the same Type over more than this IoU already marks what a fresh box would. */
const COVERED_IOU = 0.5;

function make(doc: Document, parent: Element, prefix: Prefix, local: string, text?: string): Element {
  const e = doc.createElementNS(NS[prefix], `${declare(parent, prefix)}:${local}`);
  if (text !== undefined) e.appendChild(doc.createTextNode(text));
  parent.appendChild(e);
  return e;
}

function resource(doc: Document, e: Element): Element {
  e.setAttributeNS(NS.rdf, `${rdfPrefix(doc)}:parseType`, 'Resource');
  return e;
}

function regionElement(doc: Document, bag: Element, r: RegionRecord): void {
  const li = resource(doc, doc.createElementNS(NS.rdf, `${rdfPrefix(doc)}:li`));
  bag.appendChild(li);
  make(doc, li, 'mwg-rs', 'Type', r.type);
  make(doc, li, 'mwg-rs', 'Name', r.label);
  const area = resource(doc, make(doc, li, 'mwg-rs', 'Area'));
  (['x', 'y', 'w', 'h'] as const).forEach((k, i) => make(doc, area, 'stArea', k, String(r.area[i])));
  make(doc, area, 'stArea', 'unit', 'normalized');
}

function setDimensions(doc: Document, info: Element, [w, h]: [number, number]): void {
  for (const old of children(info, NS['mwg-rs'], 'AppliedToDimensions')) info.removeChild(old);
  const dims = resource(doc, doc.createElementNS(NS['mwg-rs'], `${declare(info, 'mwg-rs')}:AppliedToDimensions`));
  info.insertBefore(dims, info.firstChild);
  make(doc, dims, 'stDim', 'w', String(w));
  make(doc, dims, 'stDim', 'h', String(h));
  make(doc, dims, 'stDim', 'unit', 'pixel');
}

export interface RegionMerge {
  previous: RegionRecord[];
  records: RegionRecord[];
  /** A region imlage wrote for a plugin that ran is no longer there as written. */
  lost: boolean;
}

/**
 * Replaces the regions imlage wrote for the plugins in `ran` with `fresh`;
 * those of other plugins stay while their element is still there as
 * written. Regions imlage did not write, and every other field of
 * mwg-rs:Regions, are kept; a fresh box that one of them of the same Type
 * covers (IoU over COVERED_IOU) is not written, nor one that another plugin's
 * region of the same Type covers (faces and emotion box the same faces). `size` (the displayed size) goes into
 * AppliedToDimensions unless regions of the user's stay, which were drawn
 * against the dimensions already there.
 */
export function mergeRegions(doc: Document, ran: Set<string>, fresh: RegionRecord[], size: [number, number] | undefined): RegionMerge {
  const previous = readRegionRecords(doc);
  let prop = findProperty(doc, 'mwg-rs', 'Regions');
  const info = prop && struct(prop);
  const listProp = info && children(info, NS['mwg-rs'], 'RegionList')[0];
  let bag = listProp && (children(listProp, NS.rdf, 'Bag')[0] ?? children(listProp, NS.rdf, 'Seq')[0]);
  const unclaimed = new Map((bag ? children(bag, NS.rdf, 'li') : []).map((li) => [li, readElement(li)]));
  // By key, in list order: a sidecar may hold thousands of regions.
  const byKey = new Map<string, Element[]>();
  for (const [li, e] of unclaimed) {
    const same = byKey.get(e.key);
    if (same) same.push(li);
    else byKey.set(e.key, [li]);
  }
  const claim = (r: RegionRecord): Element | undefined => {
    const li = byKey.get(regionKey(r.label, r.area))?.shift();
    if (li) unclaimed.delete(li);
    return li;
  };
  let lost = false;
  const kept: RegionRecord[] = [];
  for (const r of previous) {
    const li = claim(r);
    if (ran.has(r.plugin)) {
      if (li) bag!.removeChild(li);
      else lost = true;
    } else if (li) kept.push(r);
  }
  // A face the user named (or drew) is not boxed again beside their region.
  const users = [...unclaimed.values()];
  const written: RegionRecord[] = [];
  for (const r of fresh) {
    if (users.some((u) => u.type === r.type && areaIou(u.area, r.area) > COVERED_IOU)) continue;
    // Two plugins boxing one thing (faces, and emotion on the faces' crops) make one region: the first plugin's.
    if ([...kept, ...written].some((w) => w.plugin !== r.plugin && w.type === r.type && areaIou(w.area, r.area) > COVERED_IOU)) continue;
    written.push(r);
  }
  const records = [...kept, ...written];
  writeRegionRecords(doc, records);
  if (written.length === 0 && !bag) return { previous, records, lost };
  if (!prop) {
    prop = resource(doc, make(doc, description(doc), 'mwg-rs', 'Regions'));
  }
  // Declared once where the property lives, not on every area.
  if (written.length > 0) for (const ns of ['stArea', 'stDim'] as const) declare(prop.parentNode as Element, ns);
  const target = struct(prop);
  if (!bag) {
    const list = children(target, NS['mwg-rs'], 'RegionList')[0] ?? make(doc, target, 'mwg-rs', 'RegionList');
    bag = doc.createElementNS(NS.rdf, `${rdfPrefix(doc)}:Bag`);
    list.appendChild(bag);
  }
  for (const r of written) regionElement(doc, bag, r);
  // What is left unclaimed is the user's (or another tool's).
  if (children(bag, NS.rdf, 'li').length === 0) {
    prop.parentNode!.removeChild(prop);
  } else if (size && unclaimed.size === 0) {
    setDimensions(doc, target, size);
  }
  return { previous, records, lost };
}
