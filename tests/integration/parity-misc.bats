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
	cleanup_cgroup
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

# ---------------------------------------------------------------------------
# cgroups and ps

# cg_ctl_dir CONTROLLER: where the container's cgroup ($CG_PATH) is on the v1
# hierarchy of CONTROLLER, or on cgroup2 when there is no such v1 hierarchy.
cg_ctl_dir() {
	local m
	m=$(awk -F' - ' -v c="$1" '{ split($1, a, " "); split($2, b, " "); n = split(b[3], o, ",")
		if (b[1] == "cgroup") for (i = 1; i <= n; i++) if (o[i] == c) { print a[5]; exit } }' /proc/self/mountinfo)
	[ -n "$m" ] || m=$(awk -F' - ' '{ split($1, a, " "); split($2, b, " "); if (b[1] == "cgroup2") { print a[5]; exit } }' /proc/self/mountinfo)
	echo "$m$CG_PATH"
}

# with_cgroup: the container's cgroupsPath, removed (with its parent) at teardown.
with_cgroup() {
	CG_PATH="/husk-parity-$$/$CID"
	update_config ".linux.cgroupsPath = \"$CG_PATH\""
}

cleanup_cgroup() {
	[ -n "${CG_PATH:-}" ] || return 0
	local d
	for d in /sys/fs/cgroup/*/"${CG_PATH%/*}" /sys/fs/cgroup/"${CG_PATH%/*}"; do
		if [ -e "$d/${CG_PATH##*/}/freezer.state" ]; then echo THAWED >"$d/${CG_PATH##*/}/freezer.state"; fi
		if [ -e "$d/${CG_PATH##*/}/cgroup.freeze" ]; then echo 0 >"$d/${CG_PATH##*/}/cgroup.freeze"; fi
	done
	# A task killed while frozen exits once thawed: give it a moment.
	for _ in $(seq 50); do
		rmdir /sys/fs/cgroup/*/"$CG_PATH" /sys/fs/cgroup/*/"${CG_PATH%/*}" \
			/sys/fs/cgroup/"$CG_PATH" /sys/fs/cgroup/"${CG_PATH%/*}" 2>/dev/null || true
		compgen -G "/sys/fs/cgroup/*/${CG_PATH%/*}" >/dev/null || [ -d "/sys/fs/cgroup/${CG_PATH%/*}" ] || break
		sleep 0.1
	done
}

@test "cgroups: a cgroup left frozen is refused, not joined (no hang), and left as it was" {
	requires root
	with_cgroup
	local fz
	fz=$(cg_ctl_dir freezer)
	mkdir -p "$fz"
	if [ -e "$fz/freezer.state" ]; then echo FROZEN >"$fz/freezer.state"; else echo 1 >"$fz/cgroup.freeze"; fi
	rc=0
	timeout 20 "$HUSK" --root "$ROOT" create --bundle "$BUNDLE" "$CID" </dev/null >"$CTR_OUT" 2>&1 3>&- || rc=$?
	[ "$rc" -eq 1 ]
	grep -q "container's cgroup unexpectedly frozen" "$CTR_OUT"
	[ ! -e "$ROOT/$CID" ]
	# the cgroup is not husk's to remove
	[ -d "$fz" ]
	if [ -e "$fz/freezer.state" ]; then echo THAWED >"$fz/freezer.state"; else echo 0 >"$fz/cgroup.freeze"; fi
}

@test "cgroups: a cgroup another container uses is refused" {
	requires root
	with_cgroup
	set_args sleep 100
	run run_detached "$CID-a"
	[ "$status" -eq 0 ]
	run run_detached "$CID-b"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container's cgroup is not empty: 1 process(es) found"* ]]
	[ ! -e "$ROOT/$CID-b" ]
	# the first one's cgroup is untouched
	[ "$(husk state "$CID-a" | jq -r .status)" = running ]
	grep -qx "$(husk state "$CID-a" | jq -r .pid)" "$(cg_ctl_dir pids)/cgroup.procs"
	husk delete -f "$CID-a"
}

