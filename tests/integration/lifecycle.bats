#!/usr/bin/env bats
# The container lifecycle: create, start, state, kill, delete, run, list.

load ../../bats/helpers

# A container whose command leaves a mark in its rootfs, then waits.
marker_bundle() {
	set_args /bin/sh -c 'touch /started; exec sleep 100'
}

@test "create leaves the init blocked before exec; start runs it" {
	marker_bundle
	run create_ctr
	[ "$status" -eq 0 ]
	[ "$(ctr_status)" = created ]
	pid=$(ctr_pid)
	pid_alive "$pid"
	sleep 0.2
	[ ! -e "$ROOTFS/started" ]
	run husk start "$CID"
	[ "$status" -eq 0 ]
	wait_for_file "$ROOTFS/started"
	[ "$(ctr_status)" = running ]
	[ "$(ctr_pid)" = "$pid" ]
}

@test "a second start fails" {
	marker_bundle
	create_ctr
	husk start "$CID"
	run husk start "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not in created state"* || "$output" == *"cannot start"* ]]
	[ "$(ctr_status)" = running ]
}

@test "kill, state stopped, delete removes everything" {
	marker_bundle
	create_ctr
	husk start "$CID"
	pid=$(ctr_pid)
	run husk kill "$CID" KILL
	[ "$status" -eq 0 ]
	wait_for_status "$CID" stopped
	run husk delete "$CID"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/$CID" ]
	pid_gone "$pid"
	run husk state "$CID"
	[[ "$output" == *"container does not exist"* ]]
}

@test "state output validates against oci-schema/state-schema.json" {
	requires jsonschema
	marker_bundle
	create_ctr
	husk state "$CID" >"$TESTDIR/created.json"
	run validate_json "$SCHEMA_DIR/state-schema.json" "$TESTDIR/created.json"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	husk start "$CID"
	husk state "$CID" >"$TESTDIR/running.json"
	run validate_json "$SCHEMA_DIR/state-schema.json" "$TESTDIR/running.json"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "state reports id, bundle, pid and ociVersion" {
	marker_bundle
	create_ctr
	husk state "$CID" >"$TESTDIR/state.json"
	[ "$(jq -r .id "$TESTDIR/state.json")" = "$CID" ]
	[ "$(jq -r .bundle "$TESTDIR/state.json")" = "$BUNDLE" ]
	[ "$(jq -r .pid "$TESTDIR/state.json")" -gt 1 ]
	jq -e '.ociVersion | test("^1\\.")' "$TESTDIR/state.json"
}

@test "state of a stopped container reports pid 0" {
	set_args /probe exit 0
	create_ctr
	husk start "$CID"
	wait_for_status "$CID" stopped
	[ "$(ctr_pid)" = 0 ]
}

@test "list, list -q and list --format json" {
	marker_bundle
	create_ctr a1
	create_ctr b2
	husk start b2
	run husk list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == ID* ]]
	[[ "$output" == *a1*created* ]]
	[[ "$output" == *b2*running* ]]
	run husk list -q
	[ "$(sort <<<"$output" | xargs)" = "a1 b2" ]
	run husk list --format json
	[ "$(jq -r 'map(.id + "=" + .status) | sort | join(",")' <<<"$output")" = "a1=created,b2=running" ]
}

@test "list with no containers" {
	run husk list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run husk list --format json
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" = 0 ] || [ "$output" = null ]
}

@test "state of an unknown container: container does not exist" {
	run husk state nope
	[ "$status" -eq 1 ]
	[[ "$output" == *"container does not exist"* ]]
	run husk start nope
	[ "$status" -ne 0 ]
	[[ "$output" == *"container does not exist"* ]]
}

@test "invalid container ids are rejected and create nothing" {
	for id in '../escape' 'a/b' 'sp ace' '' '..' 'x:y'; do
		run husk_detached create --bundle "$BUNDLE" "$id"
		[ "$status" -ne 0 ] || { echo "id '$id' accepted"; false; }
	done
	[ ! -e "$TESTDIR/escape" ]
	[ -z "$(ls -A "$ROOT")" ]
}

@test "ids must start with a letter or digit" {
	# runc's regexp is ^[\w+-.]+$; husk's is ^[a-zA-Z0-9][a-zA-Z0-9_+.-]*$.
	skip_if_runc "accepts ids starting with . or _"
	for id in '.hidden' '_under' '+plus'; do
		run husk_detached create --bundle "$BUNDLE" "$id"
		[ "$status" -ne 0 ] || { echo "id '$id' accepted"; false; }
	done
	[ -z "$(ls -A "$ROOT")" ]
}

