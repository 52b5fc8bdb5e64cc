#!/usr/bin/python3
"""Best score on the CLOB V2 backtest: ptopt (random, TPE, in the database)
against Optuna 3.1 (RandomSampler, TPESampler, in Python, the objective being
the same backtest called through SQL).

Run through the driver, which starts a throwaway cluster itself:

    /usr/bin/python3 bench/tpe_bench.py clob [n_seeds] [budget]   # default 20 seeds, 200 trials

Both sides search SPACE with the backtest options BACKTEST; seeds 0..n-1.
ptopt: ptopt_run(SPACE, 'random' | 'tpe', budget, seed, {"backtest": BACKTEST})
(the default objective clob_v2; the score of an iteration is the envelope's
"score", the training seeds' score).  Optuna: study.optimize with direction
maximize, each trial's parameters sent as one jsonb to
SELECT ptopt_backtest(params, BACKTEST)->>'score' through psycopg2.  Before the
runs, the driver checks that both routes give the same score for the same
parameters.  The jobs (4 methods x n seeds) run two at a time (2 CPUs), in
one pool, interleaved.

f* is unknown: the regret of a run is the best score seen by any run of any
method minus the run's best score so far.  The test is the driver's
Mann-Whitney U (as for the closed-form objectives) on the per-seed values at
each checkpoint.
"""
import json
import math
import multiprocessing
import os
import statistics
import sys
import time

import optuna
import psycopg2

from bench_common import CLOB_SPACE

optuna.logging.set_verbosity(optuna.logging.ERROR)

SPACE = CLOB_SPACE
BACKTEST = {"train_seeds": 4, "holdout_seeds": 2}
CHECKPOINTS = (25, 50, 100, 200)
METHODS = [("ptopt", "random"), ("ptopt", "tpe"), ("optuna", "random"), ("optuna", "tpe")]
NAMES = {("ptopt", "random"): "ptopt random", ("ptopt", "tpe"): "ptopt TPE",
         ("optuna", "random"): "Optuna random", ("optuna", "tpe"): "Optuna TPE"}

_conn = None
_conn_pid = None


def conn():
    """This process's connection (a forked pool worker opens its own)."""
    global _conn, _conn_pid
    if _conn is None or _conn_pid != os.getpid():
        _conn_pid = os.getpid()
        _conn = psycopg2.connect("")
        _conn.autocommit = True
        with _conn.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS ptopt")  # done by the parent first
            cur.execute("SET ptopt.progress_notices = off")
    return _conn


def backtest_sql(params):
    """The backtest's score for params (a dict), through SQL."""
    with conn().cursor() as cur:
        cur.execute("SELECT (ptopt_backtest(%s::jsonb, %s::jsonb))->>'score'",
                    (json.dumps(params), json.dumps(BACKTEST)))
        return float(cur.fetchone()[0])


def optuna_objective(trial):
    params = {}
    for name, spec in SPACE.items():
        if spec["type"] == "int":
            params[name] = trial.suggest_int(name, spec["low"], spec["high"])
        else:
            params[name] = trial.suggest_float(name, spec["low"], spec["high"],
                                               log=spec.get("log", False))
    return backtest_sql(params)


def ptopt_scores(strategy, seed, budget):
    """Scores of every iteration of one ptopt_run (None for a failed one), and the run id."""
    with conn().cursor() as cur:
        cur.execute("SELECT run_id, status, iterations FROM ptopt_run(%s::jsonb, %s::text, %s, %s, %s::jsonb)",
                    (json.dumps(SPACE), strategy, budget, seed, json.dumps({"backtest": BACKTEST})))
        run_id, status, iters = cur.fetchone()
        if status != "done" or iters != budget:
            raise RuntimeError(f"ptopt_run {run_id}: {status}, {iters} iterations")
        cur.execute("SELECT score, status, params FROM ptopt.trajectory WHERE run_id = %s ORDER BY iter",
                    (run_id,))
        rows = cur.fetchall()
    return [r[0] if r[1] == "ok" else None for r in rows], run_id, rows


def run_job(job):
    system, strategy, seed, budget = job
    t0 = time.time()
    if system == "ptopt":
        scores, run_id, _ = ptopt_scores(strategy, seed, budget)
    else:
        run_id = None
        sampler = (optuna.samplers.RandomSampler(seed=seed) if strategy == "random"
                   else optuna.samplers.TPESampler(seed=seed))
        study = optuna.create_study(direction="maximize", sampler=sampler)
        study.optimize(optuna_objective, n_trials=budget, catch=(psycopg2.Error,))
        scores = [t.value if t.state == optuna.trial.TrialState.COMPLETE else None
                  for t in study.trials]
    return system, strategy, seed, scores, time.time() - t0, run_id


def check_same_objective():
    """ptopt_run's scores for its own parameters equal ptopt_backtest's through SQL."""
    _, run_id, rows = ptopt_scores("tpe", 12345, 12)
    worst = 0.0
    for score, status, params in rows:
        worst = max(worst, abs(score - backtest_sql(params)))
    return f"run {run_id}, 12 iterations, largest |difference| {worst:.3g}", worst


def best_so_far(scores):
    best, out = -math.inf, []
    for s in scores:
        if s is not None and s > best:
            best = s
        out.append(best)
    return out