@test "cgroups: pids.limit 0 is written as 1 (runc)" {
	requires root
	with_cgroup
	update_config '.linux.resources.pids.limit = 0'
	set_args sleep 100
	run run_detached
	[ "$status" -eq 0 ]
	[ "$(cat "$(cg_ctl_dir pids)/pids.max")" = 1 ]
	husk delete -f "$CID"
}

@test "ps of a stopped container: the header, exit 0; --format json: []" {
	set_args sleep 100
	run run_detached
	[ "$status" -eq 0 ]
	husk kill "$CID" KILL
	wait_for_status "$CID" stopped
	run husk ps "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == "UID "*"PID"* ]]
	[ "$(wc -l <<<"$output")" -eq 1 ]
	run husk ps --format json "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
}

# ---------------------------------------------------------------------------
# mounts, masks, devices

@test "mounts: a destination written as the host path inside the rootfs, and a source inside it, follow the mounts before them" {
	mkdir -p "$TESTDIR/src/a/x" "$ROOTFS/mnt" "$ROOTFS/final"
	echo from-a-x >"$TESTDIR/src/a/x/file"
	update_config '.mounts += [
		{"source": $s, "destination": "/mnt", "options": ["bind"]},
		{"source": ($r + "/mnt"), "destination": ($r + "/final"), "options": ["rbind"]}]' \
		--arg s "$TESTDIR/src/a" --arg r "$ROOTFS"
	set_args cat /final/x/file
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = from-a-x ]
	[ ! -e "$ROOTFS$ROOTFS" ]
}

@test "maskedPaths: every masked directory shares one read-only tmpfs" {
	mkdir -p "$ROOTFS/m1" "$ROOTFS/m2" "$ROOTFS/m3"
	update_config '.linux.maskedPaths += ["/m1", "/m2", "/m3"]'
	set_args sh -c 'stat -c %d /m1 /m2 /m3 | uniq | wc -l; touch /m2/x 2>&1 | grep -c "Read-only"'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1\n1')" ]
}

@test "devices: a linux.devices entry for /dev/ptmx keeps the pty usable under a deny-all cgroup" {
	update_config '.linux.devices += [{"path": "/dev/ptmx", "type": "c", "major": 5, "minor": 2}]
		| .linux.resources.devices = [{"allow": false, "access": "rwm"}]'
	set_args sh -c 'exec 3<>/dev/ptmx && echo opened'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = opened ]
}

# ---------------------------------------------------------------------------
# kill

@test "kill KILL without a pid namespace of its own ends every process of the container" {
	update_config '.linux.namespaces -= [{"type": "pid"}]'
	set_args sleep 100
	run run_detached
	[ "$status" -eq 0 ]
	husk exec -d "$CID" sleep 101
	local init p
	init=$(husk state "$CID" | jq -r .pid)
	p=$(pgrep -f '^sleep 101$' -n)
	[ -n "$p" ]
	husk kill "$CID" KILL
	for _ in $(seq 50); do
		pid_alive "$p" || break
		sleep 0.1
	done
	pid_gone "$init"
	pid_gone "$p"
}

@test "list: a --root that does not exist is an error (only the default root may be missing)" {
	run "$HUSK" --root "$TESTDIR/nowhere" list
	[ "$status" -ne 0 ]
	[[ "$output" == *"state root \`$TESTDIR/nowhere\`"* ]]
	run husk list
	[ "$status" -eq 0 ]
}

@test "config keys match case-insensitively, as Go's encoding/json (hugepageLimits[].pagesize)" {
	requires root
	[ -d /sys/fs/cgroup/hugetlb ] || [ -e /sys/fs/cgroup/cgroup.controllers ] || skip "no hugetlb controller"
	local size=2MB
	[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages"
	with_cgroup
	update_config '.linux.resources.hugepageLimits = [{"pagesize": $s, "limit": 4194304}]' --arg s "$size"
	set_args sleep 100
	run run_detached
	[ "$status" -eq 0 ]
	local d f
	d=$(cg_ctl_dir hugetlb)
	f="$d/hugetlb.$size.limit_in_bytes"
	[ -e "$f" ] || f="$d/hugetlb.$size.max"
	[ "$(cat "$f")" = 4194304 ]
}
