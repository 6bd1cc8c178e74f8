#!/usr/bin/env bash
# Configures and builds astraea-sim (Release) into build/. The CUDA backend is compiled when nvcc
# is found (ASTRAEA_CUDA=AUTO); pass ASTRAEA_CUDA=OFF|ON in the environment to force it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DASTRAEA_CUDA="${ASTRAEA_CUDA:-AUTO}" \
  ${ASTRAEA_CMAKE_ARGS:-}
cmake --build build -j "$(nproc)"
