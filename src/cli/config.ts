// `imlage config show | get KEY | set KEY VALUE | unset KEY | path | edit`:
// the user's config.toml, edited one key at a time with its comments and
// layout kept (config/toml-edit.ts), checked as loading checks it.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { parse } from 'smol-toml';
import { checkConfigText } from '../config/check.js';
import { configFilePath, parseCliValue, readConfigText, setConfigValue, unsetConfigValue } from '../config/file.js';
import { getPath } from '../config/toml-edit.js';
import { splitKey } from '../config/toml-layout.js';
import { ImlageError } from '../errors.js';
import { EXIT } from './exit.js';

interface ConfigOptions {
  config?: string;
  json?: boolean;
}

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function reportErrors(file: string, text: string): number {
  const errors = checkConfigText(file, text);
  for (const e of errors) process.stderr.write(`imlage: error [IMLAGE_ERR_CONFIG]: ${e}\n`);
  return errors.length ? EXIT.usage : EXIT.ok;
}

function show(opts: ConfigOptions): number {
  const file = configFilePath(opts.config);
  const text = readConfigText(file);
  if (opts.json) out(JSON.stringify({ file, exists: existsSync(file), values: text ? parse(text) : {} }, null, 2));
  else if (!existsSync(file)) out(`# ${file} does not exist: every setting has its default (imlage config set KEY VALUE creates it)`);
  else out(`# ${file}\n${text}`);
  return reportErrors(file, text);
}

function get(key: string, opts: ConfigOptions): number {
  const file = configFilePath(opts.config);
  const text = readConfigText(file);
  const v = getPath(text ? (parse(text) as Record<string, unknown>) : {}, splitKey(key));
  if (v === undefined) {
    process.stderr.write(`imlage: ${key} is not set in ${file} (its default applies)\n`);
    return EXIT.failed;
  }
  out(typeof v === 'string' && !opts.json ? v : JSON.stringify(v, null, opts.json ? 2 : undefined));
  return EXIT.ok;
}

function edit(opts: ConfigOptions): number {
  const file = configFilePath(opts.config);
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '# imlage configuration: see README.md "Configuration"\n');
  }
  const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
  // Through the shell: EDITOR may carry arguments ("code --wait").
  const r = spawnSync(`${editor} "$IMLAGE_EDIT_FILE"`, { shell: true, stdio: 'inherit', env: { ...process.env, IMLAGE_EDIT_FILE: file } });
  if (r.status !== 0) throw new ImlageError('IMLAGE_ERR_INVALID_ARG', `the editor (${editor}) exited with ${r.status ?? r.signal}; set VISUAL or EDITOR`);
  return reportErrors(file, readConfigText(file));
}

export function registerConfig(program: Command): void {
  const config = program.command('config').description('the config file: ~/.config/imlage/config.toml ($XDG_CONFIG_HOME, $IMLAGE_CONFIG)');
  const fileOpt = ['--config <file>', 'this config file instead'] as const;
  config.command('show').description('print the config file and report every error in it').option(...fileOpt).option('--json', 'the parsed values as JSON')
    .action((opts: ConfigOptions) => {
      process.exitCode = show(opts);
    });
  config.command('get').description('print the value of a dotted key (e.g. engine.batch_size); status 1 when not set').argument('<key>').option(...fileOpt).option('--json', 'as JSON')
    .action((key: string, opts: ConfigOptions) => {
      process.exitCode = get(key, opts);
    });
  config.command('set').description('set a dotted key (value: a TOML literal such as 8, true, ["cuda", "cpu"], or plain text); comments stay').argument('<key>').argument('<value>').option(...fileOpt)
    .action((key: string, value: string, opts: ConfigOptions) => {
      setConfigValue(configFilePath(opts.config), key, parseCliValue(value));
    });
  config.command('unset').description('remove a key (or a whole table) from the config file').argument('<key>').option(...fileOpt)
    .action((key: string, opts: ConfigOptions) => {
      unsetConfigValue(configFilePath(opts.config), key);
    });
  config.command('path').description('print where the config file is (it may not exist yet)').option(...fileOpt)
    .action((opts: ConfigOptions) => out(configFilePath(opts.config)));
  config.command('edit').description('open the config file in $VISUAL or $EDITOR, then check it').option(...fileOpt)
    .action((opts: ConfigOptions) => {
      process.exitCode = edit(opts);
    });
}