def main(n_seeds, budget, machine, mann_whitney, out_dir):
    t_start = time.time()
    when = time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())
    check, worst = check_same_objective()
    print(f"# same objective on both sides: {check}", file=sys.stderr, flush=True)
    if worst > 1e-9:
        sys.exit("ptopt_run and ptopt_backtest disagree; not comparing")

    jobs = [(sy, st, seed, budget) for seed in range(n_seeds) for sy, st in METHODS]
    results = {}
    seconds = {m: [] for m in METHODS}
    failed = {m: 0 for m in METHODS}
    with multiprocessing.Pool(2) as pool:
        for k, (sy, st, seed, scores, secs, run_id) in enumerate(
                pool.imap_unordered(run_job, jobs), 1):
            results[(sy, st, seed)] = scores
            seconds[(sy, st)].append(secs)
            failed[(sy, st)] += sum(1 for s in scores if s is None)
            print(f"# {k}/{len(jobs)} {sy} {st} seed {seed}: best {max(s for s in scores if s is not None):.5g} "
                  f"in {secs:.1f} s", file=sys.stderr, flush=True)
    total = time.time() - t_start

    seen = [s for sc in results.values() for s in sc if s is not None]
    ref = max(seen)
    n_distinct, lo, hi = len(set(round(s, 12) for s in seen)), min(seen), max(seen)
    budgets = [c for c in CHECKPOINTS if c <= budget]
    best = {m: [best_so_far(results[(m[0], m[1], seed)]) for seed in range(n_seeds)] for m in METHODS}
    lines = [f"Measured {when} on {machine}; {n_seeds} seeds (0..{n_seeds - 1}) per method, "
             f"{budget} trials, whole run {total / 60:.1f} min.", "",
             f"Space: {json.dumps(SPACE)}", "",
             f"Backtest options on both sides: {json.dumps(BACKTEST)}. Same objective check: {check}.",
             "",
             f"Scores of all {len(seen):,} evaluations: {n_distinct:,} distinct, from {lo:.4g} "
             f"to {hi:.4g}. Best score seen by any run (reference for regret): {ref:.6g}.", ""]
    lines.append(f"**Best score so far** (higher is better), mean / median over {n_seeds} seeds")
    lines.append("")
    lines.append("| trials | " + " | ".join(NAMES[m] for m in METHODS) + " |")
    lines.append("|---:|" + "---:|" * len(METHODS))
    record = {"space": SPACE, "backtest": BACKTEST, "n_seeds": n_seeds, "budget": budget,
              "reference_best": ref, "check": check, "seconds_total": total,
              "scores_seen": {"distinct": n_distinct, "min": lo, "max": hi}, "checkpoints": {}}
    for b in budgets:
        cells = [f"{statistics.mean(r[b - 1] for r in best[m]):.4f} / "
                 f"{statistics.median(r[b - 1] for r in best[m]):.4f}" for m in METHODS]
        lines.append(f"| {b} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"**Regret to the best score seen** ({ref:.4f} − best so far), mean / median over "
                 f"{n_seeds} seeds; p-values of Mann-Whitney U on the per-seed regrets")
    lines.append("")
    lines.append("| trials | " + " | ".join(NAMES[m] for m in METHODS)
                 + " | ptopt TPE vs Optuna TPE (two-sided p) "
                 + "| ptopt TPE < ptopt random (p) | Optuna TPE < Optuna random (p) |")
    lines.append("|---:|" + "---:|" * (len(METHODS) + 3))
    for b in budgets:
        col = {m: [ref - r[b - 1] for r in best[m]] for m in METHODS}
        cells = [f"{statistics.mean(col[m]):.4f} / {statistics.median(col[m]):.4f}" for m in METHODS]
        _, p_same = mann_whitney(col[("ptopt", "tpe")], col[("optuna", "tpe")])
        _, p_pr = mann_whitney(col[("ptopt", "tpe")], col[("ptopt", "random")], "less")
        _, p_or = mann_whitney(col[("optuna", "tpe")], col[("optuna", "random")], "less")
        lines.append(f"| {b} | " + " | ".join(cells) + f" | {p_same:.3f} | {p_pr:.2g} | {p_or:.2g} |")
        record["checkpoints"][str(b)] = {
            "best_mean": {NAMES[m]: statistics.mean(r[b - 1] for r in best[m]) for m in METHODS},
            "best_median": {NAMES[m]: statistics.median(r[b - 1] for r in best[m]) for m in METHODS},
            "regret_mean": {NAMES[m]: statistics.mean(col[m]) for m in METHODS},
            "regret_median": {NAMES[m]: statistics.median(col[m]) for m in METHODS},
            "p_ptopt_tpe_vs_optuna_tpe": p_same, "p_ptopt_tpe_below_random": p_pr,
            "p_optuna_tpe_below_random": p_or}
    lines.append("")
    lines.append("Wall time per run of " + f"{budget} trials (mean, two runs at a time): "
                 + ", ".join(f"{NAMES[m]} {statistics.mean(seconds[m]):.1f} s" for m in METHODS)
                 + ". Failed evaluations: "
                 + ", ".join(f"{NAMES[m]} {failed[m]}" for m in METHODS) + ".")
    record["seconds_per_run"] = {NAMES[m]: seconds[m] for m in METHODS}
    record["failed"] = {NAMES[m]: failed[m] for m in METHODS}
    record["per_seed_best"] = {NAMES[m]: [[r[b - 1] for b in budgets] for r in best[m]] for m in METHODS}
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(out_dir, "tpe_clob.md"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(out_dir, "tpe_clob.json"), "w") as f:
        json.dump(record, f, indent=1)
    return 0
