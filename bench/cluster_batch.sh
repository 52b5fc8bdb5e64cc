#!/usr/bin/env bash
# Wall time of a clustered run with options.workers = 1 (one trial at a time) against
# options.workers = 3 (each batch split across the three nodes at once): 30 trials of an
# objective that sleeps 50 ms, on a cluster of three nodes that are three databases of
# this same server over TCP loopback.  Installs ptopt; needs postgresql-15-plproxy; run as root:
#     flock /tmp/ptopt-pg.lock bench/cluster_batch.sh
set -euo pipefail
cd "$(dirname "$0")/.."
make -s install >/dev/null
pg_virtualenv -t -o max_worker_processes=16 sh -c \
	'psql -X -q -v ON_ERROR_STOP=1 -v user="$PGUSER" -v password="$PGPASSWORD" -v port="$PGPORT" -f bench/cluster_batch.sql'
