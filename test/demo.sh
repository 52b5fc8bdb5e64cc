#!/usr/bin/env bash
# make demo: a real search on the built-in backtest in a throwaway cluster, and its trajectory.
set -euo pipefail
cd "$(dirname "$0")/.."
pg_virtualenv -t psql -X -v ON_ERROR_STOP=1 -f test/demo.sql
test/demo_llm.sh
