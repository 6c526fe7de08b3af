#!/usr/bin/env bats
# Issue 16 (runc parity), the terminal: the pty of a process belongs to the
# user it runs as (so that it can use its own terminal), for run and for exec;
# the group stays what devpts gives it (gid=5 in the default config: tty).
# Output reaches the pipe the way husk proxies it (no \r added: fixes-tty.bats).

load ../../bats/helpers

setup() {
	common_setup
	update_config '.process.terminal = true'
}

# The owner uid:gid of the process's terminal, then its own ids.
# shellcheck disable=SC2016 # for the container's shell
TTY_OWNER='stat -c %u:%g "$(tty)"; id -u; id -g'

@test "run with a terminal as uid 1000: the pty is the user's, group tty" {
	update_config '.process.user.uid = 1000 | .process.user.gid = 100'
	set_args /bin/sh -c "$TTY_OWNER"
	run husk run --bundle "$BUNDLE" "$CID" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000:5 ]
	[ "${lines[1]}" = 1000 ]
	[ "${lines[2]}" = 100 ]
}

@test "run with a terminal as root with gid 100: the pty stays root's, group tty" {
	update_config '.process.user.gid = 100'
	set_args /bin/sh -c "$TTY_OWNER"
	run husk run --bundle "$BUNDLE" "$CID" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0:5 ]
}

@test "exec -t as the config's user 1000: its pty is the user's" {
	update_config '.process.terminal = false | .process.user.uid = 1000 | .process.user.gid = 100'
	set_args /probe sleep 600
	run_detached
	run husk exec -t "$CID" /bin/sh -c "$TTY_OWNER" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000:5 ]
	[ "${lines[1]}" = 1000 ]
}

@test "exec -t --user 1234:4321 in a root container: the pty is uid 1234's" {
	update_config '.process.terminal = false'
	set_args /probe sleep 600
	run_detached
	run husk exec -t --user 1234:4321 "$CID" /bin/sh -c "$TTY_OWNER" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1234:5 ]
	[ "${lines[2]}" = 4321 ]
}

@test "run with a terminal in a user namespace: the pty is the user's as the container sees it" {
	requires userns
	update_config '.process.user.uid = 1000 | .process.user.gid = 100
		| .linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]'
	set_args /bin/sh -c "$TTY_OWNER"
	run husk run --bundle "$BUNDLE" "$CID" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000:5 ]
}

@test "a config listing /dev/ptmx among its devices still gets its terminal" {
	update_config '.linux.devices += [{"path": "/dev/ptmx", "type": "c", "major": 5, "minor": 2}]
		| .linux.resources.devices = [{"allow": false, "access": "rwm"}]'
	set_args /bin/sh -c 'tty; readlink /dev/ptmx'
	run husk run --bundle "$BUNDLE" "$CID" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /dev/pts/0 ]
	[ "${lines[1]}" = pts/ptmx ]
}
