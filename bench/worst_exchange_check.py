#!/usr/bin/env python3
"""Whether any swap of one client for one, or two for two, between the worst mediator and another
one lowers the worst without lifting the other to its level: the exchanges `balanced`'s worst-
mediator steps try (one for one) and the next larger ones. Groups from `astraea.schedule` on a
synthetic population (`astraea schedule --clients N --seed S`'s clients).

  bench/worst_exchange_check.py CLIENTS SEED [WORST_RATIO]     e.g. 10000 2 2

Needs the Python module (build/python) and numpy; prints the worst mediator, the weighted mean and
every exchange that lowers the worst (the best first); then, for k = 2..32, the worst of k
mediators rebuilt from scratch (`balanced` with objective max on their clients) from the worst one
and its k - 1 most complementary (the most negative dot product of the deviations of their mixes
from the pooled one).
"""
import itertools
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "python"))
import astraea  # noqa: E402


def cost(h):  # C = T KL(h / T || uniform), over the last axis
    h = np.asarray(h, dtype=np.float64)
    t = h.sum(-1)
    hl = np.where(h > 0, h * np.log(np.maximum(h, 1e-300)), 0.0).sum(-1)
    return hl - t * np.log(t) + t * math.log(h.shape[-1])


def subsets(members, hist, k):  # the summed counts of every k clients of a mediator
    combos = list(itertools.combinations(members, k))
    return combos, np.array([hist[list(c)].sum(0) for c in combos])


def main():
    clients, seed = int(sys.argv[1]), int(sys.argv[2])
    ratio = float(sys.argv[3]) if len(sys.argv) > 3 else 2.0
    hist = np.array(astraea.synthetic_histograms(clients, seed=seed), dtype=np.int64)
    groups = astraea.schedule(hist, algorithm="balanced", balance_worst_ratio=ratio)
    merged = np.array([hist[g].sum(0) for g in groups])
    totals = merged.sum(1)
    kls = cost(merged) / totals
    a = int(np.argmax(kls))
    level = kls[a]
    weighted = cost(merged).sum() / totals.sum()
    print(f"{len(groups)} mediators; worst {a}: KL {level:.5f}, {level / weighted:.2f}x the weighted mean {weighted:.5f}")
    for c in groups[a]:
        print(f"  client {c}: {hist[c].tolist()}")
    found = []
    for k in (1, 2):
        out_sets, out_counts = subsets(groups[a], hist, k)
        for b in range(len(groups)):
            if b == a:
                continue
            in_sets, in_counts = subsets(groups[b], hist, k)
            new_a = merged[a][None, None, :] - out_counts[:, None, :] + in_counts[None, :, :]
            new_b = merged[b][None, None, :] + out_counts[:, None, :] - in_counts[None, :, :]
            after = np.maximum(cost(new_a) / new_a.sum(-1), cost(new_b) / new_b.sum(-1))
            for i, j in zip(*np.nonzero(after < level - 1e-12)):
                found.append((float(after[i, j]), b, out_sets[i], in_sets[j]))
    found.sort()
    print(f"exchanges of one or two clients that lower it: {len(found)}")
    for value, b, out, into in found:
        print(f"  with mediator {b}: {list(out)} for {list(into)} -> {value:.5f} ({value / weighted:.2f}x)")

    pooled = merged.sum(0) / merged.sum()
    deviation = merged / totals[:, None] - pooled
    dots = deviation @ deviation[a]
    dots[a] = np.inf
    for k in (2, 4, 8, 16, 32):
        part = [a] + [int(m) for m in np.argsort(dots, kind="stable")[: k - 1]]
        sub = hist[[c for m in part for c in groups[m]]]
        rebuilt = astraea.schedule(sub, algorithm="balanced", balance="max")
        worst = max(cost(sub[g].sum(0)) / sub[g].sum() for g in rebuilt)
        print(f"  {k} mediators rebuilt: worst {worst:.5f} (the others' worst before: {kls[part[1:]].max():.5f})")


if __name__ == "__main__":
    main()
