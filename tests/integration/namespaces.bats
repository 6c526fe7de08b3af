#!/usr/bin/env bats
# Namespaces: new ones differ from the host's, absent ones are shared, ones
# given by path are joined.  Compared through /proc/self/ns/* inside (probe ns).

load ../../bats/helpers

# OCI type -> /proc/self/ns name
ns_name() {
	case $1 in
	network) echo net ;;
	mount) echo mnt ;;
	*) echo "$1" ;;
	esac
}

userns_config() {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
}

# new_ns TYPE: TYPE is in the config; the container's differs from the host's.
new_ns() {
	local t=$1 n
	n=$(ns_name "$t")
	update_config '.linux.namespaces |= (map(select(.type != $t)) + [{"type": $t}])' --arg t "$t"
	set_args /probe ns
	run run_ctr
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ -n "$(ns_in_output "$n")" ]
	[ "$(ns_in_output "$n")" != "$(host_ns "$n")" ]
}

# shared_ns TYPE: TYPE is not in the config; the container has the host's.
shared_ns() {
	local t=$1 n
	n=$(ns_name "$t")
	update_config '.linux.namespaces |= map(select(.type != $t))' --arg t "$t"
	set_args /probe ns
	run run_ctr
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$(ns_in_output "$n")" = "$(host_ns "$n")" ]
}

# joined_ns TYPE PATH: TYPE given by PATH; the container is in that namespace.
joined_ns() {
	local t=$1 path=$2 n
	n=$(ns_name "$t")
	update_config '.linux.namespaces |= (map(select(.type != $t)) + [{"type": $t, "path": $p}])' \
		--arg t "$t" --arg p "$path"
	set_args /probe ns
	run run_ctr
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$(ns_in_output "$n")" = "$(readlink "$path")" ]
	[ "$(ns_in_output "$n")" != "$(host_ns "$n")" ]
}

@test "new pid namespace: init is PID 1" {
	set_args /probe pid
	run run_ctr
	[ "$(line_in_output pid)" = 1 ]
	[ "$(line_in_output ppid)" = 0 ]
}

@test "new pid namespace differs from the host's" { new_ns pid; }
@test "new network namespace differs from the host's" { new_ns network; }
@test "new mount namespace differs from the host's" { new_ns mount; }
@test "new ipc namespace differs from the host's" { new_ns ipc; }
@test "new uts namespace differs from the host's" { new_ns uts; }

@test "new cgroup namespace differs from the host's" {
	requires cgroupns
	new_ns cgroup
}

@test "a new cgroup namespace is rooted at the container's own cgroup, in every hierarchy" {
	requires cgroupns
	grep -q '"cgroup"' <<<"$(jq -c '[.linux.namespaces[].type]' "$BUNDLE/config.json")" ||
		update_config '.linux.namespaces += [{"type": "cgroup"}]'
	set_args cat /proc/self/cgroup
	run run_ctr
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	# Made after the init joined its cgroups (the direct init joins late: linux/spawn.c).
	while read -r line; do
		[ "${line##*:}" = / ] || { echo "not rooted: $line"; false; }
	done <<<"$output"
}

@test "new time namespace differs from the host's" {
	requires timens
	skip_if_runc "no time namespace"
	new_ns time
}

@test "new user namespace differs from the host's" {
	requires userns
	userns_config
	new_ns user
}

@test "no pid namespace in the config: the host's is shared" {
	shared_ns pid
	set_args /probe pid
	run run_ctr
	[ "$(line_in_output pid)" -gt 1 ]
}

@test "no network namespace in the config: the host's is shared" { shared_ns network; }
@test "no ipc namespace in the config: the host's is shared" { shared_ns ipc; }

@test "no uts namespace in the config: the host's is shared" {
	update_config 'del(.hostname)'
	shared_ns uts
}

@test "no cgroup namespace in the config: the host's is shared" { shared_ns cgroup; }
@test "no time namespace in the config: the host's is shared" { requires timens; shared_ns time; }
@test "no user namespace in the config: the host's is shared" { shared_ns user; }

