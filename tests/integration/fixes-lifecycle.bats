#!/usr/bin/env bats
# Issue 13: the lifecycle commands under races, broken state and clients'
# expectations (runc's behaviour where the spec leaves room).

load ../../bats/helpers

# The cgroup directories a state.json names (to remove them once husk cannot).
state_cgroups() {
	jq -r '.cgroup_dirs[]?' "$ROOT/${1:-$CID}/state.json" 2>/dev/null
}

rmdir_cgroups() {
	local d
	for d in "$@"; do
		rmdir "$d" 2>/dev/null || true
	done
}

@test "delete racing create never removes a container that create reported created" {
	set_args sleep 100
	# A createRuntime hook that sleeps holds create inside its build (its first
	# state written, the lock held) for 0.1 s: without it, create can run from
	# start to end before the poller below is scheduled at all (a fork's child
	# stays on its parent's CPU here), and the race is never exercised.
	update_config '.hooks.createRuntime = [{"path": "/bin/sleep", "args": ["sleep", "0.1"]}]'
	local i id cpid crc drc raced=0
	for i in $(seq 1 20); do
		id="$CID-$i"
		"$HUSK" --root "$ROOT" create --bundle "$BUNDLE" --pid-file "$TESTDIR/pid-$i" "$id" \
			</dev/null >/dev/null 2>"$TESTDIR/create.err" 3>&- &
		cpid=$!
		# Delete once create has written its first state (pid 0) and is still
		# building the container: the window where a delete that loads before
		# it locks sees "stopped".
		for _ in $(seq 1 20000); do
			[ -e "$ROOT/$id/state.json" ] && break
			kill -0 "$cpid" 2>/dev/null || break
		done
		kill -0 "$cpid" 2>/dev/null && [ -e "$ROOT/$id/state.json" ] && raced=$((raced + 1))
		drc=0
		husk delete "$id" >/dev/null 2>&1 || drc=$?
		crc=0
		wait "$cpid" || crc=$?
		# Teardown kills it if a buggy delete left it without state or cgroup.
		[ -s "$TESTDIR/pid-$i" ] && { cat "$TESTDIR/pid-$i"; echo; } >>"$TESTDIR/bg.pids"
		if [ "$crc" -eq 0 ]; then
			# Reported created: plain delete cannot have removed it (deleting a
			# created container needs --force), so it must still be there.
			[ "$drc" -ne 0 ] || { echo "round $i: create and delete both succeeded" >&2; false; }
			[ "$(ctr_status "$id")" = created ] || { echo "round $i: created container is gone" >&2; false; }
		fi
		husk delete --force "$id" >/dev/null 2>&1 || true
		[ ! -e "$ROOT/$id" ]
	done
	# The race was exercised, not only deletes before or after create.
	echo "raced in $raced rounds" >&2
	[ "$raced" -gt 0 ]
}

# run_then_break_state MODE: a foreground run whose state.json goes missing
# (MODE rm) or corrupt while it waits; the container then dies.  Sets rc.
run_then_break_state() {
	local rpid pid dirs
	set_args sleep 100
	"$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$CID" </dev/null >"$CTR_OUT" 2>"$CTR_ERR" 3>&- &
	rpid=$!
	wait_for_status "$CID" running
	pid=$(ctr_pid)
	mapfile -t dirs < <(state_cgroups)
	if [ "$1" = rm ]; then
		rm "$ROOT/$CID/state.json"
	else
		echo '{"id": "x", "pid": ' >"$ROOT/$CID/state.json"
	fi
	kill -9 "$pid"
	rc=0
	wait "$rpid" || rc=$?
	pid_gone "$pid"
	rmdir_cgroups "${dirs[@]}"
	cat "$CTR_ERR" >&2
}

@test "run survives its state.json going missing: exit status of the container, no crash" {
	run_then_break_state rm
	[ "$rc" -ne 139 ]
	[ "$rc" -eq 137 ]
	# The best-effort delete at the end still removes the state directory.
	[ ! -e "$ROOT/$CID" ]
}

@test "run survives a corrupt state.json: exit status of the container, no crash" {
	run_then_break_state corrupt
	[ "$rc" -ne 139 ]
	[ "$rc" -eq 137 ]
	[ ! -e "$ROOT/$CID" ]
}

# broken_state MODE: a state directory whose state.json is missing or corrupt.
broken_state() {
	mkdir -p "$ROOT/$CID"
	[ "$1" = corrupt ] && echo '{"id": ' >"$ROOT/$CID/state.json"
	return 0
}

@test "state, list, delete and delete --force on a missing state.json" {
	broken_state missing
	run husk state "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"container does not exist: $CID"* ]]
	run husk list
	[ "$status" -eq 0 ]
	[[ "$output" != *"$CID"* ]]
	run husk delete "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"container does not exist: $CID"* ]]
	run husk delete --force "$CID"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/$CID" ]
}

@test "state, list, delete and delete --force on a corrupt state.json" {
	broken_state corrupt
	run husk state "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"corrupt state file"* ]]
	run husk list
	[ "$status" -eq 0 ]
	# Not listed as a container, but not silently hidden either.
	[[ "$output" == *"container $CID: corrupt state file"* ]]
	run husk delete "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"corrupt state file"* ]]
	[ -e "$ROOT/$CID/state.json" ]
	run husk delete --force "$CID"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/$CID" ]
}

@test "delete --force of a container that does not exist succeeds; delete fails" {
	run husk delete --force "$CID"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run husk delete "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"container does not exist: $CID"* ]]
}

# A poststart hook that fails (exit 3), and a poststop hook that leaves a mark.
failing_poststart() {
	update_config '.hooks.poststart = [{"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}]
		| .hooks.poststop = [{"path": "/bin/sh", "args": ["sh", "-c", "touch \($m)"]}]' \
		--arg m "$TESTDIR/poststop-ran"
	set_args sleep 100
}

@test "a failing poststart hook fails start and tears the container down" {
	failing_poststart
	create_ctr
	pid=$(ctr_pid)
	mapfile -t dirs < <(state_cgroups)
	run husk start "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"error running poststart hook #0"* ]] || { echo "$output"; false; }
	pid_gone "$pid"
	[ ! -e "$ROOT/$CID" ]
	[ -e "$TESTDIR/poststop-ran" ]
	for d in "${dirs[@]}"; do
		[ ! -e "$d" ]
	done
}

@test "a failing poststart hook fails run and tears the container down" {
	failing_poststart
	run husk run --pid-file "$TESTDIR/pid" --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"error running poststart hook #0"* ]] || { echo "$output"; false; }
	pid_gone "$(cat "$TESTDIR/pid")"
	[ ! -e "$ROOT/$CID" ]
}

@test "create without process succeeds; start fails clearly; delete --force removes it" {
	update_config 'del(.process)'
	run create_ctr
	[ "$status" -eq 0 ]
	[ "$(ctr_status)" = created ]
	pid=$(ctr_pid)
	run husk start "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"config.json has no process"* ]]
	[ "$(ctr_status)" = created ]
	run husk delete --force "$CID"
	[ "$status" -eq 0 ]
	pid_gone "$pid"
	[ ! -e "$ROOT/$CID" ]
}
