// `imlage tag PATH...`: check the inputs, start the Engine, write results
// in the chosen format, show progress, summarise on stderr. Exit status:
// 0 all tagged, 1 some failed, 130 interrupted (usage errors throw: 2).

import { isatty } from 'node:tty';
import { Option, type Command } from 'commander';
import { Engine } from '../engine/engine.js';
import { displayName } from '../engine/file-name.js';
import { expandInputs } from '../engine/inputs.js';
import type { EngineStats } from '../engine/stats.js';
import { isFailure, type TagInput, type TagResult } from '../engine/types.js';
import { ImlageError } from '../errors.js';
import type { ExecutionProvider } from '../binding/types.js';
import type { PreprocessMode } from '../plugins/manifest.js';
import { EXIT } from './exit.js';
import { FORMATS, makeFormatter, type Format } from './format.js';
import { checkPaths, readPathList, readStdinImage } from './inputs.js';
import { makeLogger, verbosityOf } from './log.js';
import { addLibraryOptions, libraryFlags, openLibrarySink, type LibraryFlags } from './library-flags.js';
import { ResultWriter, divertStdout } from './output.js';
import { collect, collectChoice, number, PROVIDER_CHOICES } from './options.js';
import { makeProgress } from './progress.js';
import { usableProviders } from './providers.js';

export interface TagCommandOptions extends LibraryFlags {
  recursive?: boolean;
  plugin?: string[];
  threshold?: number;
  limit?: number;
  output?: string;
  format?: Format;
  mode?: PreprocessMode;
  batchSize?: number;
  provider?: ExecutionProvider[];
  threads?: number;
  config?: string;
  quiet?: boolean;
  verbose?: boolean;
  order?: 'input' | 'completion';
  stats?: boolean;
  filesFrom?: string;
  null?: boolean;
  maxPixels?: number;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!;
}

/** Paths and stdin, checked: images to tag, and results for the paths that do not exist. */
async function gatherInputs(paths: string[], opts: TagCommandOptions) {
  const listed = opts.filesFrom ? await readPathList(opts.filesFrom, Boolean(opts.null)) : [];
  const all = [...paths, ...listed];
  if (all.length === 0) throw new ImlageError('IMLAGE_ERR_INVALID_ARG', 'no images given: pass paths, - for stdin, or --files-from FILE');
  const stdinImage = paths.includes('-');
  if (stdinImage && opts.filesFrom === '-') throw new ImlageError('IMLAGE_ERR_INVALID_ARG', 'stdin cannot hold both an image (-) and the list of files (--files-from -)');
  const { present, missing } = checkPaths(all.filter((p) => p !== '-'));
  let skipped = 0;
  const images: TagInput[] = [];
  if (stdinImage) images.push({ name: '<stdin>', data: await readStdinImage() });
  for await (const f of expandInputs(present, { recursive: opts.recursive, onSkip: () => skipped++ })) images.push(f);
  const failed: TagResult[] = missing.map((m) => ({ file: m.path, results: {}, error: `${m.reason}: ${m.path}` }));
  return { images, failed, skipped, all };
}

