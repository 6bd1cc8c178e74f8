#!/usr/bin/env bash
# Every GPU check of the project in one bounded command, for a GPU machine that has the CUDA
# toolkit and driver but none of the Debian libraries (run scripts/device_pack.sh first and carry
# device-dist/ beside the repository). Steps, in order of value, each under its own timeout so the
# whole suite stays under 7 minutes:
#   preflight          nvidia-smi; every executable through ldd; missing CUDA libraries looked up in
#                      the toolkit and in Python wheels' nvidia/*/lib folders (logged)
#   gpu_tests          the CUDA twins (every model, augmentation bytes, whole runs, every algorithm,
#                      the device scheduler), with ASTRAEA_CUDA_SYNC=1 so a fault names its kernel
#   device_throughput  GEMM TFLOP/s, aggregation GB/s against copy bandwidth, KLD scoring of 10^6 x 10
#   pfl                the pfl CIFAR-10 benchmark (configs/bench-pfl-cifar10.toml) on cuda, FP32, 1500 rounds
#   pfl_tf32, pfl_cudnn  its first 500 rounds with TF32 GEMMs, and with cuDNN convolutions
#   schedule           the device greedy at 10^4 and 10^5 clients, the host greedy beside it
#   fedavg_mlp(_graphs)  seconds per FedAvg round of the mlp on the device, launched and as CUDA Graphs
# Each step's output goes to $OUT/<step>.txt (./gpu-results/ without $OUT), the pfl runs'
# rounds.jsonl and summary.json beside it, and one line per step to $OUT/suite.txt. A failing step
# is recorded and the rest run; the suite exits 0 once it has run every step (without a GPU, every
# GPU step fails with "no CUDA device" and the suite still completes). Without device-dist/ it uses
# the executables of build/ (ASTRAEA_DIST=DIR picks another folder with bin/ and lib/).
#   bash bench/gpu_suite.sh
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-gpu-results}
mkdir -p "$out"
: >"$out/suite.txt"
export OPENBLAS_NUM_THREADS=1

# Where the executables are: device-dist/ (packed), else the build tree.
dist=${ASTRAEA_DIST:-device-dist}
if [ -d "$dist/bin" ]; then
  bin=$dist/bin
  export LD_LIBRARY_PATH=$PWD/$dist/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  astraea=$bin/astraea gpu_tests=$bin/astraea_gpu_tests throughput=$bin/device_throughput
else
  bin=build
  astraea=build/astraea gpu_tests=build/tests/astraea_gpu_tests throughput=build/bench/device_throughput
fi

step() {  # step NAME SECONDS COMMAND...
  local name=$1 limit=$2
  shift 2
  echo "== $name (limit ${limit} s): $*" | tee "$out/$name.txt"
  local t0=$SECONDS
  timeout --kill-after=5 "$limit" "$@" >>"$out/$name.txt" 2>&1
  local rc=$?
  local note=""
  [ $rc -eq 124 ] || [ $rc -eq 137 ] && note=" (timed out)"
  echo "== $name: exit $rc$note after $((SECONDS - t0)) s" | tee -a "$out/$name.txt"
  echo "$name exit=$rc seconds=$((SECONDS - t0))$note" >>"$out/suite.txt"
}

preflight() {
  echo "executables from $bin"
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi || echo "nvidia-smi failed: no CUDA device"
  else
    echo "nvidia-smi not found: no CUDA driver on this machine, no CUDA device"
  fi
  local exes=("$astraea" "$gpu_tests" "$throughput") missing
  for exe in "${exes[@]}"; do
    [ -x "$exe" ] || { echo "MISSING executable $exe (run scripts/device_pack.sh, or build with CUDA)"; return 1; }
  done
  missing=$(ldd "${exes[@]}" 2>/dev/null | awk '/not found/ {print $1}' | sort -u)
  if [ -n "$missing" ]; then
    echo "not found by the loader: $missing"
    local dirs=() d
    for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/*/lib /usr/local/cuda-*/lib64; do
      [ -d "$d" ] && dirs+=("$d")
    done
    for d in $(python3 -c 'import site, sys; print(" ".join(site.getsitepackages() + [site.getusersitepackages()]))' \
      2>/dev/null); do
      for lib in "$d"/nvidia/*/lib; do [ -d "$lib" ] && dirs+=("$lib"); done
    done
    for d in "${dirs[@]}"; do
      export LD_LIBRARY_PATH=$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
      echo "added $d to LD_LIBRARY_PATH"
    done
    missing=$(ldd "${exes[@]}" 2>/dev/null | awk '/not found/ {print $1}' | sort -u)
    [ -z "$missing" ] && echo "every library found" || echo "STILL not found: $missing"
  else
    echo "every library found"
  fi
  echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
}

# The preflight runs in this shell (not through step) so that what it adds to LD_LIBRARY_PATH
# reaches the steps after it.
echo "== preflight" | tee "$out/preflight.txt"
preflight >>"$out/preflight.txt" 2>&1
echo "preflight exit=$?" >>"$out/suite.txt"
tail -n 3 "$out/preflight.txt"

step gpu_tests 75 env ASTRAEA_CUDA_SYNC=1 "$gpu_tests" --gtest_brief=1
step device_throughput 45 "$throughput" --backend cuda

pfl() {  # pfl NAME SECONDS EXTRA_SETTINGS...
  local name=$1 limit=$2
  shift 2
  rm -rf "/tmp/astraea-$name"
  step "$name" "$limit" "$astraea" run --config configs/bench-pfl-cifar10.toml --backend cuda --out "/tmp/astraea-$name" \
    --set train.checkpoint_every=0 "$@" --profile --log-level warn
  cp "/tmp/astraea-$name/summary.json" "$out/${name}_summary.json" 2>/dev/null
  cp "/tmp/astraea-$name/rounds.jsonl" "$out/${name}_rounds.jsonl" 2>/dev/null
}
pfl pfl 100
pfl pfl_tf32 55 --set train.tf32=true --set train.rounds=500
pfl pfl_cudnn 55 --set train.conv=cudnn --set train.rounds=500

step schedule 35 bash -c "rc=0; for n in 10000 100000; do \
  '$astraea' schedule --clients \$n --algorithm batched --backend cuda || rc=1; \
  '$astraea' schedule --clients \$n; done; exit \$rc"
for graphs in false true; do
  name=fedavg_mlp$([ $graphs = true ] && echo _graphs)
  rm -rf "/tmp/astraea-$name"
  step "$name" 25 "$astraea" run --config configs/bench-pfl-cifar10.toml --backend cuda --out "/tmp/astraea-$name" \
    --set train.model=mlp --set train.rounds=50 --set train.checkpoint_every=0 --set train.cuda_graphs=$graphs \
    --profile --log-level warn
  cp "/tmp/astraea-$name/summary.json" "$out/${name}_summary.json" 2>/dev/null
done
echo "suite done; results in $out"
exit 0
