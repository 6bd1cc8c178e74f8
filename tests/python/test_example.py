"""The example that plans with astraea inside a plain PyTorch loop: its planning always, and a few
rounds of training where PyTorch is installed."""
import pathlib
import subprocess
import sys

import pytest

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "fedavg_with_astraea_mediators.py"
sys.path.insert(0, str(EXAMPLE.parent))


def test_planning_makes_valid_mediators():
    import fedavg_with_astraea_mediators as ex
    config = {"data": {"format": "synthetic", "height": 8, "width": 8, "train_samples": 2000, "classes": 10},
              "partition": {"clients": 100, "global": "linear:0.1"}}
    part, ratios, schedule = ex.plan(config, rounds=3, per_round=20, gamma=5)
    assert len(schedule) == 3 and len(ratios) == 10 and ratios[-1] > 1.0  # the rarest class grows
    for groups in schedule:
        members = [k for g in groups for k in g]
        assert len(members) == 20 == len(set(members)) and max(map(len, groups)) <= 5


def test_trains_with_pytorch():
    pytest.importorskip("torch")
    out = subprocess.run([sys.executable, str(EXAMPLE), "--rounds", "2"], capture_output=True, text=True, check=True)
    assert "round   2" in out.stdout
