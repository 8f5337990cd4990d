// Inputs (stdin, --files-from with -0) and output formats (csv, json with
// its interrupted marker, -o replacing a file only when done).
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, photo } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { collect, runWithStdin } from './cli-helpers.js';

let dir: string;
const NAMES = ['baboon.jpg', 'messi5.jpg', 'with space.jpg'];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imlage-io-'));
  copyFileSync(photo('baboon.jpg'), join(dir, NAMES[0]!));
  copyFileSync(photo('messi5.jpg'), join(dir, NAMES[1]!));
  copyFileSync(photo('fruits.jpg'), join(dir, NAMES[2]!));
});

describe('inputs', () => {
  it('- reads one image from stdin', async () => {
    const r = await runWithStdin(['tag', '-', '--plugin', 'objects', '--config', '/dev/null'], readFileSync(photo('messi5.jpg')));
    expect(r.code, r.stderr).toBe(0);
    const [x] = JSON.parse(r.stdout);
    expect(x.file).toBe('<stdin>');
    expect(x.results.objects.tags[0].label).toBe('person');
  });

  it('--files-from - with -0 takes NUL-separated paths (spaces and all), as find -print0 writes them', async () => {
    const list = NAMES.map((n) => join(dir, n)).join('\0') + '\0';
    const r = await runWithStdin(['tag', '--files-from', '-', '-0', '--plugin', 'nsfw', '-f', 'jsonl', '--config', '/dev/null'], list);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).file)).toEqual(NAMES.map((n) => join(dir, n)));
  });

  it('--files-from FILE: one path per line; a missing one is reported before models load and fails alone', async () => {
    const list = join(dir, 'list.txt');
    writeFileSync(list, `${join(dir, NAMES[0]!)}\r\n${join(dir, 'missing.jpg')}\n`);
    const r = await runCli(['tag', '--files-from', list, '--plugin', 'nsfw', '-f', 'jsonl', '--config', '/dev/null']);
    expect(r.code).toBe(1);
    expect(r.stderr.indexOf('no such file or folder')).toBeLessThan(r.stderr.indexOf('ONNX Runtime'));
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(out.map((x) => [x.file.split('/').pop(), Boolean(x.error)])).toEqual([['missing.jpg', true], ['baboon.jpg', false]]);
  });
});

describe('formats', () => {
  it('csv: a header, then one row per tag, quoted where needed', async () => {
    const r = await runCli(['tag', join(dir, 'with space.jpg'), join(dir, 'baboon.jpg'), '--plugin', 'nsfw', '-t', '0', '-f', 'csv', '--config', '/dev/null']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\r\n');
    expect(rows[0]).toBe('file,plugin,label,confidence,count,error');
    expect(rows).toHaveLength(1 + 2 * 5); // -t 0: all five classes of each image
    for (const row of rows.slice(1)) expect(row).toMatch(/^\/.*\.jpg,nsfw,(Drawing|Hentai|Neutral|Porn|Sexy),[\d.e-]+,,$/); // no count: not a detector
  });

  it('-o replaces the file only when the run is done, through a temporary file in the same folder', async () => {
    const out = join(dir, 'out.json');
    writeFileSync(out, 'earlier');
    const r = await runCli(['tag', join(dir, 'baboon.jpg'), '--plugin', 'nsfw', '-o', out, '--config', '/dev/null']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))[0].file).toMatch(/baboon\.jpg$/);
    expect(readdirSync(dir).filter((f) => f.includes('.partial'))).toEqual([]);
  });

  it('json cut short by SIGINT: a valid document with the completed images and the "interrupted" marker', async () => {
    const many = Array.from({ length: 60 }, () => join(dir, 'baboon.jpg'));
    const out = join(dir, 'cut.json');
    writeFileSync(out, 'earlier');
    const child = spawn(process.execPath, [cli, 'tag', ...many, '--plugin', 'nsfw', '--batch-size', '1', '-o', out, '--config', '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => {
      if (/progress: \d+\/60/.test(d.toString())) child.kill('SIGINT');
    });
    const r = await collect(child);
    expect(r.code, r.stderr).toBe(130);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.interrupted).toBe('SIGINT');
    expect(doc.completed).toBe(doc.results.length);
    expect(doc.results.length).toBeGreaterThan(0);
    expect(doc.results.length).toBeLessThan(60);
  });

  it('SIGTERM ends the same way with 143, jsonl keeping every completed line', async () => {
    const many = Array.from({ length: 60 }, () => join(dir, 'baboon.jpg'));
    const out = join(dir, 'term.jsonl');
    const child = spawn(process.execPath, [cli, 'tag', ...many, '--plugin', 'nsfw', '--batch-size', '1', '-f', 'jsonl', '-o', out, '--config', '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => {
      if (/progress: \d+\/60/.test(d.toString())) child.kill('SIGTERM');
    });
    const r = await collect(child);
    expect(r.code, r.stderr).toBe(143);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(60);
    for (const l of lines) expect(JSON.parse(l).results.nsfw.tags.map((t: { label: string }) => t.label)).toContain('Neutral');
  });
});
