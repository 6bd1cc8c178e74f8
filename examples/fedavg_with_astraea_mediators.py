#!/usr/bin/env python3
"""Astraea's planning inside another code base: a plain PyTorch FedAvg loop on Fashion-MNIST whose
rounds train *mediators* — groups of clients formed by astraea.schedule, each trained through its
clients in turn — and whose data are rebalanced by Astraea's augmentation ratios (here applied by
repeating samples, the simplest augmentation). Only the planning comes from astraea-sim:

    astraea.partition(config)             clients' sample ids and label histograms
    astraea.augmentation_ratios(sizes)    how much each class should grow or shrink
    astraea.schedule(histograms, gamma)   which clients train together, in which order

usage: PYTHONPATH=build/python python3 examples/fedavg_with_astraea_mediators.py [--rounds N]
                                                                                 [--plain-fedavg]
Needs PyTorch (Debian: python3-torch) and the Fashion-MNIST files (dataset-fashion-mnist).
"""
import argparse
import gzip
import pathlib

import numpy as np

import astraea

FMNIST = pathlib.Path("/usr/share/datasets/fashion-mnist")


def load_idx(images, labels):
    with gzip.open(images) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28 * 28).astype(np.float32) / 255.0
    with gzip.open(labels) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return x, y


def plan(config, rounds, per_round, gamma, seed=1):
    """The federation (astraea.partition's), the classes' rebalancing ratios, and per round the
    mediators: lists of client ids in chain order."""
    part = astraea.partition(config)
    sizes = part["histograms"].sum(axis=0)
    ratios = astraea.augmentation_ratios(sizes.tolist(), method="zscore", tau_d=3.0)
    rng = np.random.default_rng(seed)
    schedule = []
    for r in range(rounds):
        online = np.sort(rng.choice(len(part["samples"]), per_round, replace=False))
        groups = astraea.schedule(part["histograms"][online], gamma=gamma, ids=online.tolist(), round=r + 1)
        schedule.append(groups)
    return part, ratios, schedule


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--plain-fedavg", action="store_true", help="every client alone (gamma 1), no rebalancing")
    o = ap.parse_args()
    import torch
    from torch import nn

    torch.manual_seed(1)
    config = {"data": {"format": "idx"}, "partition": {"method": "astraea", "clients": 500, "global": "linear:0.05",
                                                       "sizes": "lognormal:1.0", "local": "random", "local_beta": 0.5}}
    gamma = 1 if o.plain_fedavg else 10
    part, ratios, schedule = plan(config, o.rounds, 50, gamma)
    x, y = load_idx(FMNIST / "train-images-idx3-ubyte.gz", FMNIST / "train-labels-idx1-ubyte.gz")
    xt, yt = load_idx(FMNIST / "t10k-images-idx3-ubyte.gz", FMNIST / "t10k-labels-idx1-ubyte.gz")
    x, y, xt, yt = map(torch.from_numpy, (x, y, xt, yt))
    rng = np.random.default_rng(2)

    def client_batches(k):
        ids = part["samples"][k]
        if not o.plain_fedavg:  # rebalance: each sample kept or repeated by its class's ratio
            reps = [int(r) + (rng.random() < r - int(r)) for r in ratios[y[ids].numpy()]]
            ids = np.repeat(ids, reps)
        ids = rng.permutation(ids)
        for at in range(0, len(ids), 10):
            b = torch.from_numpy(ids[at:at + 10].astype(np.int64))
            yield x[b], y[b]

    model = nn.Sequential(nn.Linear(784, 200), nn.ReLU(), nn.Linear(200, 200), nn.ReLU(), nn.Linear(200, 10))
    for r, groups in enumerate(schedule, 1):
        start = [p.detach().clone() for p in model.parameters()]
        total = [torch.zeros_like(p) for p in start]
        n = sum(int(part["histograms"][k].sum()) for g in groups for k in g)
        for g in groups:  # a mediator: from the global model through its clients, one optimizer state
            with torch.no_grad():
                for p, s in zip(model.parameters(), start):
                    p.copy_(s)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            for k in g:
                for xb, yb in client_batches(k):
                    opt.zero_grad()
                    nn.functional.cross_entropy(model(xb), yb).backward()
                    opt.step()
            n_m = sum(int(part["histograms"][k].sum()) for k in g)
            with torch.no_grad():
                for t, p, s in zip(total, model.parameters(), start):
                    t += (n_m / n) * (p - s)
        with torch.no_grad():
            for p, s, t in zip(model.parameters(), start, total):
                p.copy_(s + t)
            acc = (model(xt).argmax(1) == yt).float().mean().item()
        print(f"round {r:3d}  mediators {len(groups):3d}  test accuracy {100 * acc:.2f}%", flush=True)


if __name__ == "__main__":
    main()
