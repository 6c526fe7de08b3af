#!/usr/bin/env bats
# kill: --all reaches the cgroup's leftovers after the init is gone (containerd's
# shim does `kill --all ID KILL` for shared-PID pods), signal 0 checks existence,
# and without a pid namespace --all reaches every process of the cgroup.

load ../../bats/helpers

no_pid_ns() {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
}

# The host pids printed one a line in $CTR_OUT by the container (host pid ns).
printed_pids() {
	grep -E '^[0-9]+$' "$CTR_OUT"
}

@test "kill --all after the init exited kills what is left in the cgroup (host pid ns)" {
	no_pid_ns
	set_args /bin/sh -c 'sleep 100 & echo $!; exit 0'
	run_detached
	wait_for_status "$CID" stopped
	left=$(printed_pids)
	[ -n "$left" ]
	pid_alive "$left"
	run husk kill --all "$CID" KILL
	[ "$status" -eq 0 ]
	for i in $(seq 50); do pid_alive "$left" || break; sleep 0.1; done
	pid_gone "$left"
}

@test "kill --all after the init exited kills what is left (pid ns shared by path)" {
	# A pod's sandbox: its own pid ns, which the next container joins.
	update_config '.process.args = ["/bin/sleep", "100"]'
	run_detached pod
	podpid=$(ctr_pid pod)
	setup_bundle
	update_config '.linux.namespaces |= map(if .type == "pid" then .path = $p else . end)' \
		--arg p "/proc/$podpid/ns/pid"
	set_args /bin/sh -c 'sleep 100 & echo ready; exit 0'
	run_detached
	wait_for_status "$CID" stopped
	wait_for_file "$CTR_OUT" ready
	# The leftover sleep, seen from the host: in our cgroup, a child of the pod's init.
	left=$(pgrep -P "$podpid" sleep)
	[ -n "$left" ]
	run husk kill --all "$CID" KILL
	[ "$status" -eq 0 ]
	for i in $(seq 50); do pid_alive "$left" || break; sleep 0.1; done
	pid_gone "$left"
	# The pod's own init is untouched.
	pid_alive "$podpid"
	[ "$(ctr_status pod)" = running ]
}

@test "kill --all on a stopped container with nothing left exits 0" {
	set_args /bin/true
	run_detached
	wait_for_status "$CID" stopped
	run husk kill --all "$CID" KILL
	[ "$status" -eq 0 ]
}

@test "kill ID 0 checks that the init is alive" {
	set_args /bin/sleep 100
	run_detached
	run husk kill "$CID" 0
	[ "$status" -eq 0 ]
	run husk kill --all "$CID" 0
	[ "$status" -eq 0 ]
	[ "$(ctr_status)" = running ]
	husk kill "$CID" KILL
	wait_for_status "$CID" stopped
	run husk kill "$CID" 0
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]]
}

@test "kill rejects a negative signal" {
	set_args /bin/sleep 100
	run_detached
	run husk kill "$CID" -- -1
	[ "$status" -ne 0 ]
	[ "$(ctr_status)" = running ]
}

@test "kill --all without a pid namespace reaches every process of the cgroup" {
	no_pid_ns
	# Children, a grandchild, an exec'd process; then the init exits.
	set_args /bin/sh -c 'sleep 100 & echo $!; sleep 100 & echo $!; (sleep 100 & echo $!; wait) &
		echo ready; while [ ! -e /go ]; do sleep 0.1; done; exit 0'
	run_detached
	wait_for_file "$CTR_OUT" ready
	husk exec -d "$CID" /bin/sleep 101
	for i in $(seq 50); do pgrep -fx '/bin/sleep 101' >/dev/null && break; sleep 0.1; done
	pids="$(printed_pids) $(pgrep -fx '/bin/sleep 101')"
	[ "$(echo $pids | wc -w)" -eq 4 ]
	for p in $pids; do pid_alive "$p"; done
	touch "$ROOTFS/go"
	wait_for_status "$CID" stopped
	run husk kill --all "$CID" TERM
	[ "$status" -eq 0 ]
	for p in $pids; do
		for i in $(seq 50); do pid_alive "$p" || break; sleep 0.1; done
		pid_gone "$p"
	done
}
