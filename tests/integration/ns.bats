#!/usr/bin/env bats
# husk ns, husk list --ns, husk ns --graph and husk exec --ns (issue 19).  Every
# field is checked against /proc/PID/ns/* read here with stat, independently of
# husk; selective exec is checked from inside (the probe's view of
# /proc/self/ns), never by reading the container through /proc/PID/root.

load ../../bats/helpers

NS_NAMES="cgroup ipc mnt net pid time user uts"

# ino PID NAME: the inode of /proc/PID/ns/NAME, read here.
ino() {
	stat -L -c %i "/proc/$1/ns/$2"
}

# ns_field JSON NAME KEY: a field of one namespace of `husk ns --format json`.
ns_field() {
	jq -r --arg n "$2" --arg k "$3" '.namespaces[] | select(.name == $n) | .[$k] | if type == "array" then join(",") else tostring end' <<<"$1"
}

# table_row NAME: the row of `husk ns` (in $output) for NAME, as words.
table_row() {
	awk -v n="$1" '$1 == n && $2 ~ /^[0-9]+$/' <<<"$output"
}

start_sleeper() {
	# shellcheck disable=SC2119
	local id=${1:-$CID}
	set_args /probe sleep 1000
	run_detached "$id" >/dev/null || { cat "$CTR_ERR"; return 1; }
}

@test "husk ns: every namespace's inode, state and origin match /proc/PID/ns read independently" {
	start_sleeper
	local pid json n
	pid=$(ctr_pid)
	run husk ns --format json "$CID"
	[ "$status" -eq 0 ]
	json=$output
	[ "$(jq -r .pid <<<"$json")" = "$pid" ]
	[ "$(jq -r '.namespaces | length' <<<"$json")" -eq "$(ls /proc/self/ns | grep -vc _for_children)" ]
	for n in $NS_NAMES; do
		[ -e "/proc/self/ns/$n" ] || continue
		[ "$(ns_field "$json" "$n" inode)" = "$(ino "$pid" "$n")" ]
		if [ "$(ino "$pid" "$n")" = "$(ino self "$n")" ]; then
			[ "$(ns_field "$json" "$n" state)" = host ]
		else
			[ "$(ns_field "$json" "$n" state)" = new ]
		fi
		[ "$(ns_field "$json" "$n" nsenter)" = "nsenter -t $pid --$( [ "$n" = mnt ] && echo mount || echo "$n")" ]
		[ "$(ns_field "$json" "$n" huskExec)" = "husk exec --ns $n $CID" ]
	done
	# The default config: these five new, the rest the host's.
	for n in ipc mnt net pid uts; do
		[ "$(ns_field "$json" "$n" state)" = new ]
		[ "$(ns_field "$json" "$n" made)" = created ]
	done
	for n in user; do
		[ "$(ns_field "$json" "$n" state)" = host ]
		[ "$(ns_field "$json" "$n" made)" = inherited ]
	done
	# The maps and the cgroup, as the kernel has them.
	[ "$(jq -r .uidMap <<<"$json")" = "$(sed 's/\n$//' "/proc/$pid/uid_map")" ]
	[ "$(jq -r .cgroup <<<"$json")" = "$(awk -F: 'NR == 1 || $1 == "0" { p = $3 } END { print p }' "/proc/$pid/cgroup")" ] ||
		[ "$(jq -r .cgroup <<<"$json")" = "$(grep '^0::' "/proc/$pid/cgroup" | cut -d: -f3)" ]

	# The table: the same inodes, aligned in columns.
	run husk ns "$CID"
	[ "$status" -eq 0 ]
	for n in $NS_NAMES; do
		[ -e "/proc/self/ns/$n" ] || continue
		[ "$(table_row "$n" | awk '{ print $2 }')" = "$(ino "$pid" "$n")" ]
	done
	[[ "$output" == *"init pid $pid on the host"* ]]
	# No colour through a pipe.
	[[ "$output" != *$'\033'* ]]
}

@test "husk ns: a user namespace shows its maps" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 1000}]'
	chown -R 100000:200000 "$ROOTFS"
	start_sleeper
	local pid json
	pid=$(ctr_pid)
	run husk ns --format json "$CID"
	[ "$status" -eq 0 ]
	json=$output
	[ "$(ns_field "$json" user state)" = new ]
	[ "$(ns_field "$json" user made)" = created ]
	[ "$(ns_field "$json" user inode)" = "$(ino "$pid" user)" ]
	[ "$(jq -r .uidMap <<<"$json" | awk '{ print $1, $2, $3 }')" = "0 100000 65536" ]
	[ "$(jq -r .gidMap <<<"$json" | awk '{ print $1, $2, $3 }')" = "0 200000 1000" ]
	run husk ns "$CID"
	[[ "$output" == *"uid_map"* ]]
	[ "$(table_row user | awk '{ print $3 }')" = new ]
}