export async function tagCommand(paths: string[], opts: TagCommandOptions): Promise<number> {
  const started = Date.now();
  const stdoutTty = !opts.output && isatty(1);
  const stderrTty = isatty(2);
  const format: Format = opts.format ?? (stdoutTty ? 'table' : 'json');
  const verbosity = verbosityOf(opts);
  let clearBar = () => {};
  const log = makeLogger(verbosity, () => clearBar());

  const { images, failed: missing, skipped, all } = await gatherInputs(paths, opts);
  for (const m of missing) log.warn(`${m.error}`);
  if (images.length === 0) {
    throw new ImlageError('IMLAGE_ERR_INPUT', missing.length ? `none of the paths exist (${missing.length} missing)`
      : `no images found in ${all.join(' ')}` + (skipped ? ` (${skipped} files skipped: not image extensions)` : '') +
        (opts.recursive ? '' : '; use --recursive to look inside sub-folders'));
  }

  const providers = await usableProviders(opts.provider, opts.config, log);
  // Before any plugin loads: plugins may print while they initialise.
  const resultsFd = opts.output ? undefined : divertStdout();
  const engine = await Engine.create({
    plugins: opts.plugin,
    threshold: opts.threshold,
    topK: opts.limit,
    mode: opts.mode,
    batchSize: opts.batchSize,
    providers,
    intraOpThreads: opts.threads,
    config: opts.config,
    maxPixels: opts.maxPixels,
    onLog: (m) => log.engine(m),
  });
  // Photo library (--db, --xmp): skips what the database has, records and writes sidecars.
  const library = libraryFlags(opts) ? await openLibrarySink(engine, opts, (m) => log.info(m)) : undefined;
  const writer = new ResultWriter(opts.output, resultsFd);
  const total = images.length + missing.length;
  const progress = makeProgress(total, verbosity === 'quiet' ? 'none' : stderrTty ? 'bar' : 'lines');
  clearBar = () => progress.clear();
  const pluginNames = [...new Set([...engine.plugins.map((p) => p.name), ...(opts.plugin ?? [])])];
  const formatter = makeFormatter(format, pluginNames, stdoutTty ? process.stdout.columns || 100 : 100);

  // Ctrl-C: stop feeding images, let those in flight finish, write what is done.
  let interrupted: string | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) {
      writer.discardSync();
      process.exit(EXIT.interrupted);
    }
    interrupted = sig;
    clearBar();
    process.stderr.write(`imlage: ${sig}: finishing the images in flight (again to quit at once)\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  async function* feed(): AsyncGenerator<TagInput> {
    for (const img of images) {
      if (interrupted || writer.closedByReader) return;
      yield img;
    }
  }

  let tagged = 0;
  let partial = 0;
  let done = 0;
  const failed: TagResult[] = [];
  const emit = async (r: TagResult) => {
    done++;
    const outcomes = Object.values(r.results);
    const good = outcomes.filter((x) => !isFailure(x)).length;
    if (r.error || good === 0) failed.push(r);
    else {
      tagged++;
      if (good < outcomes.length) partial++;
    }
    const text = formatter.item(r);
    if (text) {
      if (stdoutTty) progress.clear();
      await writer.write(text);
    }
    progress.tick(failed.includes(r));
  };
  let ok = false;
  try {
    await writer.write(formatter.begin());
    for (const r of missing) await emit(r);
    for await (const r of engine.tag(library ? library.filter(feed(), () => progress.tick(false)) : feed(), { order: opts.order })) {
      await library?.add(r);
      await emit(r);
    }
    progress.done();
    await writer.write(formatter.end(interrupted));
    await writer.commit();
    ok = true;
  } finally {
    progress.done();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!ok) await writer.abort();
    if (opts.stats && ok) process.stderr.write(formatStats(engine.stats()));
    if (library) log.info(await library.finish());
    await engine.close();
  }
  // `| head` went away: nothing more to say.
  if (writer.closedByReader) return EXIT.ok;

  const secs = (Date.now() - started) / 1000;
  for (const f of failed.slice(0, 20)) {
    const why = f.error ?? Object.entries(f.results).map(([k, v]) => (isFailure(v) ? `${k}: ${v.error}` : '')).filter(Boolean).join('; ');
    log.info(`failed: ${displayName(f.file)}: ${firstLine(why)}`);
  }
  if (failed.length > 20) log.info(`... and ${failed.length - 20} more failures (see the output's "error" fields)`);
  log.info(`${done} image${done === 1 ? '' : 's'}: ${tagged} tagged${partial ? ` (${partial} with a failed plugin)` : ''}, ${failed.length} failed` +
    `${skipped ? `, ${skipped} non-image files skipped` : ''}; ${secs.toFixed(1)} s, ${(done / secs).toFixed(1)} images/s` +
    (interrupted ? `; interrupted, ${total - done} not tagged` : '') +
    (opts.output ? `; results in ${opts.output}` : ''));
  if (interrupted) return interrupted === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
  return failed.length ? EXIT.failed : EXIT.ok;
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


export function registerTag(program: Command): void {
  addLibraryOptions(program.command('tag'))
    .description('tag images: files, folders, glob patterns, - for one image on stdin')
    .argument('[paths...]', 'image files, folders or globs (quote globs to keep the shell from expanding them); - reads one image from stdin')
    .option('-r, --recursive', 'look inside sub-folders too')
    .option('-p, --plugin <name>', 'run this plugin (repeatable; default: every enabled plugin)', collect)
    .option('-t, --threshold <n>', 'leave out tags below this confidence (0..1), for every plugin', number(0, 1))
    .option('-l, --limit <n>', 'at most this many tags per plugin per image', number(1, 100000, true))
    .option('-o, --output <file>', 'write results to this file (replaced only when the run ends; an earlier file survives a failure)')
    .addOption(new Option('-f, --format <format>', 'table (default on a terminal), json (default otherwise), jsonl (a line per image as it finishes), csv (a row per tag)').choices(FORMATS))
    .option('--files-from <file>', 'read more paths from this file, one per line (- for stdin)')
    .option('-0, --null', 'with --files-from: paths are separated by NUL characters (find -print0)')
    .addOption(new Option('--mode <mode>', "exact: each model's original preprocessing; fast: decode straight to model size").choices(['exact', 'fast']))
    .option('--batch-size <n>', 'largest inference batch per plugin (default: from the hardware, see imlage hardware)', number(1, 1024, true))
    .addOption(new Option('--order <order>', 'input: results in input order; completion: as soon as each is done').choices(['input', 'completion']).default('input'))
    .option('--stats', 'print per-stage timing (decode, queue, inference, post-processing) on stderr at the end')
    .addOption(new Option('--provider <name>', 'execution provider to try, in order (repeatable; CPU is the fallback)').choices(PROVIDER_CHOICES).argParser(collectChoice(PROVIDER_CHOICES)))
    .option('--threads <n>', 'ONNX Runtime threads per model (0: one per core)', number(0, 1024, true))
    .option('--max-pixels <n>', 'fail images larger than this many pixels, from their header (default 100000000)', number(1, Number.MAX_SAFE_INTEGER, true))
    .option('--config <file>', 'read this config.toml instead of ~/.config/imlage/config.toml')
    .option('-q, --quiet', 'print nothing on stderr but errors (no progress, no summary)')
    .option('-v, --verbose', 'also print debug lines (model cache, thread plan, plugin debug logs)')
    .action(async (paths: string[], opts: TagCommandOptions) => {
      process.exitCode = await tagCommand(paths, opts);
    });
}
