// Inputs that once broke the TOML readers (tests/fuzz/regressions/toml/, found
// by tests/fuzz/toml-fuzz.mjs or while writing it) and the seed corpus: each
// must keep the property of toml-property.mjs, and each fixed case fails the
// way its fix says.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { parseManifest } from '../../src/plugins/manifest.js';
// @ts-expect-error: a plain .mjs module shared with the fuzzer
import { checkText } from './toml-property.mjs';

const dir = join(import.meta.dirname, 'regressions', 'toml');
const corpus = join(import.meta.dirname, 'corpus', 'toml');
const read = (name: string) => readFileSync(join(dir, name), 'utf8');

describe('TOML reader regressions', () => {
  const files = [...readdirSync(dir).map((f) => join(dir, f)), ...readdirSync(corpus).map((f) => join(corpus, f))];

  it.each(files)('%s keeps the reader property', (file) => {
    expect(checkText(readFileSync(file, 'utf8'))).toBeNull();
  });

  it('describes NaN as NaN, not as JSON null', () => {
    expect(() => parseManifest('/p/plugin.toml', read('setting-min-nan.toml'))).toThrow(
      "/p/plugin.toml: key 'config.clip_fraction.min': expected a finite number, found NaN",
    );
  });

  it('refuses nan and inf in number arrays and numbers', () => {
    const text = read('manifest-std-nan.toml');
    expect(() => parseManifest('/p/plugin.toml', text)).toThrow("key 'input.scale': expected a finite number, found Infinity");
    expect(() => parseManifest('/p/plugin.toml', text.replace('scale = inf\n', ''))).toThrow(
      "key 'input.std': expected an array of 3 finite numbers, found [NaN, 1, 1]",
    );
  });

  it('quotes a long string cut short, escaped, with its length', () => {
    let message = '';
    try {
      parseManifest('/p/plugin.toml', read('manifest-long-string.toml'));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^\/p\/plugin\.toml: key 'kind': expected one of "onnx", "native", found "\\"\\nfiles = .+…" \(6615 characters\)$/);
    expect(message).not.toContain('\n');
    expect(message.length).toBeLessThan(300);
  });

  it('refuses a scale, mean or std that float32 cannot hold', () => {
    const text = read('manifest-scale-float32.toml');
    expect(() => parseManifest('/p/plugin.toml', text)).toThrow("key 'input.scale': 1e-50 is out of float32 range");
    expect(() => parseManifest('/p/plugin.toml', text.replace('scale = 1e-50', 'scale = 1\nstd = [1e-45, 1, 1]'))).toThrow(
      /key 'input.std': pixel 255 on channel 0 normalises to 2\.55e\+47, out of float32 range/,
    );
    expect(() => parseManifest('/p/plugin.toml', text.replace('scale = 1e-50', 'mean = [1e39, 0, 0]'))).toThrow(
      "key 'input.mean': [1e+39, 0, 0] is out of float32 range",
    );
    expect(parseManifest('/p/plugin.toml', text.replace('scale = 1e-50', 'scale = 1e-30')).input.scale).toBe(1e-30);
  });

  it('does not take a date for a table, and names it as a date', () => {
    expect(() => parseConfig('/c.toml', read('config-engine-date.toml'))).toThrow(
      /^\/c\.toml: key 'engine': expected a table, found a date\/time 1979-05-27 \(line 2\)$/,
    );
    expect(() => parseManifest('/p/plugin.toml', read('manifest-date-string.toml'))).toThrow(
      /key 'version': expected a string, found a date\/time 2024-01-01/,
    );
  });

  it('keeps [plugins.__proto__] as a key instead of a prototype', () => {
    const cfg = parseConfig('/c.toml', read('config-plugins-proto.toml'));
    expect(Object.keys(cfg.plugins)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(cfg.plugins)).toBeNull();
    expect(cfg.plugins['__proto__']).toEqual({ enabled: false, threshold: 0.5, settings: {} });
    expect(cfg.plugins['settings' as string]).toBeUndefined();
  });
});
