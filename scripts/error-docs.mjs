#!/usr/bin/env node
// Reads the error catalogue (native/src/core/error_codes.def) and writes its table
// into docs/errors.md, between the begin/end markers. `--check` only says
// whether the table is current (exit 1 if not). The unit test
// tests/unit/error-catalogue.test.ts uses the same reader and renderer.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CATALOGUE = 'native/src/core/error_codes.def';
export const DOC = 'docs/errors.md';
export const BEGIN = '<!-- error-codes:begin (written by node scripts/error-docs.mjs from native/src/core/error_codes.def) -->';
export const END = '<!-- error-codes:end -->';

const cString = String.raw`"((?:[^"\\]|\\.)*)"`;
const ENTRY = new RegExp(String.raw`IMLAGE_ERROR\(\s*(\w+)\s*,\s*${cString}\s*,\s*${cString}\s*,\s*${cString}\s*\)`, 'g');

/** The text of a C string literal's body (only the escapes a catalogue line may hold). */
const unescape = (s) => s.replace(/\\(["\\])/g, '$1');

/**
 * The catalogue's entries in order: { name, code, meaning, fix }. Throws if an
 * IMLAGE_ERROR( line does not parse, so a malformed entry cannot vanish.
 */
export function parseCatalogue(text) {
  const body = text.split('\n').filter((l) => !l.trim().startsWith('//')).join('\n');
  const entries = [...body.matchAll(ENTRY)].map((m) => ({
    name: m[1], code: unescape(m[2]), meaning: unescape(m[3]), fix: unescape(m[4]),
  }));
  const written = body.match(/IMLAGE_ERROR\(/g)?.length ?? 0;
  if (written !== entries.length) {
    throw new Error(`${CATALOGUE}: ${written} IMLAGE_ERROR( entries but only ${entries.length} parse as ` +
      'IMLAGE_ERROR(Name, "IMLAGE_ERR_...", "meaning", "fix")');
  }
  return entries;
}

export function readCatalogue(root) {
  return parseCatalogue(readFileSync(join(root, CATALOGUE), 'utf8'));
}

const cell = (s) => s.replace(/\|/g, '\\|');

/** The Markdown table docs/errors.md carries between its markers. */
export function renderTable(entries) {
  const rows = entries.map((e) => `| \`${e.code}\` | ${cell(e.meaning)} | ${cell(e.fix)} |`);
  return ['| Code | What failed | What to do |', '|---|---|---|', ...rows].join('\n');
}

/** docs/errors.md with its table replaced by the catalogue's. */
export function withTable(doc, entries) {
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${DOC} has no ${BEGIN} ... ${END} block`);
  return `${doc.slice(0, a + BEGIN.length)}\n${renderTable(entries)}\n${doc.slice(b)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const docPath = join(root, DOC);
  const doc = readFileSync(docPath, 'utf8');
  const next = withTable(doc, readCatalogue(root));
  if (process.argv.includes('--check')) {
    if (next !== doc) {
      console.error(`${DOC} is out of date with ${CATALOGUE}: run node scripts/error-docs.mjs`);
      process.exit(1);
    }
  } else if (next !== doc) {
    writeFileSync(docPath, next);
    console.error(`wrote ${DOC}`);
  }
}
