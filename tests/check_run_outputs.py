#!/usr/bin/env python3
"""Checks a finished `astraea run` output directory, independently of the C++ code:
rounds.jsonl has one record per round, summary.json reports an accuracy at least the given one,
and model.safetensors parses per the safetensors spec with tensors covering the data section.

usage: check_run_outputs.py DIR ROUNDS MIN_FINAL_ACCURACY
"""
import json
import struct
import sys
from pathlib import Path


def main():
    out, rounds, min_acc = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    records = [json.loads(line) for line in (out / "rounds.jsonl").read_text().splitlines()]
    assert [r["round"] for r in records] == list(range(1, rounds + 1)), "rounds.jsonl is missing rounds"
    for r in records:
        for key in ("train_loss", "bytes_mediator_server", "phase_seconds", "seconds"):
            assert key in r, f"round {r['round']} lacks {key}"
    summary = json.loads((out / "summary.json").read_text())
    acc = summary["final_accuracy"]
    assert acc >= min_acc, f"final accuracy {acc:.4f} below {min_acc}"
    assert summary["best_accuracy"] >= acc
    blob = (out / "model.safetensors").read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = len(blob) - 8 - n
    covered = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        count = 1
        for d in info["shape"]:
            count *= d
        begin, end = info["data_offsets"]
        assert end - begin == 4 * count, f"{name}: byte range does not match its shape"
        covered += end - begin
    assert covered == data, f"tensors cover {covered} of {data} data bytes"
    print(f"ok: {rounds} rounds, final accuracy {acc:.4f}, {len(header) - 1} tensors")


if __name__ == "__main__":
    main()
