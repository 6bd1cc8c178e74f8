#!/usr/bin/env python3
"""Figures of astraea-sim runs (matplotlib). Each DIR is a run (rounds.jsonl, summary.json), a
compare directory (compare.json beside one run per method) or a compare over seeds (seed-<s>/
compare directories; curves are the mean over seeds with a band of one standard deviation).

  python3 scripts/plot.py DIR... --out FILE.png [--title TEXT]     (what `astraea plot` runs)
  python3 scripts/plot.py --sweep DIR/sweep.csv --out FILE.png      (what `astraea sweep` runs)

One figure of six panels: test accuracy against rounds, and against megabytes of model traffic;
per-class F1 over rounds (the last run given, or each method's F1 of the rarest class for a
compare); the global class distribution before and after augmentation; mean mediator and client
KL over rounds with the floor; the mean seconds per round in each phase.
"""
import argparse
import json
import pathlib
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PHASES = ["sample", "schedule", "plan", "train", "communicate", "aggregate", "evaluate"]


def read_run(d):
    rounds = [json.loads(l) for l in (d / "rounds.jsonl").read_text().splitlines() if l.strip()]
    summary = json.loads((d / "summary.json").read_text()) if (d / "summary.json").exists() else {}
    return {"rounds": rounds, "summary": summary}


def runs_of(d):
    """[(label, [run per seed])] for a run, a compare, or a compare over seeds."""
    d = pathlib.Path(d)
    if (d / "rounds.jsonl").exists():
        return [(d.name, [read_run(d)])]
    seeds = sorted(p for p in d.glob("seed-*") if (p / "compare.json").exists())
    dirs = seeds or [d]
    if not (dirs[0] / "compare.json").exists():
        sys.exit(f"{d}: neither a run (rounds.jsonl) nor a compare (compare.json)")
    compare = json.loads((dirs[0] / "compare.json").read_text())
    groups = [(m["description"], [read_run(s / m["method"]) for s in dirs]) for m in compare["methods"]]
    for _, runs in groups:  # runs written before summaries carried the class sizes
        for run in runs:
            run["summary"].setdefault("global_class_sizes", compare.get("global_class_sizes"))
    return groups


def mean_curve(runs, key, x_of):
    """x and mean/sd of `key` over runs at the rounds all of them evaluated."""
    series = [{r["round"]: (x_of(run, r), r[key]) for r in run["rounds"] if key in r} for run in runs]
    common = sorted(set.intersection(*(set(s) for s in series)))
    xs = [statistics.mean(s[k][0] for s in series) for k in common]
    ys = [[s[k][1] for s in series] for k in common]
    mean = [statistics.mean(v) for v in ys]
    sd = [statistics.stdev(v) if len(v) > 1 else 0.0 for v in ys]
    return xs, mean, sd


def cumulative_mb(run, record):
    total = 0
    for r in run["rounds"]:
        total += r["bytes_client_mediator"] + r["bytes_mediator_server"]
        if r["round"] == record["round"]:
            return total / 1e6
    return total / 1e6


def band(ax, xs, mean, sd, label):
    line, = ax.plot(xs, [100 * m for m in mean], label=label, lw=1.4)
    if any(sd):
        ax.fill_between(xs, [100 * (m - s) for m, s in zip(mean, sd)], [100 * (m + s) for m, s in zip(mean, sd)],
                        color=line.get_color(), alpha=0.15, lw=0)


