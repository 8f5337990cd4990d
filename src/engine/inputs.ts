// Turns what a user types (files, folders, globs) into image paths, in a
// stable order. A path that does not exist is passed through so that the
// engine reports it as a failed image instead of dropping it.

import { readdir, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

export const IMAGE_EXTENSIONS = new Set([
  '.jpg', '.jpeg', '.jpe', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif', '.jxl',
]);

export function isImagePath(p: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(p).toLowerCase());
}

export interface ExpandOptions {
  recursive?: boolean;
  /** Called for each file skipped because its extension is not an image's. */
  onSkip?: (path: string) => void;
}

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

async function* walk(dir: string, recursive: boolean): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue; // hidden files and folders are not photos
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive) yield* walk(p, recursive);
    } else if (e.isFile() || e.isSymbolicLink()) yield p;
  }
}

async function* expandGlob(pattern: string, opts: ExpandOptions): AsyncGenerator<string> {
  const abs = resolve(pattern).split(sep).join('/');
  const parts = abs.split('/');
  const firstGlob = parts.findIndex((s) => GLOB_CHARS.test(s));
  const base = parts.slice(0, firstGlob).join('/') || '/';
  const re = globToRegExp(abs);
  const deep = abs.includes('**') || parts.length - firstGlob > 1;
  for await (const p of walk(base, deep)) {
    if (!re.test(p.split(sep).join('/'))) continue;
    if (isImagePath(p)) yield p;
    else opts.onSkip?.(p);
  }
}

/** Expands paths, folders and glob patterns into image files. */
export async function* expandInputs(paths: string[], opts: ExpandOptions = {}): AsyncGenerator<string> {
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch {
      st = undefined;
    }
    if (st?.isDirectory()) {
      for await (const f of walk(p, opts.recursive ?? false)) {
        if (isImagePath(f)) yield f;
        else opts.onSkip?.(f);
      }
    } else if (!st && GLOB_CHARS.test(p)) {
      yield* expandGlob(p, opts);
    } else {
      // A file given by name is tried whatever its extension; a missing one is reported.
      yield p;
    }
  }
}
