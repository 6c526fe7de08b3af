#!/usr/bin/env bats
# husk under podman (through conmon): CONTAINERS_CONF is contrib/podman/containers.conf
# with husk's path pointing at the argv-logging wrapper (named `husk`, since
# podman decides what a runtime supports from its name); every store, run dir
# and the events log are private.

load ../../bats/helpers
load ../../bats/daemons

IMG=localhost/husk-test/busybox:latest

setup_file() { clients_setup_file podman && podman_setup; }
teardown_file() { clients_teardown_file; }
setup() { clients_require; }
teardown() {
	podman rm -a -f -t 0 >/dev/null 2>&1
	return 0
}

# prun ARGS...: podman with husk given by path, the way `podman --runtime PATH` is used.
# From the test's directory: conmon (without --persist-dir, which podman 4.3
# does not pass) writes a file named `oom` into its working directory when the
# container is OOM-killed, and that was the top of the source tree.
prun() { (cd "$BATS_TEST_TMPDIR" && podman --runtime "$CLIENT_RUNTIME" "$@"); }

pstate() { podman inspect -f "$2" "$1"; }

# host_cgroup_file PID CONTROLLER FILE: a file of PID's v1 cgroup, read on the host.
host_cgroup_file() {
	local path
	path=$(awk -F: -v c="$2" '$2 == c { print $3 }' "/proc/$1/cgroup")
	cat "/sys/fs/cgroup/$2$path/$3"
}

@test "podman: containers.conf names husk; podman uses it by that name" {
	run podman info --format '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}'
	[ "$output" = "husk $CLIENT_RUNTIME" ]
	run podman run --rm "$IMG" echo hello
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	argv_logged " create .*--bundle "
}

@test "podman --runtime PATH run: output and exit status" {
	run prun run --rm "$IMG" sh -c 'echo out; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = out ]
}

@test "podman: husk's JSON error reaches the user (runtime_supports_json)" {
	run -127 prun run --rm "$IMG" /no/such/command
	[[ "$output" == */no/such/command* ]]
	argv_logged " --log-format=json --log [^ ]+ create "
}

@test "podman: a runtime name not in runtime_supports_json gets no --log-format=json" {
	make_runtime_wrapper "$CLIENT_TMP/bin/unlisted"
	local n
	n=$(wc -l <"$CLIENT_ARGV_LOG")
	run podman --runtime "$CLIENT_TMP/bin/unlisted" run --rm "$IMG" true
	[ "$status" -eq 0 ]
	tail -n +$((n + 1)) "$CLIENT_ARGV_LOG" >"$CLIENT_TMP/unlisted.log"
	grep -q ' create ' "$CLIENT_TMP/unlisted.log"
	run ! grep -q -- --log-format "$CLIENT_TMP/unlisted.log"
}

@test "podman: --cgroups=disabled is refused for husk (not in runtime_supports_nocgroups)" {
	run prun run --rm --cgroups=disabled "$IMG" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"not compatible with NoCgroups"* ]]
}

@test "podman exec: output and exit status of the new process" {
	prun run -d --name ex "$IMG" sleep 100
	run prun exec ex cat /proc/1/comm
	[ "$status" -eq 0 ]
	[ "$output" = sleep ]
	run -4 prun exec ex sh -c 'exit 4'
	run prun exec -u 1000 -w /tmp ex sh -c 'id -u; pwd'
	[ "$output" = "$(printf '1000\n/tmp')" ]
}

@test "podman stop: SIGTERM reaches a process that traps it" {
	prun run -d --name st "$IMG" sh -c 'trap "echo got-term; exit 7" TERM; while :; do sleep 0.1; done'
	sleep 0.5
	prun stop -t 10 st
	[ "$(pstate st '{{.State.ExitCode}}')" = 7 ]
	run prun logs st
	[[ "$output" == *got-term* ]]
}

@test "podman pause/unpause: the container stops making progress, then resumes" {
	prun run -d --name pz "$IMG" sh -c 'while :; do echo tick; sleep 0.1; done'
	sleep 0.5
	prun pause pz
	[ "$(pstate pz '{{.State.Status}}')" = paused ]
	local n1 n2
	n1=$(prun logs pz | wc -l); sleep 0.6; n2=$(prun logs pz | wc -l)
	[ "$n1" -eq "$n2" ]
	prun unpause pz
	sleep 0.5
	[ "$(prun logs pz | wc -l)" -gt "$n2" ]
}

@test "podman run -d + logs" {
	prun run -d --name lg "$IMG" sh -c 'echo out-line; echo err-line >&2; sleep 100'
	wait_for sh -c "podman --root '$CLIENT_TMP/podman/graph' --runroot '$CLIENT_TMP/podman/run' --storage-driver vfs logs lg 2>&1 | grep -q err-line"
	run prun logs lg
	[[ "$output" == *out-line* ]]
}

@test "podman run -d + inspect: State.Pid is a live host pid in its own namespaces" {
	prun run -d --name ip "$IMG" sleep 100
	[ "$(pstate ip '{{.State.Running}}')" = true ]
	local pid
	pid=$(pstate ip '{{.State.Pid}}')
	pid_alive "$pid"
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 100 " ]
	[ "$(readlink "/proc/$pid/ns/pid")" != "$(host_ns pid)" ]
}

@test "podman rm: the container is gone from podman and from husk" {
	prun run -d --name gone "$IMG" sleep 100
	local id
	id=$(pstate gone '{{.Id}}')
	prun rm -f -t 0 gone
	run prun ps -a -q --no-trunc
	[[ "$output" != *"$id"* ]]
	argv_logged "delete --force $id"
}

@test "podman run --memory: the limit is set; OOM gives 137" {
	prun run -d --name mem --memory 64m "$IMG" sleep 100
	[ "$(host_cgroup_file "$(pstate mem '{{.State.Pid}}')" memory memory.limit_in_bytes)" = 67108864 ]
	# shellcheck disable=SC2016 # $x is the container shell's
	run -137 prun run --rm --memory 32m --memory-swap 32m "$IMG" sh -c 'x=a; i=0; while [ $i -lt 26 ]; do x=$x$x; i=$((i + 1)); done'
}
