#!/usr/bin/env bats
# How husk fails, in the shape runc's callers (and runc's own tests) expect:
# exec's exit status tells husk's own failures (255) from the process's,
# a hook's failure reads "error running KIND hook #N: ...", an execve failure
# "exec PATH: REASON".

load ../../bats/helpers

# A script whose interpreter does not exist: execve fails with ENOENT although
# the file itself is there and executable.
bad_interpreter() {
	printf '#!/no/such/interpreter\n' >"$ROOTFS/bad.sh"
	chmod 755 "$ROOTFS/bad.sh"
}

@test "exec exits 255 for its own failures and with the process's status otherwise" {
	set_args /probe sleep 100
	run_detached
	run husk exec "$CID" /bin/sh -c "exit 42"
	[ "$status" -eq 42 ]
	run husk exec "$CID" /bin/false
	[ "$status" -eq 1 ]
	run husk exec "$CID" no-such-binary
	[ "$status" -eq 255 ]
	# shellcheck disable=SC2016 # the text is $PATH, as Go's exec.LookPath writes it
	[[ "$output" == *'exec: "no-such-binary": executable file not found in $PATH'* ]]
	run husk exec --pid-file "$TESTDIR/no/such/dir/pid" "$CID" /bin/true
	[ "$status" -eq 255 ]
	run husk exec "$CID-none" /bin/true
	[ "$status" -eq 255 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "exec: an execve failure reads exec PATH: REASON and exits 255" {
	bad_interpreter
	set_args /probe sleep 100
	run_detached
	run husk exec "$CID" /bad.sh
	[ "$status" -eq 255 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == *"exec /bad.sh: no such file or directory" ]]
}

@test "run: an execve failure after start is the one line exec PATH: REASON" {
	bad_interpreter
	set_args /bad.sh
	# 127, as a shell's "not found": the process never started.
	run -127 run_ctr
	[ "${#lines[@]}" -eq 1 ]
	[ "${lines[0]}" = "exec /bad.sh: no such file or directory" ]
}

@test "a failing hook reads error running KIND hook #N: with its exit status and stderr" {
	update_config '.hooks.createRuntime = [{"path": "/bin/true"},
		{"path": "/bin/sh", "args": ["sh", "-c", "echo the reason >&2; exit 3"]}]'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"error running createRuntime hook #1: /bin/sh: exit status 3, stderr: the reason"* ]]
	[ ! -e "$ROOT/$CID" ]
}

@test "a hook killed by a signal reads signal: NAME" {
	update_config '.hooks.prestart = [{"path": "/bin/sh", "args": ["sh", "-c", "kill -SYS $$"]}]'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"error running prestart hook #0: /bin/sh: signal: bad system call"* ]]
}

@test "a hook that cannot be executed reads exec PATH: REASON" {
	update_config '.hooks.createRuntime = [{"path": "/no/such/hook"}]'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"error running createRuntime hook #0: exec /no/such/hook: no such file or directory"* ]]
}

@test "a startContainer hook without env of its own gets the process's environment" {
	# shellcheck disable=SC2016 # $ONE is the hook's
	update_config '.process.env = ["ONE=two", "PATH=/bin"]
		| .hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "test \"$ONE\" = two"]}]'
	set_args /bin/true
	run run_ctr
	[ "$status" -eq 0 ]
	# Its own env, when it has one, is all it gets.
	update_config '.hooks.startContainer[0].env = ["TWO=three"]'
	run -127 run_ctr
	[[ "$output" == *"error running startContainer hook #0: /bin/sh: exit status 1"* ]]
}

@test "exec --cgroup failures read bad sub cgroup path, error adding pid, unknown controller" {
	set_args /probe sleep 100
	run_detached
	run husk exec --cgroup .. "$CID" /bin/true
	[ "$status" -eq 255 ]
	[[ "$output" == *"bad sub cgroup path"* ]]
	run husk exec --cgroup nonexistent "$CID" /bin/true
	[ "$status" -eq 255 ]
	[[ "$output" == *" adding pid "*"no such file or directory"* ]]
	[ -e /sys/fs/cgroup/cgroup.controllers ] && skip "controllers name v1 hierarchies"
	run husk exec --cgroup whaaat:/ "$CID" /bin/true
	[ "$status" -eq 255 ]
	[[ "$output" == *"unknown controller"*"whaaat"* ]]
}

