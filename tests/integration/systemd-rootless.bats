#!/usr/bin/env bats
# shellcheck disable=SC2016,SC2030,SC2031 # jq programs in single quotes; each test its own $ROOT
# Rootless with the systemd cgroup driver (issue 15): an ordinary user's
# `husk --systemd-cgroup` starts the container's scope in the user's own
# manager (systemd --user, on its private socket $XDG_RUNTIME_DIR/systemd/private,
# else the session bus), in user.slice as runc, below user@UID.service, into which systemd delegates
# memory and pids: the limits of linux.resources reach the unit and the files.
#
# setup_file makes the user husk-sdrl (helpers/rootless.bash) and, on a host
# with systemd as PID 1 on pure cgroup v2, starts its manager with
# `loginctl enable-linger`.  The first test runs on any host; the rest skip
# unless systemd is PID 1 (tests/vm/systemd-run.sh runs them in its VM):
#   HUSK_VM_TESTS="tests/integration/systemd-rootless.bats" tests/vm/systemd-run.sh

load ../../bats/helpers
load helpers/rootless

RL_USER=husk-sdrl
CG=/sys/fs/cgroup

systemd_host() {
	[ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && [ "$(stat -fc %T $CG 2>/dev/null)" = cgroup2fs ]
}

# The user's manager: linger starts user@UID.service (systemd --user) and
# logind makes /run/user/UID; wait until its private socket answers.
start_user_manager() {
	loginctl enable-linger "$RL_USER" || return 1
	for _ in $(seq 150); do
		if [ "$(systemctl is-active "user@$RL_UID.service")" = active ] &&
			[ -S "/run/user/$RL_UID/systemd/private" ]; then
			return 0
		fi
		sleep 0.2
	done
	echo "user@$RL_UID.service did not start: $(systemctl status "user@$RL_UID.service" 2>&1 | tail -n 5)" >&2
	return 1
}

setup_file() {
	rootless_setup_file || return 1
	if systemd_host && [ -n "${RL_UID:-}" ]; then
		start_user_manager || return 1
	fi
}

teardown_file() {
	if systemd_host && [ -n "${RL_UID:-}" ]; then
		loginctl disable-linger "$RL_USER" 2>/dev/null
		systemctl stop "user@$RL_UID.service" 2>/dev/null
	fi
	rootless_teardown_file
}

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root (to create the unprivileged user)"
	[ -n "${RL_TMP:-}" ] || skip "the unprivileged user could not be set up"
	TESTDIR=$(mktemp -d "$RL_TMP/t.XXXXXX")
	chmod 755 "$TESTDIR"
	BUNDLE="$TESTDIR/bundle"
	ROOTFS="$BUNDLE/rootfs"
	CID="sdrl-$$-${BATS_TEST_NUMBER}"
	UNIT="husk-$CID.scope"
	mkdir -p "$BUNDLE"
	cp -a "$RL_TMP/rootfs" "$ROOTFS"
	chown -R "$RL_USER:" "$TESTDIR"
	if systemd_host; then
		RL_XDG=/run/user/$RL_UID
	else
		RL_XDG="$TESTDIR/xdg"
		mkdir -m 700 "$RL_XDG"
		chown "$RL_USER:" "$RL_XDG"
	fi
	ROOT="$RL_XDG/husk"
	(cd "$BUNDLE" && as_user "$RL_HUSK" spec --rootless) || return 1
	update_config '.process.terminal = false | .process.args = ["sleep", "100"] | .root.readonly = false
		| .linux.resources = {memory: {limit: 67108864}, pids: {limit: 30}}'
}

