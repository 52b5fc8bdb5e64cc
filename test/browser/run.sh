#!/usr/bin/env bash
# The browser test: builds a run report and a comparison report in a throwaway cluster, then opens them
# in headless Chromium (report_check.js) and prints TAP lines.  Needs the extension installed, chromium, node.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${PTOPT_BROWSER_OUT:-$(mktemp -d /tmp/ptopt-browser.XXXXXX)}
mkdir -p "$out"
chmod 777 "$out"
pg_virtualenv -t -o max_worker_processes=16 \
	psql -X -q -At -v ON_ERROR_STOP=1 -v out="$out" -f test/browser/reports.sql >/dev/null
node test/browser/report_check.js "$out"
