#!/usr/bin/env bash
# Builds the addon with AddressSanitizer + UBSan into build-asan/ and runs the
# native tests against that binary (IMLAGE_ADDON_PATH tells binding.ts which
# .node to load). Node itself is not instrumented, so the sanitizer runtimes
# are preloaded; leak detection is off because V8/Node hold memory at exit.
# The SMI ABI tests (tests/abi) run too, against the sanitized colors plugin
# and test plugins that this build puts under build-asan/; the PNG decoder's
# tests run its sanitized decode_dump.
set -euo pipefail
cd "$(dirname "$0")/.."

npx cmake-js compile --out build-asan --CDIMLAGE_SANITIZE=ON --CDIMLAGE_BUILD_TESTS=ON --debug

addon="$(pwd)/build-asan/Debug/imlage.node"
[ -f "$addon" ] || addon="$(pwd)/build-asan/Release/imlage.node"
[ -f "$addon" ] || { echo "test-asan: no addon built under build-asan/" >&2; exit 1; }

source scripts/sanitizer-env.sh "$addon"
env "${SANITIZER_ENV[@]}" ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1" \
  npx vitest run tests/native tests/abi "$@"
