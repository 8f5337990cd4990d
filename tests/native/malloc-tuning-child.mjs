// Run by malloc-tuning.test.ts as `node --expose-gc`: loads the addon (or
// not, with NO_ADDON=1), then frees 96 MiB of 4 MiB buffers after a 16 MiB
// one. glibc's default raises its mmap threshold to 16 MiB on the first free,
// so the 4 MiB buffers come from the heap and stay resident once freed (small
// blocks allocated between them keep the heap from shrinking); with the
// threshold fixed they are mapped and handed back at once. With TRIM=1 it
// then calls the addon's trimMemory (malloc_trim). Prints JSON.
import { readFileSync } from 'node:fs';

const rssMiB = () => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
// ArrayBuffers' memory is freed by V8's sweeper, which may run on its own thread.
const collect = async () => {
  for (let i = 0; i < 5; i++) {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 20));
  }
};

let tuning = null;
let addon = null;
if (!process.env.NO_ADDON) {
  const { loadAddon } = await import('../../dist/binding/binding.js');
  addon = loadAddon();
  tuning = addon.mallocTuning();
}
let first = Buffer.allocUnsafeSlow(16 << 20).fill(1);
first = null;
await collect();
const before = rssMiB();
let big = [];
const small = [];
for (let i = 0; i < 24; i++) {
  big.push(Buffer.allocUnsafeSlow(4 << 20).fill(2));
  small.push(Buffer.allocUnsafeSlow(64 << 10).fill(3));
}
const held = rssMiB();
big = null;
await collect();
const report = { tuning, allocatedMiB: +(held - before).toFixed(1), heldAfterFreeMiB: +(rssMiB() - before).toFixed(1), small: small.length };
if (process.env.TRIM) {
  report.trim = await addon.trimMemory();
  report.heldAfterTrimMiB = +(rssMiB() - before).toFixed(1);
}
process.stdout.write(JSON.stringify(report));
