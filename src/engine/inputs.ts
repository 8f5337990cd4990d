// Turns what a user types (files, folders, globs) into image paths, in a
// stable order. A path that does not exist is passed through so that the
// engine reports it as a failed image instead of dropping it. Folders are
// read as bytes: a name that is not UTF-8 comes out as `{ path: Buffer }`,
// which the engine opens as given. Every entry with an image extension that
// is not a folder is passed on (FIFOs and symlinks too): the engine opens
// only regular files and says what anything else is. Symlinked folders are
// not descended into.

import { readdir, stat } from 'node:fs/promises';
import { extname, normalize, resolve, sep } from 'node:path';
import { displayName, pathFromBytes } from './file-name.js';

export const IMAGE_EXTENSIONS = new Set([
  '.jpg', '.jpeg', '.jpe', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif', '.jxl',
]);

export function isImagePath(p: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(p).toLowerCase());
}

export interface ExpandOptions {
  recursive?: boolean;
  /** Called for each file skipped because its extension is not an image's (its name as displayName shows it). */
  onSkip?: (path: string) => void;
}

/** What expandInputs yields: a path, or `{ path: Buffer }` for a name that is not UTF-8. */
export type InputPath = string | { path: Buffer };

const GLOB_CHARS = /[*?[]/;

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        // '**/' matches zero or more folders.
        re += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
        i += pattern[i + 2] === '/' ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += '[' + pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const SLASH = Buffer.from('/');

function asInput(bytes: Buffer): InputPath {
  const p = pathFromBytes(bytes);
  return typeof p === 'string' ? p : { path: p };
}

/** Paths under `dir` (bytes), in byte order; sub-folders when `recursive`. */
async function* walk(dir: Buffer, recursive: boolean): AsyncGenerator<Buffer> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' });
  } catch {
    return;
  }
  entries.sort((a, b) => Buffer.compare(a.name, b.name));
  for (const e of entries) {
    if (e.name[0] === 0x2e) continue; // hidden files and folders are not photos
    const p = Buffer.concat([dir, dir[dir.length - 1] === 0x2f ? Buffer.alloc(0) : SLASH, e.name]);
    if (e.isDirectory()) {
      if (recursive) yield* walk(p, recursive);
    } else yield p;
  }
}

const isImageBytes = (p: Buffer) => isImagePath(p.toString('latin1'));

async function* expandGlob(pattern: string, opts: ExpandOptions): AsyncGenerator<InputPath> {
  const abs = resolve(pattern).split(sep).join('/');
  const parts = abs.split('/');
  const firstGlob = parts.findIndex((s) => GLOB_CHARS.test(s));
  const base = parts.slice(0, firstGlob).join('/') || '/';
  const re = globToRegExp(abs);
  const deep = abs.includes('**') || parts.length - firstGlob > 1;
  for await (const p of walk(Buffer.from(base), deep)) {
    if (!re.test(p.toString('utf8').split(sep).join('/'))) continue;
    if (isImageBytes(p)) yield asInput(p);
    else opts.onSkip?.(displayName(pathFromBytes(p)));
  }
}

/** Expands paths, folders and glob patterns into image files. */
export async function* expandInputs(paths: string[], opts: ExpandOptions = {}): AsyncGenerator<InputPath> {
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch {
      st = undefined;
    }
    if (st?.isDirectory()) {
      for await (const f of walk(Buffer.from(normalize(p)), opts.recursive ?? false)) {
        if (isImageBytes(f)) yield asInput(f);
        else opts.onSkip?.(displayName(pathFromBytes(f)));
      }
    } else if (!st && GLOB_CHARS.test(p)) {
      yield* expandGlob(p, opts);
    } else {
      // A file given by name is tried whatever its extension; a missing one is reported.
      yield p;
    }
  }
}
