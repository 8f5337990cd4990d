// `imlage tag PATH...`: parse options, call the Engine, write results,
// summarise on stderr. Exit status 1 only when nothing could be tagged.

import { Engine } from '../engine/engine.js';
import { displayName } from '../engine/file-name.js';
import { expandInputs } from '../engine/inputs.js';
import type { EngineStats } from '../engine/stats.js';
import { isFailure, type TagResult } from '../engine/types.js';
import { ImlageError } from '../errors.js';
import type { ExecutionProvider } from '../native/types.js';
import type { PreprocessMode } from '../plugins/manifest.js';
import { ResultWriter, divertStdout } from './output.js';
import { libraryFlags, openLibrarySink, type LibraryFlags } from './library-flags.js';

export interface TagCommandOptions {
  recursive?: boolean;
  plugin?: string[];
  threshold?: number;
  limit?: number;
  output?: string;
  format: 'json' | 'jsonl';
  mode?: PreprocessMode;
  batchSize?: number;
  provider?: ExecutionProvider[];
  threads?: number;
  config?: string;
  quiet?: boolean;
  order?: 'input' | 'completion';
  stats?: boolean;
  maxPixels?: number;
}

export interface TagCommandOptions extends LibraryFlags {}

function firstLine(s: string): string {
  return s.split('\n')[0]!;
}

export async function tagCommand(paths: string[], opts: TagCommandOptions): Promise<number> {
  const say = (m: string) => {
    if (!opts.quiet) process.stderr.write(`imlage: ${m}\n`);
  };
  const started = Date.now();
  // Before any plugin loads: plugins may print while they initialise.
  const resultsFd = opts.output ? undefined : divertStdout();
  const engine = await Engine.create({
    plugins: opts.plugin,
    threshold: opts.threshold,
    topK: opts.limit,
    mode: opts.mode,
    batchSize: opts.batchSize,
    providers: opts.provider,
    intraOpThreads: opts.threads,
    config: opts.config,
    maxPixels: opts.maxPixels,
    onLog: say,
  });
  // Library (issue 12): --db, --xmp, --force, --since.
  const library = libraryFlags(opts) ? await openLibrarySink(engine, opts, say) : undefined;
  const writer = new ResultWriter(opts.output, resultsFd);
  const progress = process.stderr.isTTY && !opts.quiet;
  let skipped = 0;
  let total = 0;
  let tagged = 0;
  let partial = 0;
  const failed: TagResult[] = [];
  const all: TagResult[] = [];
  try {
    const inputs = expandInputs(paths, { recursive: opts.recursive, onSkip: () => skipped++ });
    for await (const r of engine.tag(library ? library.filter(inputs) : inputs, { order: opts.order })) {
      await library?.add(r);
      total++;
      const outcomes = Object.values(r.results);
      const good = outcomes.filter((x) => !isFailure(x)).length;
      if (r.error || good === 0) failed.push(r);
      else {
        tagged++;
        if (good < outcomes.length) partial++;
      }
      if (opts.format === 'jsonl') await writer.write(JSON.stringify(r) + '\n');
      else all.push(r);
      if (progress) process.stderr.write(`\r\x1b[K${total} images, ${failed.length} failed: ${displayName(r.file)}`);
    }
    if (opts.format === 'json') await writer.write(JSON.stringify(all, null, 2) + '\n');
    if (opts.stats) process.stderr.write(formatStats(engine.stats()));
  } finally {
    if (progress) process.stderr.write('\r\x1b[K');
    if (library) say(await library.finish());
    await writer.close();
    await engine.close();
  }

  const secs = (Date.now() - started) / 1000;
  if (total === 0 && library) return 0; // everything was tagged before
  if (total === 0) {
    throw new ImlageError('IMLAGE_ERR_INPUT', `no images found in ${paths.join(' ')}` +
      (skipped ? ` (${skipped} files skipped: not image extensions)` : '') +
      (opts.recursive ? '' : '; use --recursive to look inside sub-folders'));
  }
  for (const f of failed.slice(0, 20)) {
    const why = f.error ?? Object.entries(f.results).map(([k, v]) => (isFailure(v) ? `${k}: ${v.error}` : '')).join('; ');
    // Names are shown escaped: a control character in one cannot rewrite the terminal.
    say(`failed: ${displayName(f.file)}: ${displayName(firstLine(why))}`);
  }
  if (failed.length > 20) say(`... and ${failed.length - 20} more failures (see the output's "error" fields)`);
  say(`${total} image${total === 1 ? '' : 's'}: ${tagged} tagged${partial ? ` (${partial} with a failed plugin)` : ''}, ${failed.length} failed` +
    `${skipped ? `, ${skipped} non-image files skipped` : ''}; ${secs.toFixed(1)} s, ${(total / secs).toFixed(1)} images/s` +
    (opts.output ? `; results in ${opts.output}` : ''));
  return tagged === 0 ? 1 : 0;
}

function formatStats(s: EngineStats): string {
  const row = (name: string, x: { count: number; meanMs: number; p50Ms: number; p95Ms: number }) =>
    `  ${name.padEnd(22)} ${String(x.count).padStart(7)} ${x.meanMs.toFixed(2).padStart(10)} ${x.p50Ms.toFixed(2).padStart(9)} ${x.p95Ms.toFixed(2).padStart(9)}`;
  const lines = [
    `imlage: stats: ${s.images} images (${s.failed} failed) in ${(s.wallMs / 1000).toFixed(2)} s = ${s.imagesPerSecond} images/s; per image:`,
    `  ${'stage'.padEnd(22)} ${'count'.padStart(7)} ${'mean ms'.padStart(10)} ${'p50 ms'.padStart(9)} ${'p95 ms'.padStart(9)}`,
    row('decode', s.decode),
  ];
  for (const [name, p] of Object.entries(s.plugins)) {
    for (const stage of ['queue', 'preprocess', 'inference', 'postprocess'] as const) lines.push(row(`${name} ${stage}`, p[stage]));
    lines.push(`  ${`${name} mean batch`.padEnd(22)} ${p.meanBatch.toFixed(1).padStart(7)}`);
  }
  return lines.join('\n') + '\n';
}
