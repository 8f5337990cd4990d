// The property every manifest and config.toml read must keep, whatever the
// text: it returns a value, or throws an ImlageError of the reader's code
// whose message starts with the file's name, names the line and column when
// the text is not TOML, and never shows JS internals. Shared by the fuzzer
// (toml-fuzz.mjs) and the regression test (toml-regressions.test.ts).
import { ImlageError } from '../../dist/errors.js';
import { parseManifest } from '../../dist/plugins/manifest.js';
import { parseConfig } from '../../dist/config/config.js';

export const READERS = [
  { name: 'manifest', file: '/fuzz/plugins/fuzzed/plugin.toml', code: 'IMLAGE_ERR_MANIFEST', parse: parseManifest },
  { name: 'config', file: '/fuzz/config/imlage/config.toml', code: 'IMLAGE_ERR_CONFIG', parse: parseConfig },
];

// Texts JS writes when it formats a value it should have described
// (JSON.stringify(NaN) is "null").
const INTERNALS = ['[object ', 'found undefined', 'function ', '    at ', 'number null'];

// Where a reader hands a table on unchecked (to a plugin, or to be checked
// against the plugin's schema later): any TOML value may be there.
const UNCHECKED = [/^models\.\d+\.config\b/, /^plugins\.[^.]+\.settings\b/];

/** A value no checked key of a manifest or config may hold: NaN, an infinity, a date. */
function badValue(value, path = '') {
  if (UNCHECKED.some((re) => re.test(path))) return null;
  if (typeof value === 'number' && !Number.isFinite(value)) return `${path} = ${value}`;
  if (value instanceof Date) return `${path} = a date`;
  if (value && typeof value === 'object') {
    if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== Array.prototype && Object.getPrototypeOf(value) !== null) {
      return `${path} has prototype ${Object.getPrototypeOf(value)?.constructor?.name}`;
    }
    for (const k of Object.keys(value)) {
      const found = badValue(value[k], path ? `${path}.${k}` : k);
      if (found) return found;
    }
  }
  return null;
}

/** Runs every reader on text; returns a description of the first broken promise, or null. */
export function checkText(text) {
  for (const r of READERS) {
    let err;
    try {
      const bad = badValue(r.parse(r.file, text));
      if (bad) return `${r.name} reader accepted ${bad}`;
      continue;
    } catch (e) {
      err = e;
    }
    const what = `${r.name} reader`;
    if (!(err instanceof ImlageError)) return `${what} threw ${err?.constructor?.name ?? typeof err}: ${String(err?.message ?? err).slice(0, 300)}`;
    if (err.code !== r.code) return `${what} threw code ${err.code}, expected ${r.code}: ${err.message.slice(0, 300)}`;
    if (!err.message.startsWith(`${r.file}: `)) return `${what}: message does not start with the file: ${err.message.slice(0, 300)}`;
    if (err.message.includes('not valid TOML') && !/\(line \d+, column \d+\)/.test(err.message)) {
      return `${what}: a syntax error without its line and column: ${err.message.slice(0, 300)}`;
    }
    // Strings the reader quotes back (quote(): JSON string syntax) are the user's text, which may hold anything.
    const own = err.message.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    const internal = INTERNALS.find((s) => own.includes(s));
    if (internal) return `${what}: message shows JS internals (${JSON.stringify(internal)}): ${err.message.slice(0, 300)}`;
  }
  return null;
}

/** The outcome of text with values blurred, so the fuzzer can tell new behaviour from new data. */
export function outcomeShape(text) {
  const parts = [];
  for (const r of READERS) {
    try {
      r.parse(r.file, text);
      parts.push('ok');
    } catch (e) {
      parts.push(String(e?.message ?? e).replace(/"[^"]*"|'[^']*'|-?\d[\d.e+-]*/g, '_').slice(0, 160));
    }
  }
  return parts.join(' | ');
}
