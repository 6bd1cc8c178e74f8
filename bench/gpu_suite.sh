#!/usr/bin/env bash
# Every GPU check of the project in one go, for a GPU machine that has the CUDA toolkit but
# not the Debian libraries (one bounded command, with device-dist/ from scripts/device_pack.sh). Each step's output goes to
# $OUT/<step>.txt (or ./gpu-results/ without $OUT); a failing step is recorded and the rest run.
#   1. nvidia-smi                       the device
#   2. the CUDA twin tests              every op, a whole short run, the schedulers: cuda vs cpu
#   3. device_throughput --backend cuda GEMM, copy, aggregation and KLD scoring rates
#   4. schedule --algorithm batched     the device greedy at 10^4 and 10^5 clients, host greedy beside it
#   5. round_throughput                 the CPU engine on that machine's cores, for scale
#   6. the pfl CIFAR-10 benchmark       configs/bench-pfl-cifar10.toml on cuda, 1500 rounds, --profile
#
# On the GPU machine, from the repository root with device-dist/ beside it: bash bench/gpu_suite.sh
# (under ten minutes); the results are the files under $OUT.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-gpu-results}
mkdir -p "$out"
dist=device-dist
export LD_LIBRARY_PATH=$PWD/$dist/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export OPENBLAS_NUM_THREADS=1
status=0

step() {  # step NAME COMMAND...
  local name=$1
  shift
  echo "== $name: $*" | tee "$out/$name.txt"
  local t0=$SECONDS
  "$@" >>"$out/$name.txt" 2>&1
  local rc=$?
  echo "== $name: exit $rc after $((SECONDS - t0)) s" | tee -a "$out/$name.txt"
  [ $rc -eq 0 ] || status=1
}

step device nvidia-smi
step gpu_tests "$dist/bin/astraea_gpu_tests"
step device_throughput "$dist/bin/device_throughput" --backend cuda
step schedule bash -c "for n in 10000 100000; do \
  $dist/bin/astraea schedule --clients \$n --algorithm batched --backend cuda; \
  $dist/bin/astraea schedule --clients \$n; done"
step round_throughput "$dist/bin/round_throughput" --quick
# Bounded so that the whole suite fits one 10-minute device command; rounds.jsonl keeps what ran.
step pfl timeout 400 "$dist/bin/astraea" run --config configs/bench-pfl-cifar10.toml --backend cuda --out /tmp/pfl \
  --profile --log-level warn
cp /tmp/pfl/summary.json "$out/pfl_summary.json" 2>/dev/null
exit $status
