#!/usr/bin/env bats
# Security (issue 12): what a config can make husk do to the host's cgroups.
# Each test performs the attack and checks its effect on the host: a directory
# made or removed outside /sys/fs/cgroup, a host process moved into the
# container's cgroup, a device widened to read-write, cgroup directories left
# behind by a husk killed during create.

load ../../bats/helpers

setup() {
	requires root
	common_setup
	CG_PATH="/husk-sec/$CID"
	update_config '.linux.cgroupsPath = $p' --arg p "$CG_PATH"
}

teardown() {
	common_teardown
	local d
	for d in /sys/fs/cgroup/*/husk-sec /sys/fs/cgroup/husk-sec; do
		rmdir "$d/$CID" "$d/x" "$d" 2>/dev/null || true
	done
	# What a failed kill test left (deepest first).
	cg_leftovers "$CID-*" | sort -r | xargs -r rmdir 2>/dev/null || true
}

# unified_mount: the cgroup2 mount point, or nothing on a v1-only host.
unified_mount() {
	awk -F' - ' '{ split($1, a, " "); split($2, b, " "); if (b[1] == "cgroup2") { print a[5]; exit } }' /proc/self/mountinfo
}

# v1_mount CTRL: the mount point of the v1 hierarchy carrying CTRL, or nothing.
v1_mount() {
	awk -F' - ' -v c="$1" '{ split($1, a, " "); split($2, b, " "); n = split(b[3], o, ",")
		if (b[1] == "cgroup") for (i = 1; i <= n; i++) if (o[i] == c) { print a[5]; exit } }' /proc/self/mountinfo
}

# cg_leftovers ID: every directory named ID in any cgroup hierarchy.
cg_leftovers() {
	awk -F' - ' '{ split($1, a, " "); split($2, b, " "); if (b[1] ~ /^cgroup2?$/) print a[5] }' /proc/self/mountinfo |
		while read -r m; do find "$m" -maxdepth 3 -type d -name "$1" 2>/dev/null; done
}

# create_escape PATH: create with linux.cgroupsPath PATH must fail naming it.
# The output goes to $TESTDIR/escape.out, so that a test checks the host first.
create_escape() {
	update_config '.linux.cgroupsPath = $p' --arg p "$1"
	if create_ctr >"$TESTDIR/escape.out" 2>&1; then
		echo "created with cgroupsPath $1" >>"$TESTDIR/escape.out"
	fi
	husk delete --force "$CID" >/dev/null 2>&1 || true
	grep -q "linux.cgroupsPath" "$TESTDIR/escape.out" && ! grep -q "^created" "$TESTDIR/escape.out" ||
		echo "$1: $(cat "$TESTDIR/escape.out")" >>"$TESTDIR/escape.bad"
}

@test "cgroupsPath: .. cannot make or remove a directory outside /sys/fs/cgroup" {
	up=../../../../../../../..
	set_args sleep 100
	# A directory that must not appear, and an empty one that must not go.
	mkdir -p "$TESTDIR/victim/keep"
	for p in "/$up$TESTDIR/made-abs" "/foo/../$up$TESTDIR/made-foo" "$up$TESTDIR/made-rel" \
		"/$up$TESTDIR/victim" "sub/../$up$TESTDIR/victim"; do
		create_escape "$p"
	done
	[ ! -e "$TESTDIR/made-abs" ]
	[ ! -e "$TESTDIR/made-foo" ]
	[ ! -e "$TESTDIR/made-rel" ]
	[ -d "$TESTDIR/victim/keep" ]
	[ ! -e "$ROOT/$CID" ]
	[ ! -e "$TESTDIR/escape.bad" ] || { cat "$TESTDIR/escape.bad"; false; }
}

# Against a husk without the check this one removes every empty cgroup of the
# host (cleanup of a container whose cgroup is a hierarchy's root).
@test "cgroupsPath: the hierarchy's root and the caller's own cgroup are refused" {
	set_args sleep 100
	for p in / /.. /a/../ . ./ sub/..; do
		create_escape "$p"
	done
	[ ! -e "$ROOT/$CID" ]
	[ ! -e "$TESTDIR/escape.bad" ] || { cat "$TESTDIR/escape.bad"; false; }
}

@test "cgroupsPath: .. that stays inside is resolved, and delete removes only the leaf" {
	update_config '.linux.cgroupsPath = $p' --arg p "/husk-sec/x/../$CID"
	set_args sleep 100
	create_ctr
	m=$(v1_mount pids || true)
	m=${m:-$(unified_mount)}
	[ -d "$m/husk-sec/$CID" ]
	[ ! -e "$m/husk-sec/x" ]
	mkdir "$m/husk-sec/$CID-sibling"
	husk delete --force "$CID"
	[ ! -e "$m/husk-sec/$CID" ]
	[ -d "$m/husk-sec/$CID-sibling" ]
	rmdir "$m/husk-sec/$CID-sibling"
}

@test "unified: cgroup.procs cannot move a host process into the container's cgroup" {
	[ -n "$(unified_mount)" ] || skip "needs a cgroup2 hierarchy"
	pid=$(spawn_bg sleep 1000)
	before=$(cat "/proc/$pid/cgroup")
	for k in cgroup.procs cgroup.threads; do
		update_config '.linux.resources.unified = {($k): $v}' --arg k "$k" --arg v "$pid"
		set_args sleep 100
		run create_ctr
		moved=$(cat "/proc/$pid/cgroup")
		husk delete --force "$CID" 2>/dev/null || true
		# The host first: the sleep was not moved, and delete did not kill it.
		[ "$moved" = "$before" ] || { echo "$k moved it: $moved"; false; }
		pid_alive "$pid"
		[ "$status" -ne 0 ]
		[[ "$output" == *"linux.resources.unified[\"$k\"]"* ]] || { echo "$output"; false; }
	done
}

@test "unified: core files, a /, . or .., and a controller the host lacks are refused" {
	m=$(unified_mount)
	[ -n "$m" ] || skip "needs a cgroup2 hierarchy"
	missing=nosuch
	for c in memory rdma misc; do
		grep -qw "$c" "$m/cgroup.controllers" || { missing=$c; break; }
	done
	set_args sleep 100
	for k in cgroup.subtree_control cgroup.type cgroup.kill tasks ../cgroup.procs \
		hugetlb.2MB.max/../../cgroup.procs . .. "$missing.max"; do
		update_config '.linux.resources.unified = {($k): "1"}' --arg k "$k"
		run create_ctr
		[ "$status" -ne 0 ]
		[[ "$output" == *"linux.resources.unified[\"$k\"]"* ]] || { echo "$k: $output"; false; }
		[ ! -e "$ROOT/$CID" ]
	done
	update_config '.linux.resources.unified = {"cgroup.max.depth": "3"}'
	create_ctr
	[ "$(cat "$m$CG_PATH/cgroup.max.depth")" = 3 ]
}

# The loop-control device: a character device every Linux has, harmless to open.
loop_control_bundle() {
	[ -c /dev/loop-control ] || skip "needs /dev/loop-control"
	update_config '.linux.devices = [{path: "/dev/loop-control", type: "c", major: 10, minor: 237, fileMode: 438}]
		| .linux.resources.devices = [{allow: false, access: "rwm"}] + $rules' --argjson rules "$1"
	set_args sleep 100
	create_ctr
}

@test "devices: a device allowed read-only stays read-only (docker --device X:r)" {
	loop_control_bundle '[{"allow": true, "type": "c", "major": 10, "minor": 237, "access": "r"}]'
	run husk exec "$CID" sh -c 'exec 3>/dev/loop-control && echo write-open'
	[[ "$output" != *write-open* ]]
	[[ "$output" == *"Operation not permitted"* ]]
	run husk exec "$CID" sh -c 'exec 3</dev/loop-control && echo read-open'
	[[ "$output" == *read-open* ]]
	d=$(v1_mount devices)
	[ -n "$d" ] || return 0
	grep -qx "c 10:237 r" "$d$CG_PATH/devices.list"
	run ! grep -q "^c 10:237 .*w" "$d$CG_PATH/devices.list"
}

@test "devices: linux.devices alone allows nothing after a deny-all (as runc)" {
	loop_control_bundle '[]'
	run husk exec "$CID" sh -c 'exec 3</dev/loop-control && echo read-open'
	[[ "$output" != *read-open* ]]
	[[ "$output" == *"Operation not permitted"* ]]
	# The default devices stay usable.
	run husk exec "$CID" sh -c 'echo x >/dev/null && head -c1 /dev/zero >/dev/null && echo defaults-ok'
	[[ "$output" == *defaults-ok* ]]
}

@test "devices: a default device that linux.devices lists gets only the config's rules" {
	update_config '.linux.devices = [{path: "/dev/zero", type: "c", major: 1, minor: 5, fileMode: 438}]
		| .linux.resources.devices = [{allow: false, access: "rwm"}, {allow: true, type: "c", major: 1, minor: 5, access: "r"}]'
	set_args sh -c 'head -c1 /dev/zero >/dev/null && echo read-ok; echo x >/dev/zero && echo write-ok'
	run run_ctr
	[[ "$output" == *read-ok* ]]
	[[ "$output" != *write-ok* ]]
	[[ "$output" == *"Operation not permitted"* ]]
}

# kill_create_at K: husk create, SIGKILLed by strace at the entry of its K-th
# mkdir or rename (the steps that change the host), then delete --force.
# Prints "finished" when husk got past K such calls.
kill_create_at() {
	local id=$1 k=$2 calls=mkdir,mkdirat,rename,renameat,renameat2
	strace -qq -o /dev/null -e trace=$calls -e inject=$calls:signal=KILL:when="$k" \
		"$HUSK" --root "$ROOT" create --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1 3>&- &&
		echo finished
	"$HUSK" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 3>&- || true
}

# no_trace ID: no state directory or cgroup directory of ID.
no_trace() {
	local id=$1 left
	[ ! -e "$ROOT/$id" ] || { echo "state dir of $id left" >&2; return 1; }
	left=$(cg_leftovers "$id")
	[ -z "$left" ] || { echo "cgroups of $id left: $left" >&2; return 1; }
}

# no_husk_left: no process whose command line has this test's --root (stage 1
# and the init are forks of husk create).  Read with builtins: a grep or tr
# would find its own command line.
no_husk_left() {
	local f args
	for f in /proc/[0-9]*/cmdline; do
		mapfile -d '' args <"$f" 2>/dev/null || continue
		if [[ " ${args[*]} " == *" $ROOT "* ]]; then
			echo "left: ${f%/cmdline}: ${args[*]}" >&2
			echo "${f//[^0-9]/}" >>"$TESTDIR/bg.pids"
			return 1
		fi
	done
}

