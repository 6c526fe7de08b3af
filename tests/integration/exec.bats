#!/usr/bin/env bats
# husk exec: a new process in a running container — its namespaces, cgroup and
# process settings, the options that override them, exit status, tty, safety.

load ../../bats/helpers

RECVTTY="$BATS_TEST_DIRNAME/helpers/recvtty.py"

# start_ctr [JQ FILTER]: a running container whose init sleeps, config edited first.
start_ctr() {
	set_args /probe sleep 600
	[ -z "${1:-}" ] || update_config "$1"
	run_detached >/dev/null || return 1
	INIT=$(ctr_pid)
}

# exec_detached ARGS...: husk exec -d ARGS with the process's stdio away from
# bats' pipes (it outlives the command); prints what husk wrote.
exec_detached() {
	husk_detached exec --detach "$@"
}

# cgroup_dir CTRL: the container's directory in that hierarchy, from state.json.
cgroup_dir() {
	jq -r --arg c "/$1/" '.cgroup_dirs[] | select(contains($c))' "$ROOT/$CID/state.json" | head -1
}

@test "exec joins every namespace of the container" {
	requires cgroupns timens
	start_ctr '.linux.namespaces += [{"type": "cgroup"}, {"type": "time"}]'
	run husk exec "$CID" /probe ns
	[ "$status" -eq 0 ]
	for t in cgroup ipc mnt net pid time user uts; do
		[ "$(ns_in_output $t)" = "$(readlink /proc/"$INIT"/ns/$t)" ]
	done
	[ "$(ns_in_output pid)" != "$(host_ns pid)" ]
}

@test "exec joins the container's user namespace" {
	requires userns
	start_ctr '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] | .linux.gidMappings = .linux.uidMappings'
	chown -R 100000:100000 "$ROOTFS"
	run husk exec "$CID" /bin/sh -c 'readlink /proc/self/ns/user; cat /proc/self/uid_map; id -u'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink /proc/"$INIT"/ns/user)" ]
	[ "$(echo ${lines[1]})" = "0 100000 65536" ]
	[ "${lines[2]}" = 0 ]
}

@test "exec runs in the container's cgroup" {
	start_ctr
	exec_detached --pid-file "$TESTDIR/pid" "$CID" /probe sleep 600
	pid=$(cat "$TESTDIR/pid")
	[ -n "$(cat /proc/"$INIT"/cgroup)" ]
	[ "$(cat /proc/"$pid"/cgroup)" = "$(cat /proc/"$INIT"/cgroup)" ]
	run husk exec "$CID" cat /proc/self/cgroup
	[[ "$output" == *"/$CID"* ]]
}

