#!/usr/bin/env bash
# Every test of ptopt: C unit tests, pg_regress in a throwaway cluster, then the TAP tests.
# Ends with one line "N passed, N failed" and exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
log_dir=$(mktemp -d /tmp/ptopt-test.XXXXXX)
chmod 755 "$log_dir"

# Add the ok / not ok lines of a TAP stream to the totals.
count_tap() {
	local ok notok
	ok=$(grep -cE '^ok ' "$1" || true)
	notok=$(grep -cE '^not ok' "$1" || true)
	passed=$((passed + ok))
	failed=$((failed + notok))
}

echo "== C unit tests"
if make -s -C test all >"$log_dir/unit-build.log" 2>&1; then
	make -s -C test run >"$log_dir/unit.log" 2>&1
	grep -E '^(not ok|# build/)' "$log_dir/unit.log" | sed 's/^/  /'
	count_tap "$log_dir/unit.log"
	echo "  $(grep -cE '^ok ' "$log_dir/unit.log") assertions passed"
else
	cat "$log_dir/unit-build.log"
	echo "  unit tests did not build"
	failed=$((failed + 1))
fi

echo "== pg_regress (make installcheck in a throwaway cluster)"
pg_virtualenv -t -o max_worker_processes=16 make -s installcheck >"$log_dir/regress.log" 2>&1
grep -E '^(test |     |ok |not ok)| \.\.\. ' "$log_dir/regress.log" | sed 's/^/  /'
if grep -qE 'All [0-9]+ tests passed' "$log_dir/regress.log"; then
	n=$(grep -oE 'All [0-9]+ tests passed' "$log_dir/regress.log" | grep -oE '[0-9]+')
	passed=$((passed + n))
elif grep -qE '[0-9]+ of [0-9]+ tests failed' "$log_dir/regress.log"; then
	read -r bad total < <(grep -oE '[0-9]+ of [0-9]+ tests failed' "$log_dir/regress.log" | grep -oE '[0-9]+' | tr '\n' ' ')
	failed=$((failed + bad))
	passed=$((passed + total - bad))
	[ -f regression.diffs ] && head -100 regression.diffs
else
	tail -30 "$log_dir/regress.log"
	echo "  pg_regress did not run"
	failed=$((failed + 1))
fi

echo "== TAP tests (PostgreSQL::Test::Cluster, as user postgres)"
pgbin=$(pg_config --bindir)
pgxs_dir=$(dirname "$(dirname "$(dirname "$(pg_config --pgxs)")")")
for t in t/*.pl; do
	[ -e "$t" ] || continue
	# The tests run as user postgres from a copy of t/, so the checkout may be anywhere
	# (a clone in /root is not readable by postgres).
	tapdir=$(mktemp -d /tmp/ptopt-tap.XXXXXX)
	cp -r t "$tapdir/t"
	chown -R postgres "$tapdir"
	out="$log_dir/$(basename "$t").log"
	runuser -u postgres -- env -C "$tapdir" PATH="$pgbin:$PATH" TESTDIR="$tapdir" \
		PG_REGRESS="$pgxs_dir/src/test/regress/pg_regress" \
		perl -I "$pgxs_dir/src/test/perl" -I t "$t" >"$out" 2>&1
	rc=$?
	count_tap "$out"
	if [ $rc -ne 0 ] && ! grep -qE '^not ok' "$out"; then
		echo "  $t exited with status $rc"
		tail -20 "$out" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
	echo "  $t: $(grep -cE '^ok ' "$out") ok, $(grep -cE '^not ok' "$out") not ok"
	grep -E '^not ok' "$out" | sed 's/^/    /'
	rm -rf "$tapdir"
done

echo "== Browser (headless Chromium opens a run report and a comparison report)"
out="$log_dir/browser.log"
PTOPT_BROWSER_OUT="$log_dir/browser" test/browser/run.sh >"$out" 2>&1
rc=$?
count_tap "$out"
if [ $rc -ne 0 ] && ! grep -qE '^not ok' "$out"; then
	echo "  test/browser/run.sh exited with status $rc"
	tail -20 "$out" | sed 's/^/    /'
	failed=$((failed + 1))
fi
echo "  test/browser: $(grep -cE '^ok ' "$out") ok, $(grep -cE '^not ok' "$out") not ok"
grep -E '^not ok' "$out" | sed 's/^/    /'

echo "logs: $log_dir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
