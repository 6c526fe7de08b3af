#!/usr/bin/env bats
# User namespaces with what lies outside them (issue 16): idmapped binds in a
# container with its own user namespace, bind sources only the host's root may
# reach, joining another container's user namespace (and a network namespace it
# does not own), time offsets together with a new user namespace.

# shellcheck disable=SC2016 # $s, $d, $p, $n are jq's (--arg)
load ../../bats/helpers

setup() {
	common_setup
	requires root userns
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	SRC="$TESTDIR/src"
	mkdir -p "$SRC/dir"
	touch "$SRC/dir/owned"
	chown 7:8 "$SRC/dir/owned"
	# The container's root may not write to the (unmapped) rootfs: mountpoints exist.
	mkdir -p "$ROOTFS/mnt" "$ROOTFS/data"
}

teardown() { common_teardown; }

# bind_src DEST OPTIONS_JSON [EXTRA_JQ]: bind $SRC/dir to DEST.
bind_src() {
	update_config '.mounts += [{"source": $s, "destination": $d, "options": '"$2"'}] '"${3:-}" \
		--arg s "$SRC/dir" --arg d "$1"
}

@test "an idmapped bind in a container with its own user namespace maps through the mount's mappings" {
	bind_src /mnt '["bind"]' '| .mounts[-1].uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .mounts[-1].gidMappings = [{"containerID": 0, "hostID": 100002, "size": 65536}]'
	set_args /bin/stat -c %u:%g /mnt/owned
	run run_ctr
	echo "$output"
	[ "$status" -eq 0 ]
	# 7:8 on disk, 100007:100010 through the mount, 7:10 in the container.
	[ "$output" = "7:10" ]
}

@test "a bare idmap option takes the container's own mappings" {
	bind_src /mnt '["bind", "idmap"]'
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100001, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100002, "size": 65536}]'
	set_args /bin/stat -c %u:%g /mnt/owned
	run run_ctr
	echo "$output"
	[ "$status" -eq 0 ]
	# 7:8 on disk, 100008:100010 through the container's mappings on the
	# mount, 7:8 again in the container (65534 without the idmap).
	[ "$output" = "7:8" ]
}

@test "a bind source only the host's root may enter still mounts in a user namespace" {
	chmod 700 "$SRC"
	bind_src /mnt '["bind"]'
	set_args /bin/stat -c %n /mnt/owned
	run run_ctr
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = /mnt/owned ]
}

@test "a bind source the container reaches itself is bound from its own view" {
	# The parent's copy is a fallback only: a source covered inside the
	# container (here by an earlier tmpfs) is the container's, as with runc.
	touch "$ROOTFS/data/host-file"
	update_config '.mounts += [{"type": "tmpfs", "source": "tmpfs", "destination": "/data"}]'
	update_config '.mounts += [{"source": $s, "destination": "/mnt", "options": ["bind"]}]' \
		--arg s "$ROOTFS/data"
	set_args /bin/sh -c 'ls -A /mnt; echo end'
	run run_ctr
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = end ]
}

# start_target: a detached container with the user namespace, sleeping; prints its pid.
start_target() {
	local cfg="$BUNDLE/config.json"
	cp "$cfg" "$TESTDIR/config.json.orig"
	set_args /bin/sleep 100
	husk_detached run -d --bundle "$BUNDLE" "$CID-target" >/dev/null || return 1
	cp "$TESTDIR/config.json.orig" "$cfg"
	husk state "$CID-target" | jq .pid
}

@test "a container joining another's user namespace runs as its root (default mounts, devpts gid=5)" {
	pid=$(start_target)
	update_config '.linux.namespaces |= map(if .type == "user" then .path = $p else . end)
		| del(.linux.uidMappings) | del(.linux.gidMappings)' --arg p "/proc/$pid/ns/user"
	set_args /bin/cat /proc/self/uid_map
	run run_ctr
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^\ +0\ +100000\ +65536$ ]]
}

@test "a network namespace the joined user namespace does not own is joined before it" {
	pid=$(start_target)
	# The host's network namespace: no sysfs (nor cgroup, below /sys) of it can
	# be mounted from inside.
	update_config '.linux.namespaces |= map(if .type == "user" then .path = $p
			elif .type == "network" then .path = $n else . end)
		| del(.linux.uidMappings) | del(.linux.gidMappings)
		| .mounts |= map(select(.type != "sysfs" and .type != "cgroup"))' \
		--arg p "/proc/$pid/ns/user" --arg n "/proc/$$/ns/net"
	set_args /probe ns
	run run_ctr
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(ns_in_output net)" = "$(host_ns net)" ]
	[ "$(ns_in_output user)" = "$(readlink "/proc/$pid/ns/user")" ]
}

@test "time offsets are set in a new time namespace owned by a new user namespace" {
	requires timens
	update_config '.linux.namespaces += [{"type": "time"}]
		| .linux.timeOffsets = {"monotonic": {"secs": 4242, "nanosecs": 7}, "boottime": {"secs": 99, "nanosecs": 0}}'
	set_args /bin/cat /proc/self/timens_offsets
	run run_ctr
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ monotonic\ +4242\ +7 ]]
	[[ "$output" =~ boottime\ +99\ +0 ]]
}
