#!/usr/bin/python3
"""ptopt's TPE against Optuna 3.1: speed and quality, both measured in this run.

    make -C bench tpe                       # builds bench/build/tpe_speed, tpe_quality
    /usr/bin/python3 bench/tpe_bench.py     # speed, then quality (a few minutes at most)
    /usr/bin/python3 bench/tpe_bench.py speed
    /usr/bin/python3 bench/tpe_bench.py quality [n_seeds] [budget]   # default 50 seeds, 200 trials
    /usr/bin/python3 bench/tpe_bench.py clob [n_seeds] [budget]      # CLOB backtest, default 20, 200

Prints markdown tables (the "## TPE" section of BENCHMARKS.md is made of them)
and writes bench/out/tpe_bench.md and bench/out/tpe_bench.json (clob: bench/out/tpe_clob.md, .json).

"all", "speed" and "clob" need PostgreSQL: the script starts a throwaway
cluster itself (it re-runs itself under `pg_virtualenv -t -o
max_worker_processes=16`, as root, with the installed ptopt extension) and
creates the extension there.  "quality" needs no database.

Speed columns are a list (SPEED_COLUMNS): each entry is a label and a function
(params, trials) -> milliseconds per suggestion; the cases are measured
one after another with every column within a case.  The in-database column
makes one real ptopt_run per parameter count (objective quadratic, budget
10,020) the first time it is asked, and reads propose_ms of the iterations
n+1..n+20 from ptopt.trajectory for each history size n.  The Optuna-on-
PostgreSQL column gives Optuna an RDBStorage on the same throwaway cluster
(postgresql+psycopg2) and is wall time (the server does part of the work).
"""
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import optuna  # noqa: E402
import numpy  # noqa: E402

import optuna_quality  # noqa: E402
import optuna_speed  # noqa: E402

try:
    import psycopg2  # noqa: E402  (Debian: python3-psycopg2)
except ImportError:  # "quality" runs without it
    psycopg2 = None

BUILD = os.path.join(HERE, "build")
CLUSTER_ENV = "PTOPT_BENCH_IN_CLUSTER"
DB_WINDOW = 20          # propose_ms of iterations n+1 .. n+DB_WINDOW
# Optuna on PostgreSQL storage is measured up to this history (10,000 takes
# some minutes to build: every trial is its own INSERTs); PTOPT_BENCH_RDB_MAX.
RDB_MAX_TRIALS = int(os.environ.get("PTOPT_BENCH_RDB_MAX", "10000"))
OUT = os.path.join(HERE, "out")
CHECKPOINTS = (25, 50, 100, 200)
SPEED_MIN_SECONDS = 1.0


# ---------------------------------------------------------------- speed

def speed_ptopt_c(d, n):
    """ptopt's tpe strategy called directly by a C harness (bench/tpe_speed.c)."""
    out = subprocess.run([os.path.join(BUILD, "tpe_speed"), str(SPEED_MIN_SECONDS), "{}",
                          str(d), str(n)], check=True, capture_output=True, text=True).stdout
    return float(out.split("\t")[3])


def speed_optuna_memory(d, n):
    """Optuna 3.1 TPESampler, in-memory storage (bench/optuna_speed.py)."""
    return optuna_speed.measure_case(d, n, SPEED_MIN_SECONDS)


# ---- in the database (needs the throwaway cluster: see in_cluster())

_db = None


def db():
    """The connection to the throwaway cluster (autocommit), ptopt created once."""
    global _db
    if _db is None:
        _db = psycopg2.connect("")
        _db.autocommit = True
        with _db.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS ptopt")
            cur.execute("SET ptopt.progress_notices = off")
    return _db


def db_url():
    """SQLAlchemy URL of the same cluster, for Optuna's RDBStorage."""
    e = os.environ
    return (f"postgresql+psycopg2://{e['PGUSER']}:{e['PGPASSWORD']}@{e.get('PGHOST', 'localhost')}"
            f":{e['PGPORT']}/{e.get('PGDATABASE', e['PGUSER'])}")


_db_runs = {}   # params -> {"run_id", "seconds", "rows": [(iter, propose_ms, elapsed_ms, created_ms)]}


