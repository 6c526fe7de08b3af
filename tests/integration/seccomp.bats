#!/usr/bin/env bats
# linux.seccomp: actions, errnoRet, args, flags, ENOSYS for newer syscalls, the
# notify agent, Docker's default profile, and the interplay with noNewPrivileges
# and capabilities.
#
# Inside the containers /scall (tests/seccomp/scall.c) makes one syscall and
# prints "ret=R errno=E".  tests/seccomp/agent.c is the notify agent.
# tests/seccomp/docker-default.json is Docker's default profile as dockerd puts it
# into config.json on amd64 with Docker's default capabilities: made from
# moby/profiles' seccomp/default.json (vendored in moby b985e2313a) by applying
# its includes/excludes the way moby's setupSeccomp() does.

load ../../bats/helpers

SECCOMP_DIR="$REPO/tests/seccomp"
DOCKER_PROFILE="$SECCOMP_DIR/docker-default.json"

# find_agent: the notify agent, $REPO/build/seccomp-agent when `make check` built
# it, else built here (like find_probe).
find_agent() {
	local a="$REPO/build/seccomp-agent"
	if [ -x "$a" ] && [ "$a" -nt "$SECCOMP_DIR/agent.c" ]; then
		echo "$a"
		return
	fi
	gcc -std=gnu11 -O2 -Wall -Wextra -o "$BATS_FILE_TMPDIR/seccomp-agent" \
		"$SECCOMP_DIR/agent.c" -lseccomp >&2 || return 1
	echo "$BATS_FILE_TMPDIR/seccomp-agent"
}

setup_file() {
	common_setup_file || return 1
	gcc -std=gnu11 -O2 -Wall -Wextra -static -o "$ROOTFS_CACHE/scall" "$SECCOMP_DIR/scall.c" || return 1
	AGENT=$(find_agent) || return 1
	export AGENT
}

# seccomp 'JSON': linux.seccomp = JSON.
seccomp() {
	# shellcheck disable=SC2016 # $p is jq's
	update_config '.linux.seccomp = $p' --argjson p "$1"
}

# deny_rule NAMES ACTION [ERRNO]: a profile allowing everything but NAMES (a JSON
# array), which get ACTION.
deny_rule() {
	local errno=${3:+, \"errnoRet\": $3}
	seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\",
		\"syscalls\": [{\"names\": $1, \"action\": \"$2\"$errno}]}"
}

# start_agent [OPTS...]: the notify agent on $TESTDIR/agent.sock, logging to
# $TESTDIR/agent.log; killed at teardown.
start_agent() {
	AGENT_SOCK="$TESTDIR/agent.sock"
	AGENT_LOG="$TESTDIR/agent.log"
	spawn_bg "$AGENT" "$@" "$AGENT_SOCK" "$AGENT_LOG" >/dev/null
	wait_for_file "$AGENT_SOCK"
}

# notify_profile NAMES: NAMES notified to the agent, everything else allowed.
notify_profile() {
	seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$AGENT_SOCK\",
		\"listenerMetadata\": \"meta-$CID\",
		\"syscalls\": [{\"names\": $1, \"action\": \"SCMP_ACT_NOTIFY\"}]}"
}

# agent_state JQ: a field of the container process state the agent received.
agent_state() {
	sed -n 's/^state //p' "$AGENT_LOG" | jq -r "$1"
}

# kernel_log: the kernel's log, or nothing (and status 1) when it is unreadable.
kernel_log() {
	dmesg 2>/dev/null || timeout 1 cat /dev/kmsg 2>/dev/null || [ $? -eq 124 ]
}

# ---------------------------------------------------------------------------
# Actions and errnoRet

@test "ERRNO: a denied syscall returns errnoRet, or EPERM without one" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122},
		{"names": ["chdir"], "action": "SCMP_ACT_ERRNO"}]}'
	set_args sh -c '/scall mkdir /newdir; /scall chdir /tmp; /scall getpid; test -d /newdir || echo absent'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "ret=-1 errno=122" ]
	[ "${lines[1]}" = "ret=-1 errno=1" ]
	[[ "${lines[2]}" == ret=[1-9]*" errno=0" ]]
	[ "${lines[3]}" = absent ]
}

