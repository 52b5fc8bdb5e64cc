#!/usr/bin/python3
"""Optuna 3.1 time per TPE suggestion on a synthetic in-memory history.

The same cases as bench/tpe_speed.c: 2 and 6 float parameters in [0, 1],
histories of 100, 1,000 and 10,000 COMPLETE trials (uniform points, value
-sum (v - 0.3)^2, direction maximize), TPESampler with its defaults.  One
suggestion is study.ask() plus one suggest_float per parameter (that is
where TPE runs); the trial is then told FAIL outside the timed region, so
the history TPE sees stays at n trials.  Times are CPU time of this process
(time.process_time), as bench/tpe_speed.c measures, so other work on the
machine does not inflate them.

Run alone:  /usr/bin/python3 bench/optuna_speed.py [min_seconds]
Prints TSV lines "optuna_memory <params> <trials> <ms per suggestion> <reps>".
"""
import sys
import time

import numpy as np
import optuna
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

optuna.logging.set_verbosity(optuna.logging.ERROR)

DIMS = (2, 6)
TRIALS = (100, 1000, 10000)
MIN_REPS = 3


def make_study(d, n, storage=None):
    """A maximising TPE study holding n complete trials over d floats."""
    rs = np.random.RandomState(12345)
    dists = {f"x{j}": FloatDistribution(0.0, 1.0) for j in range(d)}
    study = optuna.create_study(direction="maximize", storage=storage,
                                sampler=optuna.samplers.TPESampler(seed=1))
    trials = []
    for _ in range(n):
        x = rs.rand(d)
        trials.append(create_trial(params={f"x{j}": float(x[j]) for j in range(d)},
                                   distributions=dists, value=float(-np.sum((x - 0.3) ** 2))))
    study.add_trials(trials)
    return study


def time_study(study, d, min_seconds, clock=time.process_time, warmup=0):
    """ms per suggestion (ask + d suggest_float), and the repetitions.

    clock: time.process_time (CPU time of this process, the default) or
    time.perf_counter (wall time: with a database storage much of the work
    is done by the server process, which this process's CPU time misses).
    warmup: suggestions made first and not timed (a database storage's first
    ask loads the whole history into Optuna's trial cache)."""
    def one():
        trial = study.ask()
        for j in range(d):
            trial.suggest_float(f"x{j}", 0.0, 1.0)
        return trial

    for _ in range(warmup):
        study.tell(one(), state=TrialState.FAIL)
    total = 0.0
    reps = 0
    while total < min_seconds or reps < MIN_REPS:
        t0 = clock()
        trial = one()
        total += clock() - t0
        reps += 1
        study.tell(trial, state=TrialState.FAIL)
    return total * 1000.0 / reps, reps


def measure_case(d, n, min_seconds=1.0, storage=None, clock=time.process_time, warmup=0):
    """ms per suggestion for one case (CPU time unless clock says otherwise);
    storage is a storage URL or None (in memory)."""
    study = make_study(d, n, storage)
    ms, _ = time_study(study, d, min_seconds, clock, warmup)
    return ms


def measure(min_seconds=1.0, storage_factory=None, label="optuna_memory", out=sys.stdout):
    """Time every case; storage_factory(d, n) gives a storage URL or None (in memory)."""
    results = {}
    for d in DIMS:
        for n in TRIALS:
            storage = storage_factory(d, n) if storage_factory else None
            study = make_study(d, n, storage)
            ms, reps = time_study(study, d, min_seconds)
            results[(d, n)] = ms
            print(f"{label}\t{d}\t{n}\t{ms:.6f}\t{reps}", file=out, flush=True)
    return results


if __name__ == "__main__":
    measure(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
