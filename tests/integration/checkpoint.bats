#!/usr/bin/env bats
# checkpoint and restore (CRIU).  The tests that need CRIU to work skip with
# the reason `criu check` gives (this host's kernel: vDSO); tests/vm/run.sh
# runs them in the VM, on Debian's 6.1 kernel.  Bad input is tested anywhere.

load ../../bats/helpers

RECVTTY="$BATS_TEST_DIRNAME/helpers/recvtty.py"

# requires_criu: skip unless criu is installed and its own check passes.
requires_criu() {
	requires root
	command -v criu >/dev/null || skip "criu is not installed"
	local why
	if ! why=$(criu check 2>&1); then
		why=$(grep -B1 -m1 'Error' <<<"$why" | tr '\n' ' ' || tail -n1 <<<"$why")
		skip "criu check fails here: ${why}"
	fi
}

# A counter that writes to /count in the rootfs every 0.1 s; its stdio is the
# container's own /dev/null (a host file would be outside the container).  It
# writes a new file and renames it over /count: `echo >/count` truncates first,
# and a reader between the truncation and the write saw an empty file (15 of
# 300 reads of a counter at 0.01 s; the CI's failure of the exec in "the
# counter continues").
counter_bundle() {
	set_args /bin/sh -c 'exec </dev/null >/dev/null 2>&1; i=0; while :; do i=$((i+1)); echo $i >/count.new; mv /count.new /count; sleep 0.1; done'
}

# count: the counter's last value.
count() {
	cat "$ROOTFS/count" 2>/dev/null || echo 0
}

# wait_count_above N: until the counter passes N (5 s).
wait_count_above() {
	local n=$1 tries=100
	while [ "$tries" -gt 0 ]; do
		[ "$(count)" -gt "$n" ] && return 0
		sleep 0.05
		tries=$((tries - 1))
	done
	echo "counter stuck at $(count), wanted > $n" >&2
	return 1
}

start_counter() {
	counter_bundle
	run_detached || return 1
	wait_count_above 2
}

@test "checkpoint: an unknown option is refused, naming it" {
	run husk checkpoint --no-such-option "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown option"*"--no-such-option"* ]]
	run husk restore --bogus "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown option"*"--bogus"* ]]
}

@test "checkpoint: --empty-ns other than network and a bad --manage-cgroups-mode are refused" {
	run husk checkpoint --empty-ns ipc "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--empty-ns"*"only"*"network"* ]]
	run husk checkpoint --manage-cgroups-mode sometimes "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid --manage-cgroups-mode"*"sometimes"* ]]
	run husk checkpoint --status-fd 1 "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--status-fd is only for --lazy-pages"* ]]
}

@test "checkpoint: a container that is not running is refused" {
	requires root
	run husk checkpoint nonexistent
	[ "$status" -ne 0 ]
	[[ "$output" == *"container does not exist: nonexistent"* ]]
	set_args /bin/true
	create_ctr
	run husk checkpoint --image-path "$TESTDIR/img" "$CID"
	echo "$output"; cat "$TESTDIR/img/dump.log" 2>/dev/null | grep -B12 -m1 Error | head -30
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot be checkpointed in created state"* ]]
	husk start "$CID"
	wait_for_status "$CID" stopped
	run husk checkpoint --image-path "$TESTDIR/img" "$CID"
	echo "$output"; cat "$TESTDIR/img/dump.log" 2>/dev/null | grep -B12 -m1 Error | head -30
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot be checkpointed in stopped state"* ]]
}

@test "checkpoint and restore without criu: a clear error, nothing left" {
	requires root
	start_counter
	run env PATH=/nonexistent "$HUSK" --root "$ROOT" checkpoint --image-path "$TESTDIR/img" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"criu not found in PATH"*"criu 3.0 or later"* ]]
	[ "$(ctr_status)" = running ]
	run husk --criu /nonexistent/criu checkpoint --image-path "$TESTDIR/img" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/nonexistent/criu"*"criu 3.0 or later"* ]]
	mkdir -p "$TESTDIR/img"
	run env PATH=/nonexistent "$HUSK" --root "$ROOT" restore -d --bundle "$BUNDLE" --image-path "$TESTDIR/img" new-id
	[ "$status" -ne 0 ]
	[[ "$output" == *"criu not found in PATH"* ]]
	[ ! -e "$ROOT/new-id" ]
}

@test "features: checkpoint is enabled exactly when criu check passes" {
	run husk features
	[ "$status" -eq 0 ]
	enabled=$(jq -r '.annotations["org.opencontainers.runc.checkpoint.enabled"]' <<<"$output")
	"$HUSK" --debug features 2>&1 >/dev/null | grep checkpoint || true
	if command -v criu >/dev/null && criu check >/dev/null 2>&1; then
		[ "$enabled" = true ]
	else
		[ "$enabled" = false ]
	fi
	if command -v criu >/dev/null; then
		# The version came over CRIU's RPC: the same criu --version prints.
		want=$(criu --version | awk '/^Version:/ { print $2 }')
		[ "$(jq -r '.annotations["run.husk.criu.version"]' <<<"$output")" = "$want" ]
	fi
}

