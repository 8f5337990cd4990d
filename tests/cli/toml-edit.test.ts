// The line-level TOML editor behind `imlage config set/unset`: every other
// byte of the file stays; what it cannot edit safely it refuses.
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { setTomlValue, unsetTomlValue } from '../../src/config/toml-edit.js';
import { lineOf, scanToml, splitKey } from '../../src/config/toml-layout.js';

const DOC = `# top comment
title = "x"  # trailing

[engine]
providers = [
  "cuda",  # first
  "cpu",
]
note = """multi
line = not a key
"""
when = 1979-05-27 07:32:00Z

[plugins]
colors.max_colors = 3

[[servers]]
name = "a"

[plugins."my.plugin"]
inline = { a = 1, b = [1, 2] }
`;

describe('toml-edit', () => {
  it('scans keys and headers, including multi-line values and quoted keys', () => {
    const { entries, headers } = scanToml(DOC);
    expect(entries.map((e) => e.path.join('|'))).toEqual(['title', 'engine|providers', 'engine|note', 'engine|when', 'plugins|colors|max_colors', 'servers|name', 'plugins|my.plugin|inline']);
    expect(headers.map((h) => [h.path.join('|'), h.arrayOfTables])).toEqual([['engine', false], ['plugins', false], ['servers', true], ['plugins|my.plugin', false]]);
    expect(lineOf(DOC, ['engine', 'note'])).toBe(9);
    expect(lineOf(DOC, ['plugins', 'colors', 'max_colors'])).toBe(15);
    expect(lineOf(DOC, ['engine', 'nothing'])).toBe(4);
  });

  it('replaces a multi-line value in place and keeps the comment after it', () => {
    const out = setTomlValue(DOC, ['engine', 'providers'], ['cpu']);
    expect(out).toBe(DOC.replace(/\[\n {2}"cuda",  # first\n {2}"cpu",\n\]/, '["cpu"]'));
    expect(setTomlValue(DOC, ['title'], 'y')).toBe(DOC.replace('title = "x"  # trailing', 'title = "y"  # trailing'));
  });

  it('adds a key to a dotted-key table, to the root before the first header, and a new table at the end', () => {
    const a = setTomlValue(DOC, ['plugins', 'colors', 'min_fraction'], 0.1);
    expect(parse(a)).toMatchObject({ plugins: { colors: { max_colors: 3, min_fraction: 0.1 } } });
    expect(a.replace('colors.min_fraction = 0.1\n', '')).toBe(DOC);
    const b = setTomlValue(DOC, ['version'], 2);
    expect(b).toBe(DOC.replace('title = "x"  # trailing\n', 'title = "x"  # trailing\nversion = 2\n'));
    const c = setTomlValue(DOC, ['serve', 'port'], 8080);
    expect(c).toBe(`${DOC}\n[serve]\nport = 8080\n`);
    expect(setTomlValue('', ['engine', 'mode'], 'fast')).toBe('[engine]\nmode = "fast"\n');
  });

  it('refuses keys inside inline tables and arrays of tables instead of guessing', () => {
    expect(() => setTomlValue(DOC, ['plugins', 'my.plugin', 'inline', 'c'], 1)).toThrow(/cannot change 'plugins\."my\.plugin"\.inline\.c' in place.*imlage config edit/);
    expect(() => setTomlValue(DOC, ['servers', 'port'], 1)).toThrow(/in place/);
    expect(() => setTomlValue('x = [', ['x'], 1)).toThrow(/not valid TOML/);
  });

  it('unsets a key, a table with its sub-tables, and says when nothing is set', () => {
    expect(unsetTomlValue(DOC, ['engine', 'note'])).toBe(DOC.replace('note = """multi\nline = not a key\n"""\n', ''));
    const t = unsetTomlValue(DOC, ['plugins']);
    expect(parse(t)).not.toHaveProperty('plugins');
    expect(t).toContain('# top comment');
    expect(() => unsetTomlValue(DOC, ['engine', 'mode'])).toThrow(/'engine\.mode' is not set/);
  });

  it('splits dotted keys with quoted parts and rejects bad ones', () => {
    expect(splitKey('plugins."my.plugin".enabled')).toEqual(['plugins', 'my.plugin', 'enabled']);
    expect(() => splitKey('engine..mode')).toThrow(/not a dotted key/);
    expect(() => splitKey('')).toThrow(/not a dotted key/);
  });
});
