#!/usr/bin/env node
// What the objects plugin's regions cost: the addon's postprocessing of one
// image with and without postprocess.regions (NanoDet head + NMS), in the
// same session, rounds alternating, per candidate floor. Medians over rounds.
//
//   node bench/regions.mjs [--rounds 15] [PHOTO...]   (default: fixture photos; needs npm run build)

import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { ROOT, importDist, median, modelPath } from './lib.mjs';

const { values: o, positionals } = parseArgs({ options: { rounds: { type: 'string', default: '15' } }, allowPositionals: true });
const photos = positionals.length ? positionals : ['messi5.jpg', 'fruits.jpg', 'home.jpg'].map((f) => join(ROOT, 'tests', 'fixtures', 'photos', f));
const { loadAddon, defaultOrtLibrary } = await importDist('binding/binding.js');
const { readManifest } = await importDist('plugins/manifest.js');
const m = readManifest(join(ROOT, 'plugins', 'objects', 'plugin.toml'));
const r = m.output.regions;
const addon = loadAddon();
addon.loadOrt(defaultOrtLibrary());
const session = await addon.createSession(await modelPath('objects'), { intraOpThreads: 1 });
const pre = { width: m.input.width, height: m.input.height, layout: m.input.layout, channels: m.input.channels, resize: 'bilinear', normalizeFirst: false, scale: m.input.scale, mean: m.input.mean, std: m.input.std };

console.log('photo\tfloor\tboxes\ttags-only ms\twith regions ms\tinference ms');
for (const file of photos) {
  const { data, info } = await sharp(file).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const image = { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
  for (const floor of [0, r.threshold, m.output.threshold]) {
    const post = { outputs: m.output.names, activation: m.output.activation, reduce: m.output.reduce, threshold: floor, topK: 0 };
    const regions = { decoder: r.decoder, outputs: r.outputs, threshold: floor, iou: r.iou, maxDetections: r.max, perClass: r.perClass };
    const plain = [], boxed = [], infer = [];
    let boxes = 0;
    for (let i = 0; i < Number(o.rounds); i++) {
      const a = await session.run([image], pre, post);
      const b = await session.run([image], pre, { ...post, regions });
      plain.push(a.timing.postprocessMs);
      boxed.push(b.timing.postprocessMs);
      infer.push(a.timing.inferenceMs, b.timing.inferenceMs);
      boxes = b.results[0].regions?.length ?? 0;
    }
    const f = (x) => x.toFixed(3);
    console.log(`${file.split('/').pop()}\t${floor}\t${boxes}\t${f(median(plain))}\t${f(median(boxed))}\t${median(infer).toFixed(1)}`);
  }
}
await session.close();
