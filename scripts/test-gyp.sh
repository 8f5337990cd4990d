#!/usr/bin/env bash
# The second build path: node-gyp from binding.gyp (what prebuildify and
# node-gyp-build's source fallback use) must build the same addon, and that
# addon must pass the native tests. `npm run prebuilds` builds it in a
# scratch copy (build/, the cmake-js build, is left alone), so the binary
# tested here is the stripped one the npm package ships; it also writes the
# stripped plugin libraries to plugins/*/lib/ (tests/package/consumer.sh
# packs both).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
npm run --silent prebuilds
platform=$(node -p 'process.platform + "-" + process.arch')
addon=$(ls "$here/prebuilds/$platform/"*.node | head -1)
IMLAGE_ADDON_PATH="$addon" npx vitest run tests/native
