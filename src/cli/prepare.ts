// `imlage prepare`: convert and load every enabled plugin's model once, so
// the first `imlage tag` starts at full speed. The install step runs it.

import type { Command } from 'commander';
import { Engine } from '../engine/engine.js';
import { makeLogger, verbosityOf } from './log.js';
import { collect } from './options.js';

export async function prepareCommand(opts: { plugin?: string[]; config?: string; quiet?: boolean; verbose?: boolean }): Promise<number> {
  const log = makeLogger(verbosityOf(opts));
  const engine = await Engine.create({ plugins: opts.plugin, config: opts.config, onLog: (m) => log.engine(m) });
  try {
    for (const p of engine.plugins) log.info(`ready: ${p.name} ${p.version} (${p.model}) on ${p.provider}`);
  } finally {
    await engine.close();
  }
  return 0;
}

export function registerPrepare(program: Command): void {
  program
    .command('prepare')
    .description('convert and load the models of the enabled plugins now (install runs this)')
    .option('-p, --plugin <name>', 'only this plugin (repeatable)', collect)
    .option('--config <file>', 'read this config.toml')
    .option('-q, --quiet', 'print nothing on stderr but errors')
    .option('-v, --verbose', 'also print debug lines')
    .action(async (opts) => {
      process.exitCode = await prepareCommand(opts);
    });
}
