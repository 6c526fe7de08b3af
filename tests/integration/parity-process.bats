#!/usr/bin/env bats
# The container process where runc's behaviour is the contract (issue 16):
# capability names, exec --cap, the executable check, affinity, --pidfd-socket.

load ../../bats/helpers

status_field() {
	awk -v k="$1:" '$1 == k { print $2 }' <<<"$output"
}

@test "unknown capability names are ignored with a warning, the known ones applied" {
	update_config '.process.capabilities.bounding += ["CAP_NOT_A_CAP", "cap_chown", "CAP_NOT_A_CAP"]'
	set_args /probe caps
	run run_ctr
	[ "$status" -eq 0 ]
	[[ "$output" == *"ignoring unknown or unavailable capabilities: [CAP_NOT_A_CAP cap_chown]"* ]]
	# CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE of the default config.
	[ "$(status_field CapBnd)" = 0000000020000420 ]
}

@test "exec --cap also raises the cap in ambient when the config has an inheritable set" {
	update_config '.process.capabilities.inheritable = ["CAP_SYSLOG"]
		| .process.capabilities.bounding += ["CAP_SYSLOG"]'
	set_args /probe sleep 600
	run_detached >/dev/null
	run husk exec --cap CAP_SYSLOG "$CID" /probe caps
	[ "$status" -eq 0 ]
	# CAP_SYSLOG is 34.
	[ "$(status_field CapAmb)" = 0000000400000000 ]
	[ "$(status_field CapInh)" = 0000000400000000 ]
}

@test "a user with CAP_DAC_OVERRIDE runs a file only its owner may execute" {
	printf '#!/bin/sh\necho ran\n' >"$ROOTFS/ownerx"
	chmod 0744 "$ROOTFS/ownerx"
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_args /ownerx
	run run_ctr
	[ "$status" -ne 0 ]
	[[ "$output" != *ran* ]]
	update_config '.process.capabilities |= with_entries(.value += ["CAP_DAC_OVERRIDE"])
		| .process.capabilities.inheritable = ["CAP_DAC_OVERRIDE"]
		| .process.capabilities.ambient = ["CAP_DAC_OVERRIDE"]'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = ran ]
}

@test "exec does not inherit the caller's cpu affinity" {
	all=$(awk '$1 == "Cpus_allowed_list:" { print $2 }' /proc/self/status)
	[ "$all" != 0 ] || skip "needs 2 cpus"
	set_args /probe sleep 600
	run_detached >/dev/null
	run taskset -c 0 "$HUSK" --root "$ROOT" exec "$CID" grep Cpus_allowed_list: /proc/self/status
	[ "$status" -eq 0 ]
	[ "$output" = "Cpus_allowed_list:	$all" ]
	# An initial affinity alone stays (runc); --debug shows what exec started with.
	jq '.process | .args = ["grep", "Cpus_allowed_list:", "/proc/self/status"]
		| .execCPUAffinity = {"initial": "1"}' "$BUNDLE/config.json" >"$TESTDIR/p.json"
	run taskset -c 0 "$HUSK" --root "$ROOT" --debug exec --process "$TESTDIR/p.json" "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"affinity: 0x2"* ]]
	[[ "$output" == *"Cpus_allowed_list:	1"* ]]
}

# pidfd_listen: recvpidfd.py on $TESTDIR/pidfd.sock, writing $TESTDIR/pidfd.out.
pidfd_listen() {
	spawn_bg "$BATS_TEST_DIRNAME/helpers/recvpidfd.py" "$TESTDIR/pidfd.sock" "$TESTDIR/pidfd.out" >/dev/null
	wait_for_file "$TESTDIR/pidfd.sock"
}

@test "create --pidfd-socket sends a pidfd of the init" {
	pidfd_listen
	set_args /probe sleep 600
	create_ctr "$CID" --pid-file "$TESTDIR/init.pid" --pidfd-socket "$TESTDIR/pidfd.sock"
	wait_for_file "$TESTDIR/pidfd.out"
	[ "$(cat "$TESTDIR/pidfd.out")" = "standard $(cat "$TESTDIR/init.pid")" ]
	# The receiver killed the init through it.
	wait_for_status "$CID" stopped
}

@test "exec --pidfd-socket sends a pidfd of the exec'd process" {
	set_args /probe sleep 600
	run_detached >/dev/null
	pidfd_listen
	husk_detached exec -d --pid-file "$TESTDIR/exec.pid" --pidfd-socket "$TESTDIR/pidfd.sock" \
		"$CID" /probe sleep 600
	wait_for_file "$TESTDIR/pidfd.out"
	[ "$(cat "$TESTDIR/pidfd.out")" = "setns $(cat "$TESTDIR/exec.pid")" ]
	[ "$(ctr_status)" = running ]
}

@test "run --pidfd-socket to a socket nobody listens on fails and leaves nothing" {
	set_args /probe sleep 600
	run husk_detached run -d --pidfd-socket "$TESTDIR/nobody.sock" --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"pidfd socket"* ]]
	[ ! -e "$ROOT/$CID" ]
	no_process_left
}

@test "a created container dies of SIGTERM, as runc's init does" {
	set_args /probe sleep 600
	create_ctr >/dev/null
	husk kill "$CID" TERM
	wait_for_status "$CID" stopped
}
