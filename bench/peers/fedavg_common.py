"""What the plain PyTorch loop (torch_fedavg.py) and the Flower run (flower_fedavg.py) share.

The experiment is astraea-sim's configs/bench-peers-fmnist.toml: Fashion-MNIST read from the IDX
.gz files with gzip + numpy and scaled like astraea (x / 255, no normalisation), the partition that
`astraea partition` wrote to client_samples.txt (line k: client k's training-set sample ids),
McMahan's 2NN (astraea's `mlp`) with PyTorch's default initialisation, plain SGD over each client's
own samples shuffled (minibatches of B, the last one short, mean cross-entropy), and the weighted
average w = sum_k (n_k / n) w_k. Client draws and batch orders come from numpy generators seeded
by (seed, round[, client]), so the two Python runs see the same draws, which need not match
astraea's.
"""
from __future__ import annotations

import gzip
import os
import tomllib
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

DATA_DIR = "/usr/share/datasets/fashion-mnist"


@dataclass
class Experiment:
    """The knobs of configs/bench-peers-fmnist.toml that the Python runs need."""

    samples: str  # client_samples.txt from `astraea partition`
    data_dir: str = DATA_DIR
    rounds: int = 30
    clients_per_round: int = 100
    lr: float = 0.05
    batch: int = 10
    local_epochs: int = 1
    seed: int = 1


def add_arguments(parser) -> None:
    """The command-line options both scripts take. Defaults: the experiment TOML given with
    --config, else the values of configs/bench-peers-fmnist.toml; explicit options win."""
    parser.add_argument("--samples", required=True, help="client_samples.txt written by `astraea partition`")
    parser.add_argument("--config", help="astraea experiment TOML to take seed and [train] settings from")
    parser.add_argument("--data-dir", help=f"directory of the Fashion-MNIST IDX .gz files (default {DATA_DIR})")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--clients-per-round", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--batch", type=int)
    parser.add_argument("--local-epochs", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--out", help="also write the JSON lines to this file")


def experiment_from(args) -> Experiment:
    exp = Experiment(samples=args.samples)
    if args.config:
        with open(args.config, "rb") as f:
            toml = tomllib.load(f)
        train, data = toml.get("train", {}), toml.get("data", {})
        if train.get("model", "mlp") != "mlp" or train.get("optimizer", "sgd") != "sgd" or train.get("momentum", 0):
            raise SystemExit(f"{args.config}: the Python runs implement only model mlp with plain sgd")
        exp.seed = toml.get("experiment", {}).get("seed", exp.seed)
        exp.rounds = train.get("rounds", exp.rounds)
        exp.clients_per_round = train.get("clients_per_round", exp.clients_per_round)
        exp.lr = train.get("lr", exp.lr)
        exp.batch = train.get("batch", exp.batch)
        exp.local_epochs = train.get("local_epochs", exp.local_epochs)
        if "train_images" in data:
            exp.data_dir = os.path.dirname(data["train_images"])
    for name in ("data_dir", "rounds", "clients_per_round", "lr", "batch", "local_epochs", "seed"):
        if getattr(args, name) is not None:
            setattr(exp, name, getattr(args, name))
    return exp


# ---------------------------------------------------------------------------------------------
# Data


def read_idx(path: str) -> np.ndarray:
    """An IDX file (plain or .gz) as a numpy array of its declared shape (unsigned bytes only)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {data.size} values for shape {shape}")
    return data.reshape(shape)


@dataclass
class Data:
    x_train: torch.Tensor  # float32 [60000, 784] in [0, 1]
    y_train: torch.Tensor  # int64 [60000]
    x_test: torch.Tensor
    y_test: torch.Tensor


def load_fmnist(data_dir: str = DATA_DIR) -> Data:
    """Fashion-MNIST, pixels scaled by 1/255 as astraea does (no mean/std normalisation)."""

    def images(name: str) -> torch.Tensor:
        x = read_idx(os.path.join(data_dir, name))
        return torch.from_numpy(x.reshape(x.shape[0], -1).astype(np.float32) / np.float32(255))

    def labels(name: str) -> torch.Tensor:
        return torch.from_numpy(read_idx(os.path.join(data_dir, name)).astype(np.int64))

    return Data(images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz"),
                images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz"))


def read_client_samples(path: str) -> list[np.ndarray]:
    """client_samples.txt: line k holds client k's training-set sample ids, space-separated."""
    with open(path) as f:
        return [np.array(line.split(), dtype=np.int64) for line in f]


_CACHE: dict[tuple[str, str], tuple[Data, list[np.ndarray]]] = {}


def cached_data(data_dir: str, samples: str) -> tuple[Data, list[np.ndarray]]:
    """Data set and partition, loaded once per process (Flower's Ray actors call this per client)."""
    key = (data_dir, samples)
    if key not in _CACHE:
        _CACHE[key] = (load_fmnist(data_dir), read_client_samples(samples))
    return _CACHE[key]


# ---------------------------------------------------------------------------------------------
# Model, draws, training, aggregation, evaluation


def make_model(seed: int | None = None) -> nn.Module:
    """astraea's `mlp` (McMahan's 2NN), PyTorch's default initialisation."""
    if seed is not None:
        torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 200), nn.ReLU(), nn.Linear(200, 200), nn.ReLU(),
                         nn.Linear(200, 10))


def sample_clients(num_clients: int, per_round: int, seed: int, round_: int) -> np.ndarray:
    """The round's clients: uniform without replacement, sorted."""
    rng = np.random.default_rng([seed, round_])
    return np.sort(rng.choice(num_clients, size=per_round, replace=False))


def local_train(model: nn.Module, data: Data, ids: np.ndarray, exp: Experiment, round_: int,
                client: int) -> tuple[float, int]:
    """E epochs of plain SGD (no momentum) over the client's samples, shuffled each epoch, minibatches
    of B (the last one short), mean cross-entropy. Returns (summed loss over samples, sample count)."""
    opt = torch.optim.SGD(model.parameters(), lr=exp.lr, momentum=0.0)
    rng = np.random.default_rng([exp.seed, round_, client])
    loss_sum = 0.0
    model.train()
    for _ in range(exp.local_epochs):
        order = torch.from_numpy(ids[rng.permutation(len(ids))])
        x_all, y_all = data.x_train[order], data.y_train[order]
        for s in range(0, len(ids), exp.batch):
            x, y = x_all[s:s + exp.batch], y_all[s:s + exp.batch]
            opt.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(y)
    return loss_sum, len(ids) * exp.local_epochs


@torch.no_grad()
def evaluate(model: nn.Module, data: Data, batch: int = 500) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) on the 10,000 test images."""
    model.eval()
    correct, loss = 0, 0.0
    for s in range(0, len(data.y_test), batch):
        x, y = data.x_test[s:s + batch], data.y_test[s:s + batch]
        logits = model(x)
        loss += float(nn.functional.cross_entropy(logits, y, reduction="sum"))
        correct += int((logits.argmax(1) == y).sum())
    n = len(data.y_test)
    return correct / n, loss / n


def get_weights(model: nn.Module) -> list[np.ndarray]:
    return [p.detach().cpu().numpy().copy() for p in model.parameters()]


@torch.no_grad()
def set_weights(model: nn.Module, weights) -> None:
    for p, w in zip(model.parameters(), weights):
        p.copy_(torch.as_tensor(w))
