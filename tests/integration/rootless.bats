#!/usr/bin/env bats
# shellcheck disable=SC2016 # jq programs in single quotes
# husk run by an ordinary user (issue 15).  setup_file makes the user
# husk-rootless (helpers/rootless.bash); every husk below runs as that user
# with its own XDG_RUNTIME_DIR and no --root: the state root is the default,
# $XDG_RUNTIME_DIR/husk.  The bundle is made by `husk spec --rootless`.

load ../../bats/helpers
load helpers/rootless

setup_file() {
	rootless_setup_file || return 1
}

teardown_file() { rootless_teardown_file; }

setup() {
	rootless_require
	TESTDIR=$(mktemp -d "$RL_TMP/t.XXXXXX")
	chmod 755 "$TESTDIR"
	RL_XDG="$TESTDIR/xdg"
	BUNDLE="$TESTDIR/bundle"
	ROOTFS="$BUNDLE/rootfs"
	ROOT="$RL_XDG/husk"
	CID="rl-$$-${BATS_TEST_NUMBER}"
	mkdir -p "$RL_XDG" "$BUNDLE"
	chmod 700 "$RL_XDG"
	cp -a "$RL_TMP/rootfs" "$ROOTFS"
	chown -R "$RL_USER:" "$TESTDIR"
	(cd "$BUNDLE" && as_user "$RL_HUSK" spec --rootless) || return 1
	update_config '.process.terminal = false | .process.args = ["/probe", "ids"] | .root.readonly = false'
	export RL_XDG
}

