#!/usr/bin/python3
"""ptopt_importance against Optuna 3.1's get_param_importances (fANOVA), and the time to build reports.

Usage (as root, with the extension installed: `make install`):

    /usr/bin/python3 bench/importance_optuna.py

It re-runs itself inside a throwaway cluster (`pg_virtualenv -t`), creates the extension, runs a set of
searches (closed-form, SQL and clob_v2 backtest objectives; random and TPE), then for each run loads the
trajectory's ok iterations into an Optuna study with `add_trials` and compares
`optuna.importance.get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))` with
`ptopt_importance(run_id)`: Spearman rank correlation, the largest absolute difference, and whether the
most important parameter is the same.  As a yardstick it also compares Optuna with itself under another
forest seed.  Then it times `ptopt_report(run_id)` on runs of 1,000 and 10,000 iterations.  Writes
bench/out/importance.md and prints it.  Talks to the database through psql (no driver needed).
"""
import json
import os
import platform
import subprocess
import sys
import time

CLUSTER_ENV = "PTOPT_BENCH_IN_CLUSTER"
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")

SYNTH_SQL = """
CREATE OR REPLACE FUNCTION bench_synth(p jsonb) RETURNS float8 LANGUAGE sql AS $$
    SELECT -8 * ((p->>'a')::float8 - 0.3)^2 - 2 * abs((p->>'b')::float8 - 0.5)
           + 0.5 * sin(6 * (p->>'c')::float8) + 0.1 * (p->>'k')::float8
           + CASE p->>'mode' WHEN 'x' THEN 1.0 WHEN 'y' THEN 0.4 ELSE 0 END $$;
CREATE OR REPLACE FUNCTION bench_time(id bigint, reps int, OUT report_ms float8, OUT importance_ms float8,
                                      OUT bytes int) LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    r_ms float8[] := '{}';
    i_ms float8[] := '{}';
BEGIN
    FOR i IN 1 .. reps LOOP
        t0 := clock_timestamp();
        bytes := length(ptopt_report(id));
        r_ms := r_ms || extract(epoch FROM clock_timestamp() - t0)::float8 * 1000;
        t0 := clock_timestamp();
        PERFORM count(*) FROM ptopt_importance(id);
        i_ms := i_ms || extract(epoch FROM clock_timestamp() - t0)::float8 * 1000;
    END LOOP;
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) INTO report_ms FROM unnest(r_ms) x;
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) INTO importance_ms FROM unnest(i_ms) x;
END $$;
"""

SYNTH_SPACE = {
    "a": {"type": "float", "low": 0, "high": 1},
    "b": {"type": "float", "low": 0, "high": 1},
    "c": {"type": "float", "low": 0, "high": 1},
    "k": {"type": "int", "low": 0, "high": 4},
    "noise": {"type": "float", "low": 1, "high": 100, "log": True},
    "mode": {"type": "categorical", "choices": ["x", "y", "z"]},
}
QUAD_SPACE = {
    "p": {"type": "float", "low": -4, "high": 4},
    "q": {"type": "float", "low": 0, "high": 10},
    "r": {"type": "float", "low": 1, "high": 3},
    "s": {"type": "int", "low": -1, "high": 5},
}
CLOB_SPACE = {
    "mm.half_spread_min_ticks": {"type": "int", "low": 1, "high": 10},
    "mm.c_vol": {"type": "float", "low": 0, "high": 5},
    "risk.inventory.q_max_pusd": {"type": "float", "low": 20, "high": 2000, "log": True},
    "mm.base_size_pusd": {"type": "float", "low": 5, "high": 500, "log": True},
    "mm.layers": {"type": "int", "low": 1, "high": 5},
}
# (label, space, strategy, budget, seed, options)
RUNS = [
    ("synthetic random s1", SYNTH_SPACE, "random", 200, 1, {"objective": "bench_synth"}),
    ("synthetic random s2", SYNTH_SPACE, "random", 200, 2, {"objective": "bench_synth"}),
    ("synthetic tpe s1", SYNTH_SPACE, "tpe", 200, 1, {"objective": "bench_synth"}),
    ("synthetic random 500", SYNTH_SPACE, "random", 500, 3, {"objective": "bench_synth"}),
    ("quadratic random s1", QUAD_SPACE, "random", 200, 1, {"objective": "quadratic"}),
    ("quadratic tpe s1", QUAD_SPACE, "tpe", 200, 1, {"objective": "quadratic"}),
    ("clob_v2 random s1", CLOB_SPACE, "random", 80, 1, {}),
    ("clob_v2 random s2", CLOB_SPACE, "random", 80, 2, {}),
    ("clob_v2 tpe s1", CLOB_SPACE, "tpe", 80, 1, {}),
]


def psql(sql, *args):
    """Run SQL through psql and return its unaligned, tuples-only output."""
    cmd = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1"]
    for i, a in enumerate(args):
        cmd += ["-v", f"a{i}={a}"]
    out = subprocess.run(cmd, input=sql, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return out.stdout.strip()


def spearman(a, b):
    """Spearman rank correlation of two equal-length lists (average ranks for ties)."""
    def ranks(v):
        order = sorted(range(len(v)), key=lambda i: v[i])
        r = [0.0] * len(v)
        i = 0
        while i < len(v):
            j = i
            while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for k in range(i, j + 1):
                r[order[k]] = (i + j) / 2.0
            i = j + 1
        return r
    ra, rb = ranks(a), ranks(b)
    n = len(a)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra) ** 0.5
    vb = sum((y - mb) ** 2 for y in rb) ** 0.5
    return cov / (va * vb) if va > 0 and vb > 0 else float("nan")


