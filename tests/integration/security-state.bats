#!/usr/bin/env bats
# A container removed under a command's feet, and state files missing fields
# (issue 12, "lower"): the errors and output clients match on.

load ../../bats/helpers

# hold_lock_then_remove: hold the container's lock (as a husk command does) in
# the background; once $1 (a pid) waits for it, do what `delete` does (kill the
# init, remove the state directory) and release.  The state is kept aside so
# that teardown can still clean the cgroups.
hold_lock_then_remove() {
	local waiter=$1 dir="$ROOT/$CID" init
	init=$(ctr_pid)
	cp "$dir/state.json" "$TESTDIR/state.json.saved"
	for _ in $(seq 100); do
		grep -q lock "/proc/$waiter/wchan" 2>/dev/null && break
		sleep 0.05
	done
	kill -9 "$init"
	while pid_alive "$init"; do sleep 0.05; done
	rm -f "$dir"/*
	rmdir "$dir"
}

restore_state() {
	mkdir -p "$ROOT/$CID"
	cp "$TESTDIR/state.json.saved" "$ROOT/$CID/state.json"
}

@test "pause racing delete: container \"does not exist\", not a raw ENOENT" {
	set_args /probe sleep 600
	run_detached >/dev/null
	exec {lk}<"$ROOT/$CID"
	flock -x "$lk"
	"$HUSK" --root "$ROOT" pause "$CID" </dev/null >"$TESTDIR/out" 2>&1 3>&- &
	waiter=$!
	hold_lock_then_remove "$waiter"
	flock -u "$lk"
	exec {lk}<&-
	rc=0
	wait "$waiter" || rc=$?
	cat "$TESTDIR/out"
	restore_state
	[ "$rc" -ne 0 ]
	[ "$(cat "$TESTDIR/out")" = "husk: container does not exist: $CID" ]
}

@test "every command on a container removed under its feet says it does not exist" {
	set_args /probe sleep 600
	# The commands that take the lock (the others never wait: nothing to race).
	for cmd in start pause resume delete "update --pids-limit 10"; do
		run_detached >/dev/null
		exec {lk}<"$ROOT/$CID"
		flock -x "$lk"
		args=($cmd)
		args+=("$CID")
		# shellcheck disable=SC2068
		"$HUSK" --root "$ROOT" ${args[@]} </dev/null >"$TESTDIR/out" 2>&1 3>&- &
		waiter=$!
		hold_lock_then_remove "$waiter"
		flock -u "$lk"
		exec {lk}<&-
		rc=0
		wait "$waiter" || rc=$?
		echo "$cmd: $rc $(cat "$TESTDIR/out")"
		restore_state
		husk delete --force "$CID"
		[ "$rc" -ne 0 ]
		grep -q "container does not exist: $CID" "$TESTDIR/out"
		run ! grep -qi "no such file" "$TESTDIR/out"
	done
}

@test "list never prints (null): a state without created or bundle" {
	set_args /probe sleep 600
	run_detached >/dev/null
	jq 'del(.created, .bundle, .rootfs)' "$ROOT/$CID/state.json" >"$TESTDIR/st" &&
		cp "$TESTDIR/st" "$ROOT/$CID/state.json"
	run husk list
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"(null)"* ]]
	[[ "$output" == *"0001-01-01T00:00:00Z"* ]]
	run husk list --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[0].created' <<<"$output")" = 0001-01-01T00:00:00Z ]
	[ "$(jq -r '.[0].bundle' <<<"$output")" = "" ]
}