teardown() {
	[ -n "${TESTDIR:-}" ] || return 0
	local d
	for d in "$ROOT"/*/; do
		[ -d "$d" ] && as_user timeout 20 "$RL_HUSK" --systemd-cgroup delete --force "$(basename "$d")" >/dev/null 2>&1
	done
	if systemd_host; then
		sysu stop "$UNIT" >/dev/null 2>&1
		sysu reset-failed "$UNIT" >/dev/null 2>&1
	fi
	kill_user_procs_but_manager
	rm -rf "$TESTDIR"
}

# Every process of the user's but its manager (systemd --user and its
# (sd-pam)), which the file keeps.
kill_user_procs_but_manager() {
	local p mgr
	mgr=" $(tr '\n' ' ' <"$CG/user.slice/user-$RL_UID.slice/user@$RL_UID.service/init.scope/cgroup.procs" 2>/dev/null) "
	for p in /proc/[0-9]*; do
		[ "$(stat -c %u "$p" 2>/dev/null)" = "$RL_UID" ] || continue
		[[ "$mgr" == *" ${p#/proc/} "* ]] && continue
		[ "$(awk '{ print $3 }' "$p/stat" 2>/dev/null)" = Z ] && continue
		kill -KILL "${p#/proc/}" 2>/dev/null
	done
	return 0
}

# rl ARGS...: husk as the user, with the systemd driver.
rl() { as_user "$RL_HUSK" --systemd-cgroup "$@"; }

# sysu ARGS...: systemctl --user of the user (its manager's private socket).
sysu() { RL_XDG=/run/user/$RL_UID as_user systemctl --user "$@"; }

# rl_run: run -d of the bundle, the container's stdio in files (a pipe of
# bats's would be held open by the container); prints what husk wrote.
rl_run() {
	local rc=0
	rl run -d --bundle "$BUNDLE" "$CID" </dev/null >"$TESTDIR/ctr.out" 2>"$TESTDIR/ctr.err" || rc=$?
	cat "$TESTDIR/ctr.err" "$TESTDIR/ctr.out"
	return $rc
}

uprop() { sysu show -p "$2" --value "$1"; }

# The scope's cgroup: in user.slice of the user's manager.
scope_dir() { echo "$CG/user.slice/user-$RL_UID.slice/user@$RL_UID.service/user.slice/$UNIT"; }

# nothing_left: no state, no unit, no cgroup directory of the container.
nothing_left() {
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ] || { echo "state left: $(ls "$ROOT")" >&2; return 1; }
	if systemd_host; then
		local units
		units=$(sysu list-units --all --plain --no-legend 'husk-*')
		[ -z "$units" ] || { echo "units left: $units" >&2; return 1; }
		[ "$(uprop "$UNIT" LoadState)" = not-found ] || { echo "$UNIT still loaded" >&2; return 1; }
		[ ! -e "$(scope_dir)" ] || { echo "cgroup left: $(scope_dir)" >&2; return 1; }
	fi
	return 0
}

@test "rootless --systemd-cgroup without systemd --user: a clear error, and nothing is left" {
	# An empty runtime directory: no manager's socket, no session bus.
	RL_XDG="$TESTDIR/empty"
	ROOT="$RL_XDG/husk"
	mkdir -m 700 "$RL_XDG"
	chown "$RL_USER:" "$RL_XDG"
	run rl_run
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--systemd-cgroup as an unprivileged user needs systemd --user: cannot connect to \`$RL_XDG/systemd/private\`"* ]]
	nothing_left
}

@test "rootless --systemd-cgroup: the scope in the user's manager applies the memory and pids limits" {
	systemd_host || skip "needs systemd as PID 1 on pure cgroup v2 (tests/vm/systemd-run.sh)"
	d=$(scope_dir)
	run rl_run
	echo "$output"
	[ "$status" -eq 0 ]
	pid=$(rl state "$CID" | jq -r .pid)
	[ "$pid" -gt 0 ]
	# The unit is the user manager's (systemctl --user), not the system's.
	[ "$(uprop "$UNIT" ActiveState)" = active ]
	[ "$(systemctl show -p LoadState --value "$UNIT")" = not-found ]
	[ "$(uprop "$UNIT" ControlGroup)" = "${d#"$CG"}" ]
	[ "$(uprop "$UNIT" MemoryMax)" = 67108864 ]
	[ "$(uprop "$UNIT" TasksMax)" = 30 ]
	[ "$(cat "$d/memory.max")" = 67108864 ]
	[ "$(cat "$d/pids.max")" = 30 ]
	# The container's init is in that scope; so is an exec'd process.
	[ "$(cat "/proc/$pid/cgroup")" = "0::${d#"$CG"}" ]
	grep -qx "$pid" "$d/cgroup.procs"
	rl exec -d --pid-file "$TESTDIR/exec.pid" "$CID" sleep 100 </dev/null >"$TESTDIR/exec.out" 2>&1
	epid=$(cat "$TESTDIR/exec.pid")
	[ "$(cat "/proc/$epid/cgroup")" = "0::${d#"$CG"}" ]
	# state.json names the scope's cgroup (recorded before it existed).
	[ "$(jq -c .cgroup_dirs "$ROOT/$CID/state.json")" = "[\"$d\"]" ]
	# update finds the unit in the user's manager again.
	rl update --memory 134217728 --pids-limit 40 "$CID"
	[ "$(uprop "$UNIT" MemoryMax)" = 134217728 ]
	[ "$(cat "$d/memory.max")" = 134217728 ]
	[ "$(uprop "$UNIT" TasksMax)" = 40 ]
	[ "$(cat "$d/pids.max")" = 40 ]
	rl kill "$CID" KILL
	for _ in $(seq 100); do
		[ "$(rl state "$CID" | jq -r .status)" = stopped ] && break
		sleep 0.1
	done
	[ "$(rl state "$CID" | jq -r .status)" = stopped ]
	rl delete "$CID"
	pid_gone "$pid"
	nothing_left
}

@test "rootless --systemd-cgroup: the pids limit holds in the container" {
	systemd_host || skip "needs systemd as PID 1 on pure cgroup v2 (tests/vm/systemd-run.sh)"
	update_config '.linux.resources.pids.limit = 5'
	run rl_run
	echo "$output"
	[ "$status" -eq 0 ]
	d=$(scope_dir)
	[ "$(cat "$d/pids.max")" = 5 ]
	# The init (1) and the shell (2) leave room for 3 more: the 4th fork fails.
	run rl exec "$CID" sh -c 'for i in 1 2 3 4 5 6; do sleep 2 & done; wait'
	echo "$output"
	[[ "$output" == *"can't fork"* ]] || [[ "$output" == *"Resource temporarily unavailable"* ]]
	[ "$(awk '$1 == "max" { print $2 }' "$d/pids.events")" -gt 0 ]
	rl delete --force "$CID"
	nothing_left
}

@test "rootless --systemd-cgroup: on the session bus when the manager's private socket is not at hand" {
	systemd_host || skip "needs systemd as PID 1 on pure cgroup v2 (tests/vm/systemd-run.sh)"
	# The user's dbus-daemon (dbus-user-session, socket-activated by its manager).
	for _ in $(seq 50); do
		[ -S "/run/user/$RL_UID/bus" ] && break
		sleep 0.2
	done
	[ -S "/run/user/$RL_UID/bus" ]
	# XDG_RUNTIME_DIR without the manager's socket; the bus named by the
	# environment.  (systemd sends JobRemoved there only to subscribers.)
	RL_XDG="$TESTDIR/xdg"
	ROOT="$RL_XDG/husk"
	mkdir -m 700 "$RL_XDG"
	chown "$RL_USER:" "$RL_XDG"
	# shellcheck disable=SC2034 # read by as_user (helpers/rootless.bash)
	RL_ENV="DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/$RL_UID/bus"
	d=$(scope_dir)
	run rl_run
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(uprop "$UNIT" ActiveState)" = active ]
	[ "$(uprop "$UNIT" MemoryMax)" = 67108864 ]
	[ "$(cat "$d/memory.max")" = 67108864 ]
	[ "$(cat "$d/pids.max")" = 30 ]
	pid=$(rl state "$CID" | jq -r .pid)
	[ "$(cat "/proc/$pid/cgroup")" = "0::${d#"$CG"}" ]
	rl delete --force "$CID"
	pid_gone "$pid"
	nothing_left
}