@test "husk ns: a time namespace shows its offsets" {
	[ -e /proc/self/ns/time ] || skip "no time namespaces in this kernel"
	update_config '.linux.namespaces += [{"type": "time"}]
		| .linux.timeOffsets = {"monotonic": {"secs": 86400, "nanosecs": 0}}'
	start_sleeper
	local pid json
	pid=$(ctr_pid)
	json=$(husk ns --format json "$CID")
	[ "$(ns_field "$json" time state)" = new ]
	[ "$(ns_field "$json" time inode)" = "$(ino "$pid" time)" ]
	[ "$(jq -r .timeOffsets <<<"$json" | awk '$1 == "monotonic" { print $2 }')" = 86400 ]
	[ "$(jq -r .timeOffsets <<<"$json")" = "$(cat "/proc/$pid/timens_offsets")" ]
}

@test "husk ns and list --ns: a pod's second container joins the first's network namespace" {
	start_sleeper "$CID-a"
	local pa pb ja jb
	pa=$(ctr_pid "$CID-a")
	update_config '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' --arg p "/proc/$pa/ns/net"
	start_sleeper "$CID-b"
	pb=$(ctr_pid "$CID-b")
	# Read here: the two share it, and nothing else new.
	[ "$(ino "$pa" net)" = "$(ino "$pb" net)" ]
	[ "$(ino "$pa" uts)" != "$(ino "$pb" uts)" ]

	ja=$(husk ns --format json "$CID-a")
	jb=$(husk ns --format json "$CID-b")
	[ "$(ns_field "$ja" net state)" = shared ]
	[ "$(ns_field "$ja" net sharedWith)" = "$CID-b" ]
	[ "$(ns_field "$jb" net sharedWith)" = "$CID-a" ]
	[ "$(ns_field "$jb" net made)" = "joined /proc/$pa/ns/net" ]
	[ "$(ns_field "$ja" uts state)" = new ]
	[ "$(ns_field "$ja" uts sharedWith)" = "" ]
	run husk ns "$CID-b"
	[[ "$(table_row net)" == *"shared with $CID-a"* ]]

	# list --ns: the same number in both rows' net column, different uts.
	run husk list --ns
	[ "$status" -eq 0 ]
	local col_net col_uts
	col_net=$(head -1 <<<"$output" | tr -s ' ' '\n' | grep -nx net | cut -d: -f1)
	col_uts=$(head -1 <<<"$output" | tr -s ' ' '\n' | grep -nx uts | cut -d: -f1)
	[ "$(awk -v id="$CID-a" -v c="$col_net" '$1 == id { print $c }' <<<"$output")" = "$(ino "$pa" net)" ]
	[ "$(awk -v id="$CID-b" -v c="$col_net" '$1 == id { print $c }' <<<"$output")" = "$(ino "$pb" net)" ]
	[ "$(awk -v id="$CID-b" -v c="$col_uts" '$1 == id { print $c }' <<<"$output")" = "$(ino "$pb" uts)" ]
	# The user namespace is the host's for both.
	col_user=$(head -1 <<<"$output" | tr -s ' ' '\n' | grep -nx user | cut -d: -f1)
	[ "$(awk -v id="$CID-a" -v c="$col_user" '$1 == id { print $c }' <<<"$output")" = host ]

	# The graph: one net node, an edge from each container to it.
	run husk ns --graph
	[ "$status" -eq 0 ]
	local node="net:$(ino "$pa" net)"
	[ "$(grep -c "\"$node\" \[" <<<"$output")" -eq 1 ]
	grep -qF "\"c:$CID-a\" -- \"$node\"" <<<"$output"
	grep -qF "\"c:$CID-b\" -- \"$node\"" <<<"$output"
	grep -qF "\"c:$CID-a\" -- \"uts:$(ino "$pa" uts)\"" <<<"$output"
	if command -v dot >/dev/null; then
		husk ns --graph | dot -Tsvg >/dev/null
	fi
}

