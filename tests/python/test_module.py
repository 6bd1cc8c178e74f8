"""The Python module against the library it wraps: runs, records, weights, stopping, errors, and
the planning blocks on their own (compared with the CLI's and the greedy's own behaviour)."""
import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

import astraea

# The CLI beside this module's build.
CLI = os.environ.get("ASTRAEA_CLI", str(pathlib.Path(__file__).resolve().parents[2] / "build" / "astraea"))

SYNTHETIC = {
    "data": {"format": "synthetic", "height": 8, "width": 8, "train_samples": 600, "test_samples": 100, "classes": 4},
    "partition": {"clients": 20},
    "train": {"model": "mlp", "rounds": 4, "clients_per_round": 6, "threads": 2, "checkpoint_every": 0},
    "astraea": {"scheduler": "greedy", "mediator_size": 3},
}


def test_run_returns_records_summary_and_weights(tmp_path):
    exp = astraea.Experiment(SYNTHETIC)
    seen = []
    outcome = exp.run(out=tmp_path / "run", on_round=seen.append)
    assert [r["round"] for r in seen] == [1, 2, 3, 4]
    assert outcome["summary"]["rounds"] == 4 and 0 <= outcome["summary"]["final_accuracy"] <= 1
    # The weights are model.safetensors' tensors, and the rounds are rounds.jsonl's lines.
    lines = (tmp_path / "run" / "rounds.jsonl").read_text().splitlines()
    assert [json.loads(l)["train_loss"] for l in lines] == [r["train_loss"] for r in seen]
    w = exp.weights
    assert w["1.weight"].shape == (200, 64) and w["5.bias"].shape == (4,)
    assert all(np.isfinite(a).all() for a in w.values())
    data = (tmp_path / "run" / "model.safetensors").read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    lo, hi = header["1.weight"]["data_offsets"]
    stored = np.frombuffer(data[8 + n + lo:8 + n + hi], dtype="<f4").reshape(200, 64)
    assert np.array_equal(stored, w["1.weight"])


