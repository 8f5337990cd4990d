// One list of error codes: native/src/core/error_codes.def. The TS ErrorCode union,
// docs/errors.md and every code the sources use must agree with it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// The reader and the table renderer are the ones `node scripts/error-docs.mjs` uses.
import { CATALOGUE, DOC, parseCatalogue, readCatalogue, withTable } from '../../scripts/error-docs.mjs';
import { root } from '../helpers/paths.js';

interface Entry { name: string; code: string; meaning: string; fix: string }

const read = (f: string) => readFileSync(join(root, f), 'utf8');
const catalogue: Entry[] = readCatalogue(root);
const known = new Set(catalogue.map((e) => e.code));

/** Source files under dir (relative to the repository) whose names end in one of exts. */
function sources(dir: string, exts: string[]): string[] {
  return (readdirSync(join(root, dir), { recursive: true }) as string[])
    .map((f) => join(dir, f))
    .filter((f) => exts.some((e) => f.endsWith(e)))
    .sort();
}

/** Each IMLAGE_ERR_* a text names; `IMLAGE_ERR_PLUGIN_*` (a family) is returned with its star. */
const mentions = (text: string) => text.match(/IMLAGE_ERR_[A-Z0-9_]+\*?/g) ?? [];

/** The members of `export type ErrorCode = | '...' | ...;` in src/errors.ts, in order. */
function tsErrorCodes(): string[] {
  const ts = read('src/errors.ts');
  const m = ts.match(/export type ErrorCode =([^;]*);/);
  if (!m) throw new Error('src/errors.ts has no `export type ErrorCode = ...;`');
  return [...m[1].replace(/\/\/.*$/gm, '').matchAll(/\|\s*'([^']+)'/g)].map((x) => x[1]);
}

const tsFiles = sources('src', ['.ts']);
const nativeFiles = sources('native/src', ['.cc', '.h', '.def']);

describe('the error catalogue', () => {
  it('holds each code once, named after it, with a meaning and a fix', () => {
    expect(catalogue.length).toBeGreaterThan(30);
    for (const e of catalogue) {
      expect(e.code).toMatch(/^IMLAGE_ERR_[A-Z0-9]+(_[A-Z0-9]+)*$/);
      const camel = e.code.slice('IMLAGE_ERR_'.length).toLowerCase().replace(/(^|_)([a-z0-9])/g, (_, _u, c: string) => c.toUpperCase());
      expect(e.name, e.code).toBe(camel);
      expect(e.meaning.length, `${e.code} meaning`).toBeGreaterThan(10);
      expect(e.fix.length, `${e.code} fix`).toBeGreaterThan(5);
    }
    expect(known.size).toBe(catalogue.length);
  });

  it('merged IMLAGE_ERR_INVALID_ARGUMENT into IMLAGE_ERR_INVALID_ARG, the name the docs use', () => {
    expect(known.has('IMLAGE_ERR_INVALID_ARG')).toBe(true);
    expect(known.has('IMLAGE_ERR_INVALID_ARGUMENT')).toBe(false);
  });

  it('refuses an entry that does not parse instead of dropping it', () => {
    const good = 'IMLAGE_ERROR(Busy, "IMLAGE_ERR_BUSY", "the queue is full", "retry")\n';
    expect(parseCatalogue(`// IMLAGE_ERROR(Name, ...) in a comment\n${good}`)).toEqual([
      { name: 'Busy', code: 'IMLAGE_ERR_BUSY', meaning: 'the queue is full', fix: 'retry' },
    ]);
    expect(() => parseCatalogue(`${good}IMLAGE_ERROR(Late, "IMLAGE_ERR_LATE", "no fix")\n`)).toThrow(/2 IMLAGE_ERROR\( entries but only 1 parse/);
  });

  it("is the TypeScript ErrorCode union, code for code and in the same order", () => {
    expect(tsErrorCodes()).toEqual(catalogue.map((e) => e.code));
  });

  it(`is the table in ${DOC} (node scripts/error-docs.mjs writes it)`, () => {
    const doc = read(DOC);
    expect(withTable(doc, catalogue), `${DOC} is out of date with ${CATALOGUE}: run node scripts/error-docs.mjs`).toBe(doc);
    const rows = [...doc.matchAll(/^\| `(IMLAGE_ERR_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect(rows).toEqual(catalogue.map((e) => e.code));
  });

  it('knows every code that src/, native/src/, the docs, the README and the other tests name', () => {
    const unknown: string[] = [];
    const tests = sources('tests', ['.ts', '.mjs']).filter((f) => !f.endsWith('error-catalogue.test.ts'));
    const files = [...tsFiles, ...nativeFiles, ...sources('docs', ['.md']), 'README.md', ...tests];
    for (const f of files) {
      for (const m of mentions(read(f))) {
        const ok = m.endsWith('*') ? catalogue.some((e) => e.code.startsWith(m.slice(0, -1))) : known.has(m);
        if (!ok) unknown.push(`${f}: ${m}`);
      }
    }
    expect(tsFiles.length).toBeGreaterThan(50);
    expect(nativeFiles.length).toBeGreaterThan(20);
    expect(unknown).toEqual([]);
  });

  it('is the only place native code spells a code; the rest uses code::k<Name>', () => {
    const spelled = nativeFiles
      .filter((f) => !f.endsWith('error_codes.def'))
      .flatMap((f) => read(f).split('\n').map((line, i) => ({ f, i, line })))
      .filter(({ line }) => /"IMLAGE_ERR_/.test(line))
      .map(({ f, i, line }) => `${f}:${i + 1}: ${line.trim()}`);
    expect(spelled).toEqual([]);
  });

  it('lists no code that nothing uses', () => {
    const union = read('src/errors.ts').match(/export type ErrorCode =[^;]*;/)![0];
    const ts = tsFiles.map((f) => (f === join('src', 'errors.ts') ? read(f).replace(union, '') : read(f))).join('\n');
    const native = nativeFiles.filter((f) => !f.endsWith('error_codes.def')).map(read).join('\n');
    const unused = catalogue
      .filter((e) => !ts.includes(`'${e.code}'`) && !new RegExp(`\\bcode::k${e.name}\\b`).test(native))
      .map((e) => e.code);
    expect(unused).toEqual([]);
  });
});