@test "SIGKILL of create at each mkdir/rename: delete --force leaves no cgroup" {
	command -v strace >/dev/null || skip "needs strace"
	update_config 'del(.linux.cgroupsPath)'
	set_args sleep 100
	for k in $(seq 1 120); do
		out=$(kill_create_at "$CID-$k" "$k")
		no_trace "$CID-$k" || { echo "killed at call $k"; false; }
		[ "$out" != finished ] || break
	done
	[ "$out" = finished ] # the loop reached a create that finished
	no_husk_left
}

@test "a v1 cgroup made after the init's fork fails: create says which, and leaves nothing" {
	command -v strace >/dev/null || skip "needs strace"
	[ -d /sys/fs/cgroup/pids ] && [ ! -e /sys/fs/cgroup/cgroup.controllers ] || skip "needs a v1 pids hierarchy"
	update_config 'del(.linux.cgroupsPath)'
	set_args sleep 100
	# The parent makes the v1 directories while the init makes its namespaces
	# (linux/sync.h, sync 0): the one mkdir made to fail is one of those.
	run strace -qq -o /dev/null -P "/sys/fs/cgroup/pids/husk/$CID" -e inject=mkdir:error=ENOSPC \
		"$HUSK" --root "$ROOT" create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"create cgroup: mkdir \`/sys/fs/cgroup/pids/husk/$CID\`: no space left on device"* ]]
	no_trace "$CID"
	no_husk_left
}

@test "SIGKILL of create after a random delay: delete --force leaves no cgroup" {
	update_config 'del(.linux.cgroupsPath)'
	set_args sleep 100
	for i in $(seq 1 30); do
		"$HUSK" --root "$ROOT" create --bundle "$BUNDLE" "$CID-$i" </dev/null >/dev/null 2>&1 3>&- &
		pid=$!
		sleep "$(printf '0.%03d' $((RANDOM % 21)))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		"$HUSK" --root "$ROOT" delete --force "$CID-$i" >/dev/null 2>&1 3>&- || true
		no_trace "$CID-$i" || { echo "iteration $i"; false; }
	done
	no_husk_left
}
