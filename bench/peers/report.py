"""Writes OUT/peers.md and OUT/peers.csv from the three runs of run_peers.sh.

Reads OUT/astraea/rounds.jsonl (astraea run), OUT/flower/rounds.jsonl and OUT/torch/rounds.jsonl
(flower_fedavg.py, torch_fedavg.py) and OUT/wall.txt (lines "tool seconds": each process's whole
wall time). Per-round time is the mean over rounds 2..R (round 1 carries warm-up), both without the
evaluation (each tool times it separately) and with it; the speed ratios divide the other tool's
mean by astraea's.

    python report.py OUT --config configs/bench-peers-fmnist.toml
"""
from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import statistics
import subprocess

TOOLS = ("astraea", "flower", "torch")
LABEL = {"astraea": "astraea-sim", "flower": "Flower (flwr.simulation, Ray)", "torch": "plain PyTorch loop"}


def read_rounds(path: str, tool: str) -> list[dict]:
    """One dict per evaluated round: round, seconds, noeval (seconds without evaluation), acc."""
    rows = []
    with open(path) as f:
        for line in f:
            j = json.loads(line)
            if "round" not in j:
                continue
            if tool == "astraea":
                if "test_accuracy" not in j:
                    continue
                ev = j["phase_seconds"]["evaluate"]
            else:
                ev = j["eval_seconds"]
            rows.append({"round": j["round"], "seconds": j["seconds"], "noeval": j["seconds"] - ev,
                         "acc": j["test_accuracy"]})
    return rows


def versions() -> dict:
    v = {}
    for name in ("torch", "flwr", "ray", "numpy"):
        try:
            v[name] = __import__(name).__version__
        except ImportError:
            v[name] = "not installed"
    return v


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def gpu_present() -> bool:
    try:
        return subprocess.run(["nvidia-smi", "-L"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the run directory of run_peers.sh")
    parser.add_argument("--config", default="configs/bench-peers-fmnist.toml")
    args = parser.parse_args()
    out = args.out

    runs = {t: read_rounds(os.path.join(out, t, "rounds.jsonl"), t) for t in TOOLS}
    rounds = min(len(r) for r in runs.values())
    wall = {}
    if os.path.exists(os.path.join(out, "wall.txt")):
        with open(os.path.join(out, "wall.txt")) as f:
            for line in f:
                tool, sec = line.split()
                wall[tool] = float(sec)
    flower_setup = None
    with open(os.path.join(out, "flower", "rounds.jsonl")) as f:
        for line in f:
            j = json.loads(line)
            flower_setup = j.get("setup_seconds", flower_setup)

    def mean(tool, key):
        later = [r[key] for r in runs[tool][1:rounds]] or [r[key] for r in runs[tool][:rounds]]
        return statistics.mean(later)

    def median(tool, key):
        later = [r[key] for r in runs[tool][1:rounds]] or [r[key] for r in runs[tool][:rounds]]
        return statistics.median(later)

    # peers.csv: one row per round, every tool's times and accuracy side by side.
    with open(os.path.join(out, "peers.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["round"] + [f"{t}_{k}" for t in TOOLS for k in ("seconds", "seconds_noeval", "accuracy")])
        for i in range(rounds):
            row = [runs["astraea"][i]["round"]]
            for t in TOOLS:
                r = runs[t][i]
                row += [f"{r['seconds']:.4f}", f"{r['noeval']:.4f}", f"{r['acc']:.4f}"]
            w.writerow(row)

    v = versions()
    astraea_version = ""
    if os.path.exists(os.path.join(out, "astraea_version.txt")):
        with open(os.path.join(out, "astraea_version.txt")) as f:
            astraea_version = f.read().strip()
    a_noeval, a_all = mean("astraea", "noeval"), mean("astraea", "seconds")
    final = {t: runs[t][rounds - 1]["acc"] for t in TOOLS}
    best = {t: max(r["acc"] for r in runs[t][:rounds]) for t in TOOLS}
    lines = [
        "# astraea-sim against Flower and a plain PyTorch loop",
        "",
        f"{datetime.date.today().isoformat()}, {os.cpu_count()} cores ({cpu_model()}), "
        f"{'a GPU present but unused' if gpu_present() else 'no GPU'}, everything on CPU. "
        f"torch {v['torch']}, flwr {v['flwr']}, ray {v['ray']}, numpy {v['numpy']}, Python {platform.python_version()}. "
        f"astraea-sim: {astraea_version or 'version not recorded'}.",
        "",
        f"Experiment: `{args.config}`, {rounds} rounds, all three on one partition (`partition/client_samples.txt`). "
        "Per-round time: mean over rounds 2.." + str(rounds) + " (round 1 carries warm-up); median in brackets.",
        "",
        "| simulator | s/round without eval | s/round with eval | astraea faster by (without / with eval) "
        "| final acc % | best acc % | process wall s |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in TOOLS:
        ratio = "—" if t == "astraea" else f"{mean(t, 'noeval') / a_noeval:.1f}x / {mean(t, 'seconds') / a_all:.1f}x"
        wall_s = f"{wall[t]:.1f}" if t in wall else "—"
        if t == "flower" and flower_setup is not None:
            wall_s += f" (start-up {flower_setup:.1f})"
        lines.append(f"| {LABEL[t]} | {mean(t, 'noeval'):.3f} ({median(t, 'noeval'):.3f}) | "
                     f"{mean(t, 'seconds'):.3f} ({median(t, 'seconds'):.3f}) | {ratio} | {100 * final[t]:.2f} | "
                     f"{100 * best[t]:.2f} | {wall_s} |")
    ratio_flower = mean("flower", "noeval") / a_noeval
    gap = 100 * abs(final["astraea"] - final["flower"])
    met = ratio_flower >= 20 and gap <= 1
    lines += [
        "",
        f"Target (astraea-sim >= 20x faster per round than Flower, final accuracy within 1 point): "
        f"**{'met' if met else 'not met'}** — {ratio_flower:.1f}x without evaluation, final accuracy "
        f"{100 * final['astraea']:.2f}% against {100 * final['flower']:.2f}% ({gap:.2f} points).",
        "",
        "## Test accuracy per round (%)",
        "",
        "| round | astraea-sim | Flower | PyTorch | astraea s | Flower s | PyTorch s |",
        "|---|---|---|---|---|---|---|",
    ]
    for i in range(rounds):
        lines.append(f"| {runs['astraea'][i]['round']} | " + " | ".join(f"{100 * runs[t][i]['acc']:.2f}" for t in TOOLS)
                     + " | " + " | ".join(f"{runs[t][i]['seconds']:.3f}" for t in TOOLS) + " |")
    lines += [
        "",
        "Flower and the PyTorch loop share client draws, initial weights and batch orders "
        "(fedavg_common.py), so their curves should agree to float rounding; astraea-sim draws its "
        "clients, initialises and shuffles with its own generators, so its curve differs in detail.",
        "",
    ]
    with open(os.path.join(out, "peers.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines[:lines.index("## Test accuracy per round (%)")]))


if __name__ == "__main__":
    main()
