// The only module that loads the native addon (.node). Everything else gets
// the addon through loadAddon() and its types from ./types.js.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { NativeAddon, NativeAddonPlugins } from './types.js';

const require = createRequire(import.meta.url);

/** Package root: this file is src/native/binding.ts or dist/native/binding.js. */
export const packageRoot: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface NodeGypBuild {
  (dir: string): unknown;
  resolve(dir: string): string;
}

/** The addon's full surface: sessions and SMI plugins. */
export type Addon = NativeAddon & NativeAddonPlugins;

let cached: Addon | undefined;

function addonLoadError(tried: string[], cause: unknown): Error {
  const message = cause instanceof Error ? cause.message : String(cause);
  const tuple = `${process.platform}-${process.arch}`;
  const err = new Error(
    [
      `imlage: cannot load the native addon for ${tuple} ` +
        `(node ${process.versions.node}, ABI ${process.versions.modules}, N-API ${process.versions.napi}).`,
      'Tried:',
      ...tried.map((p) => `  ${p}`),
      `Reason: ${message.trim()}`,
      'Fixes:',
      '  - npm rebuild imlage              (rebuild the addon for this platform)',
      '  - npm run build:native            (from a source checkout: cmake-js compile)',
      '  - install a C++17 toolchain and cmake (e.g. build-essential + cmake, Xcode CLT, or MSVC), then rebuild',
    ].join('\n'),
    { cause },
  );
  (err as Error & { code: string }).code = 'IMLAGE_ERR_ADDON_LOAD';
  return err;
}

/**
 * Loads the addon once per module instance. IMLAGE_ADDON_PATH names an exact
 * .node file to load (used for sanitizer builds); otherwise node-gyp-build
 * picks build/Release, build/Debug or prebuilds/<platform>-<arch>/.
 */
export function loadAddon(): Addon {
  if (cached) return cached;
  const explicit = process.env.IMLAGE_ADDON_PATH;
  const tried: string[] = [];
  try {
    if (explicit) {
      const file = path.resolve(explicit);
      tried.push(`${file} (IMLAGE_ADDON_PATH)`);
      cached = require(file) as Addon;
    } else {
      tried.push(
        path.join(packageRoot, 'build', 'Release', '*.node'),
        path.join(packageRoot, 'build', 'Debug', '*.node'),
        path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, '*.node'),
      );
      const gypBuild = require('node-gyp-build') as NodeGypBuild;
      const file = gypBuild.resolve(packageRoot);
      tried.length = 0;
      tried.push(file);
      cached = require(file) as Addon;
    }
  } catch (err) {
    throw addonLoadError(tried, err);
  }
  return cached;
}

const ORT_LIBRARY_NAMES: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'libonnxruntime.so.1',
  darwin: 'libonnxruntime.1.dylib',
  win32: 'onnxruntime.dll',
};

function findPackageDir(name: string): string | undefined {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    // The package may hide package.json behind "exports": walk node_modules.
    for (const dir of require.resolve.paths(name) ?? []) {
      const candidate = path.join(dir, name);
      if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    }
    return undefined;
  }
}

/**
 * The ONNX Runtime library to dlopen: IMLAGE_ORT_LIBRARY if set, else the
 * CPU build shipped inside the onnxruntime-node package.
 */
export function defaultOrtLibrary(): string {
  const fromEnv = process.env.IMLAGE_ORT_LIBRARY;
  if (fromEnv) return path.resolve(fromEnv);
  const file = ORT_LIBRARY_NAMES[process.platform];
  if (!file) {
    throw Object.assign(
      new Error(`imlage: no bundled ONNX Runtime for platform ${process.platform}; set IMLAGE_ORT_LIBRARY`),
      { code: 'IMLAGE_ERR_ORT_LOAD' },
    );
  }
  const dir = findPackageDir('onnxruntime-node');
  if (!dir) {
    throw Object.assign(
      new Error(
        'imlage: cannot find the onnxruntime-node package (it ships the ONNX Runtime library); ' +
          'install it or set IMLAGE_ORT_LIBRARY to the library path',
      ),
      { code: 'IMLAGE_ERR_ORT_LOAD' },
    );
  }
  return path.join(dir, 'bin', 'napi-v6', process.platform, process.arch, file);
}
