// npm's install step for imlage (runs on `npm ci` / `npm install`):
//   1. the native addon and the shipped native plugins: from an npm package,
//      the prebuilt binaries (prebuilds/<platform>-<arch>/ and
//      plugins/<name>/lib/<platform>-<arch>/) when node-gyp-build finds one
//      for this platform, else compiled with cmake-js; in a git checkout
//      always compiled, with the test targets (IMLAGE_BUILD_TESTS=ON);
//   2. the TypeScript, in a git checkout (src/ present);
//   3. `imlage prepare`: converts the default plugins' models once, so the
//      first `imlage tag` works offline at full speed (without this step the
//      first `imlage tag` converts them).
// IMLAGE_FORCE_BUILD=1 compiles even when a prebuilt binary matches;
// IMLAGE_SKIP_PREPARE=1 skips step 3.
import { spawnSync } from 'node:child_process';
import { existsSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const step = (msg) => process.stderr.write(`imlage install: ${msg}\n`);
const checkout = existsSync(join(root, 'src')) && existsSync(join(root, 'tsconfig.json'));

function run(cmd, args, what) {
  step(`${what}: ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    step(`${what} failed (exit ${r.status ?? r.signal}).`);
    return false;
  }
  return true;
}

function prebuilt() {
  try {
    return require('node-gyp-build').path(root);
  } catch {
    return undefined;
  }
}

// 1. Native addon and plugins.
const binary = checkout || process.env.IMLAGE_FORCE_BUILD ? undefined : prebuilt();
if (binary) {
  step(`native addon: prebuilt ${binary}`);
} else {
  if (!checkout) step(`no prebuilt binary for ${process.platform}-${process.arch}: building from source`);
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const args = [cmakeJs, 'compile', ...(checkout ? ['--CDIMLAGE_BUILD_TESTS=ON'] : [])];
  if (!run(process.execPath, args, 'building the native addon and plugins')) {
    step('The addon could not be built. Building from source needs a C++17 compiler, cmake >= 3.15\n' +
      '  (Debian/Ubuntu: apt-get install g++ cmake; macOS: xcode-select --install && brew install cmake)\n' +
      '  and the ONNX Runtime headers from the npm package com.github.asus4.onnxruntime:\n' +
      '    npm install com.github.asus4.onnxruntime@0.4.9   (or IMLAGE_ORT_INCLUDE=/path/to/include)\n' +
      '  then `npm rebuild imlage`. cargo >= 1.77 adds the Rust plugin `quality`.');
    process.exit(1);
  }
}

// 2. TypeScript (git checkouts only: published packages ship dist/).
if (checkout) {
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc');
  } catch {
    tsc = undefined;
  }
  if (tsc) {
    if (!run(process.execPath, [tsc, '-p', 'tsconfig.json'], 'compiling TypeScript')) process.exit(1);
  } else if (!existsSync(join(root, 'dist'))) {
    step('dist/ is missing and TypeScript is not installed: run `npm install` (with dev dependencies) in the checkout.');
    process.exit(1);
  }
}
chmodSync(join(root, 'dist', 'cli', 'main.js'), 0o755);

// 3. Default plugins ready: models converted and loaded once.
if (!process.env.IMLAGE_SKIP_PREPARE) {
  if (!run(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'prepare'], 'preparing the default plugins')) {
    step('Preparing the plugins failed; the message above says why. `npx imlage prepare` retries.');
    process.exit(1);
  }
}
