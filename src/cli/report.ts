// `imlage report [--db FILE] [PATH...] -o report.html`: an HTML page
// comparing the plugins' tags, from the results database; PATHs are tagged
// into it first (images tagged before are skipped).

import type { Command } from 'commander';
import { Engine } from '../engine/engine.js';
import { expandInputs } from '../engine/inputs.js';
import { buildReport } from '../library/report/build.js';
import { LibrarySink, formatSummary } from '../library/sink.js';
import { ResultStore, defaultDbPath } from '../library/store/store.js';

interface ReportCommandOptions {
  db?: string;
  output: string;
  plugin?: string[];
  recursive?: boolean;
  config?: string;
  title?: string;
  quiet?: boolean;
}

async function reportCommand(paths: string[], opts: ReportCommandOptions): Promise<number> {
  const say = (m: string) => {
    if (!opts.quiet) process.stderr.write(`imlage: ${m}\n`);
  };
  const dbPath = opts.db ?? defaultDbPath();
  const started = Date.now();
  let only: Set<string> | undefined;
  const store = paths.length ? ResultStore.open(dbPath) : ResultStore.open(dbPath, { readonly: true });
  try {
    if (paths.length) {
      only = new Set();
      const engine = await Engine.create({ plugins: opts.plugin, config: opts.config, onLog: say });
      try {
        const sink = LibrarySink.open(engine, { db: store, settings: { mode: engine.mode }, onWarning: (m) => say(`warning: ${m}`) });
        const inputs = expandInputs(paths, { recursive: opts.recursive });
        const named = async function* () {
          for await (const i of inputs) {
            if (typeof i === 'string') only!.add(i);
            yield i;
          }
        };
        for await (const r of engine.tag(sink.filter(named()))) await sink.add(r);
        say(formatSummary(await sink.finish()));
      } finally {
        await engine.close();
      }
    }
    const { images, failures } = await buildReport(store, opts.output, { paths: only, title: opts.title });
    say(`report of ${images} images (${failures} failures) in ${opts.output}; ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return images === 0 ? 1 : 0;
  } finally {
    store.close();
  }
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('an HTML page comparing the plugins\' tags per image (from the results database; PATHs are tagged into it first)')
    .argument('[paths...]', 'images, folders or globs to tag and report on (default: everything in the database)')
    .requiredOption('-o, --output <file>', 'the HTML file to write')
    .option('--db <file>', 'the results database (default ~/.cache/imlage/results.db)')
    .option('-r, --recursive', 'look inside sub-folders too')
    .option('-p, --plugin <name>', 'tag with this plugin (repeatable; default: every enabled plugin)', collect)
    .option('--title <text>', 'the page title')
    .option('--config <file>', 'read this config.toml')
    .option('-q, --quiet', 'print nothing on stderr but errors')
    .action(async (paths: string[], opts: ReportCommandOptions) => {
      process.exitCode = await reportCommand(paths, opts);
    });
}