@test "KILL, KILL_THREAD, KILL_PROCESS and TRAP end the process with SIGSYS" {
	local act
	update_config '.process.rlimits = [{"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]'
	set_args /scall mkdir /newdir
	for act in SCMP_ACT_KILL SCMP_ACT_KILL_THREAD SCMP_ACT_KILL_PROCESS SCMP_ACT_TRAP; do
		deny_rule '["mkdir", "mkdirat"]' "$act"
		run run_ctr
		echo "$act: status $status, output $output"
		[ "$status" -eq 159 ]
		[ -z "$output" ]
	done
}

@test "TRACE without a tracer: the syscall fails with ENOSYS" {
	deny_rule '["mkdir", "mkdirat"]' SCMP_ACT_TRACE
	set_args sh -c '/scall mkdir /newdir; test -d /newdir || echo absent'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "ret=-1 errno=38" ]
	[ "${lines[1]}" = absent ]
}

@test "LOG: the syscall runs and the kernel logs it" {
	grep -qw log /proc/sys/kernel/seccomp/actions_logged 2>/dev/null || skip "the kernel does not log SCMP_ACT_LOG"
	kernel_log >/dev/null || skip "the kernel log is not readable here (dmesg, /dev/kmsg)"
	[ "$(uname -m)" = x86_64 ] || skip "the syscall number below is x86_64's"
	local before pat='type=1326.*comm="scall".*syscall=146 '
	before=$(kernel_log | grep -c "$pat" || true)
	deny_rule '["sched_get_priority_max"]' SCMP_ACT_LOG
	set_args /scall sched_get_priority_max 1
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = "ret=99 errno=0" ]
	[ "$(kernel_log | grep -c "$pat")" -gt "$before" ]
}

@test "a syscall name no table knows is skipped" {
	deny_rule '["no_such_syscall", "mkdir", "mkdirat"]' SCMP_ACT_ERRNO 71
	set_args /scall mkdir /newdir
	run husk --debug --log "$TESTDIR/log" run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "ret=-1 errno=71" ]
	requires husk
	grep -q "unknown syscall \`no_such_syscall\` ignored" "$TESTDIR/log"
}

# ---------------------------------------------------------------------------
# Arguments

@test "args: NE lets exactly the configured value through" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"],
		"action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_NE"}]}]}'
	set_args sh -c '/scall personality 0xffffffff; /scall personality 0; /scall personality 0xfffffffe'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "ret=0 errno=0" ]
	[ "${lines[1]}" = "ret=-1 errno=1" ]
	[ "${lines[2]}" = "ret=-1 errno=1" ]
}

@test "args: LT, LE, EQ, GE, GT and MASKED_EQ compare as configured" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
	{"names": ["sched_get_priority_max"], "action": "SCMP_ACT_ERRNO", "errnoRet": 71, "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_LT"}]},
	{"names": ["sched_get_priority_min"], "action": "SCMP_ACT_ERRNO", "errnoRet": 72, "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_LE"}]},
	{"names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 73, "args": [{"index": 1, "value": 7, "op": "SCMP_CMP_EQ"}]},
	{"names": ["getsid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 74, "args": [{"index": 0, "value": 100000, "op": "SCMP_CMP_GE"}]},
	{"names": ["getpgid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 75, "args": [{"index": 0, "value": 100000, "op": "SCMP_CMP_GT"}]},
	{"names": ["umask"], "action": "SCMP_ACT_ERRNO", "errnoRet": 76, "args": [{"index": 0, "value": 448, "valueTwo": 448, "op": "SCMP_CMP_MASKED_EQ"}]}]}'
	# shellcheck disable=SC2016 # $c is the container shell's
	set_args sh -c 'for c in "sched_get_priority_max 1" "sched_get_priority_max 2" "sched_get_priority_min 3" \
		"sched_get_priority_min 4" "getpriority 0 7" "getpriority 0 8" "getsid 100000" "getsid 99999" \
		"getpgid 100001" "getpgid 100000" "umask 0777" "umask 0077"; do /scall $c; done'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | tr '\n' ' ')" = "ret=-1 errno=71 ret=99 errno=0 ret=-1 errno=72 ret=-1 errno=22 \
ret=-1 errno=73 ret=-1 errno=3 ret=-1 errno=74 ret=-1 errno=3 ret=-1 errno=75 ret=-1 errno=3 \
ret=-1 errno=76 ret=18 errno=0 " ]
}

@test "args: two conditions on one argument match either (runc's rule)" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO",
		"args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 16, "op": "SCMP_CMP_EQ"}]}]}'
	set_args sh -c '/scall personality 8; /scall personality 16; /scall personality 0xffffffff'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "ret=-1 errno=1" ]
	[ "${lines[1]}" = "ret=-1 errno=1" ]
	[ "${lines[2]}" = "ret=0 errno=0" ]
}

