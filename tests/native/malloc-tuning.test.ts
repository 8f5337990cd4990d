// The addon fixes glibc's mmap and trim thresholds when it loads, so large
// freed buffers go back to the system instead of staying resident in
// malloc's arenas, and trimMemory() hands back what the arenas hold free
// (native/src/napi/malloc_tuning.h; the soak figures in docs/hardening.md).
// Each case runs in a fresh process: the setting is process-wide.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers/paths.js';

interface ChildReport {
  tuning: { allocator: string; mmapThresholdBytes: number | null; setBy: string | null } | null;
  allocatedMiB: number;
  heldAfterFreeMiB: number;
  trim?: { supported: boolean; released: boolean; rssBeforeKiB: number; rssAfterKiB: number; ms: number };
  heldAfterTrimMiB?: number;
}

function child(env: Record<string, string> = {}): ChildReport {
  const clean = { ...process.env };
  delete clean.MALLOC_MMAP_THRESHOLD_;
  delete clean.GLIBC_TUNABLES;
  delete clean.IMLAGE_MALLOC_TUNING;
  delete clean.MALLOC_TRIM_THRESHOLD_;
  const out = execFileSync(process.execPath, ['--expose-gc', join(root, 'tests', 'native', 'malloc-tuning-child.mjs')], {
    env: { ...clean, ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out) as ChildReport;
}

const glibc = Boolean((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime);

// Under ASan (scripts/test-asan.sh) malloc is the sanitizer's, which ignores
// glibc's thresholds and malloc_trim: nothing of this applies there.
describe.runIf(glibc && !process.env.IMLAGE_SANITIZED)('malloc tuning (glibc)', () => {
  it('without the addon, 96 MiB of freed 4 MiB buffers stay resident (the case the tuning is for)', () => {
    const r = child({ NO_ADDON: '1' });
    expect(r.allocatedMiB).toBeGreaterThan(90);
    expect(r.heldAfterFreeMiB).toBeGreaterThan(80);
  });

  it('with the addon loaded, the threshold is fixed at 1 MiB and the same buffers go back to the system when freed', () => {
    const r = child();
    expect(r.tuning).toEqual({ allocator: 'glibc', mmapThresholdBytes: 1 << 20, setBy: 'imlage' });
    expect(r.allocatedMiB).toBeGreaterThan(90);
    expect(r.heldAfterFreeMiB).toBeLessThan(16);
  });

  it('IMLAGE_MALLOC_TUNING=off leaves glibc as it is', () => {
    const r = child({ IMLAGE_MALLOC_TUNING: 'off' });
    expect(r.tuning).toEqual({ allocator: 'glibc', mmapThresholdBytes: null, setBy: null });
    expect(r.heldAfterFreeMiB).toBeGreaterThan(80);
  });

  it("a threshold the user set (MALLOC_MMAP_THRESHOLD_, GLIBC_TUNABLES) is kept, not overridden", () => {
    expect(child({ MALLOC_MMAP_THRESHOLD_: '2097152' }).tuning).toEqual({ allocator: 'glibc', mmapThresholdBytes: null, setBy: 'environment' });
    // 16 MiB: larger than the 4 MiB buffers, so glibc keeps them in its heap as the user asked.
    const r = child({ GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=16777216' });
    expect(r.tuning?.setBy).toBe('environment');
    expect(r.heldAfterFreeMiB).toBeGreaterThan(80);
  });

  it('trimMemory() hands back freed memory the heap still holds (malloc_trim on a libuv thread)', () => {
    const r = child({ IMLAGE_MALLOC_TUNING: 'off', TRIM: '1' });
    expect(r.heldAfterFreeMiB).toBeGreaterThan(80);
    expect(r.trim).toMatchObject({ supported: true, released: true });
    expect(r.trim!.rssBeforeKiB - r.trim!.rssAfterKiB).toBeGreaterThan(64 * 1024);
    expect(r.heldAfterTrimMiB).toBeLessThan(16);
  });
});
