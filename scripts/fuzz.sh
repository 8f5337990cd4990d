#!/usr/bin/env bash
# libFuzzer targets for what parses untrusted data in native code
# (native/fuzz/*_fuzz.cc: preprocess, postprocess, SMI result checks, the
# fast path's JPEG decoder with libjpeg-turbo, the PNG decoder), built
# with clang -fsanitize=fuzzer,address,undefined into build/fuzz/ (a build of
# its own, apart from CMakeLists.txt), and the TOML/manifest/config reader
# fuzzed through tests/fuzz/toml-fuzz.mjs.
#
#   scripts/fuzz.sh [seconds] [target...]
#
# seconds: per target (default 60). Targets: preprocess postprocess results jpeg png toml
# (default: all). Every target first replays its seed corpus and its
# regressions (native/fuzz/corpus/<target>/, native/fuzz/regressions/<target>/:
# inputs that once crashed), so a bug that comes back fails at once. New
# inputs found go to build/fuzz/corpus/<target>/ (not into the repository);
# a crash is written to build/fuzz/crashes/ and fails the script. To keep a
# crash as a regression, copy the file into native/fuzz/regressions/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(preprocess postprocess results jpeg png toml)

out=build/fuzz
mkdir -p "$out/crashes"

native_build() {
  command -v clang++ >/dev/null || {
    echo "fuzz.sh: clang++ not found (Debian: apt-get install clang libclang-rt-dev)" >&2
    exit 1
  }
  local node_inc ort_inc
  node_inc="$(dirname "$(readlink -f "$(command -v node)")")/../include/node"
  if [ ! -f "$node_inc/node_api.h" ]; then
    node_inc="$(ls -d "$HOME"/.cmake-js/node-*/v"$(node -p process.versions.node)"/include/node 2>/dev/null | head -1)"
  fi
  [ -f "$node_inc/node_api.h" ] || { echo "fuzz.sh: Node's headers (node_api.h) not found" >&2; exit 1; }
  ort_inc="$(node scripts/ort-include.cjs)"
  flags=(-std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
    -fno-sanitize-recover=all -D_GLIBCXX_ASSERTIONS -Wall -Wextra -Werror
    -Inative/src -Inative/include -isystem "$node_inc"
    -isystem node_modules/node-addon-api -isystem "$ort_inc")
}

build_target() {
  local name="$1"; shift
  local bin="$out/${name}_fuzz"
  # Rebuild when a source is newer than the binary.
  local src newer=0
  for src in "native/fuzz/${name}_fuzz.cc" "$@"; do
    [ "$src" -nt "$bin" ] && newer=1
  done
  if [ ! -x "$bin" ] || [ "$newer" = 1 ]; then
    # -ffp-contract=off as in the main build: preprocess.cc relies on it.
    clang++ "${flags[@]}" -ffp-contract=off "native/fuzz/${name}_fuzz.cc" "$@" -o "$bin"
  fi
}

run_native() {
  local name="$1"
  local bin="$out/${name}_fuzz" seeds="native/fuzz/corpus/$name" regress="native/fuzz/regressions/$name"
  local work="$out/corpus/$name"
  mkdir -p "$work"
  local opts=(-rss_limit_mb=2048 -timeout=10 -max_len=4096 -print_final_stats=1
    "-artifact_prefix=$out/crashes/${name}-")
  # Replay first: each file once; any crash fails here.
  local replay=()
  [ -d "$regress" ] && replay+=("$regress"/*)
  replay+=("$seeds"/*)
  echo "== $name: replaying ${#replay[@]} corpus and regression inputs"
  "$bin" "${opts[@]}" -runs=0 "${replay[@]}" >"$out/$name-replay.log" 2>&1 || {
    cat "$out/$name-replay.log" >&2; exit 1; }
  echo "== $name: fuzzing ${seconds}s"
  "$bin" "${opts[@]}" -max_total_time="$seconds" "$work" "$seeds" >"$out/$name.log" 2>&1 || {
    tail -60 "$out/$name.log" >&2
    echo "fuzz.sh: $name crashed; the input is under $out/crashes/" >&2
    exit 1
  }
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)' "$out/$name.log" | tr '\n' ' '
  echo
}

export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
flags=()
for t in "${targets[@]}"; do
  case "$t" in
    preprocess) [ ${#flags[@]} -gt 0 ] || native_build; build_target preprocess native/src/core/preprocess.cc; run_native preprocess ;;
    postprocess) [ ${#flags[@]} -gt 0 ] || native_build; build_target postprocess native/src/core/postprocess.cc; run_native postprocess ;;
    results) [ ${#flags[@]} -gt 0 ] || native_build; build_target results native/src/smi/results.cc; run_native results ;;
    jpeg)
      jpeg_lib="$(node scripts/jpeg-static.cjs lib)"
      if [ -z "$jpeg_lib" ]; then
        echo "== jpeg: skipped, libjpeg-turbo not found (Debian: apt-get install libjpeg62-turbo-dev)"
        continue
      fi
      [ ${#flags[@]} -gt 0 ] || native_build
      jpeg_inc="$(node scripts/jpeg-static.cjs include)"
      jpeg_flags=(-DIMLAGE_HAVE_JPEG=1)
      [ "$jpeg_inc" = /usr/include ] || jpeg_flags+=(-isystem "$jpeg_inc")
      build_target jpeg native/src/decode/decode_to_size.cc native/src/decode/jpeg.cc native/src/decode/resize.cc \
        native/src/decode/orient.cc "${jpeg_flags[@]}" "$jpeg_lib"
      run_native jpeg ;;
    png)
      [ ${#flags[@]} -gt 0 ] || native_build
      libdeflate="$(node scripts/find-libdeflate.cjs --lib)"
      [ -n "$libdeflate" ] || { echo "fuzz.sh: libdeflate not found (Debian: apt-get install libdeflate-dev)" >&2; exit 1; }
      inc="$(node scripts/find-libdeflate.cjs --include)"
      flags+=(${inc:+-isystem "$inc"})
      build_target png native/src/decode/png.cc native/src/decode/png_chunks.cc native/src/decode/png_pixels.cc \
        native/src/decode/png_unfilter.cc "$libdeflate"
      run_native png ;;
    toml)
      [ -f dist/util/toml-reader.js ] || npm run build >/dev/null
      echo "== toml: replaying the corpus, then fuzzing ${seconds}s"
      # FUZZ_SEED fixes the mutation sequence (CI: a run that repeats); unset, every run explores anew.
      node tests/fuzz/toml-fuzz.mjs --seconds "$seconds" ${FUZZ_SEED:+--seed "$FUZZ_SEED"} ;;
    *) echo "fuzz.sh: unknown target '$t' (preprocess, postprocess, results, jpeg, png, toml)" >&2; exit 2 ;;
  esac
done
