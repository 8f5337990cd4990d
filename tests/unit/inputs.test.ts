import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandInputs } from '../../src/engine/inputs.js';

async function collect(paths: string[], recursive = false) {
  const skipped: string[] = [];
  const out: string[] = [];
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
});