# ---------------------------------------------------------------------------
# defaultAction, ENOSYS, flags, config errors

@test "ENOSYS for a syscall newer than the profile, the default errno for an older one" {
	# Nothing newer than rseq (334) is named: clone3 (435) and openat2 (437) are
	# newer, chdir (80) and acct (163) are not.
	seccomp '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 13,
		"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": [{"action": "SCMP_ACT_ALLOW",
		"names": ["read", "write", "close", "openat", "sendmsg", "execve", "brk", "mmap", "munmap", "mprotect",
		"arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64", "exit", "exit_group",
		"uname", "readlink", "getrandom", "newfstatat", "fstat", "ioctl", "writev"]}]}'
	set_args /scall clone3
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = "ret=-1 errno=38" ]
	local c
	for c in "openat2:38" "chdir /:13" "acct 0:13"; do
		# shellcheck disable=SC2086 # NAME ARGS
		set_args /scall ${c%:*}
		run run_ctr
		[ "$output" = "ret=-1 errno=${c#*:}" ]
	done
}

@test "flags: TSYNC, LOG and SPEC_ALLOW load; WAIT_KILLABLE_RECV needs a NOTIFY rule" {
	seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_TSYNC",
		"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 71}]}'
	set_args /scall mkdir /newdir
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = "ret=-1 errno=71" ]
	update_config '.linux.seccomp.flags = ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]'
	run run_ctr
	[ "$status" -ne 0 ]
	requires husk
	[[ "$output" == *"linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs a SCMP_ACT_NOTIFY rule"* ]]
	[ ! -e "$ROOT/$CID" ]
}

@test "a bad action or architecture is a config error naming its JSON path" {
	deny_rule '["mkdir"]' SCMP_ACT_NOPE
	run run_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.syscalls[0].action"* ]]
	deny_rule '["mkdir"]' SCMP_ACT_ERRNO
	update_config '.linux.seccomp.architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"]'
	run run_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.architectures"* ]]
	[ ! -e "$ROOT/$CID" ]
}

@test "an architecture of another family is accepted and left out; the filter still applies" {
	# husk filters the build's family (x86_64, x86, x32 on x86_64); this kernel
	# never runs another architecture's code.  libseccomp 2.5 refused
	# SCMP_ARCH_LOONGARCH64, which it did not know.
	deny_rule '["mkdir", "mkdirat"]' SCMP_ACT_ERRNO 71
	update_config '.linux.seccomp.architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_AARCH64", "SCMP_ARCH_S390X"]'
	set_args /scall mkdir /newdir
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = "ret=-1 errno=71" ]
}

# ---------------------------------------------------------------------------
# Docker's default profile

@test "Docker's default profile: ordinary programs run" {
	seccomp "$(cat "$DOCKER_PROFILE")"
	set_args sh -c 'ls / >/dev/null && echo ls-ok; sh -c "echo nested"; cat /etc/hostname; grep Seccomp: /proc/self/status'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ls-ok ]
	[ "${lines[1]}" = nested ]
	[ "${lines[2]}" = husk-test ]
	[[ "${lines[3]}" == Seccomp:*2 ]]
}

@test "Docker's default profile: unshare, mount and keyctl fail with EPERM, even with CAP_SYS_ADMIN" {
	update_config '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])'
	set_args sh -c '/scall unshare 0x20000; /scall mount /tmp /root 0 0x1000; /scall keyctl 0 -3'
	# Without the profile, all three succeed.
	run run_ctr
	[ "$(echo "$output" | grep -c 'errno=0')" -eq 3 ]
	seccomp "$(cat "$DOCKER_PROFILE")"
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'ret=-1 errno=1\nret=-1 errno=1\nret=-1 errno=1')" ]
}

