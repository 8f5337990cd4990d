#!/usr/bin/env node
// Memory stays flat however many images go through: peak RSS of imlage (nsfw,
// fast mode) over N and 10×N images, each run in a fresh process.
//
//   npm run bench:rss -- [--images DIR] [--count N]     (default N = 1000)

import { fork } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({ options: { images: { type: 'string' }, count: { type: 'string' }, child: { type: 'string' } } });
const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');

if (o.child) {
  const { Engine } = await import(join(ROOT, 'dist', 'index.js'));
  const files = readdirSync(o.images).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).map((f) => join(o.images, f));
  const n = Number(o.child);
  function* inputs() {
    for (let i = 0; i < n; i++) yield files[i % files.length];
  }
  const engine = await Engine.create({ config: false, plugins: ['nsfw'], mode: 'fast' });
  const t0 = performance.now();
  let done = 0;
  for await (const r of engine.tag(inputs())) if (!r.error) done++;
  const seconds = (performance.now() - t0) / 1000;
  await engine.close();
  process.send({ n, done, seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024 });
  process.exit(0);
}

const images = o.images ?? (existsSync('/tmp/imlage-corpus/real') ? '/tmp/imlage-corpus/real' : join(ROOT, 'tests', 'fixtures', 'photos'));
const base = Number(o.count ?? 1000);
const run = (n) => new Promise((resolve, reject) => {
  const child = fork(fileURLToPath(import.meta.url), ['--child', String(n), '--images', images], { env: { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '6' } });
  child.once('message', resolve);
  child.once('exit', (code) => code && reject(new Error(`child exited with ${code}`)));
});
const small = await run(base);
const large = await run(base * 10);
const ratio = large.maxRssMiB / small.maxRssMiB;
console.log(`| images | tagged | images/s | peak RSS MiB |\n|---:|---:|---:|---:|`);
for (const r of [small, large]) console.log(`| ${r.n} | ${r.done} | ${(r.done / r.seconds).toFixed(1)} | ${r.maxRssMiB.toFixed(0)} |`);
console.log(`\npeak RSS ${base * 10} / ${base} images: ${ratio.toFixed(3)}x (target: within 10%, i.e. <= 1.10x) ${ratio <= 1.1 ? 'meets' : 'below'}`);
