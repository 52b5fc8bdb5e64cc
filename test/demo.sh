#!/usr/bin/env bash
# make demo: a real search on the built-in backtest in a throwaway cluster, its trajectory, and its HTML
# report written to a file (PTOPT_DEMO_REPORT, default ./ptopt-demo-report.html) whose path it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
report=${PTOPT_DEMO_REPORT:-$PWD/ptopt-demo-report.html}
pg_virtualenv -t psql -X -v ON_ERROR_STOP=1 -v report="$report" -f test/demo.sql
echo "The demo run's HTML report: $report"
