#!/usr/bin/env bash
# What Astraea's sequential mediators cost in time: simulated hours to the target accuracy (70%)
# and per 100 rounds for FedAvg and for Astraea with gamma = 1, 5, 10 and 20 on the shipped
# imbalanced Fashion-MNIST config, 3 seeds, under one client-systems model ([systems]: median 20
# samples/s and 1 MB/s per client, lognormal spreads 0.8, 100 ms latency per transfer). Writes
# OUT/fedavg and OUT/astraea (sweep's outputs) and prints their tables.
#
#   bench/time_to_accuracy.sh OUT      (about 25 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bench/time_to_accuracy.sh OUT}
astraea=${ASTRAEA:-build/astraea}
systems=(--set systems.speed=20 --set systems.speed_sigma=0.8 --set systems.bandwidth=1
         --set systems.bandwidth_sigma=0.8 --set systems.latency=0.1)
"$astraea" sweep --config configs/astraea-fmnist.toml --grid astraea.augmentation=none \
  --set astraea.scheduler=none --seeds 1,2,3 "${systems[@]}" --out "$out/fedavg" --log-level warn >/dev/null
"$astraea" sweep --config configs/astraea-fmnist.toml --grid astraea.mediator_size=1,5,10,20 \
  --seeds 1,2,3 "${systems[@]}" --out "$out/astraea" --log-level warn >/dev/null
cat "$out/fedavg/sweep.md" "$out/astraea/sweep.md"