def distributions(space):
    """Optuna distributions of a ptopt space."""
    import optuna
    d = {}
    for name, s in space.items():
        t = s.get("type", "categorical" if "choices" in s else "float")
        if t == "float":
            d[name] = optuna.distributions.FloatDistribution(s["low"], s["high"], log=s.get("log", False),
                                                             step=s.get("step"))
        elif t == "int":
            d[name] = optuna.distributions.IntDistribution(s["low"], s["high"], log=s.get("log", False),
                                                           step=s.get("step", 1))
        elif t == "bool":
            d[name] = optuna.distributions.CategoricalDistribution([False, True])
        else:
            d[name] = optuna.distributions.CategoricalDistribution(s["choices"])
    return d


def optuna_importance(space, rows, seed):
    """Optuna's fANOVA importances of the given (params, score) rows, and the seconds it took."""
    import optuna
    from optuna.importance import FanovaImportanceEvaluator, get_param_importances
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = distributions(space)
    study = optuna.create_study(direction="maximize")
    study.add_trials([optuna.trial.create_trial(params={k: p[k] for k in dists}, distributions=dists, value=v)
                      for p, v in rows])
    t0 = time.perf_counter()
    imp = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=seed))
    return dict(imp), time.perf_counter() - t0


def machine():
    """One line describing the machine and the software."""
    import optuna
    import sklearn
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    pg = psql("SHOW server_version")
    return (f"{cpu}, {os.cpu_count()} CPUs; Python {platform.python_version()}, Optuna {optuna.__version__}, "
            f"scikit-learn {sklearn.__version__}; PostgreSQL {pg}")


def main():
    if os.environ.get(CLUSTER_ENV) != "1":
        cmd = ["pg_virtualenv", "-t", "-o", "max_worker_processes=16",
               "env", f"{CLUSTER_ENV}=1", sys.executable, os.path.abspath(__file__)] + sys.argv[1:]
        print("# " + " ".join(cmd), file=sys.stderr, flush=True)
        sys.exit(subprocess.run(cmd).returncode)

    psql("CREATE EXTENSION IF NOT EXISTS ptopt;" + SYNTH_SQL)
    lines = ["| run | ok trials | params | Spearman ptopt vs Optuna | max abs. difference | same top parameter "
             "| Spearman Optuna seed 0 vs 1 | ptopt (ms) | Optuna (ms) |",
             "|---|---:|---:|---:|---:|---|---:|---:|---:|"]
    rhos, rhos_self = [], []
    details = []
    for label, space, strategy, budget, seed, options in RUNS:
        opts = dict(options, label=label)
        run_id = psql("SET ptopt.progress_notices = off; SELECT run_id FROM ptopt_run(:'a0'::jsonb, :'a1', "
                      ":'a2'::int, :'a3'::bigint, :'a4'::jsonb)",
                      json.dumps(space), strategy, budget, seed, json.dumps(opts))
        rows = json.loads(psql("SELECT coalesce(json_agg(json_build_array(params, score) ORDER BY iter), '[]') "
                               "FROM ptopt.trajectory WHERE run_id = :'a0' AND status = 'ok' "
                               "AND score IS NOT NULL", run_id))
        t0 = time.perf_counter()
        ours = json.loads(psql("SELECT json_object_agg(param, importance) FROM ptopt_importance(:'a0')", run_id))
        ours_ms = (time.perf_counter() - t0) * 1000
        theirs, secs = optuna_importance(space, rows, 0)
        theirs1, _ = optuna_importance(space, rows, 1)
        names = sorted(space)
        a = [ours[n] for n in names]
        b = [theirs[n] for n in names]
        c = [theirs1[n] for n in names]
        rho, rho_self = spearman(a, b), spearman(b, c)
        rhos.append(rho)
        rhos_self.append(rho_self)
        top_same = max(names, key=lambda n: ours[n]) == max(names, key=lambda n: theirs[n])
        lines.append(f"| {label} | {len(rows)} | {len(names)} | {rho:.3f} | "
                     f"{max(abs(x - y) for x, y in zip(a, b)):.3f} | {'yes' if top_same else 'no'} | "
                     f"{rho_self:.3f} | {ours_ms:.0f} | {secs * 1000:.0f} |")
        details.append(f"- {label}: " + ", ".join(f"{n} {ours[n]:.3f}/{theirs[n]:.3f}" for n in names))
        print(lines[-1], flush=True)
    lines.append(f"| **mean** | | | **{sum(rhos) / len(rhos):.3f}** | | | {sum(rhos_self) / len(rhos_self):.3f} | | |")

    timing = ["| iterations | params | report bytes | ptopt_report (ms, median of 5) | ptopt_importance alone (ms, median of 5) |",
              "|---:|---:|---:|---:|---:|"]
    for n in (1000, 10000):
        run_id = psql("SET ptopt.progress_notices = off; SELECT run_id FROM ptopt_run(:'a0'::jsonb, 'random', "
                      ":'a1'::int, 5, '{\"objective\": \"bench_synth\"}')", json.dumps(SYNTH_SPACE), n)
        ms, imp_ms, size = psql("SELECT report_ms, importance_ms, bytes FROM bench_time(:'a0', 5)",
                                run_id).split("|")
        timing.append(f"| {n:,} | {len(SYNTH_SPACE)} | {int(size):,} | {float(ms):.0f} | {float(imp_ms):.0f} |")
        print(timing[-1], flush=True)

    text = "\n".join([f"Machine: {machine()}.", "", *lines, "", "Importances, ptopt/Optuna:", "", *details, "",
                      *timing, ""])
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "importance.md"), "w") as f:
        f.write(text)
    print()
    print(text)


if __name__ == "__main__":
    main()
