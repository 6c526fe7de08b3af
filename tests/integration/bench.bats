#!/usr/bin/env bats
# contrib/bench (`make bench`) still works: one quick run (a few rounds, a few
# seconds).  No timing is asserted: only that every metric has a husk value and
# that the table, the CSV and the chart are written.

load ../../bats/helpers

setup() {
	common_setup
}

teardown() {
	common_teardown
}

@test "bench: a quick run writes the table, the CSV and the chart with every metric" {
	requires root husk
	run env HUSK="$(command -v "$HUSK")" BUILD="$TESTDIR/build" "$REPO/contrib/bench/bench.sh" --quick --out "$TESTDIR/out"
	echo "$output"
	[ "$status" -eq 0 ]
	# 13 metrics, each with a husk median (min–max).
	[ "$(grep -c '^| ' "$TESTDIR/out/bench.txt")" -eq 14 ]
	[ "$(grep -cE '^\| [^|]+ \| [^|]+ \| [0-9.]+ \([0-9.]+–[0-9.]+\) \|' "$TESTDIR/out/bench.txt")" -eq 13 ]
	for m in run run-warm create start delete state exec list rss memlimit throughput-1 throughput-2 size; do
		grep -q "^$m,[^,]*,husk,[0-9]" "$TESTDIR/out/bench.csv"
	done
	# The floors of run, create (floor -c) and exec (floor -e).
	for m in run create exec; do
		grep -q "^$m,ms,floor,[0-9]" "$TESTDIR/out/bench.csv"
	done
	if command -v gnuplot >/dev/null; then
		[ -s "$TESTDIR/out/bench.png" ] && grep -q '<svg' "$TESTDIR/out/bench.svg"
	fi
	# Nothing left behind: no container of the bench's, no cgroup of its floor.
	[ -z "$(ls -d /sys/fs/cgroup/*/husk-bench-* /sys/fs/cgroup/memory/husk-bench-mem/* 2>/dev/null)" ]
	[ -z "$(ls -d /tmp/husk-bench.* 2>/dev/null)" ]
}
