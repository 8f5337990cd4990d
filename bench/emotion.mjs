#!/usr/bin/env node
// What the emotion plugin costs per face beside the faces detector that
// feeds it, in the same run: each image's inference time per plugin
// (Engine.onTiming), over photos with 1 to 4 faces. Medians over rounds.
//
//   node bench/emotion.mjs [--rounds 5] [--count 30]   (needs npm run build and the fixtures)

import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { ROOT, importDist, median } from './lib.mjs';

const { values: o } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, count: { type: 'string', default: '30' } } });
const { Engine } = await importDist('index.js');
const messi = join(ROOT, 'tests', 'fixtures', 'photos', 'messi5.jpg');
// one face cut from messi5.jpg, then printed 2x2: four faces
const tile = await sharp(messi).extract({ left: 180, top: 50, width: 120, height: 100 }).png().toBuffer();
const four = await sharp({ create: { width: 240, height: 200, channels: 3, background: '#000' } })
  .composite([[0, 0], [120, 0], [0, 100], [120, 100]].map(([left, top]) => ({ input: tile, left, top }))).png().toBuffer();
const inputs = [messi, { name: 'crop.png', data: tile }, { name: 'four.png', data: four }];

const engine = await Engine.create({ plugins: ['faces', 'emotion'], config: false });
const perFace = [], perImage = [];
try {
  for (let round = 0; round < Number(o.rounds); round++) {
    let faces = 0, facesMs = 0, emotionMs = 0;
    const off = engine.onTiming((t) => {
      facesMs += t.plugins.faces?.inferenceMs ?? 0;
      emotionMs += t.plugins.emotion?.inferenceMs ?? 0;
    });
    const list = Array.from({ length: Number(o.count) }, (_, i) => inputs[i % inputs.length]);
    for await (const r of engine.tag(list)) faces += r.results.faces.regions?.length ?? 0;
    off();
    perFace.push(emotionMs / faces);
    perImage.push(facesMs / list.length);
    console.log(`round ${round + 1}: emotion ${(emotionMs / faces).toFixed(2)} ms per face (${faces} faces), faces ${(facesMs / list.length).toFixed(2)} ms per image`);
  }
} finally {
  await engine.close();
}
const f = median(perFace), d = median(perImage);
console.log(`median of ${o.rounds} rounds: emotion inference ${f.toFixed(2)} ms per face, faces ${d.toFixed(2)} ms per image (ratio ${(f / d).toFixed(2)})`);
