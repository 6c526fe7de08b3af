#!/usr/bin/env bats
# The command line in runc's shape (issue 16): --debug lines in logrus's text or
# JSON format, options after the container id, help and version, and crun's
# spellings (--cgroup-manager, --config) as aliases.

load ../../bats/helpers

teardown() {
	common_teardown
	# The pod cgroup of the period/quota test: the test made it in the cpu
	# hierarchy, husk (its container's cgroupsPath) in every other one.
	local d
	for d in /sys/fs/cgroup/*/husk-test-pod-"$CID" /sys/fs/cgroup/husk-test-pod-"$CID"; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	return 0
}

# ---------------------------------------------------------------------------
# --debug, --log, --log-format

@test "--debug without --log: logrus text lines on stderr, from every stage of run" {
	set_args /bin/true
	run husk --debug run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	grep -qE '^time="[0-9T:.-]+(Z|[+-][0-9:]+)" level=debug msg="nsexec-1\[[0-9]+\]: => nsexec container setup"$' <<<"$output"
	grep -qE '^time="[^"]+" level=debug msg="child process in init\(\)"$' <<<"$output"
	grep -qE '^time="[^"]+" level=debug msg="init: closing the pipe to signal completion"$' <<<"$output"
}

@test "--debug --log FILE: the debug lines go to the file, none to stderr" {
	set_args /bin/true
	run husk --debug --log "$TESTDIR/log" run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" != *level=debug* ]]
	grep -q 'level=debug msg="child process in init()"' "$TESTDIR/log"
}

@test "--log-format json --debug: one JSON object per line, debug lines included" {
	set_args /bin/true
	run husk --debug --log "$TESTDIR/log" --log-format json run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	jq -se 'all(.[]; (keys == ["level", "msg", "time"]))' "$TESTDIR/log"
	jq -se 'any(.[]; .level == "debug" and .msg == "child process in init()")' "$TESTDIR/log"
}

@test "text format: a message with quotes is quoted and escaped as logrus does" {
	update_config '.linux.mountLabel = "a\"b"'
	set_args /bin/true
	run husk --debug --log "$TESTDIR/log" run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	grep -qF 'linux.mountLabel \"a\"b\" is ignored"' "$TESTDIR/log"
}

@test "--debug: the seccomp flags line carries the flags given to seccomp(2), as runc chooses them" {
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		flags: ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG"],
		syscalls: [{names: ["mkdir"], action: "SCMP_ACT_ERRNO"}]}'
	set_args /bin/true
	run husk --debug run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	# SECCOMP_FILTER_FLAG_LOG is 2; TSYNC (1) means nothing to a single thread.
	grep -q 'level=debug msg="seccomp filter flags: 2"$' <<<"$output"
	# No flags key: no flag either (runc adds SPEC_ALLOW; husk keeps the
	# host's mitigation policy, src/linux/seccomp.c).
	update_config 'del(.linux.seccomp.flags)'
	run husk --debug run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	grep -q 'level=debug msg="seccomp filter flags: 0"$' <<<"$output"
	update_config '.linux.seccomp.flags = []'
	run husk --debug run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	grep -q 'level=debug msg="seccomp filter flags: 0"$' <<<"$output"
}

@test "--debug exec: the joining stages log, up to the exec" {
	set_args /probe sleep 100
	run_detached
	run husk --debug exec "$CID" /bin/true
	[ "$status" -eq 0 ]
	grep -qE 'level=debug msg="nsexec\[[0-9]+\]: => nsexec container setup"' <<<"$output"
	grep -qE 'level=debug msg="nsexec\[[0-9]+\]: affinity: 0x[0-9a-f]+"' <<<"$output"
	grep -q 'level=debug msg="child process in init()"' <<<"$output"
	grep -q 'level=debug msg="setns_init: about to exec"' <<<"$output"
}

# ---------------------------------------------------------------------------
# Options after the container id

# pids_max: pids.max of the container's init, in the v1 pids hierarchy or v2.
pids_max() {
	local pid p
	pid=$(ctr_pid)
	p=$(awk -F: '$2 == "pids" { print $3 }' "/proc/$pid/cgroup")
	if [ -n "$p" ]; then
		cat "/sys/fs/cgroup/pids$p/pids.max"
	else
		p=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
		cat "/sys/fs/cgroup$p/pids.max" 2>/dev/null || cat "/sys/fs/cgroup/unified$p/pids.max"
	fi
}

@test "update ID --pids-limit N: options after the id are taken" {
	requires root
	set_args /probe sleep 100
	run_detached
	pids_max >/dev/null || skip "no pids controller for the container here"
	run husk update "$CID" --pids-limit 42
	[ "$status" -eq 0 ]
	[ "$(pids_max)" = 42 ]
	# 0 is written as 1, as runc does (the same effect: the init is the 1).
	run husk update "$CID" --pids-limit 0
	[ "$status" -eq 0 ]
	[ "$(pids_max)" = 1 ]
}

@test "update --cpu-idle and --cpu-burst (runc's flags) reach cpu.idle and the burst file" {
	requires root
	set_args /probe sleep 100
	run_detached
	local pid p d
	pid=$(ctr_pid)
	p=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ { print $3 }' "/proc/$pid/cgroup")
	if [ -n "$p" ]; then d=/sys/fs/cgroup/cpu$p; else d=/sys/fs/cgroup$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup"); fi
	[ -e "$d/cpu.idle" ] || skip "no cpu.idle here"
	run husk update "$CID" --cpu-idle 1
	[ "$status" -eq 0 ]
	[ "$(cat "$d/cpu.idle")" = 1 ]
	run husk update --cpu-idle 2 "$CID"
	[ "$status" -ne 0 ]
	[ "$(cat "$d/cpu.idle")" = 1 ]
	burst=$d/cpu.cfs_burst_us
	[ -e "$burst" ] || burst=$d/cpu.max.burst
	[ -e "$burst" ] || skip "no cpu burst file here"
	run husk update --cpu-period 100000 --cpu-quota 50000 --cpu-burst 20000 "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$burst")" = 20000 ]
}

@test "update --cpu-period P --cpu-quota Q: a shorter period under a pod's quota (v1)" {
	requires root
	local m
	m=$(awk -F' - ' '{ split($1, a, " "); split($2, b, " "); if (b[1] == "cgroup" && b[3] ~ /(^|,)cpu(,|$)/) { print a[5]; exit } }' /proc/self/mountinfo)
	[ -n "$m" ] || skip "needs the v1 cpu controller"
	[ -e "$m/cpu.cfs_quota_us" ] || skip "no CFS bandwidth control here"
	mkdir "$m/husk-test-pod-$CID"
	echo 50000 >"$m/husk-test-pod-$CID/cpu.cfs_quota_us"
	# shellcheck disable=SC2016 # $p is jq's
	update_config '.linux.cgroupsPath = $p | .linux.resources.cpu = {quota: 500000, period: 1000000}' \
		--arg p "/husk-test-pod-$CID/ctr"
	set_args /probe sleep 100
	run_detached
	# 3000/10000 is 30%, within the pod's 50%; but a period of 10000 under the
	# current quota of 500000 would be 50 CPUs: refused before the quota shrinks.
	run husk update --cpu-period 10000 --cpu-quota 3000 "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$m/husk-test-pod-$CID/ctr/cpu.cfs_period_us")" = 10000 ]
	[ "$(cat "$m/husk-test-pod-$CID/ctr/cpu.cfs_quota_us")" = 3000 ]
}

@test "run ID -d --bundle B: options after the id are taken" {
	set_args /probe sleep 100
	run husk_detached run "$CID" -d --bundle "$BUNDLE"
	[ "$status" -eq 0 ]
	[ "$(ctr_status)" = running ]
}

@test "exec ID ARGS: what follows the id is the command's, options included" {
	set_args /probe sleep 100
	run_detached
	run husk exec "$CID" /bin/echo --pids-limit -d
	[ "$status" -eq 0 ]
	[ "$output" = "--pids-limit -d" ]
}

# ---------------------------------------------------------------------------
# Help and version

@test "--help and -h: NAME: first, then the name we were invoked as" {
	for a in -h --help; do
		run "$HUSK" "$a"
		[ "$status" -eq 0 ]
		[ "${lines[0]}" = "NAME:" ]
		[[ "${lines[1]}" == "   $HUSK_NAME - "* ]]
	done
	run "$HUSK" help
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "NAME:" ]
}

@test "CMD -h, CMD --help and help CMD: NAME: then '<name> CMD - summary', USAGE:" {
	for c in create run start state kill delete list update pause resume ps events exec features spec; do
		for a in "$c -h" "$c --help" "help $c"; do
			# shellcheck disable=SC2086 # two words on purpose
			run "$HUSK" $a
			[ "$status" -eq 0 ] || { echo "$a: $output"; false; }
			[ "${lines[0]}" = "NAME:" ] || { echo "$a: $output"; false; }
			[[ "${lines[1]}" == "   $HUSK_NAME $c - "?* ]] || { echo "$a: $output"; false; }
			[ "${lines[2]}" = "USAGE:" ] || { echo "$a: $output"; false; }
			[[ "${lines[3]}" == "   $HUSK_NAME $c"* ]] || { echo "$a: $output"; false; }
		done
	done
}

@test "help for an unknown command: 'No help topic', and a failure" {
	run "$HUSK" nosuch -h
	[ "$status" -ne 0 ]
	[[ "$output" == *"No help topic for 'nosuch'"* ]]
	run "$HUSK" help nosuch
	[ "$status" -ne 0 ]
	[[ "$output" == *"No help topic for 'nosuch'"* ]]
}

@test "--version: husk's own version first (what Docker shows), commit, spec, the runc command line" {
	run "$HUSK" --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^husk\ version\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	[[ "${lines[1]}" =~ ^commit:\ .+ ]]
	[[ "${lines[2]}" =~ ^spec:\ [0-9]+\.[0-9]+\.[0-9]+ ]]
	[[ "${lines[3]}" =~ ^runc\ command\ line:\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

# ---------------------------------------------------------------------------
# crun's spellings

@test "--cgroup-manager disabled: the container gets no cgroup of its own" {
	requires root
	set_args /probe sleep 100
	run husk_detached --cgroup-manager disabled run -d --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	# The init stays in the cgroups of whoever ran husk.
	[ "$(awk -F: '{ print $3 }' "/proc/$(ctr_pid)/cgroup" | sort -u)" = "$(awk -F: '{ print $3 }' /proc/self/cgroup | sort -u)" ]
	run husk --cgroup-manager nosuch list
	[ "$status" -ne 0 ]
	[[ "$output" == *"cgroup-manager"* ]]
}

@test "--cgroup-manager cgroupfs is the default driver: the container gets its cgroup" {
	requires root
	set_args /probe sleep 100
	run husk_detached --cgroup-manager cgroupfs run -d --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	grep -q "$CID" "/proc/$(ctr_pid)/cgroup"
}

@test "create/run --config FILE: a config other than config.json, relative to the bundle" {
	set_args /bin/echo from-config-json
	jq '.process.args = ["/bin/echo", "from-other"]' "$BUNDLE/config.json" >"$BUNDLE/other.json"
	run husk run --bundle "$BUNDLE" --config other.json "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = from-other ]
	jq '.process.args = ["/bin/echo", "from-absolute"]' "$BUNDLE/config.json" >"$TESTDIR/abs.json"
	run husk run --bundle "$BUNDLE" --config "$TESTDIR/abs.json" "$CID-2" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = from-absolute ]
}

@test "create --config FILE: an error about one of its fields names FILE" {
	jq '.process.cwd = "rel"' "$BUNDLE/config.json" >"$BUNDLE/other.json"
	run husk create --bundle "$BUNDLE" --config other.json "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'other.json: process.cwd: expected an absolute path, got "rel"'* ]]
	jq '.hostname = "h" | .linux.namespaces |= map(select(.type != "uts"))' "$BUNDLE/config.json" >"$BUNDLE/other.json"
	run husk create --bundle "$BUNDLE" --config other.json "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"other.json: hostname: requires a new uts namespace"* ]]
}

@test "list: a missing --root is an error (a missing default root lists nothing)" {
	run "$HUSK" --root "$TESTDIR/no-such-root" list
	[ "$status" -ne 0 ]
	[[ "$output" == *no-such-root* ]]
}
