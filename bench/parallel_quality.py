#!/usr/bin/python3
"""TPE's quality with parallel trials: ptopt (options.workers = N, constant liar)
against Optuna 3.1 (TPESampler(constant_liar=True), ask N then tell N), N = 1, 4, 16.

    /usr/bin/python3 bench/parallel_quality.py [n_seeds] [budget]   # default 20 seeds, 100 trials

Needs python3-psycopg2 and python3-scipy (Debian).  Re-runs itself inside a
throwaway cluster (pg_virtualenv -t -p PORT -o max_worker_processes=40, the
installed ptopt; PTOPT_BENCH_PORT, default 5489).  Objectives:
  branin: 2 floats x1 in [-5, 10], x2 in [0, 15], f* = 0.397887; ptopt maximises -branin
          (objective "branin"), Optuna minimises branin in Python.  Regret = best - f*.
  clob:   the 5 mm.* parameters of bench/clob_quality.py, backtest options
          {"train_seeds": 4, "holdout_seeds": 2}; ptopt_run's default objective clob_v2,
          Optuna evaluates SELECT ptopt_backtest(params, options)->>'score' through psycopg2.
Seeds 0..n-1 on both sides (ptopt_run's seed, TPESampler's seed).  Optuna's batches:
ask N trials (each later ask sees the earlier ones RUNNING: the liar), evaluate, tell N.
Jobs run two at a time.  Prints markdown tables; writes bench/out/parallel_quality.json.
"""
import json
import warnings
import math
import multiprocessing
import os
import statistics
import sys
import time

from bench_common import CLOB_SPACE, in_cluster

HERE = os.path.dirname(os.path.abspath(__file__))
BRANIN_SPACE = {"x1": {"type": "float", "low": -5, "high": 10}, "x2": {"type": "float", "low": 0, "high": 15}}
BRANIN_MIN = 0.397887
BACKTEST = {"train_seeds": 4, "holdout_seeds": 2}
WORKERS = (1, 4, 16)
CHECKPOINTS = (50, 100)


_conn, _pid = None, None


def conn():
    global _conn, _pid
    import psycopg2
    if _conn is None or _pid != os.getpid():
        _pid = os.getpid()
        _conn = psycopg2.connect("")
        _conn.autocommit = True
        with _conn.cursor() as cur:
            cur.execute("SET ptopt.progress_notices = off")
    return _conn


def branin(x1, x2):
    a, b, c, r, s, t = 1.0, 5.1 / (4 * math.pi ** 2), 5 / math.pi, 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x2 - b * x1 ** 2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


def ptopt_job(problem, seed, workers, budget):
    """Scores (maximised) of every iteration of one ptopt_run, in iteration order."""
    space = BRANIN_SPACE if problem == "branin" else CLOB_SPACE
    opts = {"workers": workers}
    if problem == "branin":
        opts["objective"] = "branin"
    else:
        opts["backtest"] = BACKTEST
    with conn().cursor() as cur:
        cur.execute("SELECT run_id, status, iterations FROM ptopt_run(%s::jsonb, 'tpe', %s, %s, %s::jsonb)",
                    (json.dumps(space), budget, seed, json.dumps(opts)))
        run_id, status, iters = cur.fetchone()
        if status != "done" or iters != budget:
            raise RuntimeError(f"ptopt_run {run_id}: {status}, {iters}")
        cur.execute("SELECT CASE WHEN status = 'ok' THEN score END FROM ptopt.trajectory "
                    "WHERE run_id = %s ORDER BY iter", (run_id,))
        return [r[0] for r in cur.fetchall()]


