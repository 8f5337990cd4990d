// The only module that loads the native addon (.node). Everything else gets
// the addon through loadAddon() and its types from ./types.js.
import { createRequire } from 'node:module';
import path from 'node:path';
import { findPackageDir, packageRoot } from '../paths.js';

import type { NativeAddon, NativeAddonPlugins } from './types.js';

const require = createRequire(import.meta.url);

export { packageRoot };

interface NodeGypBuild {
  (dir: string): unknown;
  resolve(dir: string): string;
}

/** The addon's full surface: sessions and SMI plugins. */
export type Addon = NativeAddon & NativeAddonPlugins;

/** Which binary was loaded and where it came from, for `imlage --version` and bug reports. */
export interface AddonBuild {
  file: string;
  /** prebuilt: prebuilds/ of the npm package; source: compiled on this machine (build/); IMLAGE_ADDON_PATH: as named. */
  origin: 'prebuilt' | 'source' | 'IMLAGE_ADDON_PATH';
  compiler: string;
  napiVersion: number;
}

let cached: Addon | undefined;
let cachedFile = '';

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
      `  - no prebuilt binary for ${tuple}: build it from source with a C++17 compiler and cmake >= 3.15`,
      '    (Debian/Ubuntu: apt-get install g++ cmake; macOS: xcode-select --install && brew install cmake)',
      '    and the ONNX Runtime headers: npm install com.github.asus4.onnxruntime@0.4.9, then npm rebuild imlage',
      '  - from a source checkout: npm run build:native',
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
      cachedFile = file;
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
      cachedFile = file;
    }
  } catch (err) {
    throw addonLoadError(tried, err);
  }
  return cached;
}

export function addonBuild(): AddonBuild {
  const { compiler, napiVersion } = loadAddon().buildInfo();
  const inPrebuilds = !path.relative(path.join(packageRoot, 'prebuilds'), cachedFile).startsWith('..');
  const origin = process.env.IMLAGE_ADDON_PATH ? 'IMLAGE_ADDON_PATH' : inPrebuilds ? 'prebuilt' : 'source';
  return { file: cachedFile, origin, compiler, napiVersion };
}

const ORT_LIBRARY_NAMES: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'libonnxruntime.so.1',
  darwin: 'libonnxruntime.1.dylib',
  win32: 'onnxruntime.dll',
};

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