@test "join a network namespace by path (ip netns)" {
	requires ip
	ip netns add "$CID"
	run joined_ns network "/run/netns/$CID"
	ip netns del "$CID"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "join network, ipc and uts namespaces of a host process" {
	pid=$(spawn_bg unshare --net --ipc --uts sleep 100)
	wait_for_file "/proc/$pid/ns/net"
	sleep 0.2
	update_config 'del(.hostname)'
	joined_ns network "/proc/$pid/ns/net"
	joined_ns ipc "/proc/$pid/ns/ipc"
	joined_ns uts "/proc/$pid/ns/uts"
}

@test "join a pid namespace of a host process" {
	pid=$(spawn_bg unshare --pid --fork --mount-proc sleep 100)
	sleep 0.3
	child=$(pgrep -P "$pid" sleep)
	joined_ns pid "/proc/$child/ns/pid"
}

@test "join a user namespace by path" {
	requires userns
	pid=$(spawn_bg unshare --user --map-root-user sleep 100)
	sleep 0.3
	# The mappings of the joined namespace (unshare --map-root-user as root).
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 1}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 1}]'
	# Only uid/gid 0 exist there: no devpts gid=5, no sysfs/cgroup of the host's netns.
	update_config '.mounts |= map(select(.type != "cgroup" and .type != "sysfs"))
		| .mounts |= map(if .type == "devpts" then .options -= ["gid=5"] else . end)'
	joined_ns user "/proc/$pid/ns/user"
}

@test "joining a namespace path that is not a namespace fails" {
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "/etc/passwd" else . end)'
	run run_ctr
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/$CID" ]
}

@test "uid and gid mappings are visible in /proc/self/uid_map and gid_map" {
	requires userns
	userns_config
	update_config '.linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 1000}]'
	set_args /bin/sh -c 'cat /proc/self/uid_map /proc/self/gid_map'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$(echo "${lines[0]}" | tr -s ' ' | sed 's/^ //')" = "0 100000 65536" ]
	[ "$(echo "${lines[1]}" | tr -s ' ' | sed 's/^ //')" = "0 200000 1000" ]
}

@test "in a user namespace the container's root is an unprivileged host uid" {
	requires userns
	userns_config
	set_args /probe sleep 100
	run_detached
	pid=$(ctr_pid)
	[ "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" = 100000 ]
	[ "$(awk '/^Gid:/ { print $2 }' "/proc/$pid/status")" = 100000 ]
}

@test "hostname" {
	update_config '.hostname = "box1"'
	set_args /probe hostname
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$(line_in_output hostname)" = box1 ]
	[ "$(hostname)" != box1 ]
}

@test "domainname" {
	skip_if_runc "ignores domainname"
	update_config '.hostname = "box1" | .domainname = "example.test"'
	set_args /probe hostname
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$(line_in_output hostname)" = box1 ]
	[ "$(line_in_output domainname)" = example.test ]
	[ "$(domainname)" != example.test ]
}

@test "a hostname without a uts namespace is an error" {
	update_config '.hostname = "box1" | .linux.namespaces |= map(select(.type != "uts"))'
	run run_ctr
	[ "$status" -ne 0 ]
	[ "$(hostname)" != box1 ]
	[ ! -e "$ROOT/$CID" ]
}

@test "timeOffsets are visible in /proc/self/timens_offsets" {
	requires timens
	skip_if_runc "no time namespace"
	update_config '.linux.namespaces += [{"type": "time"}]
		| .linux.timeOffsets = {"monotonic": {"secs": 86400, "nanosecs": 0}, "boottime": {"secs": 172800, "nanosecs": 0}}'
	set_args /bin/sh -c 'cat /proc/self/timens_offsets; cat /proc/uptime'
	run run_ctr
	[ "$status" -eq 0 ]
	[[ "$output" == *"monotonic"*"86400"* ]]
	[[ "$output" == *"boottime"*"172800"* ]]
	up=$(tail -n1 <<<"$output" | cut -d. -f1)
	[ "$up" -ge 172800 ]
}

@test "duplicated namespace types are rejected" {
	update_config '.linux.namespaces += [{"type": "pid"}]'
	run run_ctr
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/$CID" ]
}
