#!/usr/bin/env python3
"""llm_quality.py -- llm, llm_tpe, tpe and random on the CLOB backtest at equal budgets.

Needs a database with ptopt installed, a superuser's ptopt.llm_endpoint (and
ptopt.llm_provider, ptopt.llm_model, ptopt.llm_api_key_file) pointing at a real
model, and a caller in ptopt_llm_user.  It runs ptopt_compare (same objective,
same seeds per repeat) and prints its table plus tokens spent.  Without an
endpoint it says so and exits 2: it never reports figures it did not measure.
The stand-in (test/llm_stub) is a test double, not a model: pointing this at it
measures nothing about language models, and the script refuses a model named
"stub*".

  /usr/bin/python3 bench/llm_quality.py --dsn "dbname=postgres" --budget 30 --repeats 3
"""
import argparse
import subprocess
import sys


def psql(dsn, sql):
    """Run SQL with psql; return the unaligned rows."""
    out = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-F", "\t", "-d", dsn, "-c", sql],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("psql failed: " + out.stderr.strip())
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def main():
    """Check the endpoint, run the comparison, print it."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dsn", default="dbname=postgres")
    ap.add_argument("--budget", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--space", default=None, help="search space JSON (default: ptopt_default_space())")
    args = ap.parse_args()

    psql(args.dsn, "LOAD 'ptopt'")
    endpoint = psql(args.dsn, "LOAD 'ptopt'; SELECT current_setting('ptopt.llm_endpoint')")
    model = psql(args.dsn, "LOAD 'ptopt'; SELECT current_setting('ptopt.llm_model')")
    endpoint = endpoint[0][0] if endpoint and endpoint[0] else ""
    model = model[0][0] if model and model[0] else ""
    if not endpoint:
        print("No LLM endpoint is configured (ptopt.llm_endpoint is empty): nothing was measured.")
        return 2
    if model.startswith("stub"):
        print("ptopt.llm_model is the stand-in (%s), a test double: nothing about models would be measured." % model)
        return 2
    space = "'%s'::jsonb" % args.space.replace("'", "''") if args.space else "ptopt_default_space()"
    rows = psql(args.dsn, """
        SET ptopt.progress_notices = off;
        SELECT c.strategy, c.runs, round(c.best_mean::numeric, 4), round(c.best_sd::numeric, 4),
               round(c.best_max::numeric, 4), c.reached, round(c.iters_to_95::numeric, 1),
               round(c.ms_per_iter::numeric, 1),
               (SELECT sum(t.tokens_in) || '/' || sum(t.tokens_out) FROM ptopt.trajectory t
                 WHERE t.run_id = ANY (c.run_ids))
          FROM ptopt_compare(%s, ARRAY['llm', 'llm_tpe', 'tpe', 'random'], %d, %d,
                             '{"label": "llm_quality"}') c""" % (space, args.budget, args.repeats))
    print("model %s at %s; budget %d, %d repeats (seeds 1..%d), CLOB backtest"
          % (model, endpoint, args.budget, args.repeats, args.repeats))
    print("%-8s %4s %9s %8s %9s %7s %8s %9s %s" % ("strategy", "runs", "best_mean", "best_sd", "best_max",
                                                   "reached", "iters95", "ms/iter", "tokens in/out"))
    for r in rows:
        print("%-8s %4s %9s %8s %9s %7s %8s %9s %s" % tuple(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
