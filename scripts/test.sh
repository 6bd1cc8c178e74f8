#!/usr/bin/env bash
# Builds astraea-sim and runs every test through ctest. GPU tests skip themselves without a device.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
