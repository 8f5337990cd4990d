// Typed reads from a parsed TOML table. Every failure names the file and the
// dotted key, says what was expected and what was found.

import { parse, TomlError } from 'smol-toml';
import { ImlageError, errorMessage, type ErrorCode } from '../errors.js';

type Table = Record<string, unknown>;

// smol-toml returns dates and times as Date objects: they are values, not tables.
function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

// Values are quoted as JSON (newlines and control characters escaped) and cut
// short: a message echoes what the file said, not a multi-kilobyte string.
const QUOTE_MAX = 80;
export function quote(v: string): string {
  const q = JSON.stringify(v.length > QUOTE_MAX ? v.slice(0, QUOTE_MAX) : v);
  return v.length > QUOTE_MAX ? `${q.slice(0, -1)}…" (${v.length} characters)` : q;
}

export function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (v instanceof Date) return `a date/time ${v.toISOString()}`;
  if (typeof v === 'object') return 'a table';
  // String(), not JSON.stringify: that writes NaN and the infinities as "null".
  if (typeof v === 'number') return `number ${String(v)}`;
  if (typeof v === 'string') return `string ${quote(v)}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

export class TomlReader {
  constructor(
    readonly file: string,
    private readonly table: Table,
    private readonly prefix = '',
    private readonly code: ErrorCode = 'IMLAGE_ERR_MANIFEST',
  ) {}

  key(k: string): string {
    return this.prefix ? `${this.prefix}.${k}` : k;
  }

  fail(k: string, message: string): never {
    throw new ImlageError(this.code, `${this.file}: key '${this.key(k)}': ${message}`);
  }

  has(k: string): boolean {
    return this.table[k] !== undefined;
  }

  keys(): string[] {
    return Object.keys(this.table);
  }

  /** Reject keys this reader does not know: a typo must not be silently ignored. */
  onlyKeys(allowed: readonly string[]): void {
    for (const k of Object.keys(this.table)) {
      if (!allowed.includes(k)) this.fail(k, `unknown key (allowed here: ${allowed.join(', ')})`);
    }
  }

  sub(k: string, required = false): TomlReader | undefined {
    const v = this.table[k];
    if (v === undefined) {
      if (required) this.fail(k, 'missing table');
      return undefined;
    }
    if (!isTable(v)) this.fail(k, `expected a table, found ${describe(v)}`);
    return new TomlReader(this.file, v, this.key(k), this.code);
  }

  /** An array of tables ([[k]] in TOML). */
  tables(k: string): TomlReader[] {
    const v = this.table[k];
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => !isTable(x))) {
      this.fail(k, `expected an array of tables ([[${this.key(k)}]]), found ${describe(v)}`);
    }
    return (v as Table[]).map((t, i) => new TomlReader(this.file, t, `${this.key(k)}[${i}]`, this.code));
  }

  /** A value as it was parsed, unchecked (checked later against a schema). */
  value(k: string): unknown {
    return this.table[k];
  }

  /** A table as plain data, for values handed on unchecked (e.g. to a plugin as JSON). */
  raw(k: string): Record<string, unknown> | undefined {
    const v = this.table[k];
    if (v === undefined) return undefined;
    if (!isTable(v)) this.fail(k, `expected a table, found ${describe(v)}`);
    return v;
  }

  string(k: string): string;
  string(k: string, def: string): string;
  string(k: string, def: undefined, optional: true): string | undefined;
  string(k: string, def?: string, optional = false): string | undefined {
    const v = this.table[k];
    if (v === undefined) {
      if (def !== undefined || optional) return def;
      this.fail(k, 'missing (expected a string)');
    }
    if (typeof v !== 'string') this.fail(k, `expected a string, found ${describe(v)}`);
    return v;
  }

  oneOf<T extends string>(k: string, allowed: readonly T[], def?: T): T {
    const v = def === undefined ? this.string(k) : this.string(k, def);
    if (!allowed.includes(v as T)) this.fail(k, `expected one of ${allowed.map((a) => `"${a}"`).join(', ')}, found ${quote(v)}`);
    return v as T;
  }

  number(k: string, def?: number, range?: { min?: number; max?: number; integer?: boolean }): number {
    const v = this.table[k];
    if (v === undefined) {
      if (def !== undefined) return def;
      this.fail(k, 'missing (expected a number)');
    }
    if (typeof v !== 'number') this.fail(k, `expected a number, found ${describe(v)}`);
    // TOML allows nan and inf; no key of ours means either.
    if (!Number.isFinite(v)) this.fail(k, `expected a finite number, found ${v}`);
    if (range?.integer && !Number.isInteger(v)) this.fail(k, `expected an integer, found ${v}`);
    if (range?.min !== undefined && v < range.min) this.fail(k, `must be >= ${range.min}, found ${v}`);
    if (range?.max !== undefined && v > range.max) this.fail(k, `must be <= ${range.max}, found ${v}`);
    return v;
  }

  boolean(k: string, def?: boolean): boolean {
    const v = this.table[k];
    if (v === undefined) {
      if (def !== undefined) return def;
      this.fail(k, 'missing (expected true or false)');
    }
    if (typeof v !== 'boolean') this.fail(k, `expected true or false, found ${describe(v)}`);
    return v;
  }

  strings(k: string, def?: string[]): string[] {
    const v = this.table[k];
    if (v === undefined) {
      if (def !== undefined) return def;
      this.fail(k, 'missing (expected an array of strings)');
    }
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) this.fail(k, `expected an array of strings, found ${describe(v)}`);
    return v as string[];
  }

  numbers(k: string, length: number, def?: number[]): number[] {
    const v = this.table[k];
    if (v === undefined) {
      if (def !== undefined) return def;
      this.fail(k, `missing (expected an array of ${length} numbers)`);
    }
    if (!Array.isArray(v) || v.length !== length || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
      const shown = Array.isArray(v) ? `[${v.map((x) => (typeof x === 'number' ? String(x) : describe(x))).join(', ')}]` : describe(v);
      this.fail(k, `expected an array of ${length} finite numbers, found ${shown}`);
    }
    return v as number[];
  }
}

/** Parses a TOML document; a syntax error names the file, line and column. */
export function readTomlDocument(file: string, text: string, code: ErrorCode): TomlReader {
  let doc: Table;
  try {
    doc = parse(text) as Table;
  } catch (err) {
    const where = err instanceof TomlError ? ` (line ${err.line}, column ${err.column})` : '';
    throw new ImlageError(code, `${file}: not valid TOML${where}: ${errorMessage(err).split('\n')[0]}`);
  }
  return new TomlReader(file, doc, '', code);
}
