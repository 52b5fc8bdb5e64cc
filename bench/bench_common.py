"""What the Python benches share: the CLOB search space they compare on, and re-running a script
inside a throwaway cluster (pg_virtualenv -t) unless it already runs in one."""
import os
import subprocess
import sys

# The five mm.* parameters every CLOB comparison searches (BENCHMARKS.md).
CLOB_SPACE = {
    "mm.half_spread_min_ticks": {"type": "int", "low": 1, "high": 5},
    "mm.c_vol": {"type": "float", "low": 0, "high": 2},
    "mm.gamma_skew": {"type": "float", "low": 0, "high": 2},
    "mm.base_size_pusd": {"type": "float", "low": 5, "high": 500, "log": True},
    "mm.layers": {"type": "int", "low": 1, "high": 5},
}
CLUSTER_ENV = "PTOPT_BENCH_IN_CLUSTER"


def in_cluster(script, default_port):
    """Re-run script (with this process's arguments) in a throwaway cluster on PTOPT_BENCH_PORT, else
    default_port, with max_worker_processes=40; return at once when already inside one."""
    if os.environ.get(CLUSTER_ENV) == "1":
        return
    port = os.environ.get("PTOPT_BENCH_PORT", default_port)
    cmd = ["pg_virtualenv", "-t", "-p", port, "-o", "max_worker_processes=40",
           "env", f"{CLUSTER_ENV}=1", sys.executable, os.path.abspath(script)] + sys.argv[1:]
    print("# " + " ".join(cmd), file=sys.stderr, flush=True)
    sys.exit(subprocess.run(cmd).returncode)
