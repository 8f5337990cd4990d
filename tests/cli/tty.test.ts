// The terminal paths, in a real pseudo-terminal: the table, the progress bar
// cleared before results, and Ctrl-C keeping what was finished.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { photo } from '../helpers/paths.js';
import { collect, screen, spawnInPty } from './cli-helpers.js';

const PHOTOS = ['baboon.jpg', 'messi5.jpg', 'fruits.jpg', 'home.jpg', 'building.jpg', 'butterfly.jpg', 'apple.jpg', 'aero1.jpg'];
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imlage-tty-'));
  for (const f of PHOTOS) copyFileSync(photo(f), join(dir, f));
});

describe('imlage tag on a terminal', () => {
  it('prints a table, and the progress bar is gone before the results and the summary', async () => {
    const r = await collect(spawnInPty(['tag', dir, '--plugin', 'nsfw', '--plugin', 'objects', '--config', '/dev/null']));
    expect(r.code, r.stdout).toBe(0);
    // A real bar was drawn: count/total, percent, rate and ETA.
    expect(r.stdout).toMatch(/\[#+-*\] \d+\/8 +\d+% [\d.]+ images\/s ETA /);
    const shown = screen(r.stdout).filter((l) => l.trim() !== '');
    const header = shown.findIndex((l) => /^FILE\s+NSFW\s+OBJECTS$/.test(l));
    expect(header, shown.join('\n')).toBeGreaterThanOrEqual(0);
    const rows = shown.slice(header + 1, header + 1 + PHOTOS.length);
    expect(rows.map((l) => l.split(/\s+/)[0]!.split('/').pop()).sort()).toEqual([...PHOTOS].sort());
    const messi = rows.find((l) => l.includes('messi5.jpg'))!;
    // a detector's tag shows how many boxes it has when more than one (person ×2)
    expect(messi).toMatch(/person (×\d+ )?0\.\d\d/);
    // Nothing of the bar is left on screen.
    for (const l of shown) expect(l).not.toMatch(/images\/s ETA/);
    expect(shown.at(-1)).toMatch(/^imlage: 8 images: 8 tagged, 0 failed/);
  });

  it('Ctrl-C stops feeding, finishes the images in flight, keeps them in -o, and exits 130', async () => {
    const many = Array.from({ length: 40 }, () => PHOTOS.map((f) => join(dir, f))).flat();
    const list = join(dir, 'list.txt');
    writeFileSync(list, many.join('\n'));
    const out = join(dir, 'cut.jsonl');
    writeFileSync(out, 'earlier results\n');
    const child = spawnInPty(['tag', '--files-from', list, '--plugin', 'nsfw', '--format', 'jsonl', '-o', out, '--batch-size', '2', '--config', '/dev/null']);
    let sent = false;
    child.stdout!.on('data', (d: Buffer) => {
      // Ctrl-C once the bar shows images done: typed into the terminal, as a user would.
      if (!sent && /\] [1-9]\d*\/320 /.test(d.toString())) {
        sent = true;
        child.stdin!.write('\x03');
      }
    });
    const r = await collect(child);
    expect(sent).toBe(true);
    expect(r.code, r.stdout).toBe(130);
    expect(r.stdout).toMatch(/SIGINT: finishing the images in flight/);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(many.length);
    for (const l of lines) expect(JSON.parse(l).results.nsfw.tags.map((t: { label: string }) => t.label)).toContain('Neutral');
    expect(screen(r.stdout).join('\n')).toMatch(new RegExp(`interrupted, ${many.length - lines.length} not tagged`));
  });
});
