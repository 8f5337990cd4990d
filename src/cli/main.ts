#!/usr/bin/env node
// Command-line wiring only: each command registers itself; errors become
// exit statuses here (exit.ts), commander's own included.

import { writeSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { sizeUvPoolEarly } from '../engine/threads.js';
import { errorCode } from '../errors.js';
import { formatVersionReport, versionReport } from '../version.js';
import { registerConfig } from './config.js';
import { registerDb } from './db.js';
import { EXIT, exitStatusFor } from './exit.js';
import { registerHardware } from './hardware.js';
import { registerPlugins } from './plugins.js';
import { registerPrepare } from './prepare.js';
import { registerReport } from './report.js';
import { registerServe } from './serve.js';
import { registerTag } from './tag.js';
import { registerEnqueue } from './enqueue.js';
import { registerResults } from './results.js';
import { registerWorker } from './worker.js';

sizeUvPoolEarly();

const program = new Command()
  .name('imlage')
  .description('Tag images with local models: NSFW classes, objects and more.')
  .option('-V, --version', 'print the versions of imlage, its addon (prebuilt or built here), ONNX Runtime and the plugin ABI')
  .on('option:version', () => {
    writeSync(1, `${formatVersionReport(versionReport())}\n`);
    process.exit(EXIT.ok);
  })
  .exitOverride()
  .showHelpAfterError('(add --help for usage)');

registerTag(program);
registerPrepare(program);
registerPlugins(program);
registerConfig(program);
registerHardware(program);
registerServe(program);
registerDb(program);
registerReport(program);

registerWorker(program);
registerEnqueue(program);
registerResults(program);

// Results may go to a pipe whose reader stops early (`| head`): end quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT.ok);
  throw err;
});

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // Help and --version end with 0; every usage mistake commander finds with 2 (it printed the message).
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return;
  }
  // Native errors carry the same catalogue codes (native/src/core/error_codes.def) as ImlageError.
  const known = errorCode(err);
  const code = known ? ` [${known}]` : '';
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`imlage: error${code}: ${msg}\n`);
  if (process.env.IMLAGE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exitCode = exitStatusFor(err);
});
