#!/usr/bin/env node
// CPU ms per PNG, full-size decode to 8-bit RGB: the addon's own decoder
// (DecodePng, through `decode_dump --bench`) against sharp's
// `removeAlpha().raw().toBuffer()` with sharp.concurrency(1) and no cache.
// Rounds alternate the two; each image's figure is its median over rounds.
//
//   node bench/png-decode.mjs [--images DIR] [--rounds 3] [--runs 3]
//   (default DIR: /tmp/imlage-corpus/real; needs npm run build:native)

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const { values: o } = parseArgs({
  options: { images: { type: 'string', default: '/tmp/imlage-corpus/real' }, rounds: { type: 'string', default: '3' }, runs: { type: 'string', default: '3' } },
});
const dump = process.env.IMLAGE_DECODE_DUMP ?? join(ROOT, 'build', 'tools', 'decode_dump');
if (!existsSync(dump)) throw new Error(`${dump} missing: npm run build:native (needs libdeflate-dev)`);
const rounds = Number(o.rounds);
const runs = Number(o.runs);
const files = readdirSync(o.images).filter((f) => /\.png$/i.test(f)).sort().map((f) => join(o.images, f));

sharp.concurrency(1);
sharp.cache(false);

async function sharpMs(buf) {
  await sharp(buf, { limitInputPixels: false }).removeAlpha().raw().toBuffer();  // warm
  const t = process.cpuUsage();
  for (let i = 0; i < runs; i++) await sharp(buf, { limitInputPixels: false }).removeAlpha().raw().toBuffer();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000 / runs;
}

function nativeMs(file) {
  // The tool decodes once untimed, then times `runs` decodes in its own CPU clock.
  const out = execFileSync(dump, ['--bench', String(runs), file]).toString().trim().split(' ');
  return Number(out[2]);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mine = files.map(() => []);
const theirs = files.map(() => []);
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < files.length; i++) {
    const buf = readFileSync(files[i]);
    if (r % 2 === 0) {
      mine[i].push(nativeMs(files[i]));
      theirs[i].push(await sharpMs(buf));
    } else {
      theirs[i].push(await sharpMs(buf));
      mine[i].push(nativeMs(files[i]));
    }
  }
  process.stderr.write(`round ${r + 1}/${rounds} done\n`);
}
let sumMine = 0;
let sumTheirs = 0;
for (let i = 0; i < files.length; i++) {
  const a = median(mine[i]);
  const b = median(theirs[i]);
  sumMine += a;
  sumTheirs += b;
  console.log(`${files[i].split('/').pop()}\t${a.toFixed(2)}\t${b.toFixed(2)}\t${(b / a).toFixed(2)}x`);
}
console.log(`\n${files.length} PNGs, CPU ms/image (mean of per-image medians over ${rounds} rounds x ${runs} runs):`);
console.log(`  DecodePng (libdeflate)     ${(sumMine / files.length).toFixed(2)}`);
console.log(`  sharp removeAlpha().raw()  ${(sumTheirs / files.length).toFixed(2)}`);
console.log(`  ratio sharp / DecodePng    ${(sumTheirs / sumMine).toFixed(2)}x`);
