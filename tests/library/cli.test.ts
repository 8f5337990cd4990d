// The library end to end through the CLI with the real engine: tag --db
// twice (the second run skips everything), --force, db query/export, a
// missing photo failing alone, a database that is not SQLite, a threshold
// changed in config.toml, a folder the CLI may not write (as nobody when root).
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { photo } from '../helpers/paths.js';
import { NOBODY, canRunUnprivileged, runCli } from '../helpers/run-cli.js';

let dir: string;
let db: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imlage-lib-cli-'));
  mkdirSync(join(dir, 'p'));
  for (const f of ['apple.jpg', 'baboon.jpg', 'fruits.jpg']) copyFileSync(photo(f), join(dir, 'p', f));
  db = join(dir, 'r.db');
});

/** Tags `input` with `plugin` into a fresh --db once per config text (written to a --config file before each run); the runs' stderr. */
async function underConfigs(plugin: string, input: string, configs: string[]): Promise<string[]> {
  const base = mkdtempSync(join(dir, `${plugin}-`));
  const cfg = join(base, 'config.toml');
  const out: string[] = [];
  for (const text of configs) {
    writeFileSync(cfg, text);
    out.push((await runCli(['tag', input, '--db', join(base, 'r.db'), '-p', plugin, '--config', cfg])).stderr);
  }
  return out;
}

