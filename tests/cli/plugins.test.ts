// `imlage plugins list/info` and side-by-side tagging with several plugins.
import { describe, expect, it } from 'vitest';
import { photo } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

describe('imlage plugins', () => {
  it('list shows name, version, kind, state and description of every plugin', async () => {
    const r = await runCli(['plugins', 'list', '--config', '/dev/null']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+VERSION\s+KIND\s+STATE\s+DESCRIPTION$/);
    expect(r.stdout).toMatch(/^nsfw\s+1\.0\.0\s+onnx\s+discovered\s+NSFW classifier/m);
    expect(r.stdout).toMatch(/^colors\s+1\.0\.0\s+native\s+discovered\s+Dominant colours/m);
  });

  it('list --check loads each plugin and reports it active', async () => {
    const r = await runCli(['plugins', 'list', '--check', '--json', '--config', '/dev/null']);
    expect(r.code, r.stderr).toBe(0);
    const { plugins } = JSON.parse(r.stdout);
    const byName = Object.fromEntries(plugins.map((p: any) => [p.name, p.state]));
    for (const name of ['nsfw', 'objects', 'colors', 'text']) expect(byName[name], name).toBe('active');
  });

  it('list --capability filters', async () => {
    const r = await runCli(['plugins', 'list', '--capability', 'ocr', '--json', '--config', '/dev/null']);
    expect(JSON.parse(r.stdout).plugins.map((p: any) => p.name)).toEqual(['text']);
  });

  it('info shows settings with defaults and bounds', async () => {
    const r = await runCli(['plugins', 'info', 'colors', '--config', '/dev/null']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/colors 1\.0\.0 \(native\)/);
    expect(r.stdout).toMatch(/max_colors = 3 {2}integer \[1\.\.12\]/);
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
});
