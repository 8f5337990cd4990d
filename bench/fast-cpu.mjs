#!/usr/bin/env node
// CPU ms per image of one fast-mode Engine pass (nsfw by default) over a
// fixed image set: the whole pipeline as `engine.tag(paths)` runs it
// (reading, probing, decoding, inference), counted with process.cpuUsage
// over every thread of the process. CPU time moves much less than wall time
// on a shared machine, so this is the figure to compare changes by.
//
//   node bench/fast-cpu.mjs [--images DIR] [--rounds 3] [--passes 2] [--plugins nsfw]
//   node bench/fast-cpu.mjs --trees /path/to/before,. --rounds 5
//
// With --trees, each round runs each tree's dist/ and addon in a fresh
// process, alternating which goes first, and the medians are per tree: the
// way to compare a change with its base (a copy of the base tree built
// beside this one, sharing node_modules).
import { fork } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '/tmp/imlage-corpus/real' },
    rounds: { type: 'string', default: '3' },
    passes: { type: 'string', default: '2' },
    plugins: { type: 'string', default: 'nsfw' },
    trees: { type: 'string' },
    child: { type: 'string' },
  },
});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function child(tree) {
  const { Engine, isFailure } = await import(pathToFileURL(join(tree, 'dist', 'index.js')).href);
  const files = readdirSync(values.images).sort().map((f) => join(values.images, f));
  const engine = await Engine.create({ plugins: values.plugins.split(','), mode: 'fast', config: false });
  const pass = async () => {
    let errors = 0;
    for await (const r of engine.tag(files)) if (r.error || Object.values(r.results).some((p) => isFailure(p))) errors++;
    return errors;
  };
  await pass(); // warm: page cache, first batches, lazy set-up
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let errors = 0;
  for (let p = 0; p < Number(values.passes); p++) errors += await pass();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const n = files.length * Number(values.passes);
  await engine.close();
  process.send({ cpuMs: (cpu.user + cpu.system) / 1000 / n, userMs: cpu.user / 1000 / n, sysMs: cpu.system / 1000 / n, wallMs: wall / n, errors, images: n });
}

function run(tree) {
  return new Promise((res, rej) => {
    const args = ['--images', values.images, '--passes', values.passes, '--plugins', values.plugins, '--child', tree];
    const c = fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let got;
    c.on('message', (m) => (got = m));
    c.on('exit', (code) => (got ? res(got) : rej(new Error(`${tree}: exited with ${code}`))));
  });
}

if (values.child) {
  await child(values.child);
} else {
  const trees = (values.trees ?? '.').split(',').map((t) => resolve(t));
  const out = Object.fromEntries(trees.map((t) => [t, []]));
  for (let r = 0; r < Number(values.rounds); r++) {
    const order = r % 2 ? [...trees].reverse() : trees;
    for (const t of order) {
      const m = await run(t);
      out[t].push(m);
      console.log(`round ${r + 1} ${t}: ${m.cpuMs.toFixed(2)} CPU ms/image (user ${m.userMs.toFixed(2)}, sys ${m.sysMs.toFixed(2)}), ${m.wallMs.toFixed(2)} wall ms/image, ${m.errors} errors`);
    }
  }
  for (const t of trees) {
    const ms = out[t];
    console.log(`median ${t}: ${median(ms.map((m) => m.cpuMs)).toFixed(2)} CPU ms/image (user ${median(ms.map((m) => m.userMs)).toFixed(2)}, sys ${median(ms.map((m) => m.sysMs)).toFixed(2)}), wall ${median(ms.map((m) => m.wallMs)).toFixed(2)} ms/image, ${ms[0].images} images a round`);
  }
}
