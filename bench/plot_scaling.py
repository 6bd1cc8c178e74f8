#!/usr/bin/env python3
"""Plots bench/scaling.sh's CSVs into OUT/scaling.png and prints the scheduler's fitted exponent.

usage: plot_scaling.py OUT
"""
import csv
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def fit_exponent(points):
    """Least-squares slope of log(time) against log(clients)."""
    xs = [math.log(c) for c, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def main():
    out = Path(sys.argv[1])
    sched = list(csv.DictReader(open(out / "scheduler.csv")))
    rounds = list(csv.DictReader(open(out / "rounds.csv")))
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    for alg, style in (("greedy", "o-"), ("reference", "s--"), ("deficit", "^-.")):
        pts = [(int(r["clients"]), float(r["seconds"])) for r in sched if r["algorithm"] == alg]
        if len(pts) < 2:
            continue
        k = fit_exponent(pts)
        print(f"scheduler {alg}: time ~ clients^{k:.2f}")
        a.loglog(*zip(*pts), style, label=f"{alg} (slope {k:.2f})")
    a.set_xlabel("online clients")
    a.set_ylabel("seconds per schedule")
    a.set_title("Mediator scheduler (gamma 10, 10 classes)")
    a.grid(True, which="both", alpha=0.3)
    a.legend()
    for c in sorted({r["clients_per_round"] for r in rounds}, key=int):
        pts = [(int(r["total_clients"]), r) for r in rounds if r["clients_per_round"] == c]
        xs = [p[0] for p in pts]
        b.loglog(xs, [float(p[1]["round_seconds"]) for p in pts], "o-", label=f"round, c = {c}")
        b.loglog(xs, [float(p[1]["schedule"]) for p in pts], "x:", label=f"schedule, c = {c}")
    b.set_xlabel("total clients")
    b.set_ylabel("seconds")
    b.set_title("Astraea round (mlp, synthetic 10x10, 10 samples/client)")
    b.grid(True, which="both", alpha=0.3)
    b.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "scaling.png", dpi=120)
    print(f"wrote {out / 'scaling.png'}")


if __name__ == "__main__":
    main()
