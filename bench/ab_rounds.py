#!/usr/bin/env python3
"""Round time of two builds side by side, interleaved so both see the same machine state.

  python3 bench/ab_rounds.py --a DIR_A --b DIR_B [--repeat 3] [--rounds 15]

DIR_A and DIR_B each hold an `astraea` and a `round_throughput` executable (a build directory's
top level and bench/ are searched). Per repetition, for A then B: round_throughput's engine
samples/s for mlp at B=10 and B=50 and emnist_cnn at B=50 (one case per call, --only), and the
mean training seconds per round (rounds 2..N, from rounds.jsonl) of FedAvg on the peers config and
Astraea on the imbalanced Fashion-MNIST config, evaluation off. Prints a Markdown table of medians
and B relative to A.
"""
import argparse
import json
import pathlib
import re
import statistics
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def find(directory, name):
    for p in (pathlib.Path(directory) / name, pathlib.Path(directory) / "bench" / name):
        if p.exists():
            return str(p)
    raise SystemExit(f"{directory}: no {name}")


def throughput(binary, case):
    out = subprocess.run([binary, "--only", case], check=True, capture_output=True, text=True).stdout
    row = [l for l in out.splitlines() if l.startswith("| ") and "|---" not in l and "model" not in l][0]
    return float(row.split("|")[4])


def train_seconds(binary, config, rounds, extra):
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([binary, "run", "--config", str(ROOT / "configs" / config), "--out", out,
                        "--set", f"train.rounds={rounds}", "--set", "train.eval_every=0", "--set",
                        "train.checkpoint_every=0", *extra, "--log-level", "warn"], check=True,
                       capture_output=True)
        lines = (pathlib.Path(out) / "rounds.jsonl").read_text().splitlines()
        train = [json.loads(l)["phase_seconds"]["train"] for l in lines[1:]]
        return statistics.mean(train)


CASES = [
    ("round_throughput mlp B=10, samples/s", lambda d, r: throughput(find(d, "round_throughput"), "mlp:10")),
    ("round_throughput mlp B=50, samples/s", lambda d, r: throughput(find(d, "round_throughput"), "mlp:50")),
    ("round_throughput emnist_cnn B=50, samples/s",
     lambda d, r: throughput(find(d, "round_throughput"), "emnist_cnn:50")),
    ("FedAvg, peers config (mlp, 100 clients/round), train s/round",
     lambda d, r: train_seconds(find(d, "astraea"), "bench-peers-fmnist.toml", r, [])),
    ("Astraea, astraea-fmnist config (emnist_cnn, 50 clients, gamma 10), train s/round",
     lambda d, r: train_seconds(find(d, "astraea"), "astraea-fmnist.toml", r, [])),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--a", required=True)
    ap.add_argument("--b", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=15)
    o = ap.parse_args()
    results = {name: {"a": [], "b": []} for name, _ in CASES}
    for _ in range(o.repeat):
        for name, measure in CASES:
            for side in ("a", "b"):
                results[name][side].append(measure(getattr(o, side), o.rounds))
    print(f"A = {o.a}, B = {o.b}; median of {o.repeat}, interleaved\n")
    print("| measure | A | B | B / A |\n|---|---|---|---|")
    for name, _ in CASES:
        a, b = statistics.median(results[name]["a"]), statistics.median(results[name]["b"])
        fmt = "{:.0f}" if "samples/s" in name else "{:.4f}"
        print(f"| {name} | {fmt.format(a)} | {fmt.format(b)} | {b / a:.3f} |")


if __name__ == "__main__":
    main()
