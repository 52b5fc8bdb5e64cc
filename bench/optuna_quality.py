#!/usr/bin/python3
"""Optuna 3.1 simple regret on the objectives of bench/tpe_quality.c.

Branin (x1 in [-5, 10], x2 in [0, 15], f* = 0.397887) and the quadratic
sum (v - 2)^2 over x, y, z in [-10, 10] (f* = 0); RandomSampler(seed) and
TPESampler(seed) with their defaults, direction minimize, seeds 0..n-1.

Run alone:  /usr/bin/python3 bench/optuna_quality.py [n_seeds] [budget]
Prints TSV lines "optuna <sampler> <objective> <seed>" and the best f - f*
after 25, 50, 100 and 200 trials (those within the budget).
"""
import math
import multiprocessing
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)

BRANIN_MIN = 0.397887357729738
CHECKPOINTS = (25, 50, 100, 200)


def branin(trial):
    x1 = trial.suggest_float("x1", -5.0, 10.0)
    x2 = trial.suggest_float("x2", 0.0, 15.0)
    b = 5.1 / (4.0 * math.pi ** 2)
    c = 5.0 / math.pi
    t = 1.0 / (8.0 * math.pi)
    return (x2 - b * x1 ** 2 + c * x1 - 6.0) ** 2 + 10.0 * (1.0 - t) * math.cos(x1) + 10.0


def quadratic(trial):
    return sum((trial.suggest_float(name, -10.0, 10.0) - 2.0) ** 2 for name in ("x", "y", "z"))


OBJECTIVES = {"branin": (branin, BRANIN_MIN), "quadratic": (quadratic, 0.0)}


def run(job):
    """One (sampler, objective, seed, budget) run: its TSV line."""
    sampler_name, objective, seed, budget = job
    if sampler_name == "random":
        sampler = optuna.samplers.RandomSampler(seed=seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed)
    func, fstar = OBJECTIVES[objective]
    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.optimize(func, n_trials=budget)
    values = [t.value for t in study.trials]
    cells = []
    best = math.inf
    for i, v in enumerate(values, 1):
        best = min(best, v)
        if i in CHECKPOINTS:
            cells.append(f"{best - fstar:.10g}")
    return "\t".join(["optuna", sampler_name, objective, str(seed)] + cells)


def measure(n_seeds=20, budget=200, processes=2):
    jobs = [(s, o, seed, budget) for o in OBJECTIVES for s in ("random", "tpe")
            for seed in range(n_seeds)]
    with multiprocessing.Pool(processes) as pool:
        return pool.map(run, jobs)


if __name__ == "__main__":
    n_seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    budget = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    for line in measure(n_seeds, budget):
        print(line)