@test "checkpoint and restore: the counter continues, state/exec/kill/delete work" {
	requires_criu
	start_counter
	run husk checkpoint --image-path "$TESTDIR/img" "$CID"
	echo "$output"; cat "$TESTDIR/img/dump.log" 2>/dev/null | grep -B12 -m1 Error | head -30
	[ "$status" -eq 0 ]
	# Without --leave-running the container is gone.
	run husk state "$CID"
	[ "$status" -ne 0 ]
	before=$(count)
	sleep 0.5
	[ "$(count)" = "$before" ]
	run husk_detached restore -d --bundle "$BUNDLE" --image-path "$TESTDIR/img" --pid-file "$TESTDIR/pid" "$CID"
	[ "$status" -eq 0 ]
	[ "$(ctr_status)" = running ]
	[ "$(ctr_pid)" = "$(cat "$TESTDIR/pid")" ]
	wait_count_above $((before + 3))
	run husk exec "$CID" cat /count
	[ "$status" -eq 0 ]
	[ "$output" -gt "$before" ]
	husk kill "$CID" KILL
	wait_for_status "$CID" stopped
	husk delete "$CID"
	[ ! -e "$ROOT/$CID" ]
}

@test "checkpoint --leave-running: the container runs on" {
	requires_criu
	start_counter
	pid=$(ctr_pid)
	run husk checkpoint --leave-running --image-path "$TESTDIR/img" "$CID"
	[ "$status" -eq 0 ]
	[ "$(ctr_status)" = running ]
	[ "$(ctr_pid)" = "$pid" ]
	now=$(count)
	wait_count_above $((now + 3))
	[ -s "$TESTDIR/img/inventory.img" ]
}

@test "checkpoint --pre-dump, then a dump with --parent-path, restore" {
	requires_criu
	start_counter
	run husk checkpoint --pre-dump --image-path "$TESTDIR/img/pre" "$CID"
	if [[ "$output" == *"lacks memory tracking"* ]]; then
		skip "the kernel has no soft-dirty tracking: $output"
	fi
	[ "$status" -eq 0 ]
	[ "$(ctr_status)" = running ]
	run husk checkpoint --parent-path ../pre --image-path "$TESTDIR/img/final" "$CID"
	[ "$status" -eq 0 ]
	[ -L "$TESTDIR/img/final/parent" ]
	before=$(count)
	run husk_detached restore -d --bundle "$BUNDLE" --image-path "$TESTDIR/img/final" "$CID"
	[ "$status" -eq 0 ]
	wait_count_above $((before + 2))
}

@test "checkpoint and restore a container with a bind mount and a tty" {
	requires_criu
	command -v python3 >/dev/null || skip "needs python3 (the console socket's receiver)"
	mkdir -p "$TESTDIR/data"
	update_config '.process.terminal = true
		| .mounts += [{"destination": "/data", "type": "bind", "source": "'"$TESTDIR/data"'", "options": ["rbind", "rw"]}]'
	set_args /bin/sh -c 'i=0; while :; do i=$((i+1)); echo $i >/data/count.new; mv /data/count.new /data/count; echo tick $i; sleep 0.1; done'
	python3 "$RECVTTY" "$TESTDIR/tty.sock" "$TESTDIR/tty.out" &
	echo $! >>"$TESTDIR/bg.pids"
	wait_for_file "$TESTDIR/tty.sock"
	run_detached "$CID" --console-socket "$TESTDIR/tty.sock"
	wait_for_file "$TESTDIR/data/count"
	run husk checkpoint --image-path "$TESTDIR/img" "$CID"
	echo "$output"; cat "$TESTDIR/img/dump.log" 2>/dev/null | grep -B12 -m1 Error | head -30
	[ "$status" -eq 0 ]
	before=$(cat "$TESTDIR/data/count")
	python3 "$RECVTTY" "$TESTDIR/tty2.sock" "$TESTDIR/tty2.out" &
	echo $! >>"$TESTDIR/bg.pids"
	wait_for_file "$TESTDIR/tty2.sock"
	run husk_detached restore -d --bundle "$BUNDLE" --image-path "$TESTDIR/img" --console-socket "$TESTDIR/tty2.sock" "$CID"
	[ "$status" -eq 0 ]
	# The bind mount is the host's directory again, and the tty is the new master's.
	for _ in $(seq 50); do [ "$(cat "$TESTDIR/data/count")" -gt $((before + 2)) ] && break; sleep 0.1; done
	[ "$(cat "$TESTDIR/data/count")" -gt $((before + 2)) ]
	wait_for_file "$TESTDIR/tty2.out" "tick $((before + 2))"
}

@test "restore into a new id; the old id can be used again" {
	requires_criu
	start_counter
	run husk checkpoint --image-path "$TESTDIR/img" "$CID"
	echo "$output"; cat "$TESTDIR/img/dump.log" 2>/dev/null | grep -B12 -m1 Error | head -30
	[ "$status" -eq 0 ]
	before=$(count)
	run husk_detached restore -d --bundle "$BUNDLE" --image-path "$TESTDIR/img" "$CID-new"
	[ "$status" -eq 0 ]
	[ "$(ctr_status "$CID-new")" = running ]
	wait_count_above $((before + 2))
	run husk state "$CID"
	[ "$status" -ne 0 ]
	husk list -q | grep -qx "$CID-new"
	husk delete --force "$CID-new"
	[ ! -e "$ROOT/$CID-new" ]
}