def plot_sweep(csv_path, out, title):
    """Best and final accuracy per cell (mean ± sd over seeds), one bar pair per cell."""
    import csv
    rows = list(csv.DictReader(open(csv_path)))
    keys = [k for k in rows[0] if k not in ("seeds",) and not k.startswith(("best_", "final_", "macro_", "reached_",
                                                                                 "rounds_", "mb_", "diverged"))]
    labels = [", ".join(f"{k.split('.')[-1]}={r[k]}" for k in keys) for r in rows]
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(rows) + 2), 4.5))
    xs = range(len(rows))
    for off, name in ((-0.2, "best"), (0.2, "final")):
        ax.bar([x + off for x in xs], [100 * float(r[f"{name}_accuracy_mean"]) for r in rows], width=0.4,
               yerr=[100 * float(r[f"{name}_accuracy_sd"]) for r in rows], capsize=3, label=f"{name} accuracy")
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(f"test accuracy % (mean ± sd over {rows[0]['seeds']} seeds)")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    if title:
        ax.set_title(title)
    fig.savefig(out, dpi=110, bbox_inches="tight")
    print(f"wrote {out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="*")
    ap.add_argument("--out", required=True)
    ap.add_argument("--title", default="")
    ap.add_argument("--sweep", help="a sweep.csv: its cells' accuracy instead of run curves")
    o = ap.parse_args()
    if o.sweep:
        plot_sweep(o.sweep, o.out, o.title)
        return
    if not o.dirs:
        ap.error("give run or compare directories, or --sweep")
    groups = [g for d in o.dirs for g in runs_of(d)]
    if len(groups) > 10:  # beyond the default cycle's ten colours
        plt.rcParams["axes.prop_cycle"] = matplotlib.cycler(color=plt.get_cmap("tab20").colors)
    fig, axes = plt.subplots(2, 3, figsize=(17, 9.5))
    (acc_r, acc_mb, f1_ax), (dist_ax, kl_ax, phase_ax) = axes

    for label, runs in groups:
        band(acc_r, *mean_curve(runs, "test_accuracy", lambda run, r: r["round"]), label)
        band(acc_mb, *mean_curve(runs, "test_accuracy", cumulative_mb), label)
        # Replans of the first run that changed something: ticks along the top, in its colour.
        for r in runs[0]["rounds"]:
            p = r.get("replan", {})
            if "ratios_after" in p or "target_after" in p or p.get("sampling"):
                acc_r.axvline(r["round"], ymin=0.97, ymax=1.0, color=acc_r.lines[-1].get_color(), lw=1)
    # Drift steps (the same for every run of one config): dotted lines.
    for r in groups[0][1][0]["rounds"] if groups else []:
        if "drift" in r:
            acc_r.axvline(r["round"] - 0.5, color="grey", ls=":", lw=1)
    for ax, xl in ((acc_r, "round"), (acc_mb, "MB of model traffic (client-mediator + mediator-server)")):
        ax.set_xlabel(xl)
        ax.set_ylabel("test accuracy %")
        ax.grid(alpha=0.3)
    acc_r.legend(fontsize=7, loc="lower right")

    # Per-class F1: a heatmap of the last run over its evaluated rounds.
    label, runs = groups[-1]
    evaluated = [r for r in runs[0]["rounds"] if "f1" in r]
    if evaluated:
        heat = [[r["f1"][y] for r in evaluated] for y in range(len(evaluated[0]["f1"]))]
        im = f1_ax.imshow(heat, aspect="auto", origin="lower", vmin=0, vmax=1, cmap="viridis",
                          extent=(evaluated[0]["round"], evaluated[-1]["round"], -0.5, len(heat) - 0.5))
        fig.colorbar(im, ax=f1_ax, label="F1")
        f1_ax.set_title(f"per-class F1: {label}", fontsize=9)
        f1_ax.set_xlabel("round")
        f1_ax.set_ylabel("class")
        names = runs[0]["summary"].get("class_names")
        if names and len(heat) <= 30:
            f1_ax.set_yticks(range(len(heat)))
            f1_ax.set_yticklabels([names[y] if y < len(names) and names[y] else str(y) for y in range(len(heat))],
                                  fontsize=7)

    # Class distribution before and after augmentation (the first run that augmented).
    for label, runs in groups:
        s = runs[0]["summary"]
        sizes, aug = s.get("global_class_sizes"), s.get("augmentation")
        if sizes and aug:
            after = [c * r for c, r in zip(sizes, aug["ratios"])]
            ys = range(len(sizes))
            dist_ax.bar([y - 0.2 for y in ys], sizes, width=0.4, label="before")
            dist_ax.bar([y + 0.2 for y in ys], after, width=0.4, label="after (expected)")
            dist_ax.set_title(f"class sizes, {label}", fontsize=9)
            dist_ax.set_xlabel("class")
            dist_ax.set_ylabel("samples")
            names = s.get("class_names")
            if names and len(sizes) <= 30:
                dist_ax.set_xticks(list(ys))
                dist_ax.set_xticklabels([names[y] if y < len(names) and names[y] else str(y) for y in ys],
                                        rotation=45, ha="right", fontsize=7)
            dist_ax.legend(fontsize=8)
            break
    else:
        dist_ax.set_title("class sizes: no run augmented", fontsize=9)

    for label, runs in groups:
        rounds = runs[0]["rounds"]
        if all(r["mean_mediator_kl"] == r["mean_client_kl"] for r in rounds):
            continue  # every client its own mediator
        xs = [r["round"] for r in rounds]
        kl_ax.plot(xs, [r["mean_mediator_kl"] for r in rounds], lw=1, label=f"{label}: mediators")
    if groups:
        rounds = groups[0][1][0]["rounds"]
        kl_ax.plot([r["round"] for r in rounds], [r["mean_client_kl"] for r in rounds], "k--", lw=1, label="clients")
        if "floor_kl" in rounds[0]:
            kl_ax.plot([r["round"] for r in rounds], [r["floor_kl"] for r in rounds], "k:", lw=1, label="floor")
    kl_ax.set_xlabel("round")
    kl_ax.set_ylabel("KL to uniform")
    kl_ax.set_yscale("log")
    kl_ax.legend(fontsize=7)
    kl_ax.grid(alpha=0.3)

    labels = [label for label, _ in groups]
    bottom = [0.0] * len(groups)
    for phase in PHASES:
        v = [1e3 * statistics.mean(r["phase_seconds"].get(phase, 0.0) for r in runs[0]["rounds"]) for _, runs in groups]
        if any(v):
            phase_ax.barh(labels, v, left=bottom, label=phase)
            bottom = [b + x for b, x in zip(bottom, v)]
    phase_ax.set_xlabel("ms per round")
    phase_ax.legend(fontsize=7)
    phase_ax.tick_params(axis="y", labelsize=7)

    if o.title:
        fig.suptitle(o.title)
    fig.tight_layout()
    fig.savefig(o.out, dpi=110)
    print(f"wrote {o.out}")


if __name__ == "__main__":
    main()
