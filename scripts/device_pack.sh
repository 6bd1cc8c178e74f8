#!/usr/bin/env bash
# Packs what a GPU machine needs to run the GPU tests and benchmarks: that machine has the
# CUDA toolkit but none of the Debian libraries and no network. Builds into build-device/ (CUDA on,
# no MPI, Hopper sm_90, no -march=native: that machine's CPU is another), then gathers the
# executables and the non-system shared libraries they load into device-dist/ (ignored by git,
# about 47 MB):
#
#   scripts/device_pack.sh           # here
#   bench/gpu_suite.sh               # there, with device-dist carried (see the script)
set -euo pipefail
cd "$(dirname "$0")/.."
ASTRAEA_BUILD_DIR=build-device ASTRAEA_CUDA=ON \
  ASTRAEA_CMAKE_ARGS="-DASTRAEA_NATIVE=OFF -DASTRAEA_MPI=OFF -DCMAKE_CUDA_ARCHITECTURES=${ASTRAEA_DEVICE_ARCH:-90}" \
  bash scripts/build.sh

rm -rf device-dist
mkdir -p device-dist/bin device-dist/lib
bins=(build-device/astraea build-device/tests/astraea_tests build-device/tests/astraea_gpu_tests build-device/bench/device_throughput
      build-device/bench/round_throughput)
cp "${bins[@]}" device-dist/bin/
# Everything the loader resolves outside libc, libstdc++, libgcc and CUDA (that machine has its own).
ldd "${bins[@]}" | awk '$3 ~ /^\// {print $3}' | sort -u | while read -r lib; do
  case "$(basename "$lib")" in
    libc.so* | libm.so* | libdl.so* | librt.so* | libpthread.so* | ld-linux* | libstdc++.so* | libgcc_s.so* | \
      libcu* | libnv* | libnccl* | libcudnn*) ;;
    *) cp -L "$lib" device-dist/lib/ ;;
  esac
done
du -sh device-dist
echo "device_pack: device-dist/ ready; copy it beside the repository on the GPU machine and run bench/gpu_suite.sh"