teardown() {
	[ -n "${TESTDIR:-}" ] || return 0
	local d
	for d in "$ROOT"/*/; do
		[ -d "$d" ] && as_user "$RL_HUSK" delete --force "$(basename "$d")" >/dev/null 2>&1
	done
	kill_user_procs "$RL_UID"
	rm -rf "$TESTDIR"
}

# rl ARGS...: husk as the user (default state root).
rl() { as_user "$RL_HUSK" "$@"; }

# rl_detached ARGS...: like husk_detached, as the user.
rl_detached() {
	local rc=0
	as_user "$RL_HUSK" "$@" </dev/null >"$TESTDIR/ctr.out" 2>"$TESTDIR/ctr.err" || rc=$?
	cat "$TESTDIR/ctr.err" "$TESTDIR/ctr.out"
	return $rc
}

# user_process: print the first live (not zombie) process of the user's, if any.
user_process() {
	local p
	for p in /proc/[0-9]*; do
		if [ "$(stat -c %u "$p" 2>/dev/null)" = "$RL_UID" ] &&
			[ "$(awk '{ print $3 }' "$p/stat" 2>/dev/null)" != Z ]; then
			echo "${p#/proc/} $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
			return 0
		fi
	done
	return 1
}

# nothing_left: no state directory and no process of the user's.  A process may
# still be on its way out when the command returns (the kernel tears down a pid
# namespace after its init is reaped): only one still there after 3 s is left.
nothing_left() {
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ] || { echo "state left: $(ls "$ROOT")" >&2; return 1; }
	local left i
	for i in $(seq 30); do
		left=$(user_process) || return 0
		sleep 0.1
	done
	echo "process of $RL_USER left: $left" >&2
	return 1
}

@test "rootless spec: a user namespace mapping the caller, no network ns, no resources, no cgroup mount" {
	run jq -c '[.linux.uidMappings, .linux.gidMappings]' "$BUNDLE/config.json"
	[ "$output" = "[[{\"containerID\":0,\"hostID\":$RL_UID,\"size\":1}],[{\"containerID\":0,\"hostID\":$RL_GID,\"size\":1}]]" ]
	run jq -r '[.linux.namespaces[].type] | join(",")' "$BUNDLE/config.json"
	[ "$output" = "pid,ipc,uts,mount,user" ] || [ "$output" = "pid,ipc,uts,mount,cgroup,user" ]
	[ "$(jq '.linux.resources' "$BUNDLE/config.json")" = null ]
	[ "$(jq -c '.mounts[] | select(.destination == "/sys") | [.type, .source, .options]' "$BUNDLE/config.json")" = \
		'["none","/sys",["rbind","nosuid","noexec","nodev","ro"]]' ]
	[ "$(jq '[.mounts[] | select(.options // [] | map(test("^[ug]id=")) | any)] | length' "$BUNDLE/config.json")" = 0 ]
	# This host delegates no cgroup v2 subtree to the user: no cgroup mount.
	[ "$(jq '[.mounts[] | select(.type == "cgroup")] | length' "$BUNDLE/config.json")" = 0 ]
}

@test "rootless run: root inside, the caller outside; state in \$XDG_RUNTIME_DIR/husk" {
	set_args /bin/sh -c '/probe ids; cat /proc/self/uid_map /proc/self/gid_map'
	run rl run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ "$(line_in_output uid)" = 0 ]
	[ "$(line_in_output euid)" = 0 ]
	[ "$(line_in_output gid)" = 0 ]
	# uid_map then gid_map: the caller's ids, one each.
	[ "$(awk '$1 == 0 && $3 == 1 { print $2 }' <<<"$output" | tr '\n' ' ')" = "$RL_UID $RL_GID " ]
	[ -d "$ROOT" ]
	[ "$(stat -c '%u %a' "$ROOT")" = "$RL_UID 700" ]
	nothing_left
}

@test "rootless create/start/state/kill/delete, and exec" {
	set_args sleep 100
	run rl_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ -d "$ROOT/$CID" ]
	[ "$(rl state "$CID" | jq -r .status)" = created ]
	local pid
	pid=$(rl state "$CID" | jq -r .pid)
	# The init is the user's process, not root's.
	[ "$(stat -c %u "/proc/$pid")" = "$RL_UID" ]
	rl start "$CID"
	[ "$(rl state "$CID" | jq -r .status)" = running ]
	[ "$(rl state "$CID" | jq -r .owner)" = "$RL_UID" ]
	run rl exec "$CID" /probe ids
	[ "$status" -eq 0 ]
	[ "$(line_in_output uid)" = 0 ]
	run rl exec "$CID" cat /proc/1/comm
	[ "$output" = sleep ]
	rl kill "$CID" KILL
	local tries=50
	while [ $tries -gt 0 ] && [ "$(rl state "$CID" | jq -r .status)" != stopped ]; do
		sleep 0.1
		tries=$((tries - 1))
	done
	[ "$(rl state "$CID" | jq -r .status)" = stopped ]
	rl delete "$CID"
	pid_gone "$pid"
	nothing_left
}

@test "rootless: a bind mount and a tmpfs" {
	mkdir -p "$TESTDIR/data"
	echo from-host >"$TESTDIR/data/f"
	chown -R "$RL_USER:" "$TESTDIR/data"
	update_config '.mounts += [
		{"destination": "/data", "type": "bind", "source": $d, "options": ["rbind", "rw"]},
		{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]' --arg d "$TESTDIR/data"
	set_args /bin/sh -c 'cat /data/f && echo from-ctr >/data/g && grep " /scratch " /proc/mounts'
	run rl run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *from-host* ]]
	[[ "$output" == *"tmpfs /scratch tmpfs"* ]]
	# Written by the container's root: the user's file on the host.
	[ "$(cat "$TESTDIR/data/g")" = from-ctr ]
	[ "$(stat -c %u "$TESTDIR/data/g")" = "$RL_UID" ]
	nothing_left
}

@test "rootless: a subuid range goes through newuidmap/newgidmap" {
	update_config '
		.linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1}, {"containerID": 1, "hostID": $su, "size": 1000}] |
		.linux.gidMappings = [{"containerID": 0, "hostID": $g, "size": 1}, {"containerID": 1, "hostID": $sg, "size": 1000}] |
		.process.user = {"uid": 1000, "gid": 1000}' --argjson u "$RL_UID" --argjson g "$RL_GID" --argjson su "$RL_SUBUID" --argjson sg "$RL_SUBGID"
	set_args /bin/sh -c 'cat /proc/self/uid_map; /probe ids; touch /tmp/by-1000'
	run rl run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ "$(line_in_output uid)" = 1000 ]
	[ "$(awk '$1 == 1 { print $2, $3 }' <<<"$output")" = "$RL_SUBUID 1000" ]
	# uid 1000 inside is subuid + 999 on the host.
	[ "$(stat -c '%u %g' "$ROOTFS/tmp/by-1000")" = "$((RL_SUBUID + 999)) $((RL_SUBGID + 999))" ]
	nothing_left
}

@test "rootless: a range outside /etc/subuid: newuidmap's refusal, named, nothing left" {
	update_config '
		.linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1}, {"containerID": 1, "hostID": 3000000, "size": 10}]' --argjson u "$RL_UID"
	run rl run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.uidMappings: newuidmap refused the mapping"*"/etc/subuid"* ]]
	nothing_left
}

@test "rootless: without newuidmap in PATH, the error says to install uidmap" {
	update_config '
		.linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1}, {"containerID": 1, "hostID": $su, "size": 10}]' --argjson u "$RL_UID" --argjson su "$RL_SUBUID"
	run as_user env PATH=/nonexistent "$RL_HUSK" run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.uidMappings: mapping more than our own id needs newuidmap (Debian package uidmap)"* ]]
	nothing_left
}

@test "rootless: a user namespace without mappings maps the caller to root" {
	update_config 'del(.linux.uidMappings) | del(.linux.gidMappings)'
	set_args /bin/sh -c 'cat /proc/self/uid_map'
	run rl run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ "$(awk '{ print $1, $2, $3 }' <<<"$output")" = "0 $RL_UID 1" ]
	nothing_left
}

@test "rootless: a new network namespace has lo up" {
	update_config '.linux.namespaces += [{"type": "network"}]'
	set_args /bin/sh -c 'readlink /proc/self/ns/net; ip -o link show lo'
	run rl run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != "$(host_ns net)" ]
	[[ "${lines[1]}" == *"<LOOPBACK,UP,LOWER_UP>"* ]]
	nothing_left
}

@test "rootless: linux.netDevices is refused, naming it" {
	update_config '.linux.namespaces += [{"type": "network"}] | .linux.netDevices = {"lo": {"name": "lo1"}}'
	run rl run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.netDevices: moving a host network device needs CAP_NET_ADMIN"* ]]
	nothing_left
}

@test "rootless: a memory limit without a writable cgroup is an error naming linux.resources.memory" {
	update_config '.linux.resources = {"memory": {"limit": 67108864}}'
	run rl run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.memory: rootless, and no cgroup is writable by us"* ]]
	nothing_left
}

@test "rootless: device rules alone (podman's and runc's default) need no cgroup" {
	update_config '.linux.resources = {"devices": [{"allow": false, "access": "rwm"}]}'
	run rl run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ "$(line_in_output uid)" = 0 ]
	nothing_left
}

@test "rootless: a linux.devices node is the host's node bound, not made" {
	update_config '.linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438}]'
	set_args /bin/sh -c 'stat -c "%t:%T" /dev/fuse; grep " /dev/fuse " /proc/self/mountinfo'
	run rl run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = a:e5 ]
	[[ "${lines[1]}" == *" /fuse /dev/fuse "* ]]
	nothing_left
}

@test "rootless: a --root owned by another user is refused, nothing made in it" {
	local other="$TESTDIR/other-root"
	mkdir -m 1777 "$other"
	run rl --root "$other" run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"state root \`$other\`: owned by uid 0, not by us (uid $RL_UID)"* ]]
	[ -z "$(ls -A "$other")" ]
	nothing_left
}

@test "rootless: a state root that is a symlink, or writable by others, is refused" {
	mkdir -p "$TESTDIR/elsewhere"
	chown "$RL_USER:" "$TESTDIR/elsewhere"
	as_user ln -s "$TESTDIR/elsewhere" "$ROOT"
	run rl run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"state root \`$ROOT\`: not a directory (a symlink?)"* ]]
	[ -z "$(ls -A "$TESTDIR/elsewhere")" ]
	rm "$ROOT"
	as_user mkdir -m 777 "$ROOT"
	as_user chmod 777 "$ROOT"
	run rl list
	[ "$status" -ne 0 ]
	[[ "$output" == *"state root \`$ROOT\`: mode 777 lets other users write in it"* ]]
}

@test "rootless: without XDG_RUNTIME_DIR the state root is a private one of the user's" {
	set_args true
	run as_user env -u XDG_RUNTIME_DIR "$RL_HUSK" run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	local d="/run/user/$RL_UID/husk"
	[ -d "/run/user/$RL_UID" ] || d="/tmp/husk-$RL_UID"
	[ "$(stat -c '%u %a %F' "$d")" = "$RL_UID 700 directory" ]
	rm -rf "$d"
}

@test "rootless: the init runs from a sealed copy of husk, not the host's binary" {
	set_args sleep 100
	run rl_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	local pid
	pid=$(rl state "$CID" | jq -r .pid)
	# Before start the init is still husk: its exe is the memfd (no open_tree
	# for an unprivileged user), never $RL_HUSK, which the user could write.
	[ "$(readlink "/proc/$pid/exe")" = "/memfd:husk (deleted)" ]
	rl delete --force "$CID"
	nothing_left
}