@test "unified resources a v1 or hybrid host cannot take are an invalid configuration" {
	[ -e /sys/fs/cgroup/cgroup.controllers ] && skip "memory is in the unified hierarchy"
	update_config '.linux.resources.unified = {"memory.min": "131072"}'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid configuration"*'linux.resources.unified["memory.min"]'* ]]
	[ ! -e "$ROOT/$CID" ]
}

@test "a symlink where /proc goes reads must be mounted on ordinary directory" {
	rmdir "$ROOTFS/proc"
	ln -s /elsewhere "$ROOTFS/proc"
	run create_ctr
	[ "$status" -eq 1 ]
	[[ "$output" == *"/proc"*"must be mounted on ordinary directory"* ]]
	[ ! -e "$ROOT/$CID" ]
}

@test "SCHED_DEADLINE with a cpuset reads process scheduler can't be used together with AllowedCPUs" {
	[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
	update_config '.linux.resources.cpu.cpus = "0"
		| .process.scheduler = {"policy": "SCHED_DEADLINE", "runtime": 42000, "deadline": 1000000, "period": 1000000}'
	run create_ctr
	[ "$status" -eq 1 ]
	[[ "$output" == *"process scheduler can't be used together with AllowedCPUs"* ]]
	[ ! -e "$ROOT/$CID" ]
}

@test "memoryPolicy refusals read invalid memory policy mode/flag/nodes, mode requires N nodes" {
	update_config '.linux.memoryPolicy = {"mode": "INTERLEAVE", "nodes": "0"}'
	run create_ctr
	[ "$status" -eq 1 ]
	[[ "$output" == *'invalid memory policy mode "INTERLEAVE"'* ]]
	update_config '.linux.memoryPolicy = {"nodes": "0"}'
	run create_ctr
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid memory policy mode"* ]]
	update_config '.linux.memoryPolicy = {"mode": "MPOL_PREFERRED", "nodes": "0", "flags": ["badflag"]}'
	run create_ctr
	[ "$status" -eq 1 ]
	[[ "$output" == *'invalid memory policy flag "badflag"'* ]]
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0-9876543210"}'
	run create_ctr
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid memory policy nodes"* ]]
	update_config '.linux.memoryPolicy = {"mode": "MPOL_DEFAULT", "nodes": "0-7"}'
	run create_ctr
	[ "$status" -eq 1 ]
	[[ "$output" == *"memory policy mode requires 0 nodes but got 8"* ]]
	[ ! -e "$ROOT/$CID" ]
}

@test "update with checkBeforeUpdate reads rejecting memory limit / memory+swap limit" {
	set_args /probe sleep 100
	run_detached
	run husk update -r - "$CID" <<<'{"memory": {"limit": 1024, "checkBeforeUpdate": true}}'
	[ "$status" -ne 0 ]
	[[ "$output" == *"rejecting memory limit 1024"* ]]
	run husk update -r - "$CID" <<<'{"memory": {"limit": 1024, "swap": 2048, "checkBeforeUpdate": true}}'
	[ "$status" -ne 0 ]
	[[ "$output" == *"rejecting memory+swap limit 2048"* ]]
	[ "$(ctr_status "$CID")" = running ]
}

@test "createContainer hooks run from the rootfs (runc's cwd for them)" {
	# shellcheck disable=SC2016 # $0 is the hook's, $out jq's
	update_config '.hooks.createContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "pwd >\"$0\"", $out]}]' \
		--arg out "$TESTDIR/cwd"
	set_args /bin/true
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$(cat "$TESTDIR/cwd")" = "$(realpath "$ROOTFS")" ]
}
