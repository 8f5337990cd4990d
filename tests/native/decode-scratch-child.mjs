// Run by decode-scratch.test.ts as `node --expose-gc`: decodes a PNG whose
// full-size buffer is larger than what a decode thread may keep
// (native/src/decode/scratch.h: 64 MiB for all decode threads) and one that is smaller, on one
// decode thread, and prints the resident set after each (JSON, MiB).
import { readFileSync } from 'node:fs';
import sharp from 'sharp';

const rssMiB = () => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const collect = async () => {
  for (let i = 0; i < 5; i++) {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 20));
  }
};
const { loadAddon } = await import('../../dist/binding/binding.js');
const addon = loadAddon();
addon.setDecodeThreads(1);
const png = (width, height) => sharp({ create: { width, height, channels: 4, background: { r: 10, g: 200, b: 30, alpha: 1 } } })
  .png({ compressionLevel: 1 }).toBuffer();
// 5000 × 4000 RGBA inflates to 80 MB (over the bound); 1500 × 1000 to 6 MB (kept).
const huge = await png(5000, 4000);
const small = await png(1500, 1000);
const decode = (bytes) => addon.decodeToSize(bytes, { width: 224, height: 224 });
await decode(small); // the thread, the addon and the allocator warmed up
await collect();
const before = rssMiB();
const out = await decode(huge);
await collect();
const afterHuge = rssMiB();
for (let i = 0; i < 3; i++) await decode(small);
await collect();
const afterSmall = rssMiB();
process.stdout.write(JSON.stringify({ before, afterHuge, afterSmall, width: out.width, pixel: [...out.data.subarray(0, 3)] }));