@test "create with an existing id fails and leaves the first one alone" {
	marker_bundle
	create_ctr
	pid=$(ctr_pid)
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *exists* ]]
	[ "$(ctr_status)" = created ]
	[ "$(ctr_pid)" = "$pid" ]
}

@test "delete of a running container fails without --force, works with it" {
	marker_bundle
	run_detached
	pid=$(ctr_pid)
	run husk delete "$CID"
	[ "$status" -ne 0 ]
	pid_alive "$pid"
	[ "$(ctr_status)" = running ]
	run husk delete --force "$CID"
	[ "$status" -eq 0 ]
	pid_gone "$pid"
	[ ! -e "$ROOT/$CID" ]
}

@test "delete of a created container fails without --force (the spec), kills it with" {
	marker_bundle
	create_ctr
	pid=$(ctr_pid)
	if [ "$HUSK_NAME" != runc ]; then
		run husk delete "$CID"
		[ "$status" -eq 1 ]
		[[ "$output" == *"not stopped: created"* ]]
		pid_alive "$pid"
	fi
	run husk delete --force "$CID"
	[ "$status" -eq 0 ]
	pid_gone "$pid"
	[ ! -e "$ROOTFS/started" ]
	[ ! -e "$ROOT/$CID" ]
}

@test "run propagates the exit status" {
	set_args /probe exit 7
	run run_ctr
	[ "$status" -eq 7 ]
	[ ! -e "$ROOT/$CID" ]
}

@test "run exits 128+N when the init is killed by signal N" {
	# Without a pid namespace the shell is not PID 1, so SIGUSR1 kills it.
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args /bin/sh -c 'kill -USR1 $$; sleep 5'
	run run_ctr
	[ "$status" -eq 138 ]
}

@test "run forwards signals to the init" {
	set_args /probe signal-wait
	"$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$CID" </dev/null >"$CTR_OUT" 2>&1 3>&- &
	runpid=$!
	wait_for_file "$CTR_OUT" ready
	kill -USR2 "$runpid"
	wait "$runpid" || true
	grep -x "signal 12" "$CTR_OUT"
}

@test "run prints the container's output and takes a killed init's status" {
	set_args /bin/sh -c 'echo hello from $(hostname); exec sleep 100'
	# Kill once it runs (a fixed sleep was too short under a slow VM).
	(for _ in $(seq 200); do
		"$HUSK" --root "$ROOT" state "$CID" 2>/dev/null | grep -q '"running"' && break
		sleep 0.1
	done; "$HUSK" --root "$ROOT" kill "$CID" KILL) 3>&- &
	run run_ctr
	[ "$status" -eq 137 ]
	[[ "${lines[0]}" == "hello from "* ]]
}

# traced_run SYSCALLS LOG ID: `husk run` of the bundle as ID under strace -f,
# the SYSCALLS (strace's -e trace= list) logged to LOG, through bats' `run`.
traced_run() {
	run strace -f -qq -e trace="$1" -o "$2" "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$3" </dev/null
}

# mknods_of_fifo: the exec.fifo mknods in the strace -f log $1.
mknods_of_fifo() {
	grep -c 'mknod.*exec\.fifo' "$1" || true
}

@test "run releases its init over the sync socket (no exec.fifo) unless a poststart hook or seccomp needs start" {
	requires husk
	command -v strace >/dev/null || skip "needs strace"
	# As crun's run: nothing but run itself can start the container, so no fifo
	# and no `start` of its own; the exit status, the startContainer hooks and
	# an error before the exec are what they were.
	set_args /probe exit 7
	traced_run mknod,mknodat "$TESTDIR/st" "$CID"
	[ "$status" -eq 7 ]
	[ "$(mknods_of_fifo "$TESTDIR/st")" -eq 0 ]
	[ ! -e "$ROOT/$CID" ]
	# A startContainer hook that fails: its error on the process's stderr, 127.
	update_config '.hooks.startContainer = [{"path": "/bin/false"}]'
	run -127 husk run --bundle "$BUNDLE" "$CID-h" </dev/null
	echo "$output"
	[ "$status" -eq 127 ]
	[[ "$output" == *startContainer* ]]
	[ ! -e "$ROOT/$CID-h" ]
	# A poststart hook: start as create and start do it, with the fifo.
	update_config 'del(.hooks) | .hooks.poststart = [{"path": "/bin/sh", "args": ["sh", "-c", "echo poststart >$0", $f]}]' \
		--arg f "$TESTDIR/poststart"
	traced_run mknod,mknodat "$TESTDIR/st2" "$CID-p"
	[ "$status" -eq 7 ]
	[ "$(mknods_of_fifo "$TESTDIR/st2")" -eq 1 ]
	[ "$(cat "$TESTDIR/poststart")" = poststart ]
	# A seccomp filter, loaded before the init waits, and which need not allow
	# the socket's read: the fifo too (seccomp.bats runs such a profile).
	update_config 'del(.hooks) | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW"}'
	traced_run mknod,mknodat "$TESTDIR/st3" "$CID-s"
	[ "$status" -eq 7 ]
	[ "$(mknods_of_fifo "$TESTDIR/st3")" -eq 1 ]
}