@test "husk exec --ns net,uts joins exactly those namespaces (compared inside)" {
	start_sleeper
	local pid
	pid=$(ctr_pid)
	run husk exec --ns net,uts "$CID" "$ROOTFS/probe" ns
	[ "$status" -eq 0 ]
	# The named ones are the container's...
	[ "$(ns_in_output net)" = "$(readlink "/proc/$pid/ns/net")" ]
	[ "$(ns_in_output uts)" = "$(readlink "/proc/$pid/ns/uts")" ]
	# ... the others the caller's, though the container has its own.
	for n in mnt pid ipc; do
		[ "$(readlink "/proc/$pid/ns/$n")" != "$(host_ns "$n")" ]
		[ "$(ns_in_output "$n")" = "$(host_ns "$n")" ]
	done
	# Without --ns: every one of the container's.
	run husk exec "$CID" /probe ns
	for n in net uts mnt pid ipc; do
		[ "$(ns_in_output "$n")" = "$(readlink "/proc/$pid/ns/$n")" ]
	done
	# The OCI names work too (the container's /proc needs its pid namespace).
	run husk exec --ns network,mount,pid "$CID" /probe ns
	[ "$(ns_in_output net)" = "$(readlink "/proc/$pid/ns/net")" ]
	[ "$(ns_in_output mnt)" = "$(readlink "/proc/$pid/ns/mnt")" ]
	[ "$(ns_in_output uts)" = "$(host_ns uts)" ]
}

@test "husk exec --ns keeps the cgroup and capability handling of a normal exec" {
	update_config '.process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
	start_sleeper
	local pid
	pid=$(ctr_pid)
	run husk exec --ns net "$CID" "$ROOTFS/probe" caps
	[ "$status" -eq 0 ]
	echo "$output"
	[ "$(line_in_output CapBnd:)" = "0000000000000020" ]
	# In the container's cgroup (read here from /proc of the exec'd process).
	set_args
	husk exec -d --pid-file "$TESTDIR/x.pid" --ns net "$CID" "$ROOTFS/probe" sleep 100 </dev/null >/dev/null 2>&1
	local xp
	xp=$(cat "$TESTDIR/x.pid")
	[ "$(grep ':pids:' "/proc/$xp/cgroup")" = "$(grep ':pids:' "/proc/$pid/cgroup")" ]
	kill -9 "$xp"
}

@test "husk exec --ns user is refused unless --allow-userns, and then joins it" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	chown -R 100000:100000 "$ROOTFS"
	start_sleeper
	local pid
	pid=$(ctr_pid)
	run husk exec --ns user,net "$CID" "$ROOTFS/probe" ns
	[ "$status" -ne 0 ]
	[[ "$output" == *"--allow-userns"* ]]
	run husk exec --ns user,net --allow-userns "$CID" "$ROOTFS/probe" ns
	[ "$status" -eq 0 ]
	[ "$(ns_in_output user)" = "$(readlink "/proc/$pid/ns/user")" ]
	[ "$(ns_in_output net)" = "$(readlink "/proc/$pid/ns/net")" ]
	[ "$(ns_in_output mnt)" = "$(host_ns mnt)" ]
	# "all" leaves the user namespace out.
	run husk exec --ns all "$CID" /probe ns
	[ "$status" -eq 0 ]
	[ "$(ns_in_output user)" = "$(host_ns user)" ]
	[ "$(ns_in_output net)" = "$(readlink "/proc/$pid/ns/net")" ]
}

@test "husk ns and exec --ns: bad input is a clear error" {
	run husk exec --ns net,bogus "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown namespace \`bogus\`"* ]]
	run husk exec --ns , "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"--ns"* ]]
	run husk ns nosuch
	[ "$status" -ne 0 ]
	[[ "$output" == *"container does not exist: nosuch"* ]]
	run husk ns --format yaml "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid format"* ]]
	run husk ns --graph "$CID"
	[ "$status" -ne 0 ]
	# A stopped container has no namespaces.
	set_args /probe true
	create_ctr >/dev/null
	husk start "$CID"
	wait_for_status stopped
	run husk ns "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$CID is stopped"* ]]
	run husk exec --ns net "$CID" /probe true
	[ "$status" -ne 0 ]
	[[ "$output" == *"stopped"* ]]
}

@test "husk ns: colour only on a terminal, and never with NO_COLOR" {
	start_sleeper
	run script -qec "$HUSK --root $ROOT ns $CID" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\033[32m'* ]]
	run env NO_COLOR=1 script -qec "$HUSK --root $ROOT ns $CID" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" != *$'\033'* ]]
}
