#!/usr/bin/env node
// Finds libjpeg-turbo for the addon's native JPEG decoder (issue #9), for
// CMakeLists.txt and binding.gyp alike: `node scripts/jpeg-static.cjs lib`
// prints the static archive (libjpeg.a), `... include` the directory of
// jpeglib.h; each prints nothing when not found, and the build then compiles
// the decoder out (JPEGs go through libvips). The archive is linked
// statically so a prebuilt binary needs no libjpeg on the user's machine.
// IMLAGE_NO_JPEG=1 builds without it; pkg-config's libjpeg is asked first.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

function pkgConfig(variable) {
  try {
    return execFileSync('pkg-config', [`--variable=${variable}`, 'libjpeg'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

const multiarch = `${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
const libDirs = [pkgConfig('libdir'), `/usr/lib/${multiarch}`, '/usr/lib', '/usr/local/lib', '/opt/homebrew/opt/jpeg-turbo/lib', '/usr/local/opt/jpeg-turbo/lib'];
const includeDirs = [pkgConfig('includedir'), '/usr/include', '/usr/local/include', '/opt/homebrew/opt/jpeg-turbo/include', '/usr/local/opt/jpeg-turbo/include'];

const first = (dirs, file) => dirs.filter(Boolean).map((d) => path.join(d, file)).find((f) => fs.existsSync(f));

const lib = first(libDirs, 'libjpeg.a');
const header = first(includeDirs, 'jpeglib.h');
const off = process.env.IMLAGE_NO_JPEG === '1' || !lib || !header;
const what = process.argv[2];
if (what === 'lib') process.stdout.write(off ? '' : lib);
else if (what === 'include') process.stdout.write(off ? '' : path.dirname(header));
else {
  process.stderr.write('usage: node scripts/jpeg-static.cjs lib|include\n');
  process.exit(2);
}
