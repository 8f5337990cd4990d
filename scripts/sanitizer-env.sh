# Sourced by test-asan.sh and test-leaks.sh: the environment every run under
# the sanitizers needs, as an array for `env`, so that each script adds only
# its own ASAN_OPTIONS/LSAN_OPTIONS and nothing leaks into its other commands.
#
#   source scripts/sanitizer-env.sh "$addon"; env "${SANITIZER_ENV[@]}" ASAN_OPTIONS=... cmd
addon_path="$1"
SANITIZER_ENV=(
  "LD_PRELOAD=$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
  "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
  "IMLAGE_ADDON_PATH=$addon_path"
  "IMLAGE_TEST_PLUGINS=$(pwd)/build-asan/test-plugins"
  "IMLAGE_PLUGINS_ROOT=$(pwd)/build-asan/plugins"
  "IMLAGE_DECODE_DUMP=$(pwd)/build-asan/tools/decode_dump"
  "IMLAGE_SANITIZED=1"
)
