"""Faults while a run writes its outputs, each followed by a check that nothing finished was lost:

1. A full file system (a 400 KB tmpfs in a private mount namespace, where `unshare -rm` may
   mount one; skipped otherwise): the run exits non-zero naming the file and ENOSPC, the earlier
   checkpoint is intact, and --resume from it (on a disk with room) finishes the run.
2. A process killed (SIGKILL) at random moments while it checkpoints every round: afterwards every
   output present is complete (checkpoint and model parse as safetensors of the right size,
   summary.json parses), and --resume finishes the run with the uninterrupted run's model.

usage: check_write_faults.py ASTRAEA WORKDIR
"""
import json
import os
import pathlib
import random
import shutil
import signal
import struct
import subprocess
import sys
import time

astraea, work = sys.argv[1], pathlib.Path(sys.argv[2])
shutil.rmtree(work, ignore_errors=True)
work.mkdir(parents=True)

# emnist_cnn on synthetic 28x28 images: a 275 KB checkpoint, a few ms per round.
base = ["--config", "/dev/null", "--set", "data.format=synthetic", "--set", "data.train_samples=600",
        "--set", "data.test_samples=100", "--set", "partition.clients=20", "--set", "train.clients_per_round=4",
        "--set", "train.model=emnist_cnn", "--set", "train.checkpoint_every=1", "--set", "train.eval_every=0",
        "--threads", "2", "--log-level", "warn"]


def run(out, rounds, *extra, check=True):
    p = subprocess.run([astraea, "run", *base, "--set", f"train.rounds={rounds}", "--out", str(out), *extra],
                       capture_output=True, text=True)
    if check and p.returncode != 0:
        sys.exit(f"{out}: exit {p.returncode}\n{p.stderr}")
    return p


def safetensors_complete(path):
    data = path.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    end = max(v["data_offsets"][1] for k, v in header.items() if k != "__metadata__")
    return len(data) == 8 + n + end


# ---- 1. full disk
probe = subprocess.run(["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=400k tmpfs {work}"],
                       capture_output=True, text=True)
if probe.returncode != 0:
    print(f"full disk: skipped (cannot mount a tmpfs here: {probe.stderr.strip()})")
else:
    small, saved = work / "small", work / "saved"
    small.mkdir()
    script = (f"mount -t tmpfs -o size=400k tmpfs {small} && "
              f"{astraea} run {' '.join(base)} --set train.rounds=20 --out {small}/run; code=$?; "
              f"cp -a {small}/run {saved}; exit $code")
    p = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True)
    assert p.returncode != 0, "a full disk must fail the run"
    assert "No space left on device" in p.stderr and str(small) in p.stderr, p.stderr[-800:]
    done = json.loads((saved / "rounds.jsonl").read_text().splitlines()[-1])["round"] if (saved / "rounds.jsonl").exists() else 0
    assert (saved / "checkpoint.safetensors").exists() and safetensors_complete(saved / "checkpoint.safetensors")
    resumed = work / "resumed"
    shutil.copytree(saved, resumed)
    run(resumed, 20, "--resume")
    assert len((resumed / "rounds.jsonl").read_text().splitlines()) == 20
    print(f"full disk: failed cleanly after round {done} naming the file; resumed to round 20")

# ---- 2. killed mid-write
whole = work / "whole"
run(whole, 12)
rng = random.Random(7)
for trial in range(8):
    cut = work / f"cut-{trial}"
    p = subprocess.Popen([astraea, "run", *base, "--set", "train.rounds=12", "--out", str(cut)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0.3, 2.5))
    p.send_signal(signal.SIGKILL)
    p.wait()
    for name in ("checkpoint.safetensors", "model.safetensors"):
        f = cut / name
        assert not f.exists() or safetensors_complete(f), f"trial {trial}: {name} is truncated"
    if (cut / "summary.json").exists():
        json.loads((cut / "summary.json").read_text())
    (cut / ".astraea.lock").exists()  # the lock dies with the process: resuming takes it again
    run(cut, 12, "--resume")
    assert (cut / "model.safetensors").read_bytes() == (whole / "model.safetensors").read_bytes(), f"trial {trial}"
print("killed mid-write: 8 trials, every output complete, every resume equal to the uninterrupted run")

# ---- 3. SIGHUP (a closed terminal) stops a run like SIGTERM: after the round in flight, outputs written
hup = work / "hup"
p = subprocess.Popen([astraea, "run", *base[:-2], "--set", "train.rounds=12", "--out", str(hup)],
                     stderr=subprocess.PIPE, text=True)
for line in p.stderr:
    if "round    2/12" in line:
        p.send_signal(signal.SIGHUP)
        break
p.stderr.read()
assert p.wait() == 128 + signal.SIGHUP, "SIGHUP: exit 129"
assert safetensors_complete(hup / "checkpoint.safetensors") and (hup / "summary.json").exists()
run(hup, 12, "--resume")
assert (hup / "model.safetensors").read_bytes() == (whole / "model.safetensors").read_bytes()
print("SIGHUP: stopped after the round in flight with its outputs; resumed to the same model")
print("write faults ok")
