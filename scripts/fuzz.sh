#!/usr/bin/env bash
# Fuzzes the readers of untrusted files with libFuzzer (clang, ASan + UBSan): IDX, CIFAR-10,
# safetensors/checkpoints and experiment configs, each for SECONDS (default 60), starting from the
# corpus in tests/fuzz/corpus/<target>/ (new inputs go to build-fuzz/corpus/<target>/;
# FUZZ_MERGE=1 merges the ones that add coverage back into the repository's corpus). A crash or a
# non-astraea exception stops the target and leaves its input in build-fuzz/findings/<target>/:
# turn it into a regression test (tests/test_robustness.cpp) before fixing it.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      targets: fuzz_idx fuzz_cifar fuzz_safetensors fuzz_config
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz_idx fuzz_cifar fuzz_safetensors fuzz_config)
bash scripts/setup.sh fuzz
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DASTRAEA_FUZZ=ON -DASTRAEA_CUDA=OFF -DASTRAEA_MPI=OFF -DASTRAEA_NATIVE=OFF -DASTRAEA_BUILD_TESTS=OFF \
  -DASTRAEA_BUILD_BENCH=OFF -DASTRAEA_PYTHON=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]}"
status=0
for t in "${targets[@]}"; do
  mkdir -p "tests/fuzz/corpus/$t" "build-fuzz/corpus/$t" "build-fuzz/findings/$t"
  echo "== $t: ${seconds} s"
  if ! ASAN_OPTIONS=detect_leaks=0 "build-fuzz/tests/fuzz/$t" -max_total_time="$seconds" -max_len=65536 \
      -rss_limit_mb=4096 -artifact_prefix="build-fuzz/findings/$t/" -print_final_stats=1 \
      "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" 2>"build-fuzz/findings/$t/log.txt"; then
    echo "   FINDING: see build-fuzz/findings/$t/ and its log.txt"
    status=1
  fi
  grep -E "stat::number_of_executed_runs|stat::new_units_added" "build-fuzz/findings/$t/log.txt" | sed 's/^/   /' || true
  if [ "${FUZZ_MERGE:-0}" = 1 ]; then
    ASAN_OPTIONS=detect_leaks=0 "build-fuzz/tests/fuzz/$t" -merge=1 "tests/fuzz/corpus/$t" "build-fuzz/corpus/$t" \
      >/dev/null 2>&1
  fi
done
exit $status
