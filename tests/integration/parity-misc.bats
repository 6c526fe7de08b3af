#!/usr/bin/env bats
# Behaviours where runc's own integration suite is the contract (issue 16):
# seccomp (notify filters on syscalls husk itself uses, ENOSYS for unknown
# numbers, a profile denying close_range, filter flags), cgroups, mounts and
# `ps`.
#
# /scall (tests/seccomp/scall.c) makes one syscall and prints "ret=R errno=E";
# tests/seccomp/agent.c is the notify agent.

load ../../bats/helpers

SECCOMP_DIR="$REPO/tests/seccomp"

setup_file() {
	common_setup_file || return 1
	gcc -std=gnu11 -O2 -Wall -Wextra -static -o "$ROOTFS_CACHE/scall" "$SECCOMP_DIR/scall.c" || return 1
	AGENT="$REPO/build/seccomp-agent"
	if [ ! -x "$AGENT" ] || [ "$AGENT" -ot "$SECCOMP_DIR/agent.c" ]; then
		AGENT="$BATS_FILE_TMPDIR/seccomp-agent"
		gcc -std=gnu11 -O2 -Wall -Wextra -o "$AGENT" "$SECCOMP_DIR/agent.c" -lseccomp || return 1
	fi
	export AGENT
}

# An init that deadlocked in its own seccomp notify filter holds its listener
# itself: only SIGKILL ends it.  Kill husk's forks of this test (their argv names
# this test's --root) before the usual teardown.
teardown() {
	local p args
	for p in /proc/[0-9]*; do
		mapfile -d '' args 2>/dev/null <"$p/cmdline" || continue
		[[ "${args[*]}" == *"--root $ROOT "* ]] && kill -9 "${p#/proc/}" 2>/dev/null
	done
	common_teardown
}

# seccomp 'JSON': linux.seccomp = JSON.
seccomp() {
	# shellcheck disable=SC2016 # $p is jq's
	update_config '.linux.seccomp = $p' --argjson p "$1"
}

# start_agent [OPTS...]: the notify agent on $TESTDIR/agent.sock; killed at teardown.
start_agent() {
	AGENT_SOCK="$TESTDIR/agent.sock"
	AGENT_LOG="$TESTDIR/agent.log"
	spawn_bg "$AGENT" "$@" "$AGENT_SOCK" "$AGENT_LOG" >/dev/null
	wait_for_file "$AGENT_SOCK"
}

# ---------------------------------------------------------------------------
# seccomp

@test "seccomp notify on syscalls husk's init still makes (close, read, openat, fcntl, execve): no deadlock" {
	local nnp rc
	start_agent -c
	for nnp in false true; do
		seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$AGENT_SOCK\",
			\"syscalls\": [{\"names\": [\"close\", \"read\", \"openat\", \"fcntl\", \"execve\", \"munmap\"],
			\"action\": \"SCMP_ACT_NOTIFY\"}]}"
		update_config ".process.noNewPrivileges = $nnp"
		set_args /scall mkdir "/newdir-$nnp"
		# To a file, not through `run`: a deadlocked init would hold the pipe.
		rc=0
		timeout 20 "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$CID-$nnp" \
			</dev/null >"$CTR_OUT" 2>&1 3>&- || rc=$?
		[ "$rc" -eq 0 ]
		[ "$(cat "$CTR_OUT")" = "ret=0 errno=0" ]
		# the agent got the listener again for the next run
		start_agent -c
	done
	grep -q '^notify close' "$AGENT_LOG"
}

@test "seccomp: a notify rule on write is refused in runc's words" {
	start_agent -c
	seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$AGENT_SOCK\",
		\"syscalls\": [{\"names\": [\"write\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"SCMP_ACT_NOTIFY cannot be used for the write syscall"* ]]
	[ ! -e "$ROOT/$CID" ]
}

@test "seccomp: a number above the profile's highest gets ENOSYS, whatever tables know it" {
	# Docker's default profile: defaultAction ERRNO (EPERM), an allow list.
	seccomp "$(cat "$SECCOMP_DIR/docker-default.json")"
	set_args /scall 1000
	run run_ctr
	[ "$output" = "ret=-1 errno=38" ]
	# below the highest named: the default action (EPERM)
	set_args /scall acct 0
	run run_ctr
	[ "$output" = "ret=-1 errno=1" ]
}

@test "seccomp: a profile denying close_range still leaves the process only its stdio" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["close_range"], "action": "SCMP_ACT_KILL"}]}'
	for nnp in false true; do
		update_config ".process.noNewPrivileges = $nnp"
		set_args /probe fds
		run run_ctr "$CID-$nnp"
		[ "$status" -eq 0 ]
		[ "$(cut -d' ' -f2 <<<"$output" | tr '\n' ' ')" = "0 1 2 " ]
	done
	# and in exec
	set_args sleep 100
	update_config '.process.noNewPrivileges = false'
	run run_detached
	[ "$status" -eq 0 ]
	run husk exec "$CID" /probe fds
	[ "$status" -eq 0 ]
	[ "$(cut -d' ' -f2 <<<"$output" | tr '\n' ' ')" = "0 1 2 " ]
}

@test "seccomp flags: TSYNC is left out, and no flags at all means SPEC_ALLOW" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG"],
		"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}'
	run husk --debug run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"seccomp filter flags: 2"[!0-9]* ]]
	update_config 'del(.linux.seccomp.flags)'
	run husk --debug run --bundle "$BUNDLE" "$CID" </dev/null
	[[ "$output" == *"seccomp filter flags: 4"[!0-9]* ]]
	update_config '.linux.seccomp.flags = []'
	run husk --debug run --bundle "$BUNDLE" "$CID" </dev/null
	[[ "$output" == *"seccomp filter flags: 0"[!0-9]* ]]
}
