#!/usr/bin/env python3
"""Replays the exact greedy on a synthetic population and counts, for sampled picks, the blocks
of sixteen candidates the fast greedy's stops read (size buckets of ratio 1.25 x dominant class,
each by increasing peak; water-filling per bucket, q* per group), how many of those keep a lane
past the spread bound, and how many a per-block box of shares would leave: each class's smallest
and largest count and the block's size range bound every lane's merged share of the class to an
interval, and KL = (1/N) sum_y h(N p_y), h(r) = r log r - r + 1, is at least (1/N) times the sum
of h's least value on each interval. Also boxes over runs of 4 and 8 blocks, and a layout of
bands of 8 blocks by peak re-sorted by the second and third largest class. Each pick's true best
is the cutoff (an oracle: the real scan's running cutoff is higher).

  bench/greedy_box_replay.py CLIENTS EVERY      e.g. 10000 97 (every 97th pick)

Needs the Python module (build/python) and numpy; prints the counts per sampled pick.
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "python"))
import astraea  # noqa: E402

N, GAMMA, LANES, BAND = 10, 10, 16, 8


def xlogx(v):
    v = np.asarray(v, dtype=np.float64)
    out = np.zeros_like(v)
    nz = v > 0
    out[nz] = v[nz] * np.log(v[nz])
    return out


def kl_rows(counts):
    t = counts.sum(-1).astype(np.float64)
    return (xlogx(counts).sum(-1) - xlogx(t)) / t + math.log(N)


def h(r):
    return np.where(r > 0, r * np.log(np.maximum(r, 1e-300)) - r + 1, 1.0)


def binary_kl(q):
    u = 1.0 / N
    if q <= u:
        return 0.0
    if q >= 1:
        return math.log(N)
    return q * math.log(q / u) + (1 - q) * math.log((1 - q) / (1 - u))


def max_share(c):  # q*: the largest share of one class a score of at most c allows
    lo, hi = 1.0 / N, 1.0
    if binary_kl(hi) <= c:
        return 1.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if binary_kl(mid) <= c:
            lo = mid
        else:
            hi = mid
    return hi


def water_fill(m, s):  # the open mediator with s samples poured into its smallest classes
    srt = np.sort(m).astype(np.float64)
    below = np.concatenate([[0], np.cumsum(srt)])
    k = 1
    while k < N and k * srt[k] - below[k] <= s:
        k += 1
    v = np.concatenate([np.full(k, (below[k] + s) / k), srt[k:]])
    return float(kl_rows(v[None, :])[0])


def main():
    clients, every = int(sys.argv[1]), int(sys.argv[2])
    hist = np.array(astraea.synthetic_histograms(clients, seed=1), dtype=np.int64)
    size = hist.sum(1)
    bucket = np.floor(np.log(np.maximum(size, 1)) / math.log(1.25)).astype(int)
    peak, dom = hist.max(1), hist.argmax(1)
    ranked = np.argsort(-hist, axis=1, kind="stable")
    second, third = ranked[:, 1], ranked[:, 2]
    own = kl_rows(hist)
    alive = np.ones(clients, bool)
    n = dict(picks=0, read=0, spread=0, box=0, box_and_spread=0, box4=0, box8=0, banded=0, banded_box=0)

    def box_keeps(m, total, members, c):
        lo, hi = hist[members].min(0), hist[members].max(0)
        plo = (m + lo) / (total + size[members].max())
        phi = np.minimum((m + hi) / (total + size[members].min()), 1.0)
        return h(np.clip(1.0, N * plo, N * phi)).sum() / N <= c + 1e-10

    picks = 0
    while alive.any():
        idx = np.flatnonzero(alive)
        first = idx[np.argmin(own[idx])]
        alive[first] = False
        m, total = hist[first].copy(), int(size[first])
        for _ in range(1, GAMMA):
            idx = np.flatnonzero(alive)
            if len(idx) == 0:
                break
            scores = kl_rows(m[None, :] + hist[idx])
            best, c = idx[np.argmin(scores)], float(scores.min())
            picks += 1
            if picks % every == 0:
                n["picks"] += 1
                q = max_share(c + 1e-10)
                big_r = N * q
                kappa = (big_r * math.log(big_r) - big_r + 1) / (big_r - 1) ** 2 if big_r > 1 else 0.5
                ratio = (kappa + c) / (kappa * N)
                for b in np.unique(bucket[idx]):
                    inb = idx[bucket[idx] == b]
                    largest = size[inb].max()
                    if water_fill(m, largest) > c + 1e-10:
                        continue
                    for y in range(N):
                        g = inb[dom[inb] == y]
                        if len(g) == 0:
                            continue
                        limit = math.floor(q * (total + largest) * (1 + 1e-12)) - m[y]
                        g = g[np.argsort(peak[g], kind="stable")]
                        read = int(np.sum(peak[g[::LANES]] <= limit))
                        lanes = g[: read * LANES]
                        merged = (m[None, :] + hist[lanes]).astype(np.float64)
                        t = (total + size[lanes]).astype(np.float64)
                        kept = (merged ** 2).sum(1) <= ratio * t * t
                        n["read"] += read
                        for i in range(read):
                            blk = lanes[i * LANES:(i + 1) * LANES]
                            spread = bool(kept[i * LANES:(i + 1) * LANES].any())
                            boxed = box_keeps(m, total, blk, c)
                            n["spread"] += spread
                            n["box"] += boxed
                            n["box_and_spread"] += spread and not boxed
                        for run, key in ((4, "box4"), (8, "box8")):
                            for i in range((read + run - 1) // run):
                                if box_keeps(m, total, lanes[i * run * LANES:(i + 1) * run * LANES], c):
                                    n[key] += min(run, read - run * i)
                        for k in range((len(g) + BAND * LANES - 1) // (BAND * LANES)):
                            band = g[k * BAND * LANES:(k + 1) * BAND * LANES]
                            if peak[band[0]] > limit:
                                break
                            band = band[np.lexsort((-hist[band, second[band]], third[band], second[band]))]
                            for i in range((len(band) + LANES - 1) // LANES):
                                n["banded"] += 1
                                n["banded_box"] += box_keeps(m, total, band[i * LANES:(i + 1) * LANES], c)
            alive[best] = False
            m += hist[best]
            total += int(size[best])
    print(f"{clients} clients, every {every}th pick: {n['picks']} picks; per pick:")
    labels = dict(read="blocks read by the stops", spread="  of which keep a lane past the spread bound",
                  box="  of which the block's box keeps", box_and_spread="  ruled out by the box, kept by the spread bound",
                  box4="  kept by boxes over 4 blocks", box8="  kept by boxes over 8 blocks",
                  banded="blocks read in bands re-sorted", banded_box="  of which the box keeps")
    for key, label in labels.items():
        print(f"  {label:52s} {n[key] / n['picks']:8.1f}")


if __name__ == "__main__":
    main()