@test "exec --cgroup joins an existing sub-cgroup, and refuses one that escapes" {
	start_ctr
	dir=$(cgroup_dir pids)
	[ -n "$dir" ] || skip "no v1 pids hierarchy on this host"
	mkdir "$dir/sub"
	run husk exec --cgroup pids:sub "$CID" cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	grep -q ":pids:.*/$CID/sub\$" <<<"$output"
	grep -q ":memory:.*/$CID\$" <<<"$output"
	run husk exec --cgroup ../x "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"must stay inside"* ]]
	# A sub-cgroup that is not there: refused before any process, naming it.
	run husk exec --cgroup pids:nosuch "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"error adding pid to cgroup \`$dir/nosuch\`: no such file or directory"* ]]
}

@test "the exit status propagates, 128+N for a signal" {
	start_ctr
	run husk exec "$CID" /probe exit 7
	[ "$status" -eq 7 ]
	run husk exec "$CID" /bin/sh -c 'kill -9 $$'
	[ "$status" -eq 137 ]
	run husk exec "$CID" /nonexistent
	[ "$status" -ne 0 ]
	[[ "$output" == *'exec: "/nonexistent": no such file or directory'* ]]
}

@test "exec inherits the config's env, cwd and user; --env, --cwd and --user override" {
	start_ctr '.process.env = ["PATH=/bin", "FROM_CONFIG=1"] | .process.cwd = "/tmp" | .process.user = {"uid": 1000, "gid": 1000}'
	run husk exec "$CID" /bin/sh -c '/probe env; /probe cwd; /probe ids'
	grep -qx FROM_CONFIG=1 <<<"$output"
	[ "$(line_in_output cwd)" = /tmp ]
	[ "$(line_in_output uid)" = 1000 ]
	run husk exec -e FOO=bar --env FROM_CONFIG=2 --cwd /home/user -u 0:20 "$CID" /bin/sh -c '/probe env; /probe cwd; /probe ids'
	grep -qx FOO=bar <<<"$output"
	grep -qx FROM_CONFIG=2 <<<"$output"
	[ "$(line_in_output cwd)" = /home/user ]
	[ "$(line_in_output uid)" = 0 ]
	[ "$(line_in_output gid)" = 20 ]
}

@test "exec --user UID keeps the config's gid; --additional-gids adds groups" {
	start_ctr '.process.user = {"uid": 0, "gid": 30, "additionalGids": [40]}'
	run husk exec -u 1000 -g 10 --additional-gids 20 "$CID" /probe ids
	[ "$status" -eq 0 ]
	[ "$(line_in_output uid)" = 1000 ]
	[ "$(line_in_output gid)" = 30 ]
	[ "$(line_in_output groups | tr ' ' '\n' | sort -n | xargs)" = "10 20 40" ]
	run husk exec -u 1000:x "$CID" true
	[ "$status" -ne 0 ]
}

@test "exec --cap adds to bounding, effective and permitted, never inheritable (nor ambient without an inheritable set)" {
	start_ctr
	run husk exec "$CID" /probe caps
	before=$(awk '$1 == "CapEff:" { print $2 }' <<<"$output")
	run husk exec --cap CAP_SYS_ADMIN -c CAP_NET_ADMIN "$CID" /probe caps
	[ "$status" -eq 0 ]
	want=$(printf '%016x' $((0x$before | (1 << 21) | (1 << 12))))
	for f in CapEff CapPrm CapBnd; do [ "$(awk -v k=$f: '$1 == k { print $2 }' <<<"$output")" = "$want" ]; done
	[ "$(awk '$1 == "CapInh:" { print $2 }' <<<"$output")" = 0000000000000000 ]
	[ "$(awk '$1 == "CapAmb:" { print $2 }' <<<"$output")" = 0000000000000000 ]
}

@test "exec inherits rlimits and noNewPrivileges; --no-new-privs sets it" {
	start_ctr '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654}] | .process.noNewPrivileges = false'
	run husk exec "$CID" /bin/sh -c '/probe rlimits; /probe caps'
	[ "$(line_in_output RLIMIT_NOFILE)" = "321 654" ]
	[ "$(line_in_output no_new_privs)" = 0 ]
	run husk exec --no-new-privs "$CID" /probe caps
	[ "$(line_in_output no_new_privs)" = 1 ]
}

@test "exec --process FILE runs that process, not the config's" {
	start_ctr '.process.env = ["FROM_CONFIG=1"]'
	echo '{"args": ["/probe", "env"], "cwd": "/tmp", "env": ["ONLY=file"], "user": {"uid": 1000, "gid": 1000}}' >"$TESTDIR/p.json"
	run husk exec --process "$TESTDIR/p.json" "$CID"
	[ "$status" -eq 0 ]
	grep -qx ONLY=file <<<"$output"
	[[ "$output" != *FROM_CONFIG* ]]
	echo '{"args": ["/probe"], "cwd": "rel"}' >"$TESTDIR/bad.json"
	run husk exec -p "$TESTDIR/bad.json" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$TESTDIR/bad.json: cwd: expected an absolute path"* ]]
}

@test "exec --process FILE: an error about one of its fields names FILE, not config.json" {
	start_ctr
	echo '{"args": ["/probe"], "cwd": "/", "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 9}}' >"$TESTDIR/io.json"
	run husk exec --process "$TESTDIR/io.json" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$TESTDIR/io.json: ioPriority.priority: invalid priority 9 (0..7)"* ]]
	[[ "$output" != *config.json* ]]
}

@test "exec --detach --pid-file returns while the process runs in the container" {
	start_ctr
	run exec_detached --pid-file "$TESTDIR/pid" "$CID" /probe sleep 600
	[ "$status" -eq 0 ]
	pid=$(cat "$TESTDIR/pid")
	pid_alive "$pid"
	[ "$(readlink /proc/"$pid"/ns/pid)" = "$(readlink /proc/"$INIT"/ns/pid)" ]
	[ "$(tr '\0' ' ' </proc/"$pid"/cmdline)" = "/probe sleep 600 " ]
}

@test "exec --tty --console-socket sends a pty of the container" {
	start_ctr
	spawn_bg "$PYTHON" "$RECVTTY" "$TESTDIR/tty.sock" "$TESTDIR/tty.out" >/dev/null
	wait_for_file "$TESTDIR/tty.sock"
	run husk exec -t --console-socket "$TESTDIR/tty.sock" "$CID" /probe tty
	[ "$status" -eq 0 ]
	wait_for_file "$TESTDIR/tty.out" "ttyname 2"
	grep -q "isatty 0 1" "$TESTDIR/tty.out"
	grep -q "ttyname 1 /dev/pts/" "$TESTDIR/tty.out"
}

@test "exec --tty in the foreground proxies the pty; --detach --tty needs a socket" {
	start_ctr
	run husk exec -t "$CID" /probe tty </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"isatty 1 1"* ]]
	run husk exec -d -t "$CID" /probe tty
	[ "$status" -ne 0 ]
	[[ "$output" == *"console socket"* ]]
}

@test "only fds 0 1 2 and the preserved ones reach the exec'd process" {
	start_ctr
	run husk exec "$CID" /probe fds
	[ "$(awk '$1 == "fd" { print $2 }' <<<"$output" | xargs)" = "0 1 2" ]
	# Not through `husk`, which closes fd 3.
	run "$HUSK" --root "$ROOT" exec --preserve-fds 1 "$CID" /probe fds 3<"$BUNDLE/config.json"
	[ "$(awk '$1 == "fd" { print $2 }' <<<"$output" | xargs)" = "0 1 2 3" ]
	[[ "$output" == *"fd 3 $BUNDLE/config.json"* ]]
}

@test "a paused container refuses exec unless --ignore-paused" {
	"$HUSK" pause --help >/dev/null 2>&1 || skip "LOUD: husk has no pause command yet: paused refusal not tested"
	start_ctr
	husk pause "$CID"
	run husk exec "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot exec in a paused container"* ]]
	husk resume "$CID"
	run husk exec "$CID" true
	[ "$status" -eq 0 ]
}

@test "a stopped container refuses exec" {
	set_args /probe exit 0
	run_detached >/dev/null
	wait_for_status "$CID" stopped
	run husk exec "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot exec in a stopped container"* ]]
}

@test "the joining process is non-dumpable: its /proc/PID/exe needs CAP_SYS_PTRACE" {
	start_ctr
	freezer=$(cgroup_dir freezer)
	[ -n "$freezer" ] || skip "no v1 freezer on this host"
	echo FROZEN >"$freezer/freezer.state"
	# Frozen as soon as it joins the cgroup, i.e. after it made itself non-dumpable.
	hp=$(spawn_bg setpriv --bounding-set -sys_ptrace "$HUSK" --root "$ROOT" exec --ignore-paused "$CID" true)
	# Up to 30 s: under ASan on a loaded machine the joiner is slow to get there.
	local joined=
	for _ in $(seq 300); do
		j=$(pgrep -P "$hp") && grep -q "husk/$CID" /proc/"$j"/cgroup 2>/dev/null && { joined=1; break; }
		sleep 0.1
	done
	[ -n "$joined" ] || { echo THAWED >"$freezer/freezer.state"; false; }
	# The husk exec parent (dumpable, in the host namespaces) is the control.  (Its
	# exe reads "/": the detached read-only bind mount husk made its exe.)
	[ -n "$(setpriv --bounding-set -sys_ptrace readlink /proc/"$hp"/exe)" ]
	run setpriv --bounding-set -sys_ptrace readlink -v /proc/"$j"/exe
	echo THAWED >"$freezer/freezer.state"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
}

@test "processes started by exec die when the container is killed and deleted" {
	start_ctr
	exec_detached --pid-file "$TESTDIR/p1" "$CID" /probe sleep 600
	exec_detached --pid-file "$TESTDIR/p2" "$CID" /bin/sh -c 'sleep 600 & wait'
	p1=$(cat "$TESTDIR/p1") p2=$(cat "$TESTDIR/p2")
	pid_alive "$p1" && pid_alive "$p2"
	husk kill "$CID" KILL
	wait_for_status "$CID" stopped
	husk delete "$CID"
	pid_gone "$p1"
	pid_gone "$p2"
}
