// The decoders keep their large buffers for the next image
// (native/src/decode/scratch.h), but no more than its bound: a picture
// larger than that must not stay resident after it is decoded. In a fresh
// process, since resident memory is the whole process's.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers/paths.js';

const glibc = Boolean((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime);

describe.runIf(glibc && !process.env.IMLAGE_SANITIZED)('decode scratch buffers', () => {
  it('frees a full-size buffer over the bound (an 80 MB PNG) once it is decoded', () => {
    const out = execFileSync(process.execPath, ['--expose-gc', join(root, 'tests', 'native', 'decode-scratch-child.mjs')], { encoding: 'utf8' });
    const r = JSON.parse(out) as { before: number; afterHuge: number; afterSmall: number; width: number; pixel: number[] };
    expect(r.width).toBe(224);
    expect(r.pixel).toEqual([10, 200, 30]);
    // 80 MB were in use during the decode; none of it stays (the bound is 64 MiB).
    expect(r.afterHuge - r.before).toBeLessThan(24);
    expect(r.afterSmall - r.before).toBeLessThan(24);
  }, 60_000);
});