describe('imlage tag --db / --xmp, imlage db', () => {
  it('tags, then skips what is tagged, and redoes it with --force', async () => {
    const p = join(dir, 'p');
    const first = await runCli(['tag', p, '--db', db, '--xmp', '-p', 'nsfw', '-f', 'jsonl', '-o', join(dir, 'a.jsonl')]);
    expect(first.stderr).toContain(`library ${db}: 3 new, 0 changed, 0 unchanged, 0 retracted; 3 sidecars written`);
    expect(first.code).toBe(0);
    expect(existsSync(join(p, 'apple.jpg.xmp'))).toBe(true);
    const again = await runCli(['tag', p, '--db', db, '--xmp', '-p', 'nsfw']);
    expect(again.stderr).toContain('0 new, 0 changed, 3 unchanged, 0 retracted; 0 sidecars written');
    expect(again.code).toBe(0);
    // A threshold is part of the key: every image is tagged again, and tags below it are retracted.
    const stricter = await runCli(['tag', p, '--db', db, '-p', 'nsfw', '-t', '0.5']);
    expect(stricter.stderr).toMatch(/0 new, 3 changed, 0 unchanged, [1-9]\d* retracted/);
    const forced = await runCli(['tag', join(p, 'apple.jpg'), '--db', db, '-p', 'nsfw', '-t', '0.5', '--force']);
    expect(forced.stderr).toContain('0 new, 1 changed, 0 unchanged, 0 retracted');
  });

  it('--since redoes what was tagged before the date; --force without --db is refused', async () => {
    const apple = join(dir, 'p', 'apple.jpg');
    const later = new Date(Date.now() + 60_000).toISOString();
    const r = await runCli(['tag', apple, '--db', db, '-p', 'nsfw', '-t', '0.5', '--since', later]);
    expect(r.stderr).toContain('0 new, 1 changed, 0 unchanged');
    const earlier = await runCli(['tag', apple, '--db', db, '-p', 'nsfw', '-t', '0.5', '--since', '2000-01-01']);
    expect(earlier.stderr).toContain('0 new, 0 changed, 1 unchanged');
    const bad = await runCli(['tag', apple, '--force', '-p', 'nsfw']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--force and --since need --db');
  });

  it('answers queries and exports', async () => {
    const all = await runCli(['db', 'export', '--db', db]);
    const lines = all.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.file).sort()).toEqual(['apple.jpg', 'baboon.jpg', 'fruits.jpg'].map((f) => join(dir, 'p', f)));
    const label = lines[0].results.nsfw.tags[0].label as string;
    const q = await runCli(['db', 'query', '--db', db, '--tag', label, '-f', 'csv']);
    expect(q.code).toBe(0);
    expect(q.stdout.split('\n')[0]).toBe('file,sha256,plugin,version,model,label,confidence,category,count,tagged_at,error');
    expect(q.stdout).toContain(`,nsfw,`);
    const none = await runCli(['db', 'query', '--db', db, '--tag', 'no-such-tag']);
    expect(none.code).toBe(1);
  });

  it("a detector's regions reach the database, its export, the sidecar (MWG) and CSV's count column", async () => {
    const m = join(dir, 'faces');
    mkdirSync(m);
    copyFileSync(photo('messi5.jpg'), join(m, 'messi5.jpg'));
    const db3 = join(m, 'r.db');
    const tagged = await runCli(['tag', m, '--db', db3, '--xmp', '-p', 'faces', '-f', 'jsonl', '--config', '/dev/null']);
    expect(tagged.code, tagged.stderr).toBe(0);
    const res = JSON.parse(tagged.stdout).results.faces;
    expect(res.regions).toHaveLength(1);
    const exported = JSON.parse((await runCli(['db', 'export', '--db', db3])).stdout).results.faces;
    expect(exported.regions).toEqual(res.regions);
    expect(exported.tags).toEqual(res.tags);
    const csv = (await runCli(['db', 'export', '--db', db3, '-f', 'csv'])).stdout.trim().split('\n');
    expect(csv.find((l) => l.includes(',face,'))).toMatch(/,face,0\.\d+,face,1,/);
    const tagCsv = (await runCli(['tag', join(m, 'messi5.jpg'), '-p', 'faces', '-f', 'csv', '--config', '/dev/null'])).stdout.split('\r\n');
    expect(tagCsv[0]).toBe('file,plugin,label,confidence,count,error');
    expect(tagCsv[1]).toMatch(/,faces,face,0\.\d+,1,$/);
    const [x, y, w, h] = res.regions[0].box as number[];
    const side = JSON.parse(execFileSync('exiftool', ['-j', '-struct', '-RegionInfo', join(m, 'messi5.jpg.xmp')], { encoding: 'utf8' }))[0].RegionInfo;
    expect(side.AppliedToDimensions).toEqual({ W: 548, H: 342, Unit: 'pixel' });
    expect(side.RegionList).toHaveLength(1);
    expect(side.RegionList[0]).toMatchObject({ Type: 'Face', Name: 'face' });
    const a = side.RegionList[0].Area;
    expect([a.X, a.Y, a.W, a.H]).toEqual([(x + w / 2) / 548, (y + h / 2) / 342, w / 548, h / 342].map((v) => Number(v.toFixed(6))));
  });

  it('a missing photo fails alone, and the others are recorded', async () => {
    const db2 = join(dir, 'r2.db');
    const r = await runCli(['tag', join(dir, 'p', 'apple.jpg'), join(dir, 'p', 'gone.jpg'), '--db', db2, '-p', 'nsfw', '--xmp']);
    expect(r.stderr).toContain(`failed: ${join(dir, 'p', 'gone.jpg')}`);
    expect(r.stderr).toContain('1 new, 0 changed, 0 unchanged');
    expect(existsSync(join(dir, 'p', 'gone.jpg.xmp'))).toBe(false);
  });

  it('a --db that is not SQLite is refused, naming it and the fix', async () => {
    const bad = join(dir, 'bad.db');
    writeFileSync(bad, 'plain text, not a database '.repeat(100));
    const r = await runCli(['tag', join(dir, 'p', 'apple.jpg'), '--db', bad, '-p', 'nsfw']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad} is not an imlage results database`);
    expect(r.stderr).toContain('pass --db with another path');
  });

  it("a threshold changed in config.toml re-tags; the same config skips", async () => {
    const t = (v: number, more = '') => `[plugins.nsfw]\nthreshold = ${v}\n${more}`;
    const [first, same, stricter, again, topK] = await underConfigs('nsfw', join(dir, 'p'), [t(0.01), t(0.01), t(0.5), t(0.5), t(0.5, 'top_k = 1\n')]);
    expect(first).toContain('3 new, 0 changed, 0 unchanged, 0 retracted');
    expect(same).toContain('0 new, 0 changed, 3 unchanged, 0 retracted');
    expect(stricter).toMatch(/0 new, 3 changed, 0 unchanged, [1-9]\d* retracted/);
    expect(again).toContain('0 new, 0 changed, 3 unchanged, 0 retracted');
    expect(topK).toMatch(/0 new, 3 changed, 0 unchanged, \d+ retracted/);
  });

  it("a plugin setting changed in config.toml re-tags; the same settings skip", async () => {
    const c = (n: number) => `[plugins.colors]\nmax_colors = ${n}\n`;
    const [first, same, fewer, again] = await underConfigs('colors', join(dir, 'p', 'fruits.jpg'), [c(3), c(3), c(1), c(1)]);
    expect(first).toContain('1 new, 0 changed, 0 unchanged, 0 retracted');
    expect(same).toContain('0 new, 0 changed, 1 unchanged, 0 retracted');
    expect(fewer).toMatch(/0 new, 1 changed, 0 unchanged, [1-9]\d* retracted/);
    expect(again).toContain('0 new, 0 changed, 1 unchanged, 0 retracted');
  });

  // As root the test needs nobody to run the CLI; a checkout nobody cannot read skips it, saying so.
  it.skipIf(!canRunUnprivileged())('a read-only folder: its sidecar is refused, naming the file and the fix, and nothing else is lost', async () => {
    // Run as nobody when the tests run as root (root writes anywhere): the folders must be theirs to read.
    const base = mkdtempSync(join(tmpdir(), 'imlage-lib-ro-'));
    chmodSync(base, 0o755);
    const ro = join(base, 'ro');
    const rw = join(base, 'rw');
    mkdirSync(ro);
    mkdirSync(rw);
    copyFileSync(photo('apple.jpg'), join(ro, 'apple.jpg'));
    copyFileSync(photo('baboon.jpg'), join(rw, 'baboon.jpg'));
    chmodSync(ro, 0o555);
    if (process.getuid?.() === 0) chownSync(rw, NOBODY, NOBODY);
    const home = join(base, 'home');
    mkdirSync(home);
    if (process.getuid?.() === 0) chownSync(home, NOBODY, NOBODY);
    const r = await runCli(['tag', join(ro, 'apple.jpg'), join(rw, 'baboon.jpg'), '--xmp', '-p', 'nsfw', '-f', 'jsonl'],
      { HOME: home, XDG_CACHE_HOME: join(home, '.cache'), XDG_CONFIG_HOME: join(home, '.config') }, { unprivileged: true });
    expect(r.stderr).toContain(`cannot write ${join(ro, 'apple.jpg.xmp')} (EACCES)`);
    expect(r.stderr).toContain('not writable: make it writable, or run without --xmp');
    const results = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(results.map((x) => x.file).sort()).toEqual([join(ro, 'apple.jpg'), join(rw, 'baboon.jpg')]);
    for (const x of results) expect(x.results.nsfw.tags.length).toBeGreaterThan(0);
    expect(readdirSync(ro)).toEqual(['apple.jpg']);
    expect(readdirSync(rw).sort()).toEqual(['baboon.jpg', 'baboon.jpg.xmp']);
    expect(r.stderr).toContain('1 sidecars written, 1 left alone');
  });
});