def test_same_config_same_numbers_as_the_cli(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(astraea.to_toml(SYNTHETIC))
    subprocess.run([CLI, "run", "--config", str(config), "--out", str(tmp_path / "cli"), "--log-level", "warn"],
                   check=True)
    astraea.Experiment(config).run(out=tmp_path / "py")
    assert (tmp_path / "cli" / "model.safetensors").read_bytes() == (tmp_path / "py" / "model.safetensors").read_bytes()


def test_synthetic_histograms_are_the_clis(tmp_path):
    # The same population as `astraea schedule --clients N --seed S`: same groups from both.
    out = tmp_path / "groups.csv"
    subprocess.run([CLI, "schedule", "--clients", "500", "--seed", "4", "--algorithm", "balanced", "--balance",
                    "max", "--out", str(out)], check=True, capture_output=True)
    rows = np.loadtxt(out, delimiter=",", skiprows=1, dtype=np.int64)
    cli = [rows[rows[:, 0] == m][np.argsort(rows[rows[:, 0] == m][:, 2]), 1].tolist() for m in np.unique(rows[:, 0])]
    h = astraea.synthetic_histograms(500, seed=4)
    assert h.shape == (500, 10) and h.dtype == np.int32 and (h.sum(1) >= 1).all()
    assert cli == astraea.schedule(h, algorithm="balanced", balance="max")
    assert not np.array_equal(h, astraea.synthetic_histograms(500, seed=5))
    # A worst ratio: the CLI's flag, the scheduler's keyword and balance() on the greedy's groups agree.
    subprocess.run([CLI, "schedule", "--clients", "500", "--seed", "4", "--algorithm", "balanced",
                    "--balance-worst-ratio", "1.5", "--out", str(out)], check=True, capture_output=True)
    rows = np.loadtxt(out, delimiter=",", skiprows=1, dtype=np.int64)
    cli = [rows[rows[:, 0] == m][np.argsort(rows[rows[:, 0] == m][:, 2]), 1].tolist() for m in np.unique(rows[:, 0])]
    bounded = astraea.schedule(h, algorithm="balanced", balance_worst_ratio=1.5)
    assert cli == bounded
    assert bounded == astraea.balance(h, astraea.schedule(h), worst_ratio=1.5)
    assert bounded != astraea.schedule(h, algorithm="balanced")
    q = astraea.schedule_quality(h, bounded)
    assert q["max_kl"] <= 1.5 * q["weighted_kl"] * (1 + 1e-9)
    with pytest.raises(astraea.Error, match="balance_worst_ratio"):
        astraea.schedule(h, algorithm="balanced", balance="max", balance_worst_ratio=2.0)


def test_iterator_stops_when_the_caller_stops(tmp_path):
    exp = astraea.Experiment(SYNTHETIC, set=["train.rounds=10"])
    got = []
    for r in exp.rounds(out=tmp_path / "it"):
        got.append(r["round"])
        if r["round"] == 2:
            break
    assert got == [1, 2]
    assert exp.outcome["stopped"] and exp.outcome["last_round"] in (2, 3)  # after the round in flight
    assert (tmp_path / "it" / "checkpoint.safetensors").exists()


def test_errors_name_the_key():
    with pytest.raises(astraea.Error, match="train.lr"):
        astraea.Experiment(SYNTHETIC, set=["train.lr=-1"])
    with pytest.raises(astraea.Error, match="algorithm.loss"):
        astraea.Experiment(dict(SYNTHETIC, algorithm={"loss": "dice"}))


def test_planning_blocks():
    part = astraea.partition(SYNTHETIC)
    h = part["histograms"]
    assert h.shape == (20, 4) and h.dtype == np.int32 and part["classes"] == 4
    assert sorted(np.concatenate(part["samples"]).tolist()) == sorted(set(np.concatenate(part["samples"]).tolist()))
    assert [len(s) for s in part["samples"]] == h.sum(1).tolist()
    # Augmentation ratios: power rule by hand.
    r = astraea.augmentation_ratios([100, 400, 1000], method="power", alpha=1.0)
    assert r[0] == pytest.approx(500 / 100) and r[1] == pytest.approx(500 / 400) and r[2] == 1.0
    # Mediators: every client once, at most gamma each, and the greedy equals its reference.
    groups = astraea.schedule(h, gamma=3)
    assert sorted(k for g in groups for k in g) == list(range(20)) and max(map(len, groups)) <= 3
    assert groups == astraea.schedule(h, gamma=3, algorithm="reference")
    ids = [10 * i + 7 for i in range(20)]
    assert astraea.schedule(h, gamma=3, ids=ids) == [[ids[k] for k in g] for g in groups]
    q = astraea.schedule_quality(h, groups)
    assert q["weighted_kl"] >= q["floor_kl"] - 1e-12 and q["max_kl"] >= q["mean_kl"]
    balanced = astraea.schedule(h, gamma=3, algorithm="balanced")
    assert astraea.schedule_quality(h, balanced)["weighted_kl"] <= q["weighted_kl"] + 1e-12
    with pytest.raises(ValueError):
        astraea.schedule(h[0], gamma=3)
    assert "balanced" in astraea.schedulers
    # balance: from the greedy's groups it is the balanced scheduler; from another system's groups
    # (client ids, some clients only) it keeps to those clients and does not raise the mean.
    assert astraea.balance(h, groups, gamma=3) == balanced
    theirs = [[ids[k] for k in range(j, j + 3)] for j in range(0, 12, 3)]
    moved = astraea.balance(h, theirs, gamma=3, ids=ids)
    assert sorted(k for g in moved for k in g) == sorted(k for g in theirs for k in g)
    assert astraea.schedule_quality(h, moved, ids=ids)["weighted_kl"] <= \
        astraea.schedule_quality(h, theirs, ids=ids)["weighted_kl"] + 1e-12
    assert astraea.balance(h, theirs, gamma=3, ids=ids, objective="max", threads=1) == \
        astraea.balance(h, theirs, gamma=3, ids=ids, objective="max", threads=2)
    with pytest.raises(ValueError, match="not among the ids"):
        astraea.balance(h, [[0, 1], [999]], gamma=3)
    with pytest.raises(ValueError, match="more than one mediator"):
        astraea.balance(h, [[0, 1], [1, 2]], gamma=3)


def test_ctrl_c_stops_cleanly_after_the_round_in_flight(tmp_path):
    import signal
    import sys
    script = (
        "import astraea, json, sys\n"
        f"exp = astraea.Experiment({SYNTHETIC!r}, set=['train.rounds=500'])\n"
        "try:\n"
        f"    exp.run(out={str(tmp_path / 'cut')!r}, on_round=lambda r: print('round', r['round'], flush=True))\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True)\n"
    )
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    for line in p.stdout:
        if line.startswith("round 2"):
            p.send_signal(signal.SIGINT)
            break
    rest = p.stdout.read()
    assert p.wait() == 0 and "interrupted" in rest
    done = len((tmp_path / "cut" / "rounds.jsonl").read_text().splitlines())
    assert 2 <= done < 500 and (tmp_path / "cut" / "summary.json").exists()
