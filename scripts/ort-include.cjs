#!/usr/bin/env node
// Prints the directory holding ONNX Runtime's C API headers (onnxruntime_c_api.h).
// Used at build time by CMakeLists.txt and binding.gyp; the headers are never
// copied into this repository. They come from com.github.asus4.onnxruntime,
// the smallest npm package that has them (150 MB packed, 402 MB unpacked):
// a devDependency here, an optional peer dependency for an installed imlage
// (only a source build needs it; the prebuilt binaries need no headers).
// Override with IMLAGE_ORT_INCLUDE=/path/to/headers.
'use strict';
const fs = require('fs');
const path = require('path');

const PKG = 'com.github.asus4.onnxruntime';
const SUB = path.join('Plugins', 'iOS~', 'onnxruntime.xcframework', 'ios-arm64',
  'onnxruntime.framework', 'Headers');
const HEADER = 'onnxruntime_c_api.h';

function fail(msg) {
  process.stderr.write(`ort-include: ${msg}\n`);
  process.exit(1);
}

const override = process.env.IMLAGE_ORT_INCLUDE;
if (override) {
  const dir = path.resolve(override);
  if (!fs.existsSync(path.join(dir, HEADER))) {
    fail(`IMLAGE_ORT_INCLUDE=${override} does not contain ${HEADER}`);
  }
  process.stdout.write(dir);
  process.exit(0);
}

// The package has no "main"/"exports", so require.resolve() cannot find it;
// walk the node_modules directories Node would search from the repo root.
const root = path.resolve(__dirname, '..');
const candidates = require.resolve.paths(PKG) || [];
if (!candidates.includes(path.join(root, 'node_modules'))) {
  candidates.unshift(path.join(root, 'node_modules'));
}
// require.resolve.paths is relative to this file (scripts/); make sure the
// repo root's own node_modules chain is searched first.
const searched = [];
for (let dir = root; ; dir = path.dirname(dir)) {
  searched.push(path.join(dir, 'node_modules'));
  if (path.dirname(dir) === dir) break;
}
for (const c of candidates) if (!searched.includes(c)) searched.push(c);

for (const nm of searched) {
  const dir = path.join(nm, PKG, SUB);
  if (fs.existsSync(path.join(dir, HEADER))) {
    process.stdout.write(dir);
    process.exit(0);
  }
}
fail(`cannot find ONNX Runtime headers (${HEADER}).\n` +
  `  They come from the npm package "${PKG}" (an optional peer dependency of imlage,\n` +
  `  needed only to build imlage from source). Install it next to imlage with:\n` +
  `    npm install ${PKG}@0.4.9\n` +
  `  or point IMLAGE_ORT_INCLUDE at a directory containing ${HEADER}.\n` +
  `  Searched:\n    ${searched.map((s) => path.join(s, PKG)).join('\n    ')}`);
