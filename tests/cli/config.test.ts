// `imlage config` and `imlage plugins enable/disable` on a real file: values
// round-trip, the user's comments and layout stay, bad values are refused
// with the file left as it was.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

const MINE = `# my settings
[engine]
mode = "fast"   # quicker on my laptop
  # batch_size = 8  (tried, slower)

[plugins.objects]
threshold = 0.4
`;

function fresh(text = MINE): string {
  const file = join(mkdtempSync(join(tmpdir(), 'imlage-config-')), 'config.toml');
  writeFileSync(file, text);
  return file;
}

const cfg = (file: string, ...args: string[]) => runCli(['config', ...args, '--config', file]);

describe('imlage config', () => {
  it('set then get round-trips, keeping every comment and the layout', async () => {
    const file = fresh();
    expect((await cfg(file, 'set', 'engine.mode', 'exact')).code).toBe(0);
    expect((await cfg(file, 'set', 'engine.batch_size', '8')).code).toBe(0);
    expect((await cfg(file, 'set', 'plugins.objects.top_k', '3')).code).toBe(0);
    expect((await cfg(file, 'set', 'engine.providers', '["cuda", "cpu"]')).code).toBe(0);
    expect((await cfg(file, 'set', 'plugins.colors.max_colors', '5')).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(`# my settings
[engine]
mode = "exact"   # quicker on my laptop
batch_size = 8
providers = ["cuda", "cpu"]
  # batch_size = 8  (tried, slower)

[plugins.objects]
threshold = 0.4
top_k = 3

[plugins.colors]
max_colors = 5
`);
    expect((await cfg(file, 'get', 'engine.mode')).stdout).toBe('exact\n');
    expect((await cfg(file, 'get', 'engine.batch_size')).stdout).toBe('8\n');
    expect((await cfg(file, 'get', 'engine.providers')).stdout).toBe('["cuda","cpu"]\n');
    const unset = await cfg(file, 'get', 'engine.cache_dir');
    expect(unset.code).toBe(1);
    expect(unset.stderr).toMatch(/engine\.cache_dir is not set/);
  });

  it('unset removes the key line and leaves the comments', async () => {
    const file = fresh();
    expect((await cfg(file, 'unset', 'engine.mode')).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(MINE.replace('mode = "fast"   # quicker on my laptop\n', ''));
    expect((await cfg(file, 'unset', 'plugins.objects')).code).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toMatch(/objects|threshold/);
    expect((await cfg(file, 'unset', 'engine.mode')).code).toBe(2);
  });

  it('refuses values the loader would refuse (types, ranges, choices, plugin settings), file unchanged', async () => {
    const file = fresh();
    for (const [key, value, why] of [
      ['engine.mode', 'slow', /key 'engine\.mode': expected one of "exact", "fast", found "slow"/],
      ['engine.batch_size', '0', /key 'engine\.batch_size': must be >= 1/],
      ['plugins.objects.threshold', 'high', /key 'plugins\.objects\.threshold': expected a number/],
      ['plugins.colors.max_colors', '40', /key 'plugins\.colors\.max_colors': must be <= 12, found 40/],
      ['plugins.colors.max_colour', '4', /unknown setting \(this plugin has: max_colors, min_fraction\)/],
      ['engine.colour', '1', /key 'engine\.colour': unknown key/],
    ] as const) {
      const r = await cfg(file, 'set', key, value);
      expect(r.code, `${key}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(why);
      expect(readFileSync(file, 'utf8')).toBe(MINE);
    }
  });

  it('show reports every error at once with lines; path follows IMLAGE_CONFIG', async () => {
    const file = fresh('[engine]\nmode = "slow"\n\n[plugins.colors]\nmax_colors = 99\n');
    const r = await cfg(file, 'show');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('max_colors = 99');
    expect(r.stderr).toContain(`${file}: key 'engine.mode': expected one of "exact", "fast", found "slow" (line 2)`);
    expect(r.stderr).toContain(`${file}: key 'plugins.colors.max_colors': must be <= 12, found 99 (line 5)`);
    const p = await runCli(['config', 'path'], { IMLAGE_CONFIG: file });
    expect(p.stdout).toBe(`${file}\n`);
    const xdg = await runCli(['config', 'path'], { IMLAGE_CONFIG: '', XDG_CONFIG_HOME: '/x/y' });
    expect(xdg.stdout).toBe('/x/y/imlage/config.toml\n');
  });

  it('edit runs $EDITOR on the file, then checks it', async () => {
    const file = fresh();
    const r = await runCli(['config', 'edit', '--config', file], { EDITOR: `sed -i 's/fast/fastest/'`, VISUAL: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/found "fastest" \(line 3\)/);
  });
});

describe('imlage plugins enable/disable', () => {
  it('write [plugins.NAME] enabled, which list then shows', async () => {
    const file = fresh();
    expect((await runCli(['plugins', 'enable', 'colors', '--config', file])).code).toBe(0);
    expect((await runCli(['plugins', 'disable', 'objects', '--config', file])).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(`${MINE.replace('threshold = 0.4\n', 'threshold = 0.4\nenabled = false\n')}\n[plugins.colors]\nenabled = true\n`);
    const { plugins } = JSON.parse((await runCli(['plugins', 'list', '--json', '--config', file])).stdout);
    const by = Object.fromEntries(plugins.map((p: any) => [p.name, p]));
    expect(by.colors).toMatchObject({ enabled: true, defaultEnabled: false });
    expect(by.objects).toMatchObject({ enabled: false, state: 'disabled' });
    expect(by.nsfw).toMatchObject({ enabled: true, defaultEnabled: true });
    const nope = await runCli(['plugins', 'enable', 'nope', '--config', file]);
    expect(nope.code).toBe(2);
  });
});
