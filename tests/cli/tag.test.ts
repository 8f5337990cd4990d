// The CLI as a user runs it: a real folder of photos with broken files mixed
// in, the real addon, real models.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { photo, photos } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

const GOOD = ['baboon.jpg', 'messi5.jpg', 'fruits.webp', 'butterfly.png', 'home-exif6.jpg'];
const BAD = ['corrupt.jpg', 'truncated.jpg', 'empty.jpg', 'notes.txt.jpg'];
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imlage-cli-'));
  for (const f of GOOD) copyFileSync(photo(f), join(dir, f));
  for (const f of BAD) copyFileSync(join(photos, 'bad', f), join(dir, f));
});

describe('imlage tag', () => {
  it('tags the good photos, reports the bad ones, and finishes the batch', async () => {
    const r = await runCli(['tag', dir, '--config', '/dev/null']);
    // Some images failed: status 1, and the summary names them.
    expect(r.code, r.stderr).toBe(1);
    const results = JSON.parse(r.stdout) as any[];
    expect(results.map((x) => x.file).sort()).toEqual([...GOOD, ...BAD].map((f) => join(dir, f)).sort());
    for (const x of results) {
      const name = x.file.split('/').pop();
      if (BAD.includes(name)) {
        expect(x.error, name).toMatch(/cannot decode/);
        expect(x.results).toEqual({});
      } else {
        expect(x.error, name).toBeUndefined();
        const nsfw = x.results.nsfw;
        expect(nsfw.tags).toHaveLength(5);
        expect(nsfw.tags.reduce((s: number, t: any) => s + t.confidence, 0)).toBeCloseTo(1, 3);
        expect(nsfw.model).toMatch(/^nsfwjs@/);
        expect(nsfw.inference_time_ms).toBeGreaterThan(0);
        expect(x.results.objects).toHaveProperty('tags');
      }
    }
    const messi = results.find((x) => x.file.endsWith('messi5.jpg'));
    expect(messi.results.objects.tags[0]).toMatchObject({ label: 'person' });
    expect(r.stderr).toMatch(/ONNX Runtime 1\.\d+\.\d+ .*nsfw on cpu, objects on cpu/);
    expect(r.stderr).toMatch(/9 images: 5 tagged, 4 failed/);
    for (const f of BAD) expect(r.stderr).toContain(`failed: ${join(dir, f)}`);
  });

  it('--format jsonl streams one line per image as it finishes', async () => {
    const r = await runCli(['tag', dir, '--format', 'jsonl', '--plugin', 'nsfw', '--batch-size', '1', '--config', '/dev/null']);
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(GOOD.length + BAD.length);
    for (const l of lines) expect(Object.keys(JSON.parse(l))).toContain('file');
    // The first line was written while later images were still being tagged.
    expect(r.firstOutputMs!).toBeLessThan(r.exitMs - 50);
  });

  it('--plugin, --threshold, --limit and --output', async () => {
    const out = join(dir, '..', `out-${process.pid}.json`);
    const r = await runCli(['tag', photo('messi5.jpg'), '--plugin', 'objects', '--threshold', '0.2', '--limit', '2', '--output', out, '--config', '/dev/null']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const [x] = JSON.parse(readFileSync(out, 'utf8'));
    expect(Object.keys(x.results)).toEqual(['objects']);
    expect(x.results.objects.tags.length).toBeLessThanOrEqual(2);
    for (const t of x.results.objects.tags) expect(t.confidence).toBeGreaterThanOrEqual(0.2);
    // The JSON carries the boxes behind the tags, in the photo's pixels, only for tags it reports.
    const labels = x.results.objects.tags.map((t: { label: string }) => t.label);
    expect(x.results.objects.regions[0]).toMatchObject({ label: 'person', box: [expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number)] });
    for (const g of x.results.objects.regions) expect(labels).toContain(g.label);
  });

  it('an unknown plugin name is a clear error', async () => {
    const r = await runCli(['tag', dir, '--plugin', 'nope', '--config', '/dev/null']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown plugin "nope"; available: .*\bnsfw, nsfw-ensemble, objects\b/);
    expect(r.stdout).toBe('');
  });

  it('exits 1 when nothing could be tagged', async () => {
    const only = mkdtempSync(join(tmpdir(), 'imlage-bad-'));
    mkdirSync(join(only, 'x'));
    copyFileSync(join(photos, 'bad', 'corrupt.jpg'), join(only, 'corrupt.jpg'));
    const r = await runCli(['tag', only, '--plugin', 'nsfw', '--config', '/dev/null']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/1 image: 0 tagged, 1 failed/);
  });

  it('debug lines only with --verbose; --quiet leaves stderr empty', async () => {
    const args = ['tag', photo('baboon.jpg'), '--plugin', 'colors', '-f', 'jsonl', '--config', '/dev/null'];
    const normal = await runCli(args);
    expect(normal.code, normal.stderr).toBe(0);
    expect(normal.stderr).not.toMatch(/debug:|threads:/);
    expect(normal.stderr).toMatch(/1 image: 1 tagged/);
    const verbose = await runCli([...args, '--verbose']);
    expect(verbose.stderr).toMatch(/colors: debug: /);
    expect(verbose.stderr).toMatch(/threads: \d+ cores/);
    const quiet = await runCli([...args, '--quiet']);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(JSON.parse(quiet.stdout).results.colors.tags.length).toBeGreaterThan(0);
  });
});
