// `imlage enqueue PATH...`: one job per image, added in chunks; prints
// nothing on stdout but, with --ids, each job id.

import { Option, type Command } from 'commander';
import { displayName } from '../engine/file-name.js';
import { ImlageError } from '../errors.js';
import type { PreprocessMode } from '../plugins/manifest.js';
import { enqueueChunks } from '../queue/enqueue.js';
import { collect, fraction, integer, queueOptions } from './queue-args.js';

interface EnqueueCommandOptions {
  redis: string;
  queue: string;
  recursive?: boolean;
  priority?: number;
  plugin?: string[];
  threshold?: number;
  limit?: number;
  mode?: PreprocessMode;
  inline?: boolean;
  ids?: boolean;
  quiet?: boolean;
}

export async function enqueueCommand(paths: string[], o: EnqueueCommandOptions): Promise<number> {
  const say = (m: string) => {
    if (!o.quiet) process.stderr.write(`imlage: ${m}\n`);
  };
  let total = 0;
  let unreadable = 0;
  let skipped = 0;
  const started = Date.now();
  for await (const c of enqueueChunks(paths, {
    redis: o.redis, queue: o.queue, recursive: o.recursive, priority: o.priority, plugins: o.plugin, threshold: o.threshold, topK: o.limit, mode: o.mode, inline: o.inline,
    onError: (file, message) => {
      unreadable++;
      process.stderr.write(`imlage: not enqueued: ${displayName(file)}: ${message}\n`);
    },
    onSkip: () => skipped++,
  })) {
    total += c.ids.length;
    if (o.ids) process.stdout.write(c.ids.map((id) => id + '\n').join(''));
    if (process.stderr.isTTY && !o.quiet) process.stderr.write(`\r\x1b[K${total} enqueued`);
  }
  if (process.stderr.isTTY && !o.quiet) process.stderr.write('\r\x1b[K');
  if (total === 0 && unreadable === 0) {
    throw new ImlageError('IMLAGE_ERR_INPUT', `no images found in ${paths.join(' ')}${skipped ? ` (${skipped} files skipped: not image extensions)` : ''}` +
      (o.recursive ? '' : '; use --recursive to look inside sub-folders'));
  }
  say(`${total} images enqueued on "${o.queue}" (an image already queued or done keeps its one job)` +
    `${unreadable ? `, ${unreadable} could not be read` : ''}; ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return unreadable ? 1 : 0;
}

export function registerEnqueue(program: Command): void {
  queueOptions(program
    .command('enqueue')
    .description('add one job per image to a Redis queue for `imlage worker`s; see docs/scale-out.md')
    .argument('<paths...>', 'image files, folders or globs, on storage every worker sees'))
    .option('-r, --recursive', 'look inside sub-folders too')
    .option('--priority <n>', 'BullMQ priority: 1 is the highest; without it jobs come after prioritised ones', integer(1, 2 ** 21))
    .option('-p, --plugin <name>', "plugins the job runs (repeatable; default: every plugin the worker runs)", collect)
    .option('-t, --threshold <n>', 'leave out tags below this confidence (0..1), for every plugin', fraction)
    .option('-l, --limit <n>', 'at most this many tags per plugin per image', integer(1, 100_000))
    .addOption(new Option('--mode <mode>', "exact or fast preprocessing (default: the worker's)").choices(['exact', 'fast']))
    .option('--inline', 'carry each image in its job (up to 4 MiB) instead of its path')
    .option('--ids', 'print each job id on stdout')
    .option('-q, --quiet', 'print nothing on stderr but errors')
    .action(async (paths: string[], opts: EnqueueCommandOptions) => {
      process.exitCode = await enqueueCommand(paths, opts);
    });
}
