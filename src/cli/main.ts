#!/usr/bin/env node
// Command-line wiring only: parse, then call library functions.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { sizeUvPoolEarly } from '../engine/threads.js';
import { ImlageError, isPluginLoadFailure } from '../errors.js';
import { packageRoot } from '../paths.js';
import { pluginsInfoCommand, pluginsListCommand } from './plugins.js';
import { prepareCommand } from './prepare.js';
import { serveCommand } from './serve.js';
import { tagCommand } from './tag.js';
import { registerEnqueue } from './enqueue.js';
import { registerResults } from './results.js';
import { registerWorker } from './worker.js';

sizeUvPoolEarly();

const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };

function number(min: number, max: number, integer = false) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || Number.isNaN(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${v}"`);
    }
    return n;
  };
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

const program = new Command()
  .name('imlage')
  .description('Tag images with local models: NSFW classes, objects and more.')
  .version(version);

program
  .command('tag')
  .description('tag images: files, folders or glob patterns')
  .argument('<paths...>', 'image files, folders or globs (quote globs to keep the shell from expanding them)')
  .option('-r, --recursive', 'look inside sub-folders too')
  .option('-p, --plugin <name>', 'run this plugin (repeatable; default: every enabled plugin)', collect)
  .option('-t, --threshold <n>', 'leave out tags below this confidence (0..1), for every plugin', number(0, 1))
  .option('-l, --limit <n>', 'at most this many tags per plugin per image', number(1, 100000, true))
  .option('-o, --output <file>', 'write results to this file instead of stdout')
  .addOption(new Option('-f, --format <format>', 'json: one document at the end; jsonl: one line per image as it finishes').choices(['json', 'jsonl']).default('json'))
  .addOption(new Option('--mode <mode>', "exact: each model's original preprocessing; fast: decode straight to model size").choices(['exact', 'fast']))
  .option('--batch-size <n>', 'largest inference batch per plugin (default 16)', number(1, 1024, true))
  .addOption(new Option('--order <order>', 'input: results in input order; completion: as soon as each is done').choices(['input', 'completion']).default('input'))
  .option('--stats', 'print per-stage timing (decode, queue, inference, post-processing) on stderr at the end')
  .addOption(new Option('--provider <name>', 'execution provider to try, in order (repeatable; CPU is the fallback)').choices(['cpu', 'cuda', 'tensorrt', 'coreml']).argParser(collect))
  .option('--threads <n>', 'ONNX Runtime threads per model (0: one per core)', number(0, 1024, true))
  .option('--max-pixels <n>', 'fail images larger than this many pixels, from their header (default 100000000)', number(1, Number.MAX_SAFE_INTEGER, true))
  .option('--config <file>', 'read this config.toml instead of ~/.config/imlage/config.toml')
  .option('-q, --quiet', 'print nothing on stderr but errors')
  .action(async (paths: string[], opts) => {
    process.exitCode = await tagCommand(paths, opts);
  });

program
  .command('prepare')
  .description('convert and load the models of the enabled plugins now (install runs this)')
  .option('-p, --plugin <name>', 'only this plugin (repeatable)', collect)
  .option('--config <file>', 'read this config.toml')
  .option('-q, --quiet', 'print nothing on stderr but errors')
  .action(async (opts) => {
    process.exitCode = await prepareCommand(opts);
  });

program
  .command('serve')
  .description('an HTTP server tagging images (POST /v1/tag), with health, metrics and OpenAPI routes; see docs/server.md')
  .option('--host <address>', 'address to listen on (default 127.0.0.1: this machine only)')
  .option('--port <n>', 'TCP port (default 8080; 0: any free port)', number(0, 65535, true))
  .option('-p, --plugin <name>', 'run this plugin (repeatable; default: every enabled plugin)', collect)
  .option('--token <token>', 'bearer token required on everything but health routes (default $IMLAGE_TOKEN)')
  .option('--root <dir>', 'folder whose files JSON requests may name (nothing outside it is opened)')
  .addOption(new Option('--mode <mode>', "exact: each model's original preprocessing; fast: decode straight to model size").choices(['exact', 'fast']))
  .addOption(new Option('--provider <name>', 'execution provider to try, in order (repeatable; CPU is the fallback)').choices(['cpu', 'cuda', 'tensorrt', 'coreml']).argParser(collect))
  .option('--max-queue <n>', 'images waiting for the engine before requests get 429 (default 256)', number(0, 1_000_000, true))
  .option('--timeout <ms>', 'per-request deadline (default 30000): 504 beyond', number(1, 600_000, true))
  .option('--config <file>', 'read this config.toml instead of ~/.config/imlage/config.toml')
  .action(async (opts) => {
    await serveCommand(opts);
  });

registerWorker(program);
registerEnqueue(program);
registerResults(program);

const plugins = program.command('plugins').description('installed plugins');
plugins
  .command('list')
  .description('list installed plugins: name, version, kind, state, description')
  .option('--check', 'load each plugin to report whether it works (state active or error)')
  .option('--capability <name>', 'only plugins with this capability (e.g. nsfw, objects, colors, ocr)')
  .option('--search <text>', 'only plugins whose name or description contains this')
  .option('--json', 'machine-readable output')
  .option('--config <file>', 'read this config.toml')
  .action(async (opts) => {
    process.exitCode = await pluginsListCommand(opts);
  });
plugins
  .command('info')
  .description("one plugin's manifest: model or library, input, labels, settings, hardware hints")
  .argument('<name>')
  .option('--check', 'load it to report whether it works')
  .option('--json', 'machine-readable output')
  .option('--config <file>', 'read this config.toml')
  .action(async (name: string, opts) => {
    process.exitCode = await pluginsInfoCommand(name, opts);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  const code = err instanceof ImlageError ? ` [${err.code}]` : '';
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`imlage: error${code}: ${msg}\n`);
  if (process.env.IMLAGE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  // No plugin could load: nothing could be tagged (1); anything else is a usage error (2).
  process.exitCode = isPluginLoadFailure(err) ? 1 : 2;
});
