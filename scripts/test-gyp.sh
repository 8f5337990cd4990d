#!/usr/bin/env bash
# The second build path: node-gyp (what prebuildify and node-gyp-build's
# source fallback use) must build the same addon from binding.gyp, and that
# addon must pass the native tests. Built in a scratch copy so the cmake-js
# build in build/ is left alone.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/imlage-gyp-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$here"
git ls-files -z | xargs -0 cp --parents -t "$work"
ln -s "$here/node_modules" "$work/node_modules"
(cd "$work" && npm run build:native:gyp --silent >/dev/null)
IMLAGE_ADDON_PATH="$work/build/Release/imlage.node" npx vitest run tests/native
