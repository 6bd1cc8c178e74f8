#!/usr/bin/env bash
# The balanced scheduler against the greedy it starts from. Writes OUT/balanced.csv,
# OUT/balanced_max.csv and OUT/shipped.csv and prints them as Markdown tables.
#   bench/balanced.sh [OUT] [--quick]
# 1. Synthetic populations (`astraea schedule`, gamma 10, 10 classes, Dirichlet(0.3) mixes,
#    lognormal sizes), 10^3..10^5 clients (10^4 with --quick): the greedy's and balanced's time,
#    sample-weighted and max mediator KL and the floor; then `--balance max` (populations 1-3,
#    `--seed`, up to 3*10^4 clients; population 1 at 10^5), and the mean objective with
#    `--balance-worst-ratio 2` on the same populations.
# 2. The shipped imbalanced config's rounds (configs/astraea-fmnist.toml, 20 rounds of 50 clients):
#    the weighted mediator KL over the floor and the schedule phase per round, for the greedy and
#    for balanced with 2 (the default), 10, 30, 100 and 400 passes (2 and 10 with --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/balanced}
quick=0
[ "${2:-}" = "--quick" ] && quick=1
bin=build/astraea
[ -x "$bin" ] || bash scripts/build.sh
mkdir -p "$out"
sizes="1000 3000 10000 30000 100000"
passes="2 10 30 100 400"
if [ $quick -eq 1 ]; then sizes="1000 3000 10000"; passes="2 10"; fi
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

field() {  # field FILE PATTERN COLUMN
  awk -v p="$2" -v c="$3" '$0 ~ p {print $c; exit}' "$1"
}

echo "clients,greedy_s,balanced_s,greedy_weighted_kl,balanced_weighted_kl,floor_kl,greedy_max_kl,balanced_max_kl" \
  > "$out/balanced.csv"
echo "clients,seed,seconds,greedy_s,weighted_kl,max_kl,ratio_s,ratio_weighted_kl,ratio_max_kl" > "$out/balanced_max.csv"
for n in $sizes; do
  repeat=3
  [ "$n" -ge 100000 ] && repeat=2
  "$bin" schedule --clients "$n" --algorithm greedy --repeat $repeat > "$out/greedy-$n.txt"
  "$bin" schedule --clients "$n" --algorithm balanced --repeat $repeat > "$out/balanced-$n.txt"
  g="$out/greedy-$n.txt" b="$out/balanced-$n.txt"
  floor=$(awk '/^weighted mediator KL/{gsub(/,/, "", $6); print $6; exit}' "$b")
  echo "$n,$(field "$g" '^time' 2),$(field "$b" '^time' 2),$(field "$g" '^weighted mediator KL' 4),$(field "$b" '^weighted mediator KL' 4),$floor,$(field "$g" '^max mediator KL' 4),$(field "$b" '^max mediator KL' 4)" \
    >> "$out/balanced.csv"
  seeds="1 2 3"
  [ "$n" -ge 100000 ] && seeds=1
  for seed in $seeds; do
    m="$out/max-$n-$seed.txt" mg="$out/greedy-$n-$seed.txt" r="$out/ratio-$n-$seed.txt"
    "$bin" schedule --clients "$n" --seed "$seed" --algorithm greedy --repeat $repeat > "$mg"
    "$bin" schedule --clients "$n" --seed "$seed" --algorithm balanced --balance max --repeat $((repeat - 1)) > "$m"
    "$bin" schedule --clients "$n" --seed "$seed" --algorithm balanced --balance-worst-ratio 2 --repeat $repeat > "$r"
    echo "$n,$seed,$(field "$m" '^time' 2),$(field "$mg" '^time' 2),$(field "$m" '^weighted mediator KL' 4),$(field "$m" '^max mediator KL' 4),$(field "$r" '^time' 2),$(field "$r" '^weighted mediator KL' 4),$(field "$r" '^max mediator KL' 4)" \
      >> "$out/balanced_max.csv"
  done
done

echo "scheduler,passes,weighted_kl,floor_kl,ratio,schedule_ms" > "$out/shipped.csv"
shipped() {  # shipped NAME PASSES [--set ...]
  local name=$1 p=$2
  shift 2
  "$bin" run --config configs/astraea-fmnist.toml --set train.rounds=20 --set train.eval_every=100 \
    --set astraea.scheduler="$name" "$@" --out "$out/run-$name-$p" --log-level warn > /dev/null
  awk -v n="$name" -v p="$p" -F'"weighted_mediator_kl":' '{
      split($2, w, /[,}]/); wsum += w[1]
      match($0, /"floor_kl":[0-9.e-]+/); fsum += substr($0, RSTART + 11, RLENGTH - 11)
      match($0, /"schedule":[0-9.e-]+/); ssum += substr($0, RSTART + 11, RLENGTH - 11); k++ }
    END { printf "%s,%s,%.4f,%.4f,%.3f,%.2f\n", n, p, wsum / k, fsum / k, wsum / fsum, 1000 * ssum / k }' \
    "$out/run-$name-$p/rounds.jsonl" >> "$out/shipped.csv"
}
shipped greedy -
for p in $passes; do shipped balanced "$p" --set astraea.balance_passes="$p"; done

echo
echo "| clients | greedy s | balanced s (× greedy) | weighted KL greedy → balanced | floor | max KL greedy → balanced |"
echo "|---|---|---|---|---|---|"
tail -n +2 "$out/balanced.csv" | awk -F, '{printf "| %s | %s | %s (%.1f×) | %s → %s | %s | %s → %s |\n", $1, $2, $3, $3 / $2, $4, $5, $6, $7, $8}'
echo
echo "| clients | population | --balance max s (× greedy) | weighted KL | max KL | max ÷ weighted |"
echo "|---|---|---|---|---|---|"
tail -n +2 "$out/balanced_max.csv" |
  awk -F, '{printf "| %s | %s | %s (%.0f×) | %s | %s | %.2f |\n", $1, $2, $3, $3 / $4, $5, $6, $6 / $5}'
echo
echo "| clients | population | greedy s | --balance-worst-ratio 2 s (× greedy) | weighted KL | max KL | max ÷ weighted |"
echo "|---|---|---|---|---|---|---|"
tail -n +2 "$out/balanced_max.csv" |
  awk -F, '{printf "| %s | %s | %s | %s (%.1f×) | %s | %s | %.2f |\n", $1, $2, $4, $7, $7 / $4, $8, $9, $9 / $8}'
echo
echo "| scheduler | passes | weighted mediator KL | ÷ floor | schedule phase per round |"
echo "|---|---|---|---|---|"
tail -n +2 "$out/shipped.csv" | awk -F, '{printf "| %s | %s | %s | %s (floor %s) | %s ms |\n", $1, $2, $3, $5, $4, $6}'
