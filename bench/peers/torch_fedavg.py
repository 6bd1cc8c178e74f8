"""FedAvg on Fashion-MNIST as a plain PyTorch loop, on CPU: the baseline with no framework at all.

Each round: draw the clients, train each one in turn on one nn.Module loaded with the global
weights, accumulate (n_k / n) w_k, then evaluate on the test set. Prints one JSON line per round:
round, seconds (whole round), train_seconds (training + aggregation), eval_seconds, test_accuracy,
test_loss, train_loss.

    python torch_fedavg.py --samples OUT/partition/client_samples.txt --rounds 30
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import torch

import fedavg_common as fc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    fc.add_arguments(parser)
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads (default: all cores)")
    args = parser.parse_args()
    exp = fc.experiment_from(args)
    torch.set_num_threads(args.threads)

    data = fc.load_fmnist(exp.data_dir)
    clients = fc.read_client_samples(exp.samples)
    model = fc.make_model(exp.seed)
    global_w = [p.detach().clone() for p in model.parameters()]
    out = open(args.out, "w") if args.out else None
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {len(clients)} clients", file=sys.stderr)

    for r in range(1, exp.rounds + 1):
        start = time.perf_counter()
        picked = fc.sample_clients(len(clients), exp.clients_per_round, exp.seed, r)
        n = sum(len(clients[k]) for k in picked)
        acc = [torch.zeros_like(w) for w in global_w]
        loss_sum = 0.0
        for k in picked:
            fc.set_weights(model, global_w)
            loss, _ = fc.local_train(model, data, clients[k], exp, r, int(k))
            loss_sum += loss
            with torch.no_grad():
                for a, p in zip(acc, model.parameters()):
                    a.add_(p, alpha=len(clients[k]) / n)
        global_w = acc
        trained = time.perf_counter()
        fc.set_weights(model, global_w)
        accuracy, test_loss = fc.evaluate(model, data)
        end = time.perf_counter()
        row = {"round": r, "seconds": end - start, "train_seconds": trained - start, "eval_seconds": end - trained,
               "test_accuracy": accuracy, "test_loss": test_loss,
               "train_loss": loss_sum / (n * exp.local_epochs)}
        line = json.dumps(row)
        print(line, flush=True)
        if out:
            out.write(line + "\n")
            out.flush()
        print(f"torch round {r:>3}/{exp.rounds}  acc {100 * accuracy:6.2f}%  {end - start:.3f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
