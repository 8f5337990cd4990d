// npm's install step for imlage (runs on `npm ci` / `npm install`):
//   1. the native addon: a prebuilt binary from prebuilds/ if one matches this
//      platform, else compiled from native/ with cmake-js;
//   2. the TypeScript, when installing from a git checkout (src/ present);
//   3. `imlage prepare`: converts the default plugins' models once, so the
//      first `imlage tag` works offline at full speed.
// Set IMLAGE_SKIP_PREPARE=1 to skip step 3 (e.g. when packaging).
import { spawnSync } from 'node:child_process';
import { existsSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const step = (msg) => process.stderr.write(`imlage install: ${msg}\n`);

function run(cmd, args, what) {
  step(`${what}: ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    step(`${what} failed (exit ${r.status ?? r.signal}).`);
    return false;
  }
  return true;
}

function findBinary() {
  try {
    return require('node-gyp-build').path(root);
  } catch {
    return undefined;
  }
}

// 1. Native addon.
const binary = process.env.IMLAGE_FORCE_BUILD ? undefined : findBinary();
if (binary) {
  step(`native addon: using ${binary}`);
} else {
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  if (!run(process.execPath, [cmakeJs, 'compile'], 'building the native addon')) {
    step('The addon could not be built. It needs a C++17 compiler, cmake >= 3.15 and the ONNX Runtime headers\n' +
      '  (the devDependency com.github.asus4.onnxruntime, or IMLAGE_ORT_INCLUDE=/path/to/include).\n' +
      '  Debian/Ubuntu: apt-get install g++ cmake; macOS: xcode-select --install && brew install cmake.');
    process.exit(1);
  }
}

// 2. TypeScript (git checkouts only: published packages ship dist/).
if (existsSync(join(root, 'src')) && existsSync(join(root, 'tsconfig.json'))) {
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
