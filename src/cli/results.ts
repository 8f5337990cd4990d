// `imlage results`: every finished job's result on stdout (or a file), as
// jsonl (one line per image as read) or json (one document at the end);
// with --wait, follow the queue until nothing is left, with a progress line
// on stderr when it is a terminal.

import { Option, type Command } from 'commander';
import { formatSummary } from '../library/sink.js';
import { results, type QueueProgress } from '../queue/results.js';
import { ResultWriter } from './output.js';
import { queueOptions } from './queue-args.js';

interface ResultsCommandOptions {
  redis: string;
  queue: string;
  format: 'json' | 'jsonl';
  wait?: boolean;
  failed?: boolean;
  output?: string;
  quiet?: boolean;
  db?: string | true;
}

function progressLine(p: QueueProgress, rate: number): string {
  const left = p.waiting + p.active + p.delayed;
  const eta = rate > 0 && left > 0 ? `, ETA ${Math.ceil(left / rate)} s` : '';
  return `${p.completed} done, ${p.failed} failed, ${p.waiting + p.delayed} waiting, ${p.active} active; ${rate.toFixed(1)} images/s${eta}`;
}

export async function resultsCommand(o: ResultsCommandOptions): Promise<number> {
  const writer = new ResultWriter(o.output);
  const tty = process.stderr.isTTY && !o.quiet;
  const t0 = Date.now();
  let first: number | undefined;
  let count = 0;
  let failed = 0;
  const all: unknown[] = [];
  let ok = false;
  try {
    for await (const r of results(o.queue, {
      redis: o.redis, wait: o.wait, failed: o.failed, db: o.db,
      onLibrary: (s, path) => {
        if (!o.quiet) process.stderr.write(`imlage: library ${path}: ${formatSummary(s)}\n`);
      },
      onProgress: (p) => {
        first ??= p.completed + p.failed;
        const rate = (p.completed + p.failed - first) / Math.max(0.001, (Date.now() - t0) / 1000);
        if (tty) process.stderr.write(`\r\x1b[K${progressLine(p, rate)}`);
      },
    })) {
      count++;
      if (r.state === 'failed') failed++;
      if (o.format === 'jsonl') await writer.write(JSON.stringify(r.result) + '\n');
      else all.push(r.result);
    }
    if (o.format === 'json') await writer.write(JSON.stringify(all, null, 2) + '\n');
    await writer.commit();
    ok = true;
  } finally {
    if (tty) process.stderr.write('\r\x1b[K');
    // A failed read leaves an earlier -o file as it was.
    if (!ok) await writer.abort();
  }
  if (!o.quiet) process.stderr.write(`imlage: ${count} results${o.failed ? ' of failed jobs' : `, ${failed} failed`}\n`);
  return 0;
}

export function registerResults(program: Command): void {
  queueOptions(program
    .command('results')
    .description("print the results of a queue's finished jobs (failed ones with their error); see docs/scale-out.md"))
    .addOption(new Option('-f, --format <format>', 'jsonl: one line per image as read; json: one document at the end').choices(['json', 'jsonl']).default('jsonl'))
    .option('--wait', 'follow the queue until nothing is waiting or active')
    .option('--failed', 'only jobs that failed for good (unrecoverable, or over their attempts)')
    .option('-o, --output <file>', 'write results to this file instead of stdout')
    .option('--db [file]', 'also record each result in this SQLite database (default ~/.cache/imlage/results.db), as `imlage tag --db` does')
    .option('-q, --quiet', 'print nothing on stderr but errors')
    .action(async (opts: ResultsCommandOptions) => {
      process.exitCode = await resultsCommand(opts);
    });
}
