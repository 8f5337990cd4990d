// The user's config file as `imlage config` edits it: where it is (XDG,
// IMLAGE_CONFIG, --config), and set/unset of one key that write the file
// only when the result passes the same checks as loading.

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse } from 'smol-toml';
import { ImlageError, errorMessage } from '../errors.js';
import { checkConfigText } from './check.js';
import { defaultConfigFile } from './config.js';
import { setTomlValue, unsetTomlValue } from './toml-edit.js';
import { splitKey } from './toml-layout.js';

export function configFilePath(explicit?: string): string {
  return explicit ?? (process.env.IMLAGE_CONFIG || defaultConfigFile());
}

export function readConfigText(file: string): string {
  if (!existsSync(file)) return '';
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ImlageError('IMLAGE_ERR_CONFIG', `${file}: cannot read the config file: ${errorMessage(err)}`);
  }
}

/**
 * A value as typed in the shell: a TOML literal when it is one (8, 0.4,
 * true, ["cuda", "cpu"], "quoted"), else the text itself as a string (fast).
 */
export function parseCliValue(text: string): unknown {
  try {
    return (parse(`v = ${text}`) as { v: unknown }).v;
  } catch {
    return text;
  }
}

function invalid(errors: string[]): ImlageError {
  return new ImlageError('IMLAGE_ERR_CONFIG', `not changed: the result would be invalid:\n${errors.join('\n')}`);
}

function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new ImlageError('IMLAGE_ERR_CONFIG', `${file}: cannot write the config file: ${errorMessage(err)}`);
  }
}

/** The file's own errors first: an edit is not made on top of a broken file. */
function assertValid(file: string, text: string): void {
  const errors = checkConfigText(file, text);
  if (errors.length) throw new ImlageError('IMLAGE_ERR_CONFIG', `${file} has errors; fix them first (imlage config edit):\n${errors.join('\n')}`);
}

export function setConfigValue(file: string, key: string, value: unknown): void {
  const path = splitKey(key);
  const text = readConfigText(file);
  assertValid(file, text);
  const next = setTomlValue(text, path, value);
  const errors = checkConfigText(file, next);
  if (errors.length) throw invalid(errors);
  writeAtomic(file, next);
}

export function unsetConfigValue(file: string, key: string): void {
  const path = splitKey(key);
  const text = readConfigText(file);
  const next = unsetTomlValue(text, path);
  const errors = checkConfigText(file, next);
  if (errors.length) throw invalid(errors);
  writeAtomic(file, next);
}
