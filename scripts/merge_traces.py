#!/usr/bin/env python3
"""Merges the Chrome traces of a multi-rank run (DIR/trace.json from rank 0, trace.json.rank<r>
from the others; each rank's events carry its rank as the process id) into one file that opens in
https://ui.perfetto.dev with a process per rank. Each rank's clock starts when it starts tracing.

usage: scripts/merge_traces.py OUT.json TRACE.json [TRACE.json.rank1 ...]
"""
import json
import sys

if len(sys.argv) < 3:
    sys.exit(__doc__)
events = []
for path in sys.argv[2:]:
    try:
        with open(path) as f:
            events += json.load(f)["traceEvents"]
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"{path}: not a Chrome trace ({e})")
with open(sys.argv[1], "w") as f:
    json.dump({"traceEvents": events, "displayTimeUnit": "ms"}, f)
print(f"{sys.argv[1]}: {len(events)} events from {len(sys.argv) - 2} files")
