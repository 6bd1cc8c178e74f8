#!/usr/bin/env bash
# Builds astraea-sim (Release) and runs the default experiment: Fashion-MNIST under a zipf-imbalanced
# global distribution, partitioned into 500 clients.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
out=${1:-runs/demo}
./build/astraea partition --config configs/fmnist-imbalanced.toml --out "$out"