# sync_order FILE: "pivot ack" or "ack pivot", the order in which the init of
# the strace -f log FILE pivoted and read the parent's sync 5 (message type 5).
sync_order() {
	awk '/pivot_root\(/ { o = o " pivot" } /recvmsg.*iov_base="\\5\\0\\0\\0/ { o = o " ack" } END { print substr(o, 2) }' "$1"
}

@test "the init pivots while the parent applies the limits; the hooks, a console and errors keep their order" {
	requires husk
	command -v strace >/dev/null || skip "needs strace"
	# Nothing to wait for: the init reads sync 5 (the limits are on) only before
	# its identity changes, and pivots, masks and sets its hostname meanwhile.
	set_args /probe exit 0
	traced_run pivot_root,recvmsg "$TESTDIR/st" "$CID"
	[ "$status" -eq 0 ]
	[ "$(sync_order "$TESTDIR/st")" = "pivot ack" ]
	# The limits still hold for the process: a deny rule for /dev/null.
	set_args /bin/sh -c 'echo x >/dev/null'
	update_config '.linux.resources.devices += [{"allow": false, "type": "c", "major": 1, "minor": 3, "access": "rw"}]'
	run husk run --bundle "$BUNDLE" "$CID-d" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	# A createRuntime hook may still add to the rootfs: the init waits first.
	set_args /probe exit 0
	update_config '.hooks.createRuntime = [{"path": "/bin/true"}]'
	traced_run pivot_root,recvmsg "$TESTDIR/st2" "$CID-h"
	[ "$status" -eq 0 ]
	[ "$(sync_order "$TESTDIR/st2")" = "ack pivot" ]
	# So with a console, opened under the device rules.
	update_config 'del(.hooks) | .process.terminal = true'
	traced_run pivot_root,recvmsg "$TESTDIR/st3" "$CID-t"
	[ "$status" -eq 0 ]
	[ "$(sync_order "$TESTDIR/st3")" = "ack pivot" ]
	update_config '.process.terminal = false'
	# An init that fails after its pivot, while the parent still writes 2,000
	# device rules: the parent's sync 5 meets a closed socket, and the error
	# reported is the init's, every time, with nothing left behind.
	update_config 'del(.hooks) | .linux.sysctl = {"net.ipv4.ip_forward": "bogus"}
		| .linux.resources.devices += [range(2000) | {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "r"}]'
	for i in 1 2 3 4 5; do
		run husk run --bundle "$BUNDLE" "$CID-e$i" </dev/null
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" == *'sysctl `net.ipv4.ip_forward`: write "bogus" to /proc/sys/net/ipv4/ip_forward'* ]]
		[ ! -e "$ROOT/$CID-e$i" ]
		[ -z "$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$CID-e$i" 2>/dev/null || true)" ]
	done
	no_process_left
}

@test "run --detach returns with the container running" {
	marker_bundle
	run run_detached
	[ "$status" -eq 0 ]
	[ "$(ctr_status)" = running ]
	wait_for_file "$ROOTFS/started"
}

@test "run --keep keeps the stopped container's state" {
	skip_if_runc "no run --keep"
	set_args /probe exit 3
	run husk run --keep --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 3 ]
	[ "$(ctr_status)" = stopped ]
	run husk delete "$CID"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/$CID" ]
}

@test "--pid-file holds the pid state reports" {
	marker_bundle
	run create_ctr "$CID" --pid-file "$TESTDIR/pid"
	[ "$status" -eq 0 ]
	[ "$(cat "$TESTDIR/pid")" = "$(ctr_pid)" ]
	run run_detached other --pid-file "$TESTDIR/pid2"
	[ "$status" -eq 0 ]
	[ "$(cat "$TESTDIR/pid2")" = "$(ctr_pid other)" ]
}

@test "kill by name, SIG name and number reaches the init" {
	set_args /bin/sh -c 'trap "echo got USR1" USR1; trap "echo got USR2" USR2; trap "echo got HUP" HUP; echo ready; while :; do sleep 0.1; done'
	run_detached
	wait_for_file "$CTR_OUT" ready
	husk kill "$CID" USR1
	wait_for_file "$CTR_OUT" "got USR1"
	husk kill "$CID" SIGUSR2
	wait_for_file "$CTR_OUT" "got USR2"
	husk kill "$CID" 1
	wait_for_file "$CTR_OUT" "got HUP"
	[ "$(ctr_status)" = running ]
}

