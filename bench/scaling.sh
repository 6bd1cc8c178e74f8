#!/usr/bin/env bash
# Scalability sweep. Writes OUT/scheduler.csv, OUT/rounds.csv and OUT/scaling.png.
#   bench/scaling.sh [OUT] [--full]
# 1. The mediator scheduler alone (`astraea schedule`, gamma 10, 10 classes, Dirichlet(0.3) mixes,
#    lognormal sizes) for 10^3..10^5 online clients (10^6 with --full), with the naive reference
#    up to 10^4 and the approximate `deficit` scheduler up to 10^6; prints the fitted exponent of
#    time against clients for each.
# 2. Whole Astraea rounds (greedy mediators, gamma 10, mlp on synthetic 10x10 images, 10 samples
#    per client) for 10^3, 10^4 and 10^5 total clients and 100 or 1000 clients per round: the
#    per-phase times of rounds.jsonl, averaged over 3 rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/scaling}
full=0
[ "${2:-}" = "--full" ] && full=1
bin=build/astraea
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3  # Debian's python3-matplotlib
[ -x "$bin" ] || bash scripts/build.sh
mkdir -p "$out"

echo "clients,algorithm,seconds,mediators,mean_mediator_kl,mean_client_kl" > "$out/scheduler.csv"
exact_limit=100000
[ $full -eq 1 ] && exact_limit=1000000
for n in 1000 3000 10000 30000 100000 300000 1000000; do
  for alg in greedy reference deficit; do
    if [ "$alg" = greedy ] && [ "$n" -gt $exact_limit ]; then continue; fi
    if [ "$alg" = reference ] && [ "$n" -gt 10000 ]; then continue; fi
    "$bin" schedule --clients "$n" --algorithm "$alg" --repeat 2 > "$out/schedule-$n-$alg.txt"
    awk -v n="$n" -v a="$alg" '/^time/{t=$2} /^mediators/{m=$2} /^mean mediator KL/{mk=$4} /^mean client KL/{ck=$4}
      END{printf "%s,%s,%s,%s,%s,%s\n", n, a, t, m, mk, ck}' "$out/schedule-$n-$alg.txt" >> "$out/scheduler.csv"
    tail -1 "$out/scheduler.csv"
  done
done

cat > "$out/scaling.toml" <<'TOML'
[experiment]
name = "scaling"
[data]
format = "synthetic"
height = 10
width = 10
test_samples = 1000
[partition]
method = "astraea"
sizes = "lognormal:1.0"
local_beta = 0.5
[train]
model = "mlp"
lr = 0.05
rounds = 3
eval_every = 0
[astraea]
scheduler = "greedy"
mediator_size = 10
TOML
echo "total_clients,clients_per_round,round_seconds,schedule,plan,train,aggregate,evaluate" > "$out/rounds.csv"
for n in 1000 10000 100000; do
  for c in 100 1000; do
    [ "$c" -gt "$n" ] && continue
    run="$out/run-$n-$c"
    "$bin" run --config "$out/scaling.toml" --out "$run" --log-level warn \
      --set data.train_samples=$((n * 10)) --set partition.clients=$n --set train.clients_per_round=$c
    "$py" - "$run/rounds.jsonl" "$n" "$c" >> "$out/rounds.csv" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
mean = lambda f: sum(f(r) for r in rows) / len(rows)
ph = lambda k: mean(lambda r: r["phase_seconds"][k])
print(f"{sys.argv[2]},{sys.argv[3]},{mean(lambda r: r['seconds']):.6f},{ph('schedule'):.6f},{ph('plan'):.6f},"
      f"{ph('train'):.6f},{ph('aggregate'):.6f},{ph('evaluate'):.6f}")
PY
    tail -1 "$out/rounds.csv"
  done
done
"$py" bench/plot_scaling.py "$out"
