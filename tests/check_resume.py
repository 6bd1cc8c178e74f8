"""astraea run stopped by SIGINT mid-run, then resumed with --resume, against an uninterrupted run:
the same rounds.jsonl numbers (timings aside) and the same model bytes. Also: a resume under
changed settings is refused naming the key.

usage: check_resume.py ASTRAEA CONFIG WORKDIR
"""
import json
import pathlib
import shutil
import signal
import subprocess
import sys

astraea, config, work = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
shutil.rmtree(work, ignore_errors=True)
common = ["--config", config, "--set", "train.rounds=40", "--set", "train.checkpoint_every=0", "--threads", "2"]


def run(out, *extra, check=True):
    p = subprocess.run([astraea, "run", *common, "--out", str(work / out), *extra], capture_output=True, text=True)
    if check and p.returncode != 0:
        sys.exit(f"{out}: exit {p.returncode}\n{p.stderr}")
    return p


def rounds(out):
    lines = (work / out / "rounds.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(l).items() if k not in ("seconds", "phase_seconds")} for l in lines]


run("whole")

# Interrupt after the first round is logged: the round in flight finishes and is checkpointed.
p = subprocess.Popen([astraea, "run", *common, "--out", str(work / "cut")], stderr=subprocess.PIPE, text=True)
for line in p.stderr:
    if "round    1/40" in line:
        p.send_signal(signal.SIGINT)
        break
rest = p.stderr.read()
code = p.wait()
assert code == 128 + signal.SIGINT, f"exit {code}, expected {128 + signal.SIGINT}\n{rest}"
assert "--resume" in rest, rest
done = len(rounds("cut"))
assert 1 <= done < 40, f"{done} rounds before the stop"
assert (work / "cut" / "checkpoint.safetensors").exists()
assert json.loads((work / "cut" / "summary.json").read_text())["rounds"] == done

refused = run("cut", "--resume", "--set", "train.lr=0.2", check=False)
assert refused.returncode == 2 and "train.lr" in refused.stderr, refused.stderr

resumed = run("cut", "--resume")
assert f"resuming after round {done}" in resumed.stderr, resumed.stderr
assert rounds("cut") == rounds("whole"), "rounds.jsonl differs from the uninterrupted run"
assert (work / "cut" / "model.safetensors").read_bytes() == (work / "whole" / "model.safetensors").read_bytes()
# A fresh run into the same directory drops the finished run's checkpoint before it starts.
fresh = subprocess.Popen([astraea, "run", *common, "--out", str(work / "cut")], stderr=subprocess.PIPE, text=True)
for line in fresh.stderr:
    if "round    1/40" in line:
        assert not (work / "cut" / "checkpoint.safetensors").exists(), "stale checkpoint kept"
        fresh.kill()
        break
fresh.wait()
print(f"resume ok: stopped after round {done} of 40, resumed to the uninterrupted run's numbers")
