#!/usr/bin/env bash
# Configures and builds astraea-sim (Release) into build/ (ASTRAEA_BUILD_DIR to choose another).
# The CUDA backend is compiled when nvcc is found (ASTRAEA_CUDA=AUTO); pass ASTRAEA_CUDA=OFF|ON in
# the environment to force it, and further CMake options in ASTRAEA_CMAKE_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
dir=${ASTRAEA_BUILD_DIR:-build}
cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DASTRAEA_CUDA="${ASTRAEA_CUDA:-AUTO}" \
  ${ASTRAEA_CMAKE_ARGS:-}
cmake --build "$dir" -j "$(nproc)"
