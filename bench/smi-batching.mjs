// SMI plugins through the engine, against another build of imlage (issue
// #9: one batch queue in the addon for every plugin kind, against the JS
// Batcher it replaced). Each round tags the same photos in a fresh process
// per tree, alternating, and prints images/s and CPU ms per image (all the
// process's threads: process.cpuUsage) with the medians and the ratios.
//
//   node bench/smi-batching.mjs [--peer /path/to/other/imlage] [--images 300] [--rounds 3] [--cases colors/fast,quality/exact]
//
// The peer is a checkout with its own dist/ and build/ (npm run build,
// npx cmake-js compile). Without one the script measures this tree only.

import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};

// One measurement, in a child process of its own: `--child <root> <plugin> <mode> <images>`.
if (args[0] === '--child') {
  const [, root, plugin, mode, count] = args;
  const { Engine } = await import(join(root, 'dist', 'index.js'));
  const photos = join(here, 'tests', 'fixtures', 'photos');
  const files = readdirSync(photos).filter((f) => /\.(jpe?g|png)$/i.test(f)).map((f) => join(photos, f));
  const list = Array.from({ length: Number(count) }, (_, i) => files[i % files.length]);
  const engine = await Engine.create({ config: false, plugins: [plugin], mode });
  // Warm up: the plugin's first batch and the decoders' first images.
  for await (const r of engine.tag(list.slice(0, 16))) void r;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let failed = 0;
  for await (const r of engine.tag(list)) if (r.error || 'error' in r.results[plugin]) failed++;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await engine.close();
  process.stdout.write(JSON.stringify({ perS: (list.length / ms) * 1000, cpuMsPerImage: (cpu.user + cpu.system) / 1000 / list.length, failed }));
  process.exit(0);
}

const images = opt('images', '300');
const rounds = Number(opt('rounds', '3'));
const peer = opt('peer');
const trees = [['this', here], ...(peer ? [['peer', resolve(peer)]] : [])];
const cases = opt('cases', 'colors/fast,colors/exact,quality/exact').split(',').map((c) => c.split('/'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const [plugin, mode] of cases) {
  const got = Object.fromEntries(trees.map(([name]) => [name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, root] of r % 2 ? [...trees].reverse() : trees) {
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', root, plugin, mode, images], { encoding: 'utf8' });
      got[name].push(JSON.parse(out));
    }
  }
  const line = trees.map(([name]) => {
    const perS = median(got[name].map((m) => m.perS));
    const cpu = median(got[name].map((m) => m.cpuMsPerImage));
    const failed = got[name].reduce((n, m) => n + m.failed, 0);
    return `${name} ${perS.toFixed(1)} img/s, ${cpu.toFixed(2)} CPU ms/img${failed ? `, ${failed} failed` : ''}`;
  });
  let ratio = '';
  if (peer) {
    const p = (k, name) => median(got[name].map((m) => m[k]));
    ratio = ` | this/peer: ${(p('perS', 'this') / p('perS', 'peer')).toFixed(2)}x img/s, ${(p('cpuMsPerImage', 'this') / p('cpuMsPerImage', 'peer')).toFixed(2)}x CPU/img`;
  }
  console.log(`${plugin} ${mode} (${images} images, median of ${rounds}): ${line.join('; ')}${ratio}`);
}
