// `imlage db export|query`: read the results store that `imlage tag --db` fills.
// (Named db, not results: `imlage results` belongs to the job queue.)

import { Option, type Command } from 'commander';
import { CSV_HEADER, toCsvRows, toJsonLine } from '../library/store/export.js';
import { ResultStore, defaultDbPath } from '../library/store/store.js';
import { ResultWriter } from './output.js';

interface DbOptions {
  db?: string;
  format: 'jsonl' | 'csv';
  tag?: string;
  plugin?: string;
  output?: string;
}

async function dump(opts: DbOptions): Promise<number> {
  const store = ResultStore.open(opts.db ?? defaultDbPath(), { readonly: true });
  const out = new ResultWriter(opts.output);
  let n = 0;
  let ok = false;
  try {
    if (opts.format === 'csv') await out.write(CSV_HEADER);
    for (const img of store.images({ tag: opts.tag, plugin: opts.plugin })) {
      n++;
      await out.write(opts.format === 'csv' ? toCsvRows(img) : toJsonLine(img));
    }
    await out.commit();
    ok = true;
  } finally {
    if (!ok) await out.abort();
    store.close();
  }
  return n === 0 && opts.tag !== undefined ? 1 : 0;
}

export function registerDb(program: Command): void {
  const db = program.command('db').description('the results database of `imlage tag --db`');
  const common = (c: Command) => c
    .option('--db <file>', 'the database (default ~/.cache/imlage/results.db)')
    .addOption(new Option('-f, --format <format>', 'jsonl: one line per image; csv: one row per tag').choices(['jsonl', 'csv']).default('jsonl'))
    .option('-o, --output <file>', 'write to this file instead of stdout');
  common(db.command('export').description('every image with its current results'))
    .option('-p, --plugin <name>', 'only images this plugin tagged')
    .action(async (opts: DbOptions) => {
      process.exitCode = await dump(opts);
    });
  common(db.command('query').description('images with a tag (exit status 1 when none has it)'))
    .requiredOption('--tag <label>', 'the tag, e.g. dog')
    .option('-p, --plugin <name>', 'only this plugin\'s tags')
    .action(async (opts: DbOptions) => {
      process.exitCode = await dump(opts);
    });
}
