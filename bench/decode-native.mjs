#!/usr/bin/env node
// CPU ms per image of fast mode's decode to the model size, per format
// group: the addon's native decoder (decodeToSize: libjpeg-turbo DCT scale,
// progressive JPEGs stopped early, area resize) against sharp as imlage's
// fast mode calls it (shrink-on-load + lanczos3), one image at a time on
// one thread each, in alternating rounds of the same run (medians). And the
// native output's MAE against sharp's, per group.
//
//   node bench/decode-native.mjs [corpus dir] [--rounds 3] [--size 224]
//
// The corpus: OUT/real/ and OUT/manifest.tsv of ../shared/corpus/make-corpus.sh
// (default /tmp/imlage-corpus). Needs a built addon (npm run build:native).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string', default: '3' }, size: { type: 'string', default: '224' } } });
const dir = positionals[0] ?? '/tmp/imlage-corpus';
const rounds = Number(values.rounds);
const size = Number(values.size);
const require = createRequire(import.meta.url);
const addon = require('node-gyp-build')(new URL('..', import.meta.url).pathname);
sharp.cache(false);
sharp.concurrency(1);
addon.setDecodeThreads(1);

const rows = readFileSync(join(dir, 'manifest.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
const files = rows.map(([name, , , format]) => ({ name, group: format, bytes: readFileSync(join(dir, 'real', name)) }));
const groups = [...new Set(files.map((f) => f.group))].sort();

const sharpDecode = async (f) => {
  const { data } = await sharp(f.bytes, { failOn: 'warning' }).rotate().removeAlpha().toColourspace('srgb')
    .resize(size, size, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true });
  return data;
};
const orientation = new Map();
for (const f of files) orientation.set(f, (await sharp(f.bytes).metadata()).orientation ?? 1);
const nativeDecode = async (f) => (await addon.decodeToSize(f.bytes, { width: size, height: size, orientation: orientation.get(f) })).data;

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU ms per image of one group's files, or NaN where the decoder does not cover them. */
async function measure(decode, list) {
  const t0 = cpuMs();
  for (const f of list) {
    try {
      await decode(f);
    } catch (err) {
      if (err.reason === 'unsupported') return NaN;
      throw new Error(`${f.name}: ${err.message}`);
    }
  }
  return (cpuMs() - t0) / list.length;
}

const results = { native: {}, sharp: {} };
for (const g of groups) results.native[g] = [], results.sharp[g] = [];
for (let r = 0; r < rounds; r++) {
  for (const g of groups) {
    const list = files.filter((f) => f.group === g);
    // Alternate which goes first, so neither always runs on a warmer machine.
    const order = r % 2 ? ['sharp', 'native'] : ['native', 'sharp'];
    for (const who of order) results[who][g].push(await measure(who === 'native' ? nativeDecode : sharpDecode, list));
  }
}

const mae = (a, b) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
};
console.log(`decode to ${size}x${size}, CPU ms/image (median of ${rounds} rounds), ${files.length} files from ${dir}`);
console.log('group\tfiles\tnative\tsharp\tsharp/native\tMAE native vs sharp (mean, max)');
let totN = 0, totS = 0, covered = 0;
for (const g of groups) {
  const list = files.filter((f) => f.group === g);
  const n = median(results.native[g]);
  const s = median(results.sharp[g]);
  let quality = 'not covered (sharp)';
  if (!Number.isNaN(n)) {
    const m = [];
    for (const f of list) m.push(mae(await nativeDecode(f), await sharpDecode(f)));
    quality = `${(m.reduce((a, b) => a + b, 0) / m.length).toFixed(2)}, ${Math.max(...m).toFixed(2)}`;
  }
  const eff = Number.isNaN(n) ? s : n; // uncovered files fall back to sharp
  totN += eff * list.length; totS += s * list.length; covered += list.length;
  console.log(`${g}\t${list.length}\t${Number.isNaN(n) ? '-' : n.toFixed(1)}\t${s.toFixed(1)}\t${Number.isNaN(n) ? '-' : (s / n).toFixed(2)}\t${quality}`);
}
console.log(`corpus mean (uncovered files on sharp)\t${covered}\t${(totN / covered).toFixed(1)}\t${(totS / covered).toFixed(1)}\t${(totS / totN).toFixed(2)}`);
