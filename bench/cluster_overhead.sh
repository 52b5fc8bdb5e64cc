#!/usr/bin/env bash
# Per-trial overhead of evaluating through a PL/Proxy cluster (options.cluster) against a local run:
# the same 500-trial random search on the quadratic objective (microseconds to evaluate), once
# evaluated in the run's worker, once through a one-partition cluster whose node is this same
# server over TCP loopback.  Installs ptopt; needs postgresql-15-plproxy; run as root:
#     flock /tmp/ptopt-pg.lock bench/cluster_overhead.sh
set -euo pipefail
cd "$(dirname "$0")/.."
make -s install >/dev/null
pg_virtualenv -t -o max_worker_processes=16 sh -c \
	'psql -X -q -v ON_ERROR_STOP=1 -v user="$PGUSER" -v password="$PGPASSWORD" -v port="$PGPORT" -f bench/cluster_overhead.sql'
