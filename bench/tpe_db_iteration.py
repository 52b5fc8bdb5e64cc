#!/usr/bin/python3
"""Where the in-database time per iteration goes beyond propose + evaluate.

Run inside a throwaway cluster (it does not start one itself):

    pg_virtualenv -t -o max_worker_processes=16 /usr/bin/python3 bench/tpe_db_iteration.py [params] [budget]

Makes the same search twice (objective quadratic over `params` floats in
[-5, 5], TPE, seed 0): once with ptopt_run, which waits inside one SQL
statement, and once with ptopt_start from a connection that is then closed,
the end being polled with short statements.  For each, prints the medians over
iterations n+1..n+20 of propose_ms, elapsed_ms and the step of created_at (the
whole iteration: propose, evaluate, INSERT, UPDATE of the run row, commit).
"""
import json
import statistics
import sys
import time

import psycopg2

WINDOW = 20


def connect():
    c = psycopg2.connect("")
    c.autocommit = True
    c.cursor().execute("SET ptopt.progress_notices = off")
    return c


def window(cur, run_id, n):
    cur.execute("SELECT iter, propose_ms, elapsed_ms, extract(epoch FROM created_at) * 1000.0 "
                "FROM ptopt.trajectory WHERE run_id = %s AND iter BETWEEN %s AND %s ORDER BY iter",
                (run_id, n, n + WINDOW))
    rows = cur.fetchall()
    w = [(r[1], r[2], float(r[3] - rows[i][3])) for i, r in enumerate(rows[1:])]
    return [statistics.median(x[k] for x in w) for k in range(3)]


def main():
    d = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    budget = int(sys.argv[2]) if len(sys.argv) > 2 else 10020
    space = json.dumps({f"x{j}": {"type": "float", "low": -5, "high": 5} for j in range(d)})
    opts = '{"objective": "quadratic"}'
    c = connect()
    cur = c.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS ptopt")
    runs = {}
    t0 = time.time()
    cur.execute("SELECT run_id FROM ptopt_run(%s::jsonb, 'tpe', %s, 0, %s::jsonb)", (space, budget, opts))
    runs["ptopt_run (waits in one statement)"] = (cur.fetchone()[0], time.time() - t0)
    t0 = time.time()
    s = connect()
    s.cursor().execute("SELECT ptopt_start(%s::jsonb, 'tpe', %s, 0, %s::jsonb)", (space, budget, opts))
    s.close()
    cur.execute("SELECT max(run_id) FROM ptopt.runs")
    run_id = cur.fetchone()[0]
    while True:
        cur.execute("SELECT status FROM ptopt.runs WHERE run_id = %s", (run_id,))
        if cur.fetchone()[0] != "running":
            break
        time.sleep(0.5)
    runs["ptopt_start, polled"] = (run_id, time.time() - t0)
    print(f"| how the run is waited for | trials in history | propose_ms | elapsed_ms | "
          f"iteration incl. INSERT + UPDATE + commit |")
    print("|---|---:|---:|---:|---:|")
    for label, (run_id, secs) in runs.items():
        for n in (100, 1000, 5000, 10000):
            if n + WINDOW <= budget:
                m = window(cur, run_id, n)
                print(f"| {label} | {n:,} | {m[0]:.3f} | {m[1]:.3f} | {m[2]:.3f} |")
    for label, (run_id, secs) in runs.items():
        print(f"- {label}: run {run_id}, {d} params, {budget:,} iterations, {secs:.1f} s")


if __name__ == "__main__":
    main()
