#!/usr/bin/env bash
# Builds astraea-sim with AddressSanitizer and UndefinedBehaviorSanitizer (no CUDA) into
# build-asan/ and runs every test under them; any report fails the run. Open MPI's own leaks at
# exit are suppressed (scripts/lsan.supp), nothing of ours.
#
#   scripts/sanitize.sh [ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
ASTRAEA_BUILD_DIR=build-asan ASTRAEA_CUDA=OFF \
  ASTRAEA_CMAKE_ARGS="-DASTRAEA_SANITIZE=address,undefined -DASTRAEA_NATIVE=OFF -DASTRAEA_BUILD_BENCH=OFF -DASTRAEA_PYTHON=OFF" \
  bash scripts/build.sh
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-asan --output-on-failure -j "$(nproc)" "$@"
