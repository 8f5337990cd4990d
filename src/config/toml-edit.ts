// A line-level view of a TOML file, for editing one key without touching
// the rest: smol-toml parses but does not keep comments or layout, so
// `imlage config set/unset` changes only the bytes of the value (or the
// lines) of the key it edits. Every edit is checked by parsing the result
// and comparing it with the intended document; an edit the scanner cannot
// make safely is refused, never guessed.

import { isDeepStrictEqual } from 'node:util';
import { parse } from 'smol-toml';
import { ImlageError } from '../errors.js';
import { formatKey, samePath, scanToml, startsWith, type Header } from './toml-layout.js';

type Table = Record<string, unknown>;

/** A JS value as a TOML literal (strings, numbers, booleans and arrays of them). */
export function tomlLiteral(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
    return String(v);
  }
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(tomlLiteral).join(', ')}]`;
  throw new ImlageError('IMLAGE_ERR_INVALID_ARG', `cannot write ${typeof v} values; edit the file by hand (imlage config edit)`);
}

function withValue(doc: Table, path: string[], value: unknown): Table {
  const copy = structuredClone(doc);
  let t: Table = copy;
  for (const p of path.slice(0, -1)) {
    const next = t[p];
    if (next === undefined) t[p] = {};
    else if (typeof next !== 'object' || next === null || Array.isArray(next)) return copy; // cannot hold a key: the check fails
    t = t[p] as Table;
  }
  if (value === undefined) delete t[path.at(-1)!];
  else t[path.at(-1)!] = value;
  return copy;
}

/** Plain data (smol-toml's tables have no prototype; dates become strings), for comparing documents. */
function plain(doc: Table): Table {
  return JSON.parse(JSON.stringify(doc)) as Table;
}

function pruneEmpty(t: Table): Table {
  const out: Table = {};
  for (const [k, v] of Object.entries(t)) {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const inner = pruneEmpty(v as Table);
      if (Object.keys(inner).length) out[k] = inner;
    } else out[k] = v;
  }
  return out;
}

function tryParse(text: string): Table | undefined {
  try {
    return plain(parse(text) as Table);
  } catch {
    return undefined;
  }
}

function insertAt(text: string, at: number, lines: string): string {
  const before = text.slice(0, at);
  const nl = before === '' || before.endsWith('\n') ? '' : '\n';
  return before + nl + lines + text.slice(at);
}

function refuse(path: string[], why: string): never {
  throw new ImlageError('IMLAGE_ERR_CONFIG', `cannot change '${formatKey(path)}' in place (${why}); edit the file by hand: imlage config edit`);
}

/**
 * Sets a dotted key to a value, keeping every other byte of the file: an
 * existing value is replaced where it stands (its comment stays), a new key
 * goes at the end of its table, a new table at the end of the file.
 */
export function setTomlValue(text: string, path: string[], value: unknown): string {
  const doc = tryParse(text);
  if (!doc) refuse(path, 'the file is not valid TOML');
  const want = withValue(doc, path, value);
  const literal = tomlLiteral(value);
  const layout = scanToml(text);
  const candidates: (() => string)[] = [];
  const existing = layout.entries.find((e) => samePath(e.path, path));
  if (existing) candidates.push(() => text.slice(0, existing.valueStart) + literal + text.slice(existing.valueEnd));
  const parent = path.slice(0, -1);
  const last = formatKey(path.slice(-1));
  // At the end of an existing table's keys (the root table: before the first header).
  const intoTable = (tablePath: string[], header?: Header) => {
    const rel = formatKey(path.slice(tablePath.length));
    const mine = layout.entries.filter((e) => {
      const owner = [...layout.headers].reverse().find((h) => h.lineStart < e.lineStart);
      return owner === header;
    });
    const after = mine.at(-1);
    const at = after ? after.lineEnd : header ? header.lineEnd : 0;
    return insertAt(text, at, `${after?.indent ?? ''}${rel} = ${literal}\n`);
  };
  const header = layout.headers.find((h) => !h.arrayOfTables && samePath(h.path, parent));
  if (parent.length === 0) candidates.push(() => intoTable([]));
  if (header) candidates.push(() => intoTable(parent, header));
  if (parent.length > 0) {
    candidates.push(() => {
      const sep = text === '' ? '' : text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n';
      return `${text}${sep}[${formatKey(parent)}]\n${last} = ${literal}\n`;
    });
  }
  // A dotted key inside the deepest table that exists ([plugins] colors.max_colors = 3).
  for (let n = parent.length - 1; n >= 0; n--) {
    const h = layout.headers.find((x) => !x.arrayOfTables && samePath(x.path, path.slice(0, n)));
    if (h || n === 0) candidates.push(() => intoTable(path.slice(0, n), h));
  }
  for (const make of candidates) {
    const out = make();
    if (isDeepStrictEqual(tryParse(out), want)) return out;
  }
  refuse(path, 'it sits in an inline table or an array of tables');
}

/** Removes a key (its line), or a table (its header and keys, with its sub-tables). Comments stay. */
export function unsetTomlValue(text: string, path: string[]): string {
  const doc = tryParse(text);
  if (!doc) refuse(path, 'the file is not valid TOML');
  const want = withValue(doc, path, undefined);
  if (isDeepStrictEqual(want, doc)) {
    throw new ImlageError('IMLAGE_ERR_CONFIG', `'${formatKey(path)}' is not set in this file`);
  }
  const layout = scanToml(text);
  const cuts: [number, number][] = [];
  const entry = layout.entries.find((e) => samePath(e.path, path));
  if (entry) cuts.push([entry.lineStart, entry.lineEnd]);
  else {
    // Every key under the path, and the headers of tables under it.
    for (const e of layout.entries) if (startsWith(e.path, path)) cuts.push([e.lineStart, e.lineEnd]);
    for (const h of layout.headers) if (startsWith(h.path, path)) cuts.push([h.lineStart, h.lineEnd]);
  }
  cuts.sort((a, b) => b[0] - a[0]);
  let out = text;
  for (const [a, b] of cuts) out = out.slice(0, a) + out.slice(b);
  // Removing [plugins.objects] also removes the implicit [plugins] it made: an empty table means nothing.
  const got = tryParse(out);
  if (!got || !isDeepStrictEqual(pruneEmpty(got), pruneEmpty(want))) refuse(path, 'it sits in an inline table or an array of tables');
  return out;
}

/** The value at a dotted key of a parsed document, or undefined. */
export function getPath(doc: Table, path: string[]): unknown {
  let v: unknown = doc;
  for (const p of path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Table)[p];
  }
  return v;
}
