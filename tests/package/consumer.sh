#!/usr/bin/env bash
# The npm package as a user gets it (issue 8): build the prebuilt binaries
# (npm run prebuilds), pack the checkout, and install the tarball into fresh
# projects:
#   1. prebuilt: PATH holds no C/C++ compiler, no cmake, no cargo; then
#      `npx imlage --version` and `npx imlage tag` on the test photos with
#      every shipped plugin, TypeScript consumers under `tsc --strict` in
#      both module modes (nodenext ESM .mts and CommonJS .cts), and plain
#      CommonJS through require() and import();
#   2. from source: the same tarball without prebuilds/ and plugin
#      libraries, installed with a compiler and the ONNX Runtime headers'
#      package, as the README says for platforms without prebuilt binaries.
# Prints the tarball size, install times and node_modules sizes
# (docs/packaging.md). Usage: bash tests/package/consumer.sh [--keep]
# (IMLAGE_PACKAGE_TGZ=FILE tests that tarball instead of packing anew;
# IMLAGE_PREBUILDS_MADE=1 packs the prebuilds already made, as .ci/run does).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
photos="$here/tests/fixtures/photos"
work=$(mktemp -d /tmp/imlage-consumer-XXXXXX)
[ "${1:-}" = "--keep" ] || trap 'rm -rf "$work"' EXIT
say() { echo "consumer: $*" >&2; }
t0=$SECONDS
lap() { say "$1 ($((SECONDS - t0)) s so far)"; }

bash "$here/scripts/fetch-fixtures.sh" >/dev/null
if [ -n "${IMLAGE_PACKAGE_TGZ:-}" ]; then # a tarball made before (when working on this script)
  cp "$IMLAGE_PACKAGE_TGZ" "$work/"
else
  if [ -z "${IMLAGE_PREBUILDS_MADE:-}" ]; then # .ci/run made them already (scripts/test-gyp.sh)
    (cd "$here" && npm run --silent prebuilds >"$work/prebuilds.log" 2>&1) || { cat "$work/prebuilds.log" >&2; exit 1; }
  fi
  (cd "$here" && npm pack --silent --pack-destination "$work" >"$work/pack.log" 2>&1) || { cat "$work/pack.log" >&2; exit 1; }
fi
tgz=$(ls "$work"/imlage-*.tgz)
lap "packed $(basename "$tgz"): $(du -k "$tgz" | cut -f1) kB, $(tar tzf "$tgz" | wc -l) files"
if tar tzf "$tgz" | grep -E '^package/(tests|src)/|\.js\.map$'; then say "the tarball carries tests/, src/ or source maps"; exit 1; fi
for f in LICENSE README.md docs/packaging.md prebuilds/linux-x64/imlage.glibc.node; do
  tar tzf "$tgz" "package/$f" >/dev/null || { say "the tarball lacks $f"; exit 1; }