# ---------------------------------------------------------------------------
# SCMP_ACT_NOTIFY and listenerPath

@test "notify: the agent gets the state, sees mkdir, and its errno reaches the container" {
	start_agent -e 30
	notify_profile '["mkdir", "mkdirat"]'
	update_config '.linux.seccomp.flags = ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "SECCOMP_FILTER_FLAG_TSYNC"]'
	set_args sh -c '/scall mkdir /newdir; test -d /newdir || echo absent'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'ret=-1 errno=30\nabsent')" ]
	grep -q '^notify mkdir pid=[0-9]* path=/newdir$' "$AGENT_LOG"
	[ "$(agent_state '.metadata, .state.id, .state.status, (.fds | join(","))' | tr '\n' ' ')" = "meta-$CID $CID creating seccompFd " ]
	[ "$(agent_state '.pid == .state.pid and .pid > 0')" = true ]
	grep -qx 'fds 1' "$AGENT_LOG"
}

@test "notify: a success answer returns 0 without running the syscall; CONTINUE runs it" {
	start_agent
	notify_profile '["mkdir", "mkdirat"]'
	set_args sh -c '/scall mkdir /newdir; test -d /newdir || echo absent'
	run run_ctr
	[ "$output" = "$(printf 'ret=0 errno=0\nabsent')" ]
	wait_for_file "$AGENT_LOG" '^hup'
	start_agent -c
	run run_ctr
	[ "$output" = "ret=0 errno=0" ]
	grep -qx 'answer continue' "$AGENT_LOG"
}

@test "notify: create fails when no agent listens at listenerPath, and leaves nothing" {
	AGENT_SOCK="$TESTDIR/nobody.sock"
	notify_profile '["mkdir"]'
	run create_ctr
	[ "$status" -ne 0 ]
	requires husk
	[[ "$output" == *"failed to connect with seccomp agent at listenerPath \`$AGENT_SOCK\`"* ]]
	[ ! -e "$ROOT/$CID" ]
	[ ! -d "/sys/fs/cgroup/pids/$CID" ]
}

@test "notify: sendmsg cannot be notified (the listener fd travels with it)" {
	requires husk
	start_agent
	notify_profile '["mkdir", "sendmsg"]'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY cannot be used for the sendmsg syscall"* ]]
	[ ! -e "$ROOT/$CID" ]
}

# ---------------------------------------------------------------------------
# With capabilities and noNewPrivileges

@test "noNewPrivileges true: the filter loads for a user without CAP_SYS_ADMIN" {
	update_config '.process.user = {"uid": 1000, "gid": 1000} | .process.noNewPrivileges = true
		| .process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
	deny_rule '["mkdir", "mkdirat"]' SCMP_ACT_ERRNO 71
	set_args sh -c '/scall mkdir /tmp/newdir; grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status | tr -d "\t"'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'ret=-1 errno=71\nNoNewPrivs:1\nSeccomp:2')" ]
}

@test "noNewPrivileges false: a profile may deny getcwd (the cwd check runs before the filter)" {
	update_config '.process.noNewPrivileges = false | .process.cwd = "/tmp"'
	deny_rule '["getcwd"]' SCMP_ACT_ERRNO
	# With size 0, getcwd fails with ERANGE when it is allowed.
	set_args /scall getcwd 0 0
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = "ret=-1 errno=1" ]
}

@test "noNewPrivileges false and no CAP_SYS_ADMIN: loaded before the capability drop, it works" {
	update_config '.process.user = {"uid": 1000, "gid": 1000} | .process.noNewPrivileges = false
		| .process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
	deny_rule '["mkdir", "mkdirat"]' SCMP_ACT_ERRNO 71
	set_args sh -c '/scall mkdir /tmp/newdir; grep -E "^(NoNewPrivs|Seccomp|CapEff):" /proc/self/status | tr -d "\t"'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'ret=-1 errno=71\nCapEff:0000000000000000\nNoNewPrivs:0\nSeccomp:2')" ]
}
