// Editing an XMP packet as a namespace-aware DOM (@xmldom/xmldom): whatever
// imlage does not own (other properties, other tools' namespaces, user
// keywords, comments, the xpacket wrapper) is kept as it was parsed.

import { DOMParser, XMLSerializer, type Document, type Element } from '@xmldom/xmldom';
import { NS, type Prefix } from './namespaces.js';
import type { TagRecord } from './keywords.js';

export class NotXmpError extends Error {}

export function parseXmp(text: string): Document {
  const problems: string[] = [];
  const parser = new DOMParser({
    onError: (level, msg) => {
      if (level !== 'warning') problems.push(msg);
    },
  });
  let doc: Document;
  try {
    doc = parser.parseFromString(text, 'text/xml');
  } catch (err) {
    throw new NotXmpError(`not XML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (problems.length) throw new NotXmpError(`not XML: ${problems[0]!.split('\n')[0]}`);
  const root = doc.documentElement;
  const isXmp = root && ((root.namespaceURI === NS.x && root.localName === 'xmpmeta') || (root.namespaceURI === NS.rdf && root.localName === 'RDF'));
  if (!isXmp) throw new NotXmpError(`XML but not XMP (its root element is <${root?.tagName ?? 'none'}>, not x:xmpmeta or rdf:RDF)`);
  if (!rdfRoot(doc)) throw new NotXmpError('XMP without an rdf:RDF element');
  return doc;
}

export function newXmp(): Document {
  return parseXmp(`<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="${NS.x}" x:xmptk="imlage">
 <rdf:RDF xmlns:rdf="${NS.rdf}">
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`);
}

export function serializeXmp(doc: Document): string {
  return new XMLSerializer().serializeToString(doc);
}

export function rdfRoot(doc: Document): Element | undefined {
  const root = doc.documentElement!;
  if (root.namespaceURI === NS.rdf && root.localName === 'RDF') return root;
  return doc.getElementsByTagNameNS(NS.rdf, 'RDF')[0] ?? undefined;
}

export function children(el: Element, ns: string, local: string): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    const e = n as Element;
    if (n.nodeType === 1 && e.namespaceURI === ns && e.localName === local) out.push(e);
  }
  return out;
}

/** A top-level XMP property: an element child of some rdf:Description. */
export function findProperty(doc: Document, prefix: Prefix, local: string): Element | undefined {
  for (const d of children(rdfRoot(doc)!, NS.rdf, 'Description')) {
    const p = children(d, NS[prefix], local)[0];
    if (p) return p;
  }
  return undefined;
}

export function description(doc: Document): Element {
  const rdf = rdfRoot(doc)!;
  const found = children(rdf, NS.rdf, 'Description')[0];
  if (found) return found;
  const d = doc.createElementNS(NS.rdf, 'rdf:Description');
  d.setAttributeNS(NS.rdf, 'rdf:about', '');
  rdf.appendChild(d);
  return d;
}

export function declare(el: Element, prefix: Prefix): string {
  // A document may already bind another prefix to the namespace, or this prefix to another namespace.
  const bound = el.lookupPrefix(NS[prefix]);
  if (bound) return bound;
  if (el.lookupNamespaceURI(prefix) === null) {
    el.setAttributeNS(NS.xmlns, `xmlns:${prefix}`, NS[prefix]);
    return prefix;
  }
  const alt = `${prefix}imlage`;
  el.setAttributeNS(NS.xmlns, `xmlns:${alt}`, NS[prefix]);
  return alt;
}

function ensureProperty(doc: Document, prefix: Prefix, local: string, container: 'Bag' | 'Seq'): Element {
  let p = findProperty(doc, prefix, local);
  if (!p) {
    const d = description(doc);
    const pre = declare(d, prefix);
    p = doc.createElementNS(NS[prefix], `${pre}:${local}`);
    d.appendChild(p);
  }
  let c = children(p, NS.rdf, container)[0] ?? children(p, NS.rdf, container === 'Bag' ? 'Seq' : 'Bag')[0];
  if (!c) {
    c = doc.createElementNS(NS.rdf, `${rdfPrefix(doc)}:${container}`);
    p.appendChild(c);
  }
  return c;
}

export function rdfPrefix(doc: Document): string {
  return rdfRoot(doc)!.prefix ?? 'rdf';
}

/** The strings of an array property (rdf:Bag/Seq of rdf:li); empty when absent. */
export function readList(doc: Document, prefix: Prefix, local: string): string[] {
  const p = findProperty(doc, prefix, local);
  if (!p) return [];
  const c = children(p, NS.rdf, 'Bag')[0] ?? children(p, NS.rdf, 'Seq')[0];
  return c ? children(c, NS.rdf, 'li').map((li) => li.textContent ?? '') : [];
}

/** Removes the items in `remove`, appends those in `add` that are missing; drops the property if it ends empty. */
export function editList(doc: Document, prefix: Prefix, local: string, container: 'Bag' | 'Seq', remove: Set<string>, add: string[]): void {
  const existing = findProperty(doc, prefix, local);
  if (!existing && add.length === 0) return;
  const c = ensureProperty(doc, prefix, local, container);
  const have = new Set<string>();
  for (const li of children(c, NS.rdf, 'li')) {
    const v = li.textContent ?? '';
    if (remove.has(v)) c.removeChild(li);
    else have.add(v);
  }
  for (const v of add) {
    if (have.has(v)) continue;
    const li = doc.createElementNS(NS.rdf, `${rdfPrefix(doc)}:li`);
    li.appendChild(doc.createTextNode(v));
    c.appendChild(li);
    have.add(v);
  }
  if (have.size === 0) c.parentNode!.parentNode!.removeChild(c.parentNode!);
}

/** A bag of imlage's own structures (imlage:Tags, imlage:Regions): each row's fields as text. */
export function readStructs(doc: Document, local: string): Record<string, string>[] {
  const p = findProperty(doc, 'imlage', local);
  const bag = p && children(p, NS.rdf, 'Bag')[0];
  if (!bag) return [];
  return children(bag, NS.rdf, 'li').map((li) => {
    const row: Record<string, string> = {};
    for (let n = li.firstChild; n; n = n.nextSibling) {
      const e = n as Element;
      if (n.nodeType === 1 && e.namespaceURI === NS.imlage) row[e.localName!] = e.textContent ?? '';
    }
    return row;
  });
}

/** Replaces the bag imlage:`local` with `rows` (fields in `fields` order, undefined ones left out); none: no bag. */
export function writeStructs(doc: Document, local: string, fields: readonly string[], rows: Record<string, string | undefined>[]): void {
  const old = findProperty(doc, 'imlage', local);
  if (old) old.parentNode!.removeChild(old);
  if (rows.length === 0) return;
  const bag = ensureProperty(doc, 'imlage', local, 'Bag');
  const pre = bag.parentNode!.prefix!;
  const rdf = rdfPrefix(doc);
  for (const r of rows) {
    const li = doc.createElementNS(NS.rdf, `${rdf}:li`);
    li.setAttributeNS(NS.rdf, `${rdf}:parseType`, 'Resource');
    for (const f of fields) {
      const v = r[f];
      if (v === undefined) continue;
      const e = doc.createElementNS(NS.imlage, `${pre}:${f}`);
      e.appendChild(doc.createTextNode(v));
      li.appendChild(e);
    }
    bag.appendChild(li);
  }
}

const FIELDS = ['Plugin', 'Model', 'Version', 'Label', 'Confidence', 'Category', 'Count', 'Date'] as const;

/** imlage:Tags, a bag of structures: what imlage wrote and why. */
export function readRecords(doc: Document): TagRecord[] {
  return readStructs(doc, 'Tags').map((row) => {
    const count = Number(row.Count ?? NaN);
    return {
      plugin: row.Plugin ?? '', model: row.Model ?? '', version: row.Version ?? '', label: row.Label ?? '',
      confidence: Number(row.Confidence ?? 0), date: row.Date ?? '', ...(row.Category ? { category: row.Category } : {}),
      ...(Number.isInteger(count) && count >= 0 ? { count } : {}),
    };
  });
}

export function writeRecords(doc: Document, records: TagRecord[]): void {
  writeStructs(doc, 'Tags', FIELDS, records.map((r) => ({
    Plugin: r.plugin, Model: r.model, Version: r.version, Label: r.label,
    Confidence: r.confidence.toFixed(4), Category: r.category, Count: r.count?.toString(), Date: r.date,
  })));
}
