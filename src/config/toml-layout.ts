// Where each key and table header of a TOML text is, by byte offset: the
// scanner behind config/toml-edit.ts (smol-toml parses values but keeps no
// positions) and behind the line numbers in config errors.

import { ImlageError } from '../errors.js';

export interface Entry {
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

export interface Header {
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

export function samePath(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function startsWith(a: string[], prefix: string[]): boolean {
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
