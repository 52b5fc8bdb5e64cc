#!/usr/bin/python3
"""On paper: what 16 workers and 4 nodes x 16 would give for a 200-trial CLOB TPE search,
from the figures measured by bench/parallel_speed.py (reads bench/out/parallel_speed.json).

    /usr/bin/python3 bench/parallel_model.py [cluster_ms_per_trial] [node_extra_ms_per_trial]

Model of one batch-synchronous run of B trials with N workers (and K nodes):
    wall = B * (propose + serial) + ceil(B / (N K)) * (E[max of N K evaluations] + a + b N)
propose: mean propose_ms of the workers-1 CLOB runs (done by the coordinator, one after another);
a + b N: the pool's overhead per batch, least squares over the sleep-objective runs
(ms per batch - sleep ms, N = 2..16; workers 1 is the serial loop without a pool,
its overhead a1 per trial is taken alone), b N being per-trial work the coordinator does alone;
E[max]: the expected slowest of N K evaluation times drawn from the measured workers-1
evaluation times (evaluation ms = elapsed_ms - propose_ms), 20,000 resamples;
serial: for nodes, the PL/Proxy per-trial call overhead (argument 1, default 0.45 ms, from
BENCHMARKS.md "PL/Proxy clusters"), counted as done by the coordinator one trial after another
(pessimistic); node_extra (argument 2, default 5 ms) is added to each evaluation on a node.
Held-out scoring of each new best (serial in the coordinator) is inside the measured
workers-1 wall time but not in the model, which therefore is checked against workers 1 and 2.
"""
import json
import math
import os
import random
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
d = json.load(open(os.path.join(HERE, "out", "parallel_speed.json")))
cluster_ms = float(sys.argv[1]) if len(sys.argv) > 1 else 0.45
node_extra = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
SLEEP = 5.0
B = 200

pts = [(int(w), r["wall_s"] * 1000 / (320 / int(w)) - SLEEP) for w, rs in d["sleep"].items() for r in rs if int(w) > 1]
a1 = statistics.median(r["wall_s"] * 1000 / 320 - SLEEP for r in d["sleep"]["1"])
n = len(pts)
mx = sum(p[0] for p in pts) / n
my = sum(p[1] for p in pts) / n
b = sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)
a = my - b * mx
evals = [e - p for r in d["clob"]["1"] for e, p in zip(r["elapsed_ms"], r["propose_ms"])]
propose = statistics.mean(p for r in d["clob"]["1"] for p in r["propose_ms"])
rng = random.Random(1)


def rest_ms(r):
    """Wall time of a run not spent proposing or evaluating (start-up, rows, held-out scoring...)."""
    ev = [e - p for e, p in zip(r["elapsed_ms"], r["propose_ms"])]
    return r["wall_s"] * 1000 - sum(ev) - sum(r["propose_ms"])


# Fixed serial part of a run: what the workers-1 runs spent outside proposal and evaluation,
# less the serial loop's own per-trial overhead (a1, counted per trial below).
fixed = statistics.median(rest_ms(r) for r in d["clob"]["1"]) - B * a1
# Evaluations slow down when two run at once on this shared 2-core machine: the ratio of the
# summed evaluation times of the workers-2 runs to the workers-1 runs (same seeds).
slow = statistics.median(sum(e - p for e, p in zip(r2["elapsed_ms"], r2["propose_ms"])) /
                         sum(e - p for e, p in zip(r1["elapsed_ms"], r1["propose_ms"]))
                         for r1, r2 in zip(d["clob"]["1"], d["clob"]["2"]))


def emax(k, extra=0.0, factor=1.0):
    return factor * statistics.mean(max(rng.choice(evals) for _ in range(k))
                                    for _ in range(20000 // k + 200)) + extra


def wall(nw, nodes=1, serial=0.0, extra=0.0, factor=1.0):
    k = nw * nodes
    over = a1 if k == 1 else a + b * nw
    return fixed + B * (propose + serial) + math.ceil(B / k) * (emax(k, extra, factor) + over)


w1 = wall(1)
print(f"workers 1 (serial loop, no pool): overhead per trial {a1:.3f} ms; pool: per-batch overhead a = {a:.3f} ms, per-trial coordinator work b = {b:.3f} ms (sleep fit, {n} runs); "
      f"propose {propose:.3f} ms; evaluation mean {statistics.mean(evals):.2f} ms, "
      f"median {statistics.median(evals):.2f} ms, max {max(evals):.1f} ms ({len(evals)} evaluations); "
      f"fixed serial part of a run {fixed:.0f} ms; evaluation slow-down with 2 at once here x{slow:.2f}")
print()
print("| case | model wall s | model speed-up | measured median wall s |")
print("|---|---:|---:|---:|")
meas = {w: statistics.median(r["wall_s"] for r in d["clob"][w]) for w in d["clob"]}
for label, nw, nodes, serial, extra, f in (
        ("1 worker", 1, 1, 0, 0, 1.0), ("2 workers, idle cores", 2, 1, 0, 0, 1.0),
        ("2 workers, evaluations slowed as measured here", 2, 1, 0, 0, slow),
        ("16 workers on 16 idle cores", 16, 1, 0, 0, 1.0),
        ("4 nodes x 16 workers (batches of 64)", 16, 4, cluster_ms, node_extra, 1.0)):
    t = wall(nw, nodes, serial, extra, f) / 1000
    m = meas.get(str(nw)) if nodes == 1 and (nw == 1 or f != 1.0) else None
    print(f"| {label} | {t:.2f} | {w1 / 1000 / t:.1f}x | {m if m is None else f'{m:.2f}'} |")
