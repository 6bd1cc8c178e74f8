"""A run over 2 MPI ranks of one lane each against one process of 2 lanes: the same rounds.jsonl
numbers and the same model bytes (the ranks are dealt the mediators the lanes would be, and the
sum of two aggregates does not depend on its order). Evaluation runs on rank 0 alone, with one
lane, so the test loss may differ in its last bits. FedAvg, and Astraea with augmentation, the
greedy and Adam. Also: traces per rank, and compare --seeds with the seeds dealt over the ranks.

usage: check_mpi.py MPIEXEC ASTRAEA CONFIG_DIR WORKDIR
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys

mpiexec, astraea, configs, work = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3]), pathlib.Path(sys.argv[4])
shutil.rmtree(work, ignore_errors=True)
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
version = subprocess.run([mpiexec, "--version"], capture_output=True, text=True).stdout
launcher = [mpiexec, "-n", "2"] + (["--oversubscribe"] if "Open MPI" in version else [])

cases = {
    "fedavg": ["--config", str(configs / "fedavg-fmnist.toml"), "--set", "train.rounds=4"],
    "astraea": ["--config", str(configs / "astraea-fmnist.toml"), "--set", "train.rounds=3", "--set",
                "partition.clients=100", "--set", "train.clients_per_round=20", "--set", "train.eval_every=1"],
}


def run(cmd, out):
    p = subprocess.run(cmd + ["--out", str(out), "--log-level", "warn"], capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: exit {p.returncode}\n{p.stdout}\n{p.stderr}")


def rounds(out):
    lines = (out / "rounds.jsonl").read_text().splitlines()
    return [json.loads(l) for l in lines]


for name, args in cases.items():
    run([astraea, "run", *args, "--threads", "2"], work / f"{name}-1x2")
    run([*launcher, astraea, "run", *args, "--threads", "1"], work / f"{name}-2x1")
    one, two = rounds(work / f"{name}-1x2"), rounds(work / f"{name}-2x1")
    assert len(one) == len(two) > 0, (len(one), len(two))
    for a, b in zip(one, two):
        for key in a:
            if key in ("seconds", "phase_seconds"):
                continue
            if key == "test_loss":
                assert abs(a[key] - b[key]) <= 1e-9 * abs(a[key]), (name, a["round"], key, a[key], b[key])
            else:
                assert a[key] == b[key], (name, a["round"], key, a[key], b[key])
        assert b["phase_seconds"]["communicate"] > 0, b["phase_seconds"]
    m1 = (work / f"{name}-1x2" / "model.safetensors").read_bytes()
    m2 = (work / f"{name}-2x1" / "model.safetensors").read_bytes()
    assert m1 == m2, f"{name}: the models differ"
    summary = json.loads((work / f"{name}-2x1" / "summary.json").read_text())
    assert summary["ranks"] == 2, summary["ranks"]
    print(f"{name}: 2 ranks x 1 lane == 1 process x 2 lanes over {len(one)} rounds")
# Traces: one file per rank, each rank its own process id; merged into one.
trace = work / "traced" / "trace.json"
run([*launcher, astraea, "run", *cases["fedavg"], "--threads", "1", "--set", "train.rounds=2", "--trace", str(trace)],
    work / "traced")
merged = work / "merged.json"
subprocess.run([sys.executable, str(pathlib.Path(__file__).parent.parent / "scripts" / "merge_traces.py"), str(merged),
                str(trace), f"{trace}.rank1"], check=True, capture_output=True)
pids = {e["pid"] for e in json.loads(merged.read_text())["traceEvents"] if e["ph"] == "X"}
assert pids == {0, 1}, pids
print("traces: one process per rank")
# Ctrl-C on the launcher: the ranks agree to stop after the same round, rank 0 checkpoints, and
# the run resumed over the ranks ends with the uninterrupted single process's model.
import signal  # noqa: E402

long = ["--config", str(configs / "fedavg-fmnist.toml"), "--set", "train.rounds=100", "--set", "train.checkpoint_every=0"]
run([astraea, "run", *long, "--threads", "2"], work / "whole")
cut = work / "cut"
p = subprocess.Popen([*launcher, astraea, "run", *long, "--threads", "1", "--out", str(cut)], stderr=subprocess.PIPE,
                     text=True, env=env)
for line in p.stderr:
    if "round    1/100" in line:
        p.send_signal(signal.SIGINT)
        break
rest = p.stderr.read()
assert p.wait() != 0, "the launcher finished all rounds: the signal came too late"
done = len((cut / "rounds.jsonl").read_text().splitlines())
assert 1 <= done < 100 and (cut / "checkpoint.safetensors").exists(), (done, rest[-500:])
run([*launcher, astraea, "run", *long, "--threads", "1", "--resume"], cut)
assert (cut / "model.safetensors").read_bytes() == (work / "whole" / "model.safetensors").read_bytes()
print(f"interrupted over 2 ranks after round {done}, resumed to the single process's model")

# compare --seeds over 2 ranks (seeds dealt in turn) writes the table one process writes.
seeds = ["compare", "--config", str(configs / "astraea-fmnist.toml"), "--seeds", "1,2,3", "--only", "fedavg,astraea",
         "--set", "train.rounds=2", "--set", "partition.clients=60", "--set", "train.clients_per_round=10",
         "--set", "train.threads=2"]
run([astraea, *seeds], work / "seeds-1")
run([*launcher, astraea, *seeds], work / "seeds-2")
one, two = (json.loads((work / d / "compare.json").read_text()) for d in ("seeds-1", "seeds-2"))
assert one["methods"] == two["methods"], "compare --seeds differs across ranks"
assert (work / "seeds-1" / "compare.md").read_text() == (work / "seeds-2" / "compare.md").read_text()
print("compare --seeds: 2 ranks == 1 process")
print("mpi ok")