def optuna_job(problem, seed, workers, budget):
    """Scores (maximised, as ptopt's) of one batch-synchronous Optuna study."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    sampler = optuna.samplers.TPESampler(seed=seed, constant_liar=True)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    space = BRANIN_SPACE if problem == "branin" else CLOB_SPACE
    scores = []
    while len(scores) < budget:
        batch = [study.ask() for _ in range(min(workers, budget - len(scores)))]
        params = []
        for trial in batch:
            p = {}
            for name, spec in space.items():
                if spec["type"] == "int":
                    p[name] = trial.suggest_int(name, spec["low"], spec["high"])
                else:
                    p[name] = trial.suggest_float(name, spec["low"], spec["high"], log=spec.get("log", False))
            params.append(p)
        for trial, p in zip(batch, params):
            if problem == "branin":
                v = -branin(p["x1"], p["x2"])
            else:
                with conn().cursor() as cur:
                    cur.execute("SELECT (ptopt_backtest(%s::jsonb, %s::jsonb))->>'score'",
                                (json.dumps(p), json.dumps(BACKTEST)))
                    v = float(cur.fetchone()[0])
            study.tell(trial, v)
            scores.append(v)
    return scores


def run_job(job):
    system, problem, seed, workers, budget = job
    t0 = time.time()
    f = ptopt_job if system == "ptopt" else optuna_job
    return job, f(problem, seed, workers, budget), time.time() - t0


def best_at(scores, b):
    return max(s for s in scores[:b] if s is not None)


def main():
    from scipy.stats import mannwhitneyu
    n_seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    budget = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    problems = sys.argv[3].split(",") if len(sys.argv) > 3 else ["branin", "clob"]
    with conn().cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS ptopt")
    t_start = time.time()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    jobs = [(sy, pr, seed, w, budget) for pr in problems for seed in range(n_seeds)
            for w in WORKERS for sy in ("ptopt", "optuna")]
    res, secs = {}, {}
    with multiprocessing.Pool(2) as pool:
        for k, (job, scores, s) in enumerate(pool.imap_unordered(run_job, jobs), 1):
            res[job[:4]] = scores
            secs.setdefault((job[0], job[1], job[3]), []).append(s)
            print(f"# {k}/{len(jobs)} {job}: best {best_at(scores, budget):.5g} in {s:.1f} s",
                  file=sys.stderr, flush=True)
    total = time.time() - t_start
    md = [f"Run {started}, {n_seeds} seeds (0..{n_seeds - 1}), {budget} trials, two jobs at a time, "
          f"whole run {total / 60:.1f} min; load average at the end {os.getloadavg()[0]:.2f}.", ""]
    record = {"n_seeds": n_seeds, "budget": budget, "started": started, "seconds": total, "tables": {}}
    for pr in problems:
        if pr == "branin":
            md.append("**Branin**: median regret (best − f*, lower is better) [mean]; Mann-Whitney U two-sided p")
            val = lambda s, b: -best_at(s, b) - BRANIN_MIN  # noqa: E731
        else:
            md.append("**CLOB** (backtest " + json.dumps(BACKTEST) + "): median best score "
                      "(higher is better) [mean]; Mann-Whitney U two-sided p")
            val = lambda s, b: best_at(s, b)  # noqa: E731
        md += ["", "| trials | workers | ptopt TPE | Optuna TPE (liar) | p ptopt vs Optuna | "
               "p ptopt N vs ptopt 1 | p Optuna N vs Optuna 1 |", "|---:|---:|---:|---:|---:|---:|---:|"]
        for b in CHECKPOINTS:
            if b > budget:
                continue
            col = {(sy, w): [val(res[(sy, pr, seed, w)], b) for seed in range(n_seeds)]
                   for sy in ("ptopt", "optuna") for w in WORKERS}
            for w in WORKERS:
                pt, op = col[("ptopt", w)], col[("optuna", w)]
                p_same = mannwhitneyu(pt, op, alternative="two-sided").pvalue
                p_pw = "–" if w == 1 else f"{mannwhitneyu(pt, col[('ptopt', 1)], alternative='two-sided').pvalue:.3g}"
                p_ow = "–" if w == 1 else f"{mannwhitneyu(op, col[('optuna', 1)], alternative='two-sided').pvalue:.3g}"
                fmt = "{:.4g}" if pr == "branin" else "{:.4f}"
                md.append(f"| {b} | {w} | {fmt.format(statistics.median(pt))} [{fmt.format(statistics.mean(pt))}] | "
                          f"{fmt.format(statistics.median(op))} [{fmt.format(statistics.mean(op))}] | "
                          f"{p_same:.3g} | {p_pw} | {p_ow} |")
                record["tables"][f"{pr} {b} {w}"] = {"ptopt": pt, "optuna": op, "p": p_same}
        md.append("")
        md.append("Mean seconds per run: " + ", ".join(
            f"{sy} w{w} {statistics.mean(secs[(sy, pr, w)]):.1f}" for sy in ("ptopt", "optuna") for w in WORKERS))
        md.append("")
    text = "\n".join(md)
    print(text)
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    with open(os.path.join(HERE, "out", "parallel_quality.json"), "w") as f:
        json.dump(record, f)
    with open(os.path.join(HERE, "out", "parallel_quality.md"), "w") as f:
        f.write(text + "\n")
    return 0


if __name__ == "__main__":
    in_cluster(__file__, "5489")
    sys.exit(main())
