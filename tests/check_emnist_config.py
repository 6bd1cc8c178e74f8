"""configs/astraea-emnist.toml on a small crafted EMNIST-shaped IDX set (47 classes of 28x28
images, written here): the config loads, partitions by letter frequency and trains a round of
FedAvg and of Astraea through `astraea compare`.

usage: check_emnist_config.py ASTRAEA CONFIG WORKDIR
"""
import gzip
import pathlib
import random
import shutil
import struct
import subprocess
import sys

astraea, config, work = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
shutil.rmtree(work, ignore_errors=True)
work.mkdir(parents=True)
rng = random.Random(5)


def idx(path, labels):
    n = len(labels)
    with gzip.open(path / "images.gz", "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + struct.pack(">III", n, 28, 28))
        f.write(bytes(rng.randrange(256) if rng.random() < 0.1 else 0 for _ in range(n * 28 * 28)))
    with gzip.open(path / "labels.gz", "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + struct.pack(">I", n) + bytes(labels))


for part, per_class in (("train", 30), ("test", 5)):
    d = work / part
    d.mkdir()
    idx(d, [y for y in range(47) for _ in range(per_class)])
p = subprocess.run([astraea, "compare", "--config", config, "--out", str(work / "out"), "--methods", "fedavg,astraea",
                    "--set", f"data.train_images={work}/train/images.gz", "--set", f"data.train_labels={work}/train/labels.gz",
                    "--set", f"data.test_images={work}/test/images.gz", "--set", f"data.test_labels={work}/test/labels.gz",
                    "--set", "partition.clients=20", "--set", "train.clients_per_round=10", "--set", "train.rounds=1",
                    "--log-level", "warn"], capture_output=True, text=True)
assert p.returncode == 0, p.stderr[-2000:]
assert "Astraea (both)" in p.stdout and "FedAvg" in p.stdout, p.stdout
print("emnist config ok")
