#!/usr/bin/env bash
# The same FedAvg experiment (configs/bench-peers-fmnist.toml: Fashion-MNIST, 1000 IID clients,
# 100 per round, mlp, SGD lr 0.05, B = 10, E = 1) in astraea-sim, in Flower's simulation engine and
# in a plain PyTorch loop, all on CPU, back to back, on one partition; then OUT/peers.md and
# OUT/peers.csv compare per-round wall time and test accuracy.
#
#   bench/peers/run_peers.sh [ROUNDS] [OUT]     (defaults: 30, bench/peers/results)
#
# Needs build/astraea (scripts/build.sh; or set ASTRAEA=path) and python3 with venv. The first run
# creates bench/peers/.venv and installs pinned torch (CPU wheel index, PyPI if that is out of
# reach), numpy and flwr[simulation]; later runs skip that.
set -euo pipefail

ROUNDS=${1:-30}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${2:-$ROOT/bench/peers/results}
HERE=$ROOT/bench/peers
CONFIG=$ROOT/configs/bench-peers-fmnist.toml
ASTRAEA=${ASTRAEA:-$ROOT/build/astraea}
VENV=$HERE/.venv
PY=$VENV/bin/python

TORCH_VERSION=2.15.0
NUMPY_VERSION=2.4.6
FLWR_VERSION=1.42.0
TORCH_CPU_INDEX=https://download.pytorch.org/whl/cpu

log() { echo "run_peers: $*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.2f", a - b }'; }

# (a) Python environment -------------------------------------------------------------------------
if [ ! -x "$PY" ]; then
  log "creating $VENV"
  python3 -m venv "$VENV"
fi
if ! "$PY" - "$TORCH_VERSION" "$NUMPY_VERSION" "$FLWR_VERSION" 2>/dev/null <<'EOF'
import sys, torch, numpy, flwr, ray
ok = (torch.__version__.split("+")[0], numpy.__version__, flwr.__version__) == tuple(sys.argv[1:4])
sys.exit(0 if ok else 1)
EOF
then
  log "installing torch $TORCH_VERSION, numpy $NUMPY_VERSION, flwr[simulation] $FLWR_VERSION into $VENV"
  "$PY" -m pip install -q --upgrade pip
  if ! "$PY" -m pip install -q --retries 1 --timeout 30 --index-url "$TORCH_CPU_INDEX" "torch==$TORCH_VERSION"; then
    log "the CPU wheel index is out of reach: torch $TORCH_VERSION from PyPI (the CUDA build; runs on CPU here)"
    "$PY" -m pip install -q "torch==$TORCH_VERSION"
  fi
  "$PY" -m pip install -q "numpy==$NUMPY_VERSION" "flwr[simulation]==$FLWR_VERSION"
fi

if [ ! -x "$ASTRAEA" ]; then
  log "$ASTRAEA not found: build it with scripts/build.sh (or set ASTRAEA=path/to/astraea)"
  exit 1
fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT/partition" "$OUT/astraea" "$OUT/flower" "$OUT/torch"
mkdir -p "$OUT/flower" "$OUT/torch"
: > "$OUT/wall.txt"
SAMPLES=$OUT/partition/client_samples.txt

# Which astraea-sim: the commit, whether the tree had edits, and when the binary was built.
{
  echo "git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' plus uncommitted edits'),"
  echo "binary ${ASTRAEA#"$ROOT"/} built $(date -u -r "$ASTRAEA" '+%Y-%m-%d %H:%M UTC')"
} | tr '\n' ' ' > "$OUT/astraea_version.txt"

# (b) one partition for all three ----------------------------------------------------------------
log "partition -> $OUT/partition"
"$ASTRAEA" partition --config "$CONFIG" --out "$OUT/partition" > "$OUT/partition.log" 2>&1 ||
  { cat "$OUT/partition.log" >&2; exit 1; }
test -s "$SAMPLES"

# (c) astraea-sim ------------------------------------------------------------------------------
log "astraea-sim, $ROUNDS rounds"
t=$(now)
"$ASTRAEA" run --config "$CONFIG" --out "$OUT/astraea" --set "train.rounds=$ROUNDS" 2>&1 | tee "$OUT/astraea.log" |
  grep --line-buffered "round " >&2
echo "astraea $(since "$t")" >> "$OUT/wall.txt"

# The Python runs take their settings from the same TOML file.
PYARGS=(--config "$CONFIG" --samples "$SAMPLES" --rounds "$ROUNDS")

# (d) Flower -----------------------------------------------------------------------------------
log "Flower, $ROUNDS rounds"
t=$(now)
"$PY" "$HERE/flower_fedavg.py" "${PYARGS[@]}" --out "$OUT/flower/rounds.jsonl" 2>&1 >/dev/null |
  tee "$OUT/flower.log" >&2
echo "flower $(since "$t")" >> "$OUT/wall.txt"

# (e) plain PyTorch ----------------------------------------------------------------------------
log "plain PyTorch loop, $ROUNDS rounds"
t=$(now)
"$PY" "$HERE/torch_fedavg.py" "${PYARGS[@]}" --out "$OUT/torch/rounds.jsonl" 2>&1 >/dev/null |
  tee "$OUT/torch.log" >&2
echo "torch $(since "$t")" >> "$OUT/wall.txt"

# (f) comparison -------------------------------------------------------------------------------
(cd "$ROOT" && "$PY" "$HERE/report.py" "$OUT" --config configs/bench-peers-fmnist.toml)
log "wrote $OUT/peers.md, $OUT/peers.csv"
