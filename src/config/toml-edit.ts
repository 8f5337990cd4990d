// A line-level view of a TOML file, for editing one key without touching
// the rest: smol-toml parses but does not keep comments or layout, so
// `imlage config set/unset` changes only the bytes of the value (or the
// lines) of the key it edits. Every edit is checked by parsing the result
// and comparing it with the intended document; an edit the scanner cannot
// make safely is refused, never guessed.

import { isDeepStrictEqual } from 'node:util';
import { parse } from 'smol-toml';
import { ImlageError } from '../errors.js';

type Table = Record<string, unknown>;

interface Entry {
  /** Full dotted path: table path + key parts. */
  path: string[];
  /** Offsets into the text. */
  lineStart: number;
  valueStart: number;
  valueEnd: number;
  /** After the newline that ends the entry's last line. */
  lineEnd: number;
  indent: string;
}

interface Header {
  path: string[];
  arrayOfTables: boolean;
  lineStart: number;
  lineEnd: number;
}

export interface TomlLayout {
  entries: Entry[];
  headers: Header[];
}

const BARE = /[A-Za-z0-9_-]/;

class Scanner {
  i = 0;
  constructor(readonly s: string) {}

  fail(what: string): never {
    throw new Error(`${what} at offset ${this.i}`);
  }

  peek(n = 0): string {
    return this.s[this.i + n] ?? '';
  }

  spaces(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.i++;
  }

  /** Whitespace, newlines and comments (inside arrays). */
  blanks(): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') this.i++;
      else if (c === '#') this.toEol();
      else return;
    }
  }

  toEol(): void {
    while (this.i < this.s.length && this.s[this.i] !== '\n') this.i++;
  }

  /** Past the newline that ends this line (or at the end of the text). */
  pastEol(): number {
    this.toEol();
    if (this.i < this.s.length) this.i++;
    return this.i;
  }

  keyPart(): string {
    const c = this.peek();
    if (c === '"' || c === "'") {
      const start = this.i;
      this.string();
      const raw = this.s.slice(start, this.i);
      return c === "'" ? raw.slice(1, -1) : (JSON.parse(raw) as string);
    }
    const start = this.i;
    while (BARE.test(this.peek())) this.i++;
    if (this.i === start) this.fail('expected a key');
    return this.s.slice(start, this.i);
  }

  key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.spaces();
      parts.push(this.keyPart());
      this.spaces();
      if (this.peek() !== '.') return parts;
      this.i++;
    }
  }

  string(): void {
    const q = this.peek();
    const triple = this.s.startsWith(q.repeat(3), this.i);
    if (triple) {
      this.i += 3;
      const end = this.s.indexOf(q.repeat(3), this.i);
      if (end < 0) this.fail('unterminated string');
      this.i = end + 3;
      while (this.peek() === q) this.i++; // up to two quotes may end the content
      return;
    }
    this.i++;
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === '\n') break;
      if (q === '"' && c === '\\') {
        this.i += 2;
        continue;
      }
      this.i++;
      if (c === q) return;
    }
    this.fail('unterminated string');
  }

  value(): void {
    const c = this.peek();
    if (c === '"' || c === "'") return this.string();
    if (c === '[' || c === '{') {
      const close = c === '[' ? ']' : '}';
      this.i++;
      for (;;) {
        this.blanks();
        if (this.peek() === close) {
          this.i++;
          return;
        }
        if (this.peek() === ',') {
          this.i++;
          continue;
        }
        if (this.i >= this.s.length) this.fail('unterminated ' + (c === '[' ? 'array' : 'inline table'));
        if (c === '{') {
          this.key();
          if (this.peek() !== '=') this.fail("expected '='");
          this.i++;
          this.spaces();
        }
        this.value();
      }
    }
    const start = this.i;
    while (this.i < this.s.length && !/[\s,\]}#]/.test(this.s[this.i]!)) this.i++;
    // Dates may hold one space ("1979-05-27 07:32:00").
    if (this.peek() === ' ' && /^\d{4}-\d\d-\d\d$/.test(this.s.slice(start, this.i)) && /\d/.test(this.peek(1))) {
      this.i++;
      while (this.i < this.s.length && !/[\s,\]}#]/.test(this.s[this.i]!)) this.i++;
    }
    if (this.i === start) this.fail('expected a value');
  }
}

/** Where each key and table header of a TOML text is. The text must be valid TOML. */
export function scanToml(text: string): TomlLayout {
  const sc = new Scanner(text);
  const entries: Entry[] = [];
  const headers: Header[] = [];
  let table: string[] = [];
  while (sc.i < text.length) {
    const lineStart = sc.i;
    sc.spaces();
    const indent = text.slice(lineStart, sc.i);
    const c = sc.peek();
    if (c === '\n' || c === '\r' || c === '#' || c === '') {
      sc.pastEol();
      continue;
    }
    if (c === '[') {
      const aot = sc.peek(1) === '[';
      sc.i += aot ? 2 : 1;
      table = sc.key();
      sc.i += aot ? 2 : 1;
      headers.push({ path: table, arrayOfTables: aot, lineStart, lineEnd: sc.pastEol() });
      continue;
    }
    const key = sc.key();
    if (sc.peek() !== '=') sc.fail("expected '='");
    sc.i++;
    sc.spaces();
    const valueStart = sc.i;
    sc.value();
    const valueEnd = sc.i;
    entries.push({ path: [...table, ...key], lineStart, valueStart, valueEnd, lineEnd: sc.pastEol(), indent });
  }
  return { entries, headers };
}

function samePath(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function startsWith(a: string[], prefix: string[]): boolean {
  return prefix.length <= a.length && prefix.every((x, i) => x === a[i]);
}

/** Dotted key -> parts. Parts with dots can be quoted: plugins."my.plugin".enabled */
export function splitKey(key: string): string[] {
  const sc = new Scanner(key);
  let parts: string[];
  try {
    parts = sc.key();
  } catch {
    parts = [];
  }
  if (parts.length === 0 || sc.i !== key.length) {
    throw new ImlageError('IMLAGE_ERR_INVALID_ARG', `"${key}" is not a dotted key (e.g. engine.batch_size or plugins.objects.threshold)`);
  }
  return parts;
}

export function formatKey(parts: string[]): string {
  return parts.map((p) => (/^[A-Za-z0-9_-]+$/.test(p) ? p : JSON.stringify(p))).join('.');
}

/** The 1-based line where a dotted key (or, failing that, its nearest enclosing table) is defined. */
export function lineOf(text: string, path: string[]): number | undefined {
  let layout: TomlLayout;
  try {
    layout = scanToml(text);
  } catch {
    return undefined;
  }
  const line = (offset: number) => text.slice(0, offset).split('\n').length;
  for (let n = path.length; n > 0; n--) {
    const prefix = path.slice(0, n);
    const e = layout.entries.find((x) => samePath(x.path, prefix));
    if (e) return line(e.lineStart);
    const h = layout.headers.find((x) => samePath(x.path, prefix));
    if (h) return line(h.lineStart);
    // A table made by dotted keys ([plugins] colors.max_colors = 3): its first key.
    const inner = layout.entries.find((x) => startsWith(x.path, prefix));
    if (inner) return line(inner.lineStart);
  }
  return undefined;
}

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
