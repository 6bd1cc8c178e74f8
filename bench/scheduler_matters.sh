#!/usr/bin/env bash
# When does the KL scheduler matter? Astraea with the papers' greedy, with random groups of the
# same sizes, and with the balanced scheduler, 3 seeds each, on the shipped imbalanced
# Fashion-MNIST config and on variants of it (fresh optimizer per client, SGD clients, gamma 5 and
# 20, 100 clients per round, more skewed clients). Writes OUT/<setting>/ (compare's outputs) and
# prints one table: best accuracy mean ± sd per method and setting, and the mean mediator KL.
#
#   bench/scheduler_matters.sh OUT [ROUNDS]      (about 20 minutes on 2 cores at 150 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bench/scheduler_matters.sh OUT [ROUNDS]}
rounds=${2:-150}
astraea=${ASTRAEA:-build/astraea}
settings=(
  "shipped|"
  "fresh optimizer per client|--set train.reset_optimizer=true"
  "SGD clients (lr 0.02)|--set train.optimizer=sgd --set train.lr=0.02"
  "gamma 5|--set astraea.mediator_size=5"
  "gamma 20|--set astraea.mediator_size=20"
  "100 clients per round|--set train.clients_per_round=100"
  "skewed clients (local_beta 0.1)|--set partition.local_beta=0.1"
)
for s in "${settings[@]}"; do
  name=${s%%|*}
  args=${s#*|}
  dir="$out/$(echo "$name" | tr -c 'a-zA-Z0-9\n' '_')"
  [ -f "$dir/compare.json" ] && continue  # finished earlier
  # shellcheck disable=SC2086
  "$astraea" compare --config configs/astraea-fmnist.toml --methods astraea,random_mediators,balanced_mediators \
    --seeds 1,2,3 --out "$dir" --set train.rounds="$rounds" $args --log-level warn >/dev/null
done
python3 - "$out" "${settings[@]}" <<'PY'
import json, pathlib, statistics, sys
out, settings = pathlib.Path(sys.argv[1]), sys.argv[2:]
print("| setting | greedy (papers) | random groups | balanced | mean mediator KL greedy / random / balanced |")
print("|---|---|---|---|---|")
for s in settings:
    name = s.split("|")[0]
    d = out / "".join(c if c.isalnum() else "_" for c in name)
    j = json.loads((d / "compare.json").read_text())["methods"]
    def acc(m):
        v = [100 * x for x in j[m]["best_accuracy"]]
        return f"{statistics.mean(v):.2f} ± {statistics.stdev(v):.2f}"
    kl = " / ".join(f"{statistics.mean(j[m]['mean_mediator_kl']):.3f}" for m in ("astraea", "random_mediators", "balanced_mediators"))
    print(f"| {name} | {acc('astraea')} | {acc('random_mediators')} | {acc('balanced_mediators')} | {kl} |")
PY
