// What `imlage tag` reads: paths on the command line, `-` for one image on
// stdin, --files-from FILE (or -) with one path per line or NUL-separated
// (-0). Paths are checked here, before any model loads, so a typo is
// reported in a moment instead of after the models are ready.

import { readFileSync, statSync } from 'node:fs';
import { ImlageError, errorMessage } from '../errors.js';

/** The largest image read from stdin (a bound on what is held in memory). */
export const STDIN_MAX_BYTES = 256 * 1024 * 1024;

const GLOB_CHARS = /[*?[]/;

async function readStdin(max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of process.stdin as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) throw new ImlageError('IMLAGE_ERR_INPUT', `${what} on stdin is larger than ${max} bytes; save it to a file and pass its path`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

export function readStdinImage(): Promise<Buffer> {
  return readStdin(STDIN_MAX_BYTES, 'the image');
}

/** --files-from: one path per line (a trailing \r is dropped), or NUL-separated. */
export async function readPathList(file: string, nul: boolean): Promise<string[]> {
  let text: string;
  try {
    text = file === '-' ? (await readStdin(STDIN_MAX_BYTES, 'the list of files')).toString('utf8') : readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ImlageError) throw err;
    throw new ImlageError('IMLAGE_ERR_INPUT', `--files-from ${file}: ${errorMessage(err)}`);
  }
  const items = nul ? text.split('\0') : text.split('\n').map((l) => l.replace(/\r$/, ''));
  return items.filter((p) => p !== '');
}

/** Splits paths into those that exist (or are glob patterns) and those that do not. */
export function checkPaths(paths: string[]): { present: string[]; missing: { path: string; reason: string }[] } {
  const present: string[] = [];
  const missing: { path: string; reason: string }[] = [];
  for (const p of paths) {
    try {
      statSync(p);
      present.push(p);
    } catch (err) {
      if (GLOB_CHARS.test(p)) present.push(p);
      else missing.push({ path: p, reason: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : errorMessage(err) });
    }
  }
  return { present, missing };
}
