#!/bin/bash
# Run every test: the C unit tests (build/unit/*, TAP), then the bats
# integration tests (TAP).  The TAP is printed as it goes; the last line is
# "N passed, N failed".  Skipped tests count as passed (their number is printed
# on the line before).  Exit status is non-zero when anything failed.
#
#   HUSK_UNIT_ONLY=1 tests/run-all.sh   only the unit tests
#   HUSK=runc tests/run-all.sh          the integration tests against runc
#   HUSK_SKIP_VM=1 tests/run-all.sh     without the VMs: the cgroup v2 one (tests/vm/run.sh)
#                                       and the systemd one (tests/vm/systemd-run.sh)
set -u
cd "$(dirname "$0")/.." || exit 1
exec </dev/null

BUILD=${BUILD:-build}
# The glibc build beside the default static one (make check builds it): the
# LD_PRELOAD attack of security-exe.bats needs a dynamically linked husk.
if [ -z "${HUSK_GLIBC:-}" ] && [ -x "$BUILD/glibc/husk" ]; then
	export HUSK_GLIBC=$PWD/$BUILD/glibc/husk
fi
PER_FILE_TIMEOUT=${HUSK_TEST_TIMEOUT:-600}
passed=0 failed=0 skipped=0

# count_tap FILE: add FILE's ok / not ok / # skip lines to the totals.
count_tap() {
	local ok notok skip
	ok=$(grep -c '^ok ' "$1")
	notok=$(grep -c '^not ok ' "$1")
	skip=$(grep -Eic '^ok .*# skip' "$1")
	passed=$((passed + ok))
	failed=$((failed + notok))
	skipped=$((skipped + skip))
}

tap=$(mktemp)
trap 'rm -f "$tap"' EXIT

# What differs in the source tree from git's files, before the tests: a test
# may add or change nothing there (conmon once wrote an `oom` file into its
# cwd, the top of the tree).  build/ and the other ignored paths do not count.
tree_extra() { git status --porcelain --untracked-files=all 2>/dev/null | sort; }
extra_before=$(tree_extra)
# The host's cgroups, three levels deep (/sys/fs/cgroup/memory/husk/<id>): a
# test may leave none behind, as a husk command may not.
cgroup_dirs() { find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d 2>/dev/null | sort; }
cgroups_before=$(cgroup_dirs)

# run_tap NAME CMD...: run CMD with a timeout, echo its output, count its TAP.
# A runner that dies (non-zero, or killed by the timeout) without reporting a
# failure counts as one failure, so a crash cannot look green.
run_tap() {
	local name=$1 rc=0 before=$failed
	shift
	echo "# $name"
	timeout --kill-after=10 "$PER_FILE_TIMEOUT" "$@" 2>&1 | tee "$tap"
	rc=${PIPESTATUS[0]}
	count_tap "$tap"
	if [ "$rc" -ne 0 ] && [ "$failed" -eq "$before" ]; then
		[ "$rc" -eq 124 ] && echo "not ok - $name timed out after ${PER_FILE_TIMEOUT}s" ||
			echo "not ok - $name exited with status $rc"
		failed=$((failed + 1))
	fi
}

shopt -s nullglob
for t in "$BUILD"/unit/*; do
	if [ ! -f "$t" ] || [ ! -x "$t" ]; then continue; fi
	run_tap "unit: $(basename "$t")" "$t"
done

if [ -z "${HUSK_UNIT_ONLY:-}" ]; then
	if ! command -v bats >/dev/null; then
		echo "not ok - bats is not installed (apt-get install bats)"
		failed=$((failed + 1))
	else
		# HUSK_BATS: a subset of the files (check-asan runs a few).
		for f in ${HUSK_BATS:-tests/integration/*.bats}; do
			run_tap "integration: $(basename "$f")" bats --tap "$f"
		done
	fi
	if [ -n "${HUSK_SKIP_VM:-}" ]; then
		echo "# HUSK_SKIP_VM is set: the VM tests (tests/vm/run.sh, tests/vm/systemd-run.sh) did not run"
	else
		# run.sh times itself out first (HUSK_VM_TIMEOUT) and says where it was.
		PER_FILE_TIMEOUT=$((${HUSK_VM_TIMEOUT:-900} + 60)) run_tap "cgroup v2 VM: tests/vm/run.sh" tests/vm/run.sh
		# systemd as PID 1 on pure cgroup v2; its first run builds the image
		# (debootstrap) within HUSK_VM_IMAGE_TIMEOUT.
		PER_FILE_TIMEOUT=$((${HUSK_VM_TIMEOUT:-1200} + ${HUSK_VM_IMAGE_TIMEOUT:-1800} + 60)) \
			run_tap "systemd VM: tests/vm/systemd-run.sh" tests/vm/systemd-run.sh
	fi
fi

# report_left WHAT-NOT-OK WHAT-OK LEFT: one result line for what the tests
# left behind (LEFT, one item a line; empty when nothing).
report_left() {
	if [ -n "$3" ]; then
		echo "not ok - the tests $1:"
		echo "$3" | sed 's/^/#   /'
		failed=$((failed + 1))
	else
		echo "ok - the tests $2"
		passed=$((passed + 1))
	fi
}
report_left "added or changed files in the source tree" "left no file in the source tree" \
	"$(comm -13 <(echo "$extra_before") <(tree_extra))"
report_left "left cgroups behind" "left no cgroup behind" \
	"$(comm -13 <(echo "$cgroups_before") <(cgroup_dirs))"

echo "# $skipped skipped (counted as passed)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