done
pkg="$work/pkg"
mkdir -p "$pkg" && tar xzf "$tgz" -C "$pkg"
for lib in "$pkg"/package/prebuilds/*/*.node "$pkg"/package/plugins/*/lib/*/*; do
  if readelf -S "$lib" | grep -q '\.symtab'; then say "$lib is not stripped"; exit 1; fi
done

# A PATH with everything of /usr/bin except compilers, linkers and build tools.
nocc="$work/nocc-bin"
mkdir -p "$nocc"
for f in /usr/bin/* /usr/local/bin/*; do
  n=$(basename "$f")
  [[ $n =~ ^(cc|c\+\+|c89|c99|cpp|gcc|g\+\+|clang|clang\+\+|cmake|ccmake|ctest|cpack|make|gmake|ninja|ld|ld\.bfd|ld\.gold|as|cargo|rustc|rustup)([-.].*)?$ ]] && continue
  [[ $n =~ -linux-gnu-(gcc|g\+\+|c\+\+|cpp|ld|as) ]] && continue
  ln -s "$f" "$nocc/$n" 2>/dev/null || true
done
for tool in cc c++ gcc g++ clang cmake make cargo; do
  if PATH="$nocc" command -v "$tool" >/dev/null; then say "$tool is still on the compiler-free PATH"; exit 1; fi
done

footprint() { # LOG DIR: what npm said it added, and the size of node_modules
  echo "$(grep -o 'added [0-9]* packages' "$1" | tail -1), node_modules $(du -sm "$2/node_modules" | cut -f1) MB"
}

# 1. Prebuilt install, no compiler.
app="$work/app"
mkdir -p "$app" && cd "$app"
npm init -y >/dev/null
export IMLAGE_CACHE_DIR="$work/cache"
s=$SECONDS
PATH="$nocc" ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --foreground-scripts "$tgz" >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; exit 1; }
lap "prebuilt install: $((SECONDS - s)) s, $(footprint "$work/install.log" "$app")"
grep -q 'native addon: prebuilt' "$work/install.log" || { cat "$work/install.log" >&2; say 'the install did not use the prebuilt addon'; exit 1; }
version=$(PATH="$nocc" npx imlage --version)
echo "$version" | sed 's/^/consumer:   /' >&2
echo "$version" | grep -q '^addon: prebuilt, ' || { say 'imlage --version does not report the prebuilt addon'; exit 1; }
echo "$version" | grep -q '^onnx runtime: 1\.' || { say 'imlage --version has no ONNX Runtime'; exit 1; }
echo "$version" | grep -q '^smi abi: 1\.' || { say 'imlage --version has no SMI ABI version'; exit 1; }
all=(--plugin nsfw --plugin objects --plugin colors --plugin text --plugin quality)
PATH="$nocc" npx imlage tag "$photos/messi5.jpg" "$photos/baboon.jpg" "$photos/fruits.webp" "$photos/text/imageTextN.png" \
  "${all[@]}" --config /dev/null --output "$work/tags.json" 2>"$work/tag.log" || { cat "$work/tag.log" >&2; exit 1; }
node "$here/tests/package/assert-tags.mjs" "$work/tags.json" nsfw objects colors text quality
lap 'prebuilt: imlage tag with every shipped plugin'

cp "$here/tests/package/esm.mts" "$here/tests/package/cjs.cts" "$here/tests/package/dynamic-import.cjs" .
npm install --no-audit --no-fund --save-dev typescript@~5.9.3 @types/node@^20.19.0 >"$work/ts-install.log" 2>&1 || { cat "$work/ts-install.log" >&2; exit 1; }
npx tsc --strict --module nodenext --target es2022 --types node --outDir out esm.mts cjs.cts
# The classic CommonJS setup too: module commonjs, node10 resolution (package.json "types").
npx tsc --strict --module commonjs --moduleResolution node10 --target es2022 --types node --esModuleInterop --outDir out-commonjs cjs.cts
PATH="$nocc" node out/esm.mjs "$photos/messi5.jpg"
PATH="$nocc" node out/cjs.cjs "$photos/messi5.jpg"
PATH="$nocc" node out-commonjs/cjs.cjs "$photos/messi5.jpg"
PATH="$nocc" node dynamic-import.cjs "$photos/messi5.jpg"
node -e "const m = require('imlage'); if (typeof m.Engine !== 'function') process.exit(1); console.log('require() ok')"
lap 'prebuilt: TypeScript (nodenext ESM and CJS, commonjs/node10) and CommonJS consumers'

# 2. No prebuilt binary for this platform: built from source, with a compiler.
rm -rf "$pkg"/package/prebuilds "$pkg"/package/plugins/*/lib
tar czf "$work/imlage-source.tgz" -C "$pkg" package
app2="$work/app-source"
mkdir -p "$app2" && cd "$app2"
npm init -y >/dev/null
s=$SECONDS
# npm_config_nodedir: Node's headers must come from node-api-headers (package.json "binary"), never from a local Node source tree or a download.
npm_config_nodedir=/nonexistent ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --foreground-scripts com.github.asus4.onnxruntime@0.4.9 "$work/imlage-source.tgz" >"$work/install-source.log" 2>&1 ||
  { cat "$work/install-source.log" >&2; exit 1; }
lap "source install: $((SECONDS - s)) s, $(footprint "$work/install-source.log" "$app2")"
npx imlage --version | grep -q '^addon: source, ' || { npx imlage --version >&2; say 'the source install does not report a source build'; exit 1; }
npx imlage tag "$photos/messi5.jpg" "$photos/baboon.jpg" "$photos/text/imageTextN.png" "${all[@]}" --config /dev/null --output "$work/tags-source.json" 2>"$work/tag-source.log" ||
  { cat "$work/tag-source.log" >&2; exit 1; }
node "$here/tests/package/assert-tags.mjs" "$work/tags-source.json" nsfw objects colors text quality
lap 'source build: imlage tag with every shipped plugin'
say "passed in $((SECONDS - t0)) s"
