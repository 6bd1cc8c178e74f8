#!/usr/bin/env bash
# Builds astraea-sim (Release) and runs the default experiment: FedAvg on Fashion-MNIST
# (configs/fedavg-fmnist.toml, about 3 s on 2 cores), writing runs/demo/.
# For the papers' comparison: build/astraea compare --config configs/astraea-fmnist.toml --out runs/compare
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
out=${1:-runs/demo}
./build/astraea run --config configs/fedavg-fmnist.toml --out "$out"
