import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandInputs, type InputPath } from '../../src/engine/inputs.js';

async function collect(paths: string[], recursive = false) {
  const skipped: string[] = [];
  const out: InputPath[] = [];
  for await (const p of expandInputs(paths, { recursive, onSkip: (s) => skipped.push(s) })) out.push(p);
  return { out, skipped };
}

describe('input expansion', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imlage-inputs-'));
  mkdirSync(join(dir, 'sub', 'deeper'), { recursive: true });
  for (const f of ['b.jpg', 'a.PNG', 'notes.txt', 'sub/c.webp', 'sub/deeper/d.jpeg']) writeFileSync(join(dir, f), '');

  it('lists a folder in name order, skipping non-image files', async () => {
    const { out, skipped } = await collect([dir]);
    expect(out).toEqual([join(dir, 'a.PNG'), join(dir, 'b.jpg')]);
    expect(skipped).toEqual([join(dir, 'notes.txt')]);
  });

  it('descends with recursive', async () => {
    const { out } = await collect([dir], true);
    expect(out).toEqual([join(dir, 'a.PNG'), join(dir, 'b.jpg'), join(dir, 'sub', 'c.webp'), join(dir, 'sub', 'deeper', 'd.jpeg')]);
  });

  it('expands globs, including **', async () => {
    expect((await collect([join(dir, '*.jpg')])).out).toEqual([join(dir, 'b.jpg')]);
    expect((await collect([join(dir, '**/*.jp*g')])).out).toEqual([join(dir, 'b.jpg'), join(dir, 'sub', 'deeper', 'd.jpeg')]);
  });

  it('passes a missing file through so it is reported, not dropped', async () => {
    expect((await collect([join(dir, 'missing.jpg')])).out).toEqual([join(dir, 'missing.jpg')]);
  });

  it('yields a name that is not UTF-8 as its bytes, and skips others by their escaped name', async () => {
    const d = mkdtempSync(join(tmpdir(), 'imlage-bytes-'));
    const jpg = Buffer.concat([Buffer.from(`${d}/`), Buffer.from([0xff, 0xfe]), Buffer.from('.jpg')]);
    writeFileSync(jpg, '');
    writeFileSync(Buffer.concat([Buffer.from(`${d}/`), Buffer.from([0xe9]), Buffer.from('.txt')]), '');
    const { out, skipped } = await collect([d]);
    expect(out).toEqual([{ path: jpg }]);
    expect(skipped).toEqual([`${d}/\\xe9.txt`]);
  });

  it('passes on FIFOs and symlinks with image names (the engine says what they are), never follows a symlinked folder', async () => {
    const d = mkdtempSync(join(tmpdir(), 'imlage-special-'));
    execFileSync('mkfifo', [join(d, 'pipe.jpg')]);
    mkdirSync(join(d, 'real'));
    writeFileSync(join(d, 'real', 'inside.jpg'), '');
    symlinkSync('real', join(d, 'linked'));
    symlinkSync('real', join(d, 'linked.png'));
    const { out } = await collect([d], true);
    expect(out).toEqual([join(d, 'linked.png'), join(d, 'pipe.jpg'), join(d, 'real', 'inside.jpg')]);
  });

  it('normalises the folder given, as path.join would', async () => {
    expect((await collect([`${dir}/./sub/..`])).out).toEqual([join(dir, 'a.PNG'), join(dir, 'b.jpg')]);
  });
});
