import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/config.js';

describe('config.toml', () => {
  it('reads engine and per-plugin settings', () => {
    const c = parseConfig('/c.toml', `
[engine]
mode = "fast"
batch_size = 16
providers = ["cuda", "cpu"]
intra_op_threads = 2

[plugins]
enabled = ["nsfw"]
paths = ["~/my-plugins"]

[plugins.objects]
threshold = 0.5
top_k = 3

[plugins.colors]
max_colors = 5
`);
    expect(c).toMatchObject({ mode: 'fast', batchSize: 16, providers: ['cuda', 'cpu'], intraOpThreads: 2, enabledPlugins: ['nsfw'] });
    expect(c.pluginPaths[0]).not.toContain('~');
    expect(c.plugins.objects).toEqual({ threshold: 0.5, topK: 3, settings: {} });
    // A plugin's own settings are kept for checking against its manifest when it loads.
    expect(c.plugins.colors).toEqual({ settings: { max_colors: 5 } });
  });

  it('names the file and key of a bad value', () => {
    expect(() => parseConfig('/c.toml', '[engine]\nproviders = ["gpu"]\n')).toThrow(/\/c\.toml: key 'engine\.providers': unknown provider "gpu"/);
    expect(() => parseConfig('/c.toml', '[engine]\nbatch_size = 0\n')).toThrow(/key 'engine\.batch_size': must be >= 1/);
    expect(() => parseConfig('/c.toml', '[plugins.nsfw]\nthreshold = "high"\n')).toThrow(/key 'plugins\.nsfw\.threshold': expected a number/);
  });

  it('timeout_ms per plugin: an integer from 1 ms to one hour', () => {
    expect(parseConfig('/c.toml', '[plugins.text]\ntimeout_ms = 60000\n').plugins.text).toEqual({ timeoutMs: 60000, settings: {} });
    expect(() => parseConfig('/c.toml', '[plugins.text]\ntimeout_ms = 0\n')).toThrow(/key 'plugins\.text\.timeout_ms': must be >= 1/);
    expect(() => parseConfig('/c.toml', '[plugins.text]\ntimeout_ms = 3600001\n')).toThrow(/key 'plugins\.text\.timeout_ms': must be <= 3600000/);
    expect(() => parseConfig('/c.toml', '[plugins.text]\ntimeout_ms = 1.5\n')).toThrow(/key 'plugins\.text\.timeout_ms'/);
  });

  it('a missing default config is fine, a missing explicit one is an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imlage-config-'));
    expect(() => loadConfig(join(dir, 'nope.toml'))).toThrow(/config file not found/);
    const f = join(dir, 'config.toml');
    writeFileSync(f, '[engine]\nmode = "exact"\n');
    expect(loadConfig(f).mode).toBe('exact');
    expect(loadConfig(false)).toEqual({ pluginPaths: [], plugins: {} });
  });
});
