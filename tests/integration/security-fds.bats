#!/usr/bin/env bats
# Escape 2 of issue 12 (CVE-2016-9962 / CVE-2024-21626 class): between create and
# start, the init must hold nothing of the host's but stdio, the preserved fds
# and the exec fifo.  A container process with CAP_SYS_PTRACE can open the init's
# fds through /proc/1/fd: a directory fd of the host there is a way out.

load ../../bats/helpers

# The attacker, run by `husk exec` with CAP_SYS_PTRACE: every directory fd of
# the init is tried as a way to the host's $1 (a file only the host has): the
# fd itself, its process directories' roots and cwds, and its ancestors.
hunt_script='
mark=$1
for d in /proc/1/fd/* /proc/1/cwd /proc/1/root; do
	[ -d "$d" ] || continue
	echo "dir $d"
	for p in "$d$mark" "$d/..$mark" "$d/../..$mark" "$d"/*/root"$mark" "$d"/*/cwd"$mark" \
		"$d"/*/task/*/root"$mark"; do
		if [ -e "$p" ]; then
			echo "ESCAPE $p"
			cat "$p"
			echo owned >>"$p"
		fi
	done
done
echo hunt-done
'

# create_with_fds: create with the caller holding fds 3, 4 and 10 open on host
# files (none preserved).
create_with_fds() {
	"$HUSK" --root "$ROOT" create --bundle "$BUNDLE" "$CID" </dev/null >"$CTR_OUT" 2>"$CTR_ERR" \
		3>"$TESTDIR/caller-fd3" 4>"$TESTDIR/caller-fd4" 10>"$TESTDIR/caller-fd10"
}

@test "escape 2: a created init's fds lead nowhere on the host, even with CAP_SYS_PTRACE" {
	echo host-secret >"$TESTDIR/host-marker"
	set_args /bin/sleep 100
	create_with_fds
	[ "$(ctr_status)" = created ]
	run husk exec --cap CAP_SYS_PTRACE "$CID" /bin/sh -c "$hunt_script" sh "$TESTDIR/host-marker"
	echo "$output"
	[[ "$output" == *hunt-done* ]]
	[[ "$output" != *ESCAPE* ]]
	[ "$(cat "$TESTDIR/host-marker")" = host-secret ]
}

@test "escape 2: before start the init holds only stdio, the exec fifo and its own fd directory" {
	set_args /bin/sleep 100
	create_with_fds
	pid=$(ctr_pid)
	# Counting from the host reads the init's fd table only (not its root).
	local fds=() targets=() t n
	for n in $(ls /proc/"$pid"/fd | sort -n); do
		t=$(readlink "/proc/$pid/fd/$n")
		echo "fd $n -> $t"
		fds+=("$n")
		targets+=("$t")
	done
	for t in "${targets[@]}"; do
		[[ "$t" != *caller-fd* ]]
	done
	# 0, 1, 2 and exactly two more: the fifo and the init's own /proc/thread-self/fd,
	# looked up in the procfs husk mounted at the container's /proc (named
	# /proc/1/task/1/fd, which runc's fd audit of a created container allows).
	[ "${#fds[@]}" -eq 5 ]
	[ "${targets[0]}" = /dev/null ]
	[ "${targets[1]}" = "$CTR_OUT" ]
	[ "${targets[2]}" = "$CTR_ERR" ]
	[[ " ${targets[*]} " == *" $ROOT/$CID/exec.fifo "* ]]
	for t in "${targets[@]:3}"; do
		[ "$t" = "$ROOT/$CID/exec.fifo" ] || [ "$t" = /proc/1/task/1/fd ]
	done
	husk start "$CID"
	[ "$(ctr_status)" = running ]
}

@test "escape 2: with no /proc in the config the init's fd directory is in a private procfs" {
	# Nothing at /proc to look it up in: a procfs instance of the init's own,
	# attached nowhere (named /1/task/1/fd), and start still finds the fifo.
	update_config '.mounts |= map(select(.destination != "/proc"))'
	set_args /bin/sleep 100
	create_with_fds
	pid=$(ctr_pid)
	local n t dirs=()
	for n in $(ls /proc/"$pid"/fd); do
		t=$(readlink "/proc/$pid/fd/$n")
		echo "fd $n -> $t"
		[[ "$t" != *caller-fd* ]]
		[[ "$t" != */task/1/fd ]] || dirs+=("$t")
	done
	[ "${dirs[*]}" = /1/task/1/fd ]
	husk start "$CID"
	[ "$(ctr_status)" = running ]
}

@test "escape 2: --preserve-fds keeps exactly the preserved fds, the caller's others are gone" {
	set_args /bin/sh -c 'for f in /proc/self/fd/*; do echo "$f $(readlink $f)"; done; cat <&3'
	echo preserved-data >"$TESTDIR/preserved"
	run "$HUSK" --root "$ROOT" run --preserve-fds 1 --bundle "$BUNDLE" "$CID" </dev/null \
		3<"$TESTDIR/preserved" 4>"$TESTDIR/caller-fd4" 10>"$TESTDIR/caller-fd10"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *preserved-data* ]]
	[[ "$output" == *"/proc/self/fd/3 "*preserved* ]]
	[[ "$output" != *caller-fd* ]]
}

@test "escape 2: husk exec's process carries no caller fd and no host directory fd" {
	echo host-secret >"$TESTDIR/host-marker"
	set_args /bin/sleep 100
	create_ctr
	husk start "$CID"
	# The exec'd process looks at its own fds just after its execve: only stdio
	# and ls's directory.
	run "$HUSK" --root "$ROOT" exec "$CID" /bin/sh -c 'for f in /proc/self/fd/*; do echo "$f $(readlink $f)"; done' </dev/null \
		4>"$TESTDIR/caller-fd4" 10>"$TESTDIR/caller-fd10"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *caller-fd* ]]
}
