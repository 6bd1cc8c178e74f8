"""The drift config, shortened, through the CLI as compare's adaptive method: drift steps where
the schedule puts them, replans every other round with the server's validation split, class names
in the summary, and `astraea plot` draws the run.

    python3 check_drift_run.py ASTRAEA CONFIG OUT
"""
import json
import subprocess
import sys
from pathlib import Path

astraea, config, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
subprocess.run([astraea, "compare", "--config", config, "--methods", "astraea,astraea+adaptive", "--out", str(out),
                "--set", "train.rounds=6", "--set", "drift.every=2", "--set", "feedback.every=2",
                "--set", "partition.clients=100", "--set", "train.clients_per_round=20",
                "--set", "train.eval_every=2", "--log-level", "warn"], check=True, stdout=subprocess.DEVNULL)
for method, acts in (("astraea", False), ("astraea+adaptive", True)):
    rounds = [json.loads(line) for line in open(out / method / "rounds.jsonl")]
    assert [r["round"] for r in rounds if "drift" in r] == [3, 5], method
    assert [r["round"] for r in rounds if "replan" in r] == [2, 4], method
    for r in rounds:
        if "drift" in r:
            d = r["drift"]
            assert d["step"] == (r["round"] - 1) // 2 and d["active_clients"] == 80, d
            assert d["replanned"] == acts, (method, d)
        if "replan" in r:
            assert ("ratios_after" in r["replan"]) == acts, (method, r["replan"])
    summary = json.load(open(out / method / "summary.json"))
    assert summary["class_names"][9] == "Ankle boot", summary.get("class_names")
    assert summary["replans"] == 2, summary
subprocess.run([astraea, "plot", str(out), "--out", str(out / "drift.png")], check=True, stdout=subprocess.DEVNULL)
assert (out / "drift.png").stat().st_size > 10000
print("drift run ok")
