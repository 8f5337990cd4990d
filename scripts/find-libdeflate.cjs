#!/usr/bin/env node
// Finds libdeflate for the addon's PNG decoder (native/src/decode/png.cc),
// for CMakeLists.txt and binding.gyp alike, so both builds decide the same:
//
//   node scripts/find-libdeflate.cjs --lib       the static library (libdeflate.a), or nothing
//   node scripts/find-libdeflate.cjs --include   its header's folder when not a default one, or nothing
//
// Linked statically, so the prebuilt addon needs no libdeflate at run time.
// Not found (Debian/Ubuntu: apt-get install libdeflate-dev; Homebrew:
// brew install libdeflate): the addon is built without the PNG decoder and
// every PNG is decoded by libvips, as before. IMLAGE_LIBDEFLATE=0 leaves it
// out on purpose; IMLAGE_LIBDEFLATE=/prefix looks only under that prefix.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const DEFAULT_INCLUDES = new Set(['/usr/include', '/usr/local/include']);

function pkgConfig(variable) {
  try {
    return execFileSync('pkg-config', [`--variable=${variable}`, 'libdeflate'], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return '';
  }
}

/** [include dir, lib dir] pairs to try, most specific first. */
function candidates() {
  const env = process.env.IMLAGE_LIBDEFLATE;
  if (env) return [[path.join(env, 'include'), path.join(env, 'lib')]];
  const list = [];
  const inc = pkgConfig('includedir');
  const lib = pkgConfig('libdir');
  if (inc && lib) list.push([inc, lib]);
  for (const prefix of ['/usr', '/usr/local', '/opt/homebrew']) {
    for (const sub of ['lib/x86_64-linux-gnu', 'lib/aarch64-linux-gnu', 'lib64', 'lib']) {
      list.push([path.join(prefix, 'include'), path.join(prefix, sub)]);
    }
  }
  return list;
}

function find() {
  if (process.env.IMLAGE_LIBDEFLATE === '0' || process.platform === 'win32') return null;
  for (const [inc, lib] of candidates()) {
    const a = path.join(lib, 'libdeflate.a');
    if (fs.existsSync(path.join(inc, 'libdeflate.h')) && fs.existsSync(a)) return { include: inc, lib: a };
  }
  return null;
}

const found = find();
const want = process.argv[2];
if (want === '--lib') {
  process.stdout.write(found ? found.lib : '');
} else if (want === '--include') {
  process.stdout.write(found && !DEFAULT_INCLUDES.has(found.include) ? found.include : '');
} else {
  process.stderr.write('usage: find-libdeflate.cjs --lib | --include\n');
  process.exit(2);
}