def db_run(d):
    """One real ptopt_run over d floats in [-5, 5], objective quadratic, to
    max(TRIALS) + DB_WINDOW iterations; made once per d, then read."""
    if d not in _db_runs:
        space = {f"x{j}": {"type": "float", "low": -5, "high": 5} for j in range(d)}
        budget = max(optuna_speed.TRIALS) + DB_WINDOW
        with db().cursor() as cur:
            t0 = time.time()
            cur.execute("SELECT run_id, status, iterations FROM ptopt_run(%s::jsonb, 'tpe', %s, 0, "
                        "'{\"objective\": \"quadratic\"}')", (json.dumps(space), budget))
            run_id, status, iters = cur.fetchone()
            seconds = time.time() - t0
            if status != "done" or iters != budget:
                raise RuntimeError(f"ptopt_run {run_id}: {status}, {iters} iterations")
            cur.execute("SELECT iter, propose_ms, elapsed_ms, "
                        "extract(epoch FROM created_at) * 1000.0 FROM ptopt.trajectory "
                        "WHERE run_id = %s ORDER BY iter", (run_id,))
            rows = cur.fetchall()
        print(f"# ptopt_run {run_id}: {d} params, {budget} iterations in {seconds:.1f} s",
              file=sys.stderr, flush=True)
        _db_runs[d] = {"run_id": run_id, "seconds": seconds, "rows": rows}
    return _db_runs[d]


def db_window(d, n):
    """Rows of iterations n+1 .. n+DB_WINDOW, each with the step of created_at
    from the previous iteration (the whole iteration: propose, evaluate,
    INSERT and commit, as the worker does them)."""
    rows = db_run(d)["rows"]
    assert rows[n][0] == n + 1
    return [(r[1], r[2], float(r[3] - rows[n + i - 1][3]))
            for i, r in enumerate(rows[n:n + DB_WINDOW])]


def speed_ptopt_db(d, n):
    """ptopt in the database: median propose_ms (wall time, measured inside the
    background worker) of the iterations n+1..n+20 of a real ptopt_run."""
    return statistics.median(r[0] for r in db_window(d, n))


