"""astraea-sim from Python: run experiments, watch their rounds, get the weights, and use
Astraea's planning (partition, augmentation ratios, mediator scheduling) inside other frameworks.

    import astraea
    exp = astraea.Experiment("configs/astraea-fmnist.toml", set=["train.rounds=20"])
    for record in exp.rounds(out="runs/py"):        # one dict per round, as it finishes
        print(record["round"], record.get("test_accuracy"))
    weights = exp.weights                           # {"0.weight": ndarray, ...}, safetensors names

    groups = astraea.schedule(histograms, gamma=10)  # mediators from a [clients x classes] array
    groups = astraea.balance(histograms, groups)     # any grouping, moved toward the floor

A config is a TOML file's path or a dict of sections ({"train": {"rounds": 5}, ...}); `set` takes
"section.key=value" overrides as on the command line. Errors are astraea.Error (a ValueError)
naming the key or file at fault.
"""
import os
import queue
import threading

from . import _astraea
from ._astraea import Error, augmentation_ratios, schedule_quality, set_log_level, synthetic_histograms

__all__ = ["Experiment", "Error", "partition", "augmentation_ratios", "schedule", "balance", "schedule_quality",
           "set_log_level", "schedulers", "synthetic_histograms", "to_toml"]

schedulers = list(_astraea.schedulers)


def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} {v!r} as a TOML value")


def to_toml(config):
    """A dict of sections ({"train": {"lr": 0.1}}) as TOML text."""
    lines = []
    for section, keys in config.items():
        if not isinstance(keys, dict):
            raise TypeError(f"config[{section!r}]: expected a dict of keys (a [section])")
        lines.append(f"[{section}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"


def _config_text(config):
    if isinstance(config, dict):
        return to_toml(config), "<dict>"
    path = os.fspath(config)
    with open(path, encoding="utf-8") as f:
        return f.read(), path


class Experiment:
    """An experiment's data, partition and backend, loaded once; `run` and `rounds` train it."""

    def __init__(self, config, set=()):
        text, source = _config_text(config)
        self._native = _astraea.Experiment(text, source, list(set))
        self.outcome = None

    @property
    def config(self):
        """The configuration as run (every key, defaults included)."""
        return self._native.config()

    @property
    def histograms(self):
        """The partition's label histograms, [clients x classes]."""
        return self._native.histograms()

    @property
    def weights(self):
        """The last run's final global model: {tensor name: ndarray} as in model.safetensors."""
        return None if self.outcome is None else self.outcome["weights"]

    def run(self, out="", resume=False, on_round=None):
        """Trains to train.rounds (writing DIR's reports when `out` is set) and returns the outcome:
        summary, weights, whether it stopped early or diverged. `on_round(record)` sees each round's
        record; returning False stops after that round. Ctrl-C stops after the round in flight,
        writes the outputs and raises KeyboardInterrupt."""
        callback = None if on_round is None else (lambda r: on_round(r) is not False)
        self.outcome = self._native.run(os.fspath(out) if out else "", resume, callback)
        return self.outcome

    def rounds(self, out="", resume=False):
        """The run as an iterator of round records; leaving the loop early stops the run after the
        round in flight (its outputs are written)."""
        records, done = queue.Queue(maxsize=1), object()
        stop = threading.Event()
        failure = []

        def on_round(r):
            records.put(r)
            return not stop.is_set()

        def work():
            try:
                self.run(out, resume, on_round)
            except BaseException as e:  # handed to the consumer
                failure.append(e)
            finally:
                records.put(done)

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        try:
            while True:
                r = records.get()
                if r is done:
                    break
                yield r
        finally:
            stop.set()
            while thread.is_alive():  # drain, so the worker is never blocked on a full queue
                try:
                    records.get(timeout=0.05)
                except queue.Empty:
                    pass
            thread.join()
        if failure:
            raise failure[0]


def partition(config, set=()):
    """Partitions the config's data set: {"histograms": [clients x classes] int32, "samples": [per
    client: its sample ids], "classes": N}."""
    text, source = _config_text(config)
    return _astraea.partition(text, source, list(set))


def schedule(histograms, gamma=10, algorithm="greedy", ids=None, seed=1, balance="mean", balance_passes=2, round=1,
             balance_worst_ratio=0.0):
    """Mediators over clients with the given label histograms ([clients x classes]): a list of
    groups of client ids (row indices, or `ids` ascending), each in chain order. `algorithm`: any
    of astraea.schedulers; `balance*` as the config's astraea.balance* keys."""
    return _astraea.schedule(histograms, gamma, algorithm, list(ids) if ids is not None else [], seed, balance,
                             balance_passes, round, balance_worst_ratio)


def balance(histograms, groups, gamma=10, objective="mean", passes=2, ids=None, seed=1, round=1, target=None,
            threads=0, worst_ratio=0.0):
    """The "balanced" scheduler's search on any grouping (another system's mediators, lists of
    client ids: row indices, or `ids` ascending): swaps and moves of clients between groups while
    the sample-weighted mean mediator KL (objective "mean") or the worst one ("max") falls. Groups
    may cover some clients only; each comes back in ascending id order. `target`: one weight per
    class to aim for instead of uniform. `threads`: for the passes and objective "max"'s scans
    (0: all); the groups do not depend on it. `worst_ratio` (objective "mean", 0: off): then the
    worst mediator is lowered until it is within this many times the weighted mean."""
    return _astraea.balance(histograms, [list(g) for g in groups], gamma, objective, passes,
                            list(ids) if ids is not None else [], seed, round,
                            list(target) if target is not None else [], threads, worst_ratio)
