#!/usr/bin/env node
// imlage accuracy eval: every plugin with a label vocabulary in
// eval/labels.toml, scored on the hand-labelled photo corpus.
//
//   npm run eval -- [--corpus DIR] [--only a,b] [--variants] [--no-write] [--json FILE]
//
// Writes the figures into docs/accuracy.md (between its eval markers) with
// the date and the commit. See docs/accuracy.md for the definitions.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { discoverPlugins } from '../dist/index.js';
import { collectScores } from './collect.mjs';
import { DEFAULT_CORPUS, ensureCorpus, locatePhotos } from './corpus.mjs';
import { loadLabels } from './labels.mjs';
import { evaluatePlugin, taskOf } from './evaluate.mjs';
import { renderMarkdown, renderText } from './report.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = `usage: npm run eval -- [options]
  --corpus DIR          the photo corpus (default ${DEFAULT_CORPUS}; built by --corpus-script when missing)
  --corpus-script FILE  the corpus script (default ../shared/corpus/make-corpus.sh beside the repository)
  --only a,b            only these plugins
  --variants            also score the candidate manifests in eval/variants/ (how the shipped choices were made)
  --mode exact|fast     preprocessing mode (default exact)
  --no-write            print only; leave docs/accuracy.md as it is
  --json FILE           also write every score (for further analysis)`;

let opts;
try {
  opts = parseArgs({
    options: {
      corpus: { type: 'string', default: DEFAULT_CORPUS },
      'corpus-script': { type: 'string', default: join(ROOT, '..', 'shared', 'corpus', 'make-corpus.sh') },
      only: { type: 'string' },
      variants: { type: 'boolean', default: false },
      mode: { type: 'string', default: 'exact' },
      'no-write': { type: 'boolean', default: false },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (err) {
  console.error(`eval: ${err.message}\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!['exact', 'fast'].includes(opts.mode)) {
  console.error(`eval: --mode must be exact or fast, got "${opts.mode}"`);
  process.exit(2);
}

const labels = loadLabels(join(ROOT, 'eval', 'labels.toml'));
const photoDir = ensureCorpus(resolve(opts.corpus), opts['corpus-script']);
const { paths, problems } = locatePhotos(photoDir, labels);
for (const p of problems) console.error(`eval: skipped ${p}`);
if (paths.size === 0) {
  console.error('eval: no labelled photo found in the corpus');
  process.exit(1);
}
const photos = labels.filter((p) => paths.has(p.file));

const pluginDirs = opts.variants ? [join(ROOT, 'eval', 'variants')] : [];
const found = discoverPlugins([join(ROOT, 'plugins'), ...pluginDirs]).plugins;
const only = opts.only?.split(',').map((s) => s.trim()).filter(Boolean);
const chosen = found.filter((m) => (!only || only.includes(m.name)) && taskOf(m));
const skipped = found.filter((m) => !taskOf(m) && (!only || only.includes(m.name))).map((m) => m.name);
for (const n of only ?? []) if (!found.some((m) => m.name === n)) console.error(`eval: no plugin "${n}"`);

const sections = [];
const dump = {};
for (const m of chosen) {
  console.error(`eval: ${m.name}: ${photos.length} photos ...`);
  const run = await collectScores(m.name, paths, { pluginDirs, mode: opts.mode, source: m.crops?.from });
  for (const e of run.errors) console.error(`eval: ${m.name}: ${e}`);
  const section = evaluatePlugin(m, run, photos);
  sections.push(section);
  console.log(renderText(section));
  dump[m.name] = Object.fromEntries(run.scores);
}

const meta = {
  date: new Date().toISOString().slice(0, 10),
  commit: gitCommit(),
  photos: photos.length,
  withMust: photos.filter((p) => p.must.length).length,
  mode: opts.mode,
  skipped,
  command: `npm run eval${opts.variants ? ' -- --variants' : ''}`,
};
if (opts.json) writeFileSync(opts.json, JSON.stringify({ meta, scores: dump }, null, 1));
if (!opts['no-write'] && !only) {
  const doc = join(ROOT, 'docs', 'accuracy.md');
  writeFileSync(doc, spliceGenerated(readFileSync(doc, 'utf8'), renderMarkdown(meta, sections)));
  console.error(`eval: wrote ${doc}`);
}

function gitCommit() {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}

function spliceGenerated(text, generated) {
  const begin = '<!-- eval:begin -->', end = '<!-- eval:end -->';
  const a = text.indexOf(begin), b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`docs/accuracy.md: the markers ${begin} and ${end} are missing`);
  return text.slice(0, a + begin.length) + '\n' + generated + '\n' + text.slice(b);
}