def speed_optuna_pg(d, n):
    """Optuna 3.1 TPESampler, RDBStorage on the same PostgreSQL cluster (wall
    time; one untimed warm-up suggestion fills Optuna's trial cache first)."""
    if n > RDB_MAX_TRIALS:
        return None
    t0 = time.time()
    ms = optuna_speed.measure_case(d, n, SPEED_MIN_SECONDS, storage=db_url(),
                                   clock=time.perf_counter, warmup=1)
    print(f"# Optuna on PostgreSQL: {d} params, {n} trials: {ms:.2f} ms, case took "
          f"{time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    return ms


# Each column: a label and a function (params, trials) -> ms per suggestion
# (None: not measured).
SPEED_COLUMNS = [
    ("ptopt, C strategy in memory, CPU", speed_ptopt_c),
    ("ptopt in the database, propose_ms (wall)", speed_ptopt_db),
    ("Optuna 3.1, in memory, CPU", speed_optuna_memory),
    ("Optuna 3.1, PostgreSQL storage (wall)", speed_optuna_pg),
]
# (numerator, denominator, heading)
RATIOS = [
    ("Optuna 3.1, in memory, CPU", "ptopt, C strategy in memory, CPU", "Optuna mem / ptopt C"),
    ("Optuna 3.1, in memory, CPU", "ptopt in the database, propose_ms (wall)",
     "Optuna mem / ptopt DB"),
    ("Optuna 3.1, PostgreSQL storage (wall)", "ptopt in the database, propose_ms (wall)",
     "Optuna PG / ptopt DB"),
]
SPEED_CASES = [(d, n) for d in optuna_speed.DIMS for n in optuna_speed.TRIALS]


def _ms(v):
    return "not measured" if v is None else f"{v:.3f}"


def run_speed():
    """Every case, the columns one after the other within the case (interleaved)."""
    results = {label: {} for label, _ in SPEED_COLUMNS}
    t0 = time.time()
    for d, n in SPEED_CASES:
        for label, func in SPEED_COLUMNS:
            results[label][(d, n)] = func(d, n)
    print(f"# speed: measured in {time.time() - t0:.1f} s", file=sys.stderr)
    keys = SPEED_CASES
    lines = ["| params | trials in history | " + " | ".join(f"{l} (ms)" for l, _ in SPEED_COLUMNS)
             + " | " + " | ".join(h for _, _, h in RATIOS) + " |",
             "|---:|---:|" + "---:|" * (len(SPEED_COLUMNS) + len(RATIOS))]
    for d, n in keys:
        cells = [_ms(results[l][(d, n)]) for l, _ in SPEED_COLUMNS]
        for a, b, _ in RATIOS:
            va, vb = results[a][(d, n)], results[b][(d, n)]
            cells.append("not measured" if va is None or vb is None else f"{va / vb:.0f}x")
        lines.append(f"| {d} | {n:,} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Growth of the time per suggestion with history (×10 trials each step):")
    lines.append("")
    lines.append("| column | params | 100 → 1,000 | 1,000 → 10,000 |")
    lines.append("|---|---:|---:|---:|")

    def growth(r, d, a, b):
        return "not measured" if r[(d, a)] is None or r[(d, b)] is None \
            else f"{r[(d, b)] / r[(d, a)]:.1f}x"
    for label, _ in SPEED_COLUMNS:
        for d in optuna_speed.DIMS:
            r = results[label]
            lines.append(f"| {label} | {d} | {growth(r, d, 100, 1000)} | {growth(r, d, 1000, 10000)} |")
    record = {l: {f"{d}x{n}": v for (d, n), v in r.items()} for l, r in results.items()}

    # End to end in the database, from the same runs.
    lines.append("")
    lines.append("In the database, whole iterations of the same runs (median over iterations "
                 f"n+1..n+{DB_WINDOW}; ms):")
    lines.append("")
    lines.append("| params | trials in history | propose_ms | elapsed_ms (propose + evaluate) "
                 "| iteration incl. INSERT + commit (step of created_at) |")
    lines.append("|---:|---:|---:|---:|---:|")
    e2e = {}
    for d, n in keys:
        w = db_window(d, n)
        med = [statistics.median(r[k] for r in w) for k in range(3)]
        e2e[f"{d}x{n}"] = dict(zip(("propose_ms", "elapsed_ms", "iteration_ms"), med))
        lines.append(f"| {d} | {n:,} | {med[0]:.3f} | {med[1]:.3f} | {med[2]:.3f} |")
    lines.append("")
    for d in optuna_speed.DIMS:
        run = db_run(d)
        lines.append(f"- ptopt_run of {d} params, {len(run['rows']):,} iterations (run_id "
                     f"{run['run_id']}): {run['seconds']:.1f} s wall from the client.")
    record["db_iterations"] = e2e
    record["db_runs"] = {str(d): {"run_id": r["run_id"], "seconds": r["seconds"],
                                  "iterations": len(r["rows"])} for d, r in _db_runs.items()}
    return "\n".join(lines), record


# ---------------------------------------------------------------- statistics

def _ranks(values):
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    ties = []
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2.0 + 1.0
        ties.append(j - i + 1)
        i = j + 1
    return ranks, ties


def mann_whitney(x, y, alternative="two-sided"):
    """Mann-Whitney U with tie correction and continuity correction (normal
    approximation, as scipy.stats.mannwhitneyu(method="asymptotic")).
    alternative "less": x tends to be smaller than y.  Returns (U of x, p)."""
    n1, n2 = len(x), len(y)
    ranks, ties = _ranks(list(x) + list(y))
    u1 = sum(ranks[:n1]) - n1 * (n1 + 1) / 2.0
    n = n1 + n2
    tie_term = sum(t ** 3 - t for t in ties)
    sigma = math.sqrt(n1 * n2 / 12.0 * ((n + 1) - tie_term / (n * (n - 1))))
    mu = n1 * n2 / 2.0
    if sigma == 0:
        return u1, 1.0
    if alternative == "two-sided":
        z = (abs(u1 - mu) - 0.5) / sigma
        p = math.erfc(z / math.sqrt(2.0))
    else:  # less
        z = (u1 - mu + 0.5) / sigma
        p = 0.5 * math.erfc(-z / math.sqrt(2.0))
    return u1, min(1.0, max(0.0, p))


# ---------------------------------------------------------------- quality

def run_quality(n_seeds=50, budget=200):
    t0 = time.time()
    out = subprocess.run([os.path.join(BUILD, "tpe_quality"), str(n_seeds), str(budget)],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    t_ptopt = time.time() - t0
    t0 = time.time()
    out += optuna_quality.measure(n_seeds, budget)
    t_optuna = time.time() - t0
    print(f"# quality: ptopt {t_ptopt:.1f} s, Optuna {t_optuna:.1f} s", file=sys.stderr)

    regrets = {}  # (system, strategy, objective) -> list of per-seed lists by checkpoint
    for line in out:
        f = line.split("\t")
        system, strategy, objective = f[0], f[1], f[2]
        system = "ptopt" if system.startswith("ptopt") else "optuna"
        regrets.setdefault((system, strategy, objective), []).append([float(v) for v in f[4:]])
    budgets = [c for c in CHECKPOINTS if c <= budget]
    groups = [("ptopt", "random"), ("ptopt", "tpe"), ("optuna", "random"), ("optuna", "tpe")]
    names = {("ptopt", "random"): "ptopt random", ("ptopt", "tpe"): "ptopt TPE",
             ("optuna", "random"): "Optuna random", ("optuna", "tpe"): "Optuna TPE"}
    lines = []
    record = {}
    for objective in ("branin", "quadratic"):
        lines.append(f"**{objective}** — simple regret (best f − f*), mean / median over "
                     f"{n_seeds} seeds; p-values of Mann-Whitney U on the per-seed regrets")
        lines.append("")
        lines.append("| trials | " + " | ".join(names[g] for g in groups)
                     + " | ptopt TPE vs Optuna TPE (two-sided p) "
                     + "| ptopt TPE < ptopt random (p) | Optuna TPE < Optuna random (p) |")
        lines.append("|---:|" + "---:|" * (len(groups) + 3))
        for bi, b in enumerate(budgets):
            col = {g: [r[bi] for r in regrets[(g[0], g[1], objective)]] for g in groups}
            cells = [f"{statistics.mean(col[g]):.4g} / {statistics.median(col[g]):.4g}"
                     for g in groups]
            _, p_same = mann_whitney(col[("ptopt", "tpe")], col[("optuna", "tpe")])
            _, p_pr = mann_whitney(col[("ptopt", "tpe")], col[("ptopt", "random")], "less")
            _, p_or = mann_whitney(col[("optuna", "tpe")], col[("optuna", "random")], "less")
            lines.append(f"| {b} | " + " | ".join(cells)
                         + f" | {p_same:.3f} | {p_pr:.2g} | {p_or:.2g} |")
            record[f"{objective}@{b}"] = {
                "mean": {names[g]: statistics.mean(col[g]) for g in groups},
                "median": {names[g]: statistics.median(col[g]) for g in groups},
                "p_ptopt_tpe_vs_optuna_tpe": p_same,
                "p_ptopt_tpe_below_random": p_pr,
                "p_optuna_tpe_below_random": p_or,
            }
        lines.append("")
    return "\n".join(lines), record


def machine():
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    gcc = subprocess.run(["gcc", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    return (f"{cpu}, {os.cpu_count()} CPUs; Python {platform.python_version()}, Optuna "
            f"{optuna.__version__}, numpy {numpy.__version__}; {gcc}, -O2")


def in_cluster(argv):
    """Re-run this script inside a throwaway cluster unless already in one."""
    if os.environ.get(CLUSTER_ENV) == "1":
        return
    if psycopg2 is None:
        sys.exit("psycopg2 is missing: apt-get install -y python3-psycopg2")
    cmd = ["pg_virtualenv", "-t", "-o", "max_worker_processes=16",
           "env", f"{CLUSTER_ENV}=1", sys.executable, os.path.abspath(__file__)] + argv[1:]
    print("# " + " ".join(cmd), file=sys.stderr, flush=True)
    sys.exit(subprocess.run(cmd).returncode)


def main(argv):
    what = argv[1] if len(argv) > 1 else "all"
    if what in ("all", "speed", "clob"):
        in_cluster(argv)
    if what == "clob":
        import clob_quality
        os.makedirs(OUT, exist_ok=True)
        n_seeds = int(argv[2]) if len(argv) > 2 else 20
        budget = int(argv[3]) if len(argv) > 3 else 200
        return clob_quality.main(n_seeds, budget, machine(), mann_whitney, OUT)
    n_seeds = int(argv[2]) if len(argv) > 2 else 50
    budget = int(argv[3]) if len(argv) > 3 else 200
    os.makedirs(OUT, exist_ok=True)
    md = [f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine()}.", ""]
    data = {"machine": machine()}
    if what in ("all", "speed"):
        text, data["speed_ms_per_suggestion"] = run_speed()
        md += ["### Speed: time per suggestion", "", text, ""]
    if what in ("all", "quality"):
        text, data["quality"] = run_quality(n_seeds, budget)
        md += ["### Quality: regret by budget", "", text]
    text = "\n".join(md)
    print(text)
    with open(os.path.join(OUT, "tpe_bench.md"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(OUT, "tpe_bench.json"), "w") as f:
        json.dump(data, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
