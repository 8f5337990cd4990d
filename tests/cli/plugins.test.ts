// `imlage plugins list/info/setup` and side-by-side tagging with several plugins.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { photo } from '../helpers/paths.js';
import { nativePluginDir } from '../helpers/plugin-dir.js';
import { runCli } from '../helpers/run-cli.js';

describe('imlage plugins', () => {
  it('list shows name, version, kind, state, whether it runs by default, and description', async () => {
    const r = await runCli(['plugins', 'list', '--config', '/dev/null']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+VERSION\s+KIND\s+STATE\s+DEFAULT\s+DESCRIPTION$/);
    expect(r.stdout).toMatch(/^nsfw\s+1\.1\.0\s+onnx\s+discovered\s+yes\s+NSFW classifier/m);
    expect(r.stdout).toMatch(/^colors\s+1\.0\.0\s+native\s+discovered\s+no\s+Dominant colours/m);
  });

  it('list --check loads each plugin and reports it active', async () => {
    const r = await runCli(['plugins', 'list', '--check', '--json', '--config', '/dev/null']);
    expect(r.code, r.stderr).toBe(0);
    const { plugins } = JSON.parse(r.stdout);
    const byName = Object.fromEntries(plugins.map((p: any) => [p.name, p.state]));
    for (const name of ['nsfw', 'objects', 'colors', 'text']) expect(byName[name], name).toBe('active');
  });

  it.each([['ocr', ['text']], ['nsfw', ['nsfw', 'nsfw-ensemble']], ['objects', ['objects', 'objects-ensemble']], ['colors', ['colors']]])('list --capability %s', async (cap, names) => {
    const r = await runCli(['plugins', 'list', '--capability', cap, '--json', '--config', '/dev/null']);
    expect(JSON.parse(r.stdout).plugins.map((p: any) => p.name)).toEqual(names);
  });

  it('info shows settings with defaults and bounds', async () => {
    const r = await runCli(['plugins', 'info', 'colors', '--config', '/dev/null']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/colors 1\.0\.0 \(native\)/);
    expect(r.stdout).toMatch(/max_colors = 3 {2}integer \[1\.\.12\]/);
    expect(r.stdout).toMatch(/^by default: +off \(imlage plugins enable colors, or --plugin colors\)$/m);
    expect((await runCli(['plugins', 'info', 'nsfw', '--config', '/dev/null'])).stdout).toMatch(/^by default: +runs$/m);
    const bad = await runCli(['plugins', 'info', 'nope', '--config', '/dev/null']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown plugin "nope"/);
  });

  it('tag compares colors, text and objects side by side', async () => {
    const r = await runCli(['tag', photo('text/imageTextN.png'), photo('messi5.jpg'), '--plugin', 'colors', '--plugin', 'text', '--plugin', 'objects', '--config', '/dev/null']);
    expect(r.code, r.stderr).toBe(0);
    const [doc, messi] = JSON.parse(r.stdout);
    expect(Object.keys(doc.results)).toEqual(['colors', 'text', 'objects']);
    expect(doc.results.text.tags.map((t: any) => t.label).join(' ').toLowerCase()).toContain('students');
    expect(doc.results.colors.tags.map((t: any) => t.label)).toContain('white');
    expect(messi.results.objects.tags[0].label).toBe('person');
  });

  it('setup finds the model files, converts, loads once and records their sha256', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'imlage-setup-'));
    const cfg = join(cache, 'config.toml');
    writeFileSync(cfg, `[engine]\ncache_dir = "${cache}"\n`);
    const r = await runCli(['plugins', 'setup', 'nsfw', '--config', cfg]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/progress: \d\/\d steps/);
    expect(r.stderr).toMatch(/converted nsfwjs@4\.3\.0 model\.min\.js to ONNX/);
    expect(r.stderr).toMatch(/^imlage: sha256 [0-9a-f]{64} {2}.*model\.min\.js$/m);
    expect(r.stderr).toMatch(/nsfw 1\.1\.0 is ready \(nsfwjs@4\.3\.0 .*\) on cpu/);
    const record = JSON.parse(readFileSync(join(cache, 'setup', 'nsfw.json'), 'utf8'));
    expect(Object.values(record.sha256)).toHaveLength(2);
    // Again: the cached model, checksums unchanged (no warning).
    const again = await runCli(['plugins', 'setup', 'nsfw', '--config', cfg]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/changed since the last setup|converted/);
  });

  it('setup of a plugin whose model package is missing gives the npm install line', async () => {
    const dir = nativePluginDir('needs', '/nonexistent/lib.so');
    writeFileSync(join(dir, 'needs', 'plugin.toml'), readFileSync(join(dir, 'needs', 'plugin.toml'), 'utf8') + 'package = "imlage-test-absent-models"\nfiles = ["m.onnx"]\n');
    const cfg = join(dir, 'config.toml');
    writeFileSync(cfg, `[plugins]\npaths = ["${dir}"]\n`);
    const r = await runCli(['plugins', 'setup', 'needs', '--config', cfg]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/npm package "imlage-test-absent-models", which is not installed; install it with `npm install imlage-test-absent-models`/);
  });
});