@test "kill defaults to SIGTERM and SIGKILL stops the container" {
	set_args /probe signal-wait
	run_detached
	wait_for_file "$CTR_OUT" ready
	husk kill "$CID"
	wait_for_file "$CTR_OUT" "signal 15"
	wait_for_status "$CID" stopped
	run husk kill "$CID" KILL
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]]
}

@test "kill with an unknown signal fails" {
	marker_bundle
	run_detached
	run husk kill "$CID" NOTASIGNAL
	[ "$status" -ne 0 ]
	[ "$(ctr_status)" = running ]
}

@test "kill --all signals every process of the container" {
	set_args /bin/sh -c 'sleep 100 & sleep 100 & exec sleep 100'
	run_detached
	sleep 0.3
	pid=$(ctr_pid)
	children=$(cat /proc/"$pid"/task/*/children 2>/dev/null || pgrep -P "$pid")
	run husk kill --all "$CID" KILL
	[ "$status" -eq 0 ]
	wait_for_status "$CID" stopped
	for c in $children; do pid_gone "$c"; done
}

@test "start of a stopped container fails" {
	set_args /probe exit 0
	create_ctr
	husk start "$CID"
	wait_for_status "$CID" stopped
	run husk start "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot start a container that has stopped"* ]]
}

@test "a failed create (args[0] not found) leaves no state dir and no process" {
	set_args nonexistent-binary
	run create_ctr
	[ "$status" -eq 1 ]
	[[ "$output" == *'executable file not found in $PATH'* ]]
	[ ! -e "$ROOT/$CID" ]
	[ -z "$(husk list -q)" ]
	no_process_left
}

@test "a failed create (bad absolute args[0]) leaves nothing" {
	set_args /no/such/file
	run create_ctr
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such file or directory"* ]]
	[ ! -e "$ROOT/$CID" ]
	no_process_left
}

@test "create with a missing bundle fails" {
	run husk_detached create --bundle "$TESTDIR/nope" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no such file or directory"* ]]
	[ ! -e "$ROOT/$CID" ]
}

@test "a container's init is stopped when it exits; delete then works" {
	set_args /probe exit 0
	run_detached
	wait_for_status "$CID" stopped
	run husk delete "$CID"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/$CID" ]
}

@test "start and delete read the saved config.json only when it holds something for them" {
	# No hook, netDevices or intelRdt: state.json says so, and neither opens it.
	set_args /bin/true
	create_ctr >/dev/null
	[ "$(jq -r .config_unneeded "$ROOT/$CID/state.json")" = true ]
	# (the VMs have no strace: there, the rest of the test)
	if command -v strace >/dev/null; then
		strace -f -e trace=open,openat -o "$TESTDIR/start.trace" "$HUSK" --root "$ROOT" start "$CID" 3>&-
		wait_for_status "$CID" stopped
		strace -f -e trace=open,openat -o "$TESTDIR/delete.trace" "$HUSK" --root "$ROOT" delete "$CID" 3>&-
		if grep config.json "$TESTDIR/start.trace" "$TESTDIR/delete.trace"; then false; fi
	else
		husk start "$CID"
		wait_for_status "$CID" stopped
		husk delete "$CID"
	fi
	# A poststop hook: recorded as needed, and run by delete.
	update_config '.hooks.poststop = [{"path": "/bin/sh", "args": ["sh", "-c", "touch \"$0\"", "'"$TESTDIR/ran1"'"]}]'
	create_ctr >/dev/null
	[ "$(jq -r .config_unneeded "$ROOT/$CID/state.json")" = null ]
	husk start "$CID"
	wait_for_status "$CID" stopped
	husk delete "$CID"
	[ -e "$TESTDIR/ran1" ]
	# An older husk's state.json (no such field) with a hook in its config: read.
	update_config 'del(.hooks)'
	create_ctr >/dev/null
	jq 'del(.config_unneeded)' "$ROOT/$CID/state.json" >"$TESTDIR/st" && cat "$TESTDIR/st" >"$ROOT/$CID/state.json"
	jq '.hooks.poststop = [{"path": "/bin/sh", "args": ["sh", "-c", "touch \"$0\"", "'"$TESTDIR/ran2"'"]}]' \
		"$ROOT/$CID/config.json" >"$TESTDIR/c" && cat "$TESTDIR/c" >"$ROOT/$CID/config.json"
	husk start "$CID"
	wait_for_status "$CID" stopped
	husk delete "$CID"
	[ -e "$TESTDIR/ran2" ]
}
