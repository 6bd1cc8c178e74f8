"""FedAvg on Fashion-MNIST through Flower's simulation engine (flwr.simulation, on Ray), on CPU.

One NumPyClient per line of client_samples.txt (1000 virtual clients), each Ray actor holding one
CPU (client_resources num_cpus 1, so as many actors as cores). The strategy is Flower's FedAvg with
fraction_fit = c / K, min_fit_clients c, fraction_evaluate 0 and centralized evaluation on the test
set through evaluate_fn. Two small additions in a FedAvg subclass: configure_fit draws the round's
clients with fedavg_common.sample_clients (the same draws as torch_fedavg.py, so the two Python
runs train the same experiment), and timestamps around fit and evaluate give the per-round times.
Prints one JSON line per round: round, seconds (configure_fit to the end of evaluation),
train_seconds (configure_fit to the end of aggregate_fit), eval_seconds, test_accuracy, test_loss,
train_loss; and a last line {"setup_seconds": ...} with the time from start to round 1.

    python flower_fedavg.py --samples OUT/partition/client_samples.txt --rounds 30
"""
from __future__ import annotations

import os

os.environ.setdefault("FLWR_TELEMETRY_ENABLED", "0")  # no usage events: this machine has no network
os.environ.setdefault("RAY_DEDUP_LOGS", "0")
HERE = os.path.dirname(os.path.abspath(__file__))
# Ray's worker processes inherit the environment of the driver: let them import fedavg_common.
os.environ["PYTHONPATH"] = HERE + (":" + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import flwr  # noqa: E402
import torch  # noqa: E402
from flwr.client import NumPyClient  # noqa: E402
from flwr.common import Context, FitIns, ndarrays_to_parameters  # noqa: E402
from flwr.server import ServerConfig  # noqa: E402
from flwr.server.strategy import FedAvg  # noqa: E402

import fedavg_common as fc  # noqa: E402

START = time.perf_counter()


class BenchClient(NumPyClient):
    """Client k: its sample ids from client_samples.txt; data and model cached per Ray actor."""

    _model = None  # one nn.Module per actor process, loaded with the global weights at each fit

    def __init__(self, exp: fc.Experiment, k: int):
        self.exp, self.k = exp, k

    def fit(self, parameters, config):
        data, clients = fc.cached_data(self.exp.data_dir, self.exp.samples)
        if BenchClient._model is None:
            torch.set_num_threads(1)  # one CPU per actor
            BenchClient._model = fc.make_model()
        model = BenchClient._model
        fc.set_weights(model, parameters)
        loss, n = fc.local_train(model, data, clients[self.k], self.exp, int(config["round"]), self.k)
        return fc.get_weights(model), len(clients[self.k]), {"loss_sum": loss}


class TimedFedAvg(FedAvg):
    """Flower's FedAvg, with the shared client draw and per-round timestamps."""

    def __init__(self, exp: fc.Experiment, num_clients: int, out, **kwargs):
        super().__init__(**kwargs)
        self.exp, self.num_clients, self.out = exp, num_clients, out
        self.t_start = self.t_fit = 0.0
        self.train_loss = 0.0

    def configure_fit(self, server_round, parameters, client_manager):
        self.t_start = time.perf_counter()
        if server_round == 1:
            self.emit({"setup_seconds": self.t_start - START})
        count, _ = self.num_fit_clients(client_manager.num_available())
        client_manager.wait_for(self.min_available_clients)
        by_partition = {c.partition_id: c for c in client_manager.all().values()}
        picked = fc.sample_clients(self.num_clients, count, self.exp.seed, server_round)
        fit_ins = FitIns(parameters, {"round": server_round})
        return [(by_partition[int(k)], fit_ins) for k in picked]

    def aggregate_fit(self, server_round, results, failures):
        if failures:
            raise RuntimeError(f"round {server_round}: {len(failures)} clients failed: {failures[0]}")
        aggregated = super().aggregate_fit(server_round, results, failures)
        n = sum(r.num_examples for _, r in results)
        self.train_loss = sum(r.metrics["loss_sum"] for _, r in results) / (n * self.exp.local_epochs)
        self.t_fit = time.perf_counter()
        return aggregated

    def evaluate(self, server_round, parameters):
        t = time.perf_counter()
        result = super().evaluate(server_round, parameters)  # calls evaluate_fn
        end = time.perf_counter()
        if server_round >= 1 and result is not None:
            loss, metrics = result
            self.emit({"round": server_round, "seconds": end - self.t_start, "train_seconds": self.t_fit - self.t_start,
                       "eval_seconds": end - t, "test_accuracy": metrics["accuracy"], "test_loss": loss,
                       "train_loss": self.train_loss})
            print(f"flower round {server_round:>3}/{self.exp.rounds}  acc {100 * metrics['accuracy']:6.2f}%  "
                  f"{end - self.t_start:.3f} s", file=sys.stderr, flush=True)
        return result

    def emit(self, row: dict) -> None:
        line = json.dumps(row)
        print(line, flush=True)
        if self.out:
            self.out.write(line + "\n")
            self.out.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    fc.add_arguments(parser)
    parser.add_argument("--cpus", type=int, default=os.cpu_count(), help="CPUs Ray may use (default: all cores)")
    parser.add_argument("--verbose", action="store_true", help="keep Flower's and Ray's logs")
    args = parser.parse_args()
    exp = fc.experiment_from(args)
    if not args.verbose:
        warnings.filterwarnings("ignore")
        flwr.common.logger.FLOWER_LOGGER.setLevel("WARNING")
    torch.set_num_threads(os.cpu_count())  # the server's evaluation runs while the actors wait

    data, clients = fc.cached_data(exp.data_dir, exp.samples)
    num_clients = len(clients)
    model = fc.make_model(exp.seed)
    print(f"flwr {flwr.__version__}, torch {torch.__version__}, {num_clients} clients, {args.cpus} CPUs",
          file=sys.stderr)

    def evaluate_fn(server_round, parameters, config):
        fc.set_weights(model, parameters)
        accuracy, loss = fc.evaluate(model, data)
        return loss, {"accuracy": accuracy}

    def client_fn(context: Context):
        return BenchClient(exp, int(context.node_config["partition-id"])).to_client()

    out = open(args.out, "w") if args.out else None
    strategy = TimedFedAvg(
        exp, num_clients, out,
        fraction_fit=exp.clients_per_round / num_clients,
        min_fit_clients=exp.clients_per_round,
        min_available_clients=num_clients,
        fraction_evaluate=0.0,
        min_evaluate_clients=0,
        evaluate_fn=evaluate_fn,
        initial_parameters=ndarrays_to_parameters(fc.get_weights(model)),
    )
    flwr.simulation.start_simulation(
        client_fn=client_fn,
        num_clients=num_clients,
        client_resources={"num_cpus": 1, "num_gpus": 0.0},
        config=ServerConfig(num_rounds=exp.rounds),
        strategy=strategy,
        ray_init_args={"ignore_reinit_error": True, "include_dashboard": False, "num_cpus": args.cpus,
                       "log_to_driver": args.verbose},
    )


if __name__ == "__main__":
    main()
