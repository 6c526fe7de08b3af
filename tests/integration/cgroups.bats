#!/usr/bin/env bats
# Cgroups: linux.resources, update, pause/resume, ps, events, kill --all.
# Runs on v1, hybrid (v1 controllers + cgroup2 at /sys/fs/cgroup/unified) and pure
# v2 hosts: each test finds the container's directory for a controller where the
# host has it, and skips (saying why) what this layout cannot have.

load ../../bats/helpers

# cg_layout: v1, hybrid or v2.
cg_layout() {
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		echo v2
	elif awk -F' - ' '$2 ~ /^cgroup2 /' /proc/self/mountinfo | grep -q .; then
		echo hybrid
	else
		echo v1
	fi
}

# cg_mount CTRL: the mount point of the v1 hierarchy of CTRL, else of cgroup2
# when its root offers CTRL (always for "unified").
cg_mount() {
	local m
	m=$(awk -F' - ' -v c="$1" '{ split($1, a, " "); split($2, b, " "); n = split(b[3], o, ",")
		if (b[1] == "cgroup") for (i = 1; i <= n; i++) if (o[i] == c) { print a[5]; exit } }' /proc/self/mountinfo)
	[ -n "$m" ] && { echo "$m"; return 0; }
	m=$(awk -F' - ' '{ split($1, a, " "); split($2, b, " "); if (b[1] == "cgroup2") { print a[5]; exit } }' /proc/self/mountinfo)
	[ -n "$m" ] || return 1
	[ "$1" = unified ] || grep -qw "$1" "$m/cgroup.controllers" || return 1
	echo "$m"
}

# cg_is_v2 CTRL: CTRL lives in the cgroup2 hierarchy here.
cg_is_v2() {
	[ "$(stat -fc %T "$(cg_mount "$1")")" = cgroup2fs ]
}

# cg_dir CTRL: the container's directory for CTRL.
cg_dir() {
	echo "$(cg_mount "$1")$CG_PATH"
}

# requires_cg FEATURE...: cgroup1 (v1 controllers), cgroup2 (pure v2), unified
# (a cgroup2 hierarchy), or a controller name.
requires_cg() {
	local f
	for f in "$@"; do
		case $f in
		cgroup1) [ "$(cg_layout)" != v2 ] || skip "needs cgroup v1 controllers" ;;
		cgroup2) [ "$(cg_layout)" = v2 ] || skip "needs a pure cgroup v2 host" ;;
		unified) [ "$(cg_layout)" != v1 ] || skip "needs a cgroup2 hierarchy" ;;
		*) cg_mount "$f" >/dev/null || skip "needs the $f cgroup controller" ;;
		esac
	done
}

setup() {
	requires root
	common_setup
	CG_PATH="/husk-test/$CID"
	update_config '.linux.cgroupsPath = $p' --arg p "$CG_PATH"
}

teardown() {
	common_teardown
	local d
	for d in /sys/fs/cgroup/*/husk-test /sys/fs/cgroup/husk-test; do
		rmdir "$d/$CID" "$d" 2>/dev/null || true
	done
}

# events_bg ARGS...: `husk events ARGS` in the background, output in $TESTDIR/events.
events_bg() {
	"$HUSK" --root "$ROOT" events "$@" </dev/null >"$TESTDIR/events" 2>&1 3>&- &
	echo $! >>"$TESTDIR/bg.pids"
}

@test "the cgroup exists in every hierarchy and goes with delete" {
	set_args sleep 100
	create_ctr
	pid=$(ctr_pid)
	for m in $(awk -F' - ' '$2 ~ /^cgroup2? / { split($1, a, " "); print a[5] }' /proc/self/mountinfo); do
		grep -qx "$pid" "$m$CG_PATH/cgroup.procs"
	done
	husk delete --force "$CID"
	for m in $(awk -F' - ' '$2 ~ /^cgroup2? / { split($1, a, " "); print a[5] }' /proc/self/mountinfo); do
		[ ! -e "$m$CG_PATH" ]
	done
}

@test "default cgroupsPath is /husk/<id>" {
	update_config 'del(.linux.cgroupsPath)'
	set_args sleep 100
	create_ctr
	grep -qx "$(ctr_pid)" "$(cg_mount unified 2>/dev/null || cg_mount pids)/husk/$CID/cgroup.procs"
}

# The init (stage 1) and exec's joiner are born in the cgroup2 directory (clone3
# CLONE_INTO_CGROUP), pure v2 or hybrid: a move by cgroup.procs would wait for
# an RCU grace period.  Seen by strace: the clone3 call, and no open of the
# directory's cgroup.procs for writing; the processes are there all the same.
@test "unified: the init and an exec'd process are born in the cgroup2 directory" {
	requires_cg unified
	command -v strace >/dev/null || skip "needs strace"
	u=$(cg_mount unified)
	# A foreground run (strace ends with the last process it follows).
	set_args cat /proc/self/cgroup
	strace -f -qq -o "$TESTDIR/run.trace" -e trace=clone3,openat \
		"$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$CID" >"$TESTDIR/run.out"
	grep -q 'clone3({flags=CLONE_INTO_CGROUP' "$TESTDIR/run.trace"
	# (not `! grep`: bats does not fail a test on a negated command before its end)
	if grep "$u$CG_PATH/cgroup.procs\".*O_WRONLY" "$TESTDIR/run.trace"; then false; fi
	grep -qx "0::$CG_PATH" "$TESTDIR/run.out"
	set_args sleep 100
	create_ctr
	strace -f -qq -o "$TESTDIR/exec.trace" -e trace=clone3,openat \
		"$HUSK" --root "$ROOT" exec "$CID" cat /proc/self/cgroup >"$TESTDIR/exec.out"
	grep -q 'clone3({flags=CLONE_INTO_CGROUP' "$TESTDIR/exec.trace"
	if grep "$u$CG_PATH/cgroup.procs\".*O_WRONLY" "$TESTDIR/exec.trace"; then false; fi
	grep -qx "0::$CG_PATH" "$TESTDIR/exec.out"
}

@test "memory: limit, reservation and swap in the cgroup files" {
	requires_cg memory
	update_config '.linux.resources.memory = {limit: 67108864, reservation: 33554432, swap: 134217728}'
	set_args sleep 100
	create_ctr
	d=$(cg_dir memory)
	if cg_is_v2 memory; then
		[ "$(cat "$d/memory.max")" = 67108864 ]
		[ "$(cat "$d/memory.low")" = 33554432 ]
		[ ! -e "$d/memory.swap.max" ] || [ "$(cat "$d/memory.swap.max")" = 67108864 ]
	else
		[ "$(cat "$d/memory.limit_in_bytes")" = 67108864 ]
		[ "$(cat "$d/memory.soft_limit_in_bytes")" = 33554432 ]
		[ ! -e "$d/memory.memsw.limit_in_bytes" ] || [ "$(cat "$d/memory.memsw.limit_in_bytes")" = 134217728 ]
	fi
}

@test "memory v1: swappiness, disableOOMKiller, kernelTCP" {
	requires_cg cgroup1 memory
	cg_is_v2 memory && skip "memory is on cgroup v2 here"
	update_config '.linux.resources.memory = {limit: 67108864, swappiness: 10, disableOOMKiller: true, kernelTCP: 16777216}'
	set_args sleep 100
	create_ctr
	d=$(cg_dir memory)
	[ "$(cat "$d/memory.swappiness")" = 10 ]
	grep -qx "oom_kill_disable 1" "$d/memory.oom_control"
	[ ! -e "$d/memory.kmem.tcp.limit_in_bytes" ] || [ "$(cat "$d/memory.kmem.tcp.limit_in_bytes")" = 16777216 ]
}

@test "memory: the limit ends in an OOM kill, and events reports oom" {
	requires_cg memory
	update_config '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
	set_args sh -c 'sleep 1; awk "BEGIN { s = \"x\"; while (1) s = s s }"'
	create_ctr
	events_bg --interval 10s "$CID"
	husk start "$CID"
	wait_for_status "$CID" stopped 100
	wait_for_file "$TESTDIR/events" '"type":"oom"'
	grep -q "\"id\":\"$CID\"" "$TESTDIR/events"
	if cg_is_v2 memory; then f=memory.events; else f=memory.oom_control; fi
	[ "$(awk '$1 == "oom_kill" { print $2 }' "$(cg_dir memory)/$f")" -ge 1 ]
}

@test "pids.limit: in pids.max, and a fork beyond it fails" {
	requires_cg pids
	update_config '.linux.resources.pids = {limit: 3}'
	set_args sh -c 'for i in 1 2 3 4 5; do sleep 5 & done; echo forked'
	create_ctr
	[ "$(cat "$(cg_dir pids)/pids.max")" = 3 ]
	husk start "$CID"
	wait_for_file "$CTR_ERR" "fork"
	grep -q "can't fork" "$CTR_ERR"
}

@test "pids.limit -1 is max" {
	requires_cg pids
	update_config '.linux.resources.pids = {limit: -1}'
	set_args sleep 100
	create_ctr
	[ "$(cat "$(cg_dir pids)/pids.max")" = max ]
}

@test "cpu: shares, quota, period in the files; a busy loop gets throttled" {
	requires_cg cpu
	update_config '.linux.resources.cpu = {shares: 512, quota: 10000, period: 100000}'
	set_args sh -c 'while :; do :; done'
	run_detached
	d=$(cg_dir cpu)
	if cg_is_v2 cpu; then
		[ "$(cat "$d/cpu.weight")" = 20 ] # 1 + (512-2)*9999/262142
		[ "$(cat "$d/cpu.max")" = "10000 100000" ]
	else
		[ "$(cat "$d/cpu.shares")" = 512 ]
		[ "$(cat "$d/cpu.cfs_quota_us")" = 10000 ]
		[ "$(cat "$d/cpu.cfs_period_us")" = 100000 ]
	fi
	sleep 0.5
	[ "$(awk '$1 == "nr_throttled" { print $2 }' "$d/cpu.stat")" -gt 0 ]
}

@test "cpuset: cpus and mems in the files and in the container's affinity" {
	requires_cg cpuset
	update_config '.linux.resources.cpu = {cpus: "0", mems: "0"}'
	set_args sh -c 'grep Cpus_allowed_list /proc/self/status'
	run run_ctr
	[ "$status" -eq 0 ]
	[[ "$output" == *"Cpus_allowed_list:"*"0" ]]
	[[ "$output" != *"0-"* ]]
}

@test "blockIO: throttle files; weight in blkio.weight or the bfq fallback" {
	requires_cg blkio
	cg_is_v2 blkio && skip "blkio is io on cgroup v2"
	dev=$(lsblk -dno MAJ:MIN | head -1 | tr -d ' ')
	update_config '.linux.resources.blockIO = {weight: 300, throttleReadBpsDevice: [{major: $a, minor: $b, rate: 1048576}]}' \
		--argjson a "${dev%:*}" --argjson b "${dev#*:}"
	set_args sleep 100
	run create_ctr
	d=$(cg_dir blkio)
	if [ "$status" -ne 0 ]; then # neither CFQ nor BFQ: the error says so
		[[ "$output" == *"blockIO.weight"*"no CFQ or BFQ"* ]]
		return
	fi
	grep -qx "$dev 1048576" "$d/blkio.throttle.read_bps_device"
	[ "$(cat "$d/blkio.weight" 2>/dev/null || cat "$d/blkio.bfq.weight")" = 300 ]
}

@test "io v2: throttling in io.max" {
	requires_cg cgroup2 io
	dev=$(lsblk -dno MAJ:MIN | head -1 | tr -d ' ')
	update_config '.linux.resources.blockIO = {throttleWriteIOPSDevice: [{major: $a, minor: $b, rate: 100}]}' \
		--argjson a "${dev%:*}" --argjson b "${dev#*:}"
	set_args sleep 100
	create_ctr
	grep -q "^$dev .*wiops=100" "$(cg_dir io)/io.max"
}

@test "hugepageLimits: in the hugetlb files (v2 on a hybrid host), rsvd too" {
	requires_cg hugetlb
	[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages"
	update_config '.linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 4194304}]'
	set_args sleep 100
	create_ctr
	d=$(cg_dir hugetlb)
	if cg_is_v2 hugetlb; then f=max r=rsvd.max; else f=limit_in_bytes r=rsvd.limit_in_bytes; fi
	[ "$(cat "$d/hugetlb.2MB.$f")" = 4194304 ]
	[ ! -e "$d/hugetlb.2MB.$r" ] || [ "$(cat "$d/hugetlb.2MB.$r")" = 4194304 ]
}

@test "hugepageLimits with an unknown page size fails and leaves no cgroup" {
	requires_cg hugetlb
	update_config '.linux.resources.hugepageLimits = [{pageSize: "3MB", limit: 4194304}]'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"page size \`3MB\`"* ]]
	[ ! -e "$(cg_dir hugetlb)" ]
	[ ! -e "$ROOT/$CID" ]
}

@test "network classID: net_cls where mounted, else a clear error" {
	update_config '.linux.resources.network = {classID: 1048577}'
	set_args sleep 100
	run create_ctr
	if cg_mount net_cls >/dev/null && ! cg_is_v2 net_cls; then
		[ "$status" -eq 0 ]
		[ "$(cat "$(cg_dir net_cls)/net_cls.classid")" = 1048577 ]
	else
		[ "$status" -ne 0 ]
		[[ "$output" == *"no net_cls cgroup controller"* ]]
	fi
}

@test "unified: written into the cgroup2 hierarchy; a controller it lacks is an error" {
	requires_cg unified
	if cg_is_v2 pids; then kv='{"pids.max": "9"}' f=pids.max v=9
	else kv='{"hugetlb.2MB.max": "2097152"}' f=hugetlb.2MB.max v=2097152; fi
	update_config '.linux.resources.unified = $kv' --argjson kv "$kv"
	set_args sleep 100
	create_ctr
	[ "$(cat "$(cg_dir unified)/$f")" = "$v" ]
	husk delete --force "$CID"
	update_config '.linux.resources.unified = {"nosuch.max": "1"}'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"controller \`nosuch\` is not available"* ]]
}

@test "devices: a deny rule makes open fail with EPERM, the rest stays usable" {
	update_config '.linux.resources.devices = [{allow: false, access: "rwm"}, {allow: true, type: "c", major: 1, minor: 3, access: "rw"}, {allow: false, type: "c", major: 1, minor: 5, access: "r"}]'
	set_args sh -c 'echo x >/dev/null && echo null-ok; head -c1 /dev/zero; echo; head -c1 /dev/full'
	run run_ctr
	[[ "$output" == *"null-ok"* ]]
	[[ "$output" == *"/dev/zero"*"Operation not permitted"* ]]
	[[ "$output" != *"/dev/full"*"Operation not permitted"* ]] # a default rule
}

@test "devices v1: the rules are in devices.list" {
	requires_cg cgroup1 devices
	update_config '.linux.resources.devices = [{allow: false, access: "rwm"}, {allow: true, type: "c", major: 1, minor: 3, access: "rw"}]'
	set_args sleep 100
	create_ctr
	grep -qx "c 1:3 rw[m]*" "$(cg_dir devices)/devices.list"
	run ! grep -qx "a \*:\* rwm" "$(cg_dir devices)/devices.list"
}

@test "pause freezes every process, state says paused, resume thaws" {
	set_args sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tick.new; mv /tick.new /tick; sleep 0.05; done'
	run_detached
	wait_for_file "$ROOTFS/tick"
	run husk pause "$CID"
	[ "$status" -eq 0 ]
	[ "$(ctr_status)" = paused ]
	if [ -e "$(cg_dir freezer)/freezer.state" ] 2>/dev/null; then
		[ "$(cat "$(cg_dir freezer)/freezer.state")" = FROZEN ]
	else
		grep -qx "frozen 1" "$(cg_dir unified)/cgroup.events"
	fi
	a=$(cat "$ROOTFS/tick"); sleep 0.3; [ "$(cat "$ROOTFS/tick")" = "$a" ]
	run husk resume "$CID"
	[ "$status" -eq 0 ]
	[ "$(ctr_status)" = running ]
	sleep 0.3; [ "$(cat "$ROOTFS/tick")" != "$a" ]
}

@test "pause of a stopped container and resume of a running one fail" {
	set_args sleep 100
	run_detached
	run husk resume "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not paused"* ]]
	husk kill "$CID" KILL
	wait_for_status "$CID" stopped
	run husk pause "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not running"* ]]
}

@test "ps lists the container's processes; --format json gives their pids" {
	set_args sh -c 'sleep 101 & exec sleep 100'
	run_detached
	sleep 0.2
	run husk ps "$CID"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID* ]]
	[[ "$output" == *"sleep 101"* ]] && [[ "$output" == *"sleep 100"* ]]
	[ "${#lines[@]}" -eq 3 ]
	run husk ps --format json "$CID"
	[ "$(jq length <<<"$output")" -eq 2 ]
	jq -e --argjson p "$(ctr_pid)" 'index($p) != null' <<<"$output"
}

@test "events --stats prints one stats object that validates against the schema" {
	requires jsonschema
	update_config '.linux.resources.pids = {limit: 50}'
	set_args sleep 100
	run_detached
	husk events --stats "$CID" >"$TESTDIR/stats.json"
	run validate_json "$SCHEMA_DIR/events-schema.json" "$TESTDIR/stats.json"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	jq -e --arg id "$CID" '.type == "stats" and .id == $id and .data.pids.current >= 1 and .data.pids.limit == 50' "$TESTDIR/stats.json"
	jq -e '.data.memory.usage.usage > 0 and .data.cpu.usage.total > 0' "$TESTDIR/stats.json"
}

@test "events --interval streams stats until the container stops" {
	set_args sleep 3
	run_detached
	run timeout 10 "$HUSK" --root "$ROOT" events --interval 200ms "$CID"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 3 ]
	jq -se 'all(.type == "stats")' <<<"$output"
}

@test "update: runc's flags reach the cgroup files" {
	requires_cg memory pids cpu
	set_args sleep 100
	run_detached
	run husk update --memory 64m --memory-swap 128m --pids-limit 20 --cpu-quota 20000 --cpu-period 100000 "$CID"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(cat "$(cg_dir pids)/pids.max")" = 20 ]
	if cg_is_v2 memory; then [ "$(cat "$(cg_dir memory)/memory.max")" = 67108864 ]
	else [ "$(cat "$(cg_dir memory)/memory.limit_in_bytes")" = 67108864 ]; fi
	if cg_is_v2 cpu; then [ "$(cat "$(cg_dir cpu)/cpu.max")" = "20000 100000" ]
	else [ "$(cat "$(cg_dir cpu)/cpu.cfs_quota_us")" = 20000 ]; fi
}

@test "update --resources - reads LinuxResources JSON from stdin; bad JSON names the path" {
	requires_cg pids
	set_args sleep 100
	run_detached
	echo '{"pids": {"limit": 7}}' | husk update --resources - "$CID"
	[ "$(cat "$(cg_dir pids)/pids.max")" = 7 ]
	run husk update --resources - "$CID" <<<'{"pids": {"limit": "many"}}'
	[ "$status" -ne 0 ]
	[[ "$output" == *"resources: pids.limit"* ]]
	[ "$(cat "$(cg_dir pids)/pids.max")" = 7 ]
}

@test "update lowers pids.max below the running count: new forks fail" {
	requires_cg pids
	set_args sh -c 'sleep 1; for i in 1 2 3; do sleep 5 & done; echo done'
	run_detached
	husk update --pids-limit 2 "$CID"
	wait_for_file "$CTR_ERR" "fork"
}

@test "kill --all reaches processes in a sub-cgroup, delete --force removes it" {
	requires_cg pids
	set_args sh -c 'sleep 100 & exec sleep 100'
	run_detached
	sleep 0.2
	d=$(cg_dir pids)
	mkdir "$d/sub"
	child=$(pgrep -f "sleep 100" -P "$(ctr_pid)" | head -1)
	echo "$child" >"$d/sub/cgroup.procs"
	husk kill --all "$CID" KILL
	wait_for_status "$CID" stopped
	pid_gone "$child"
	husk delete "$CID"
	[ ! -e "$d" ]
}

@test "delete --force of a paused container kills it and removes the cgroup" {
	set_args sleep 100
	run_detached
	pid=$(ctr_pid)
	husk pause "$CID"
	run husk delete --force "$CID"
	[ "$status" -eq 0 ]
	pid_gone "$pid"
	[ ! -e "$(cg_dir pids 2>/dev/null || cg_dir unified)" ]
}

@test "cgroup v2: the container's cgroup has the controllers it needs enabled" {
	requires_cg cgroup2
	update_config '.linux.resources.memory = {limit: 67108864} | .linux.resources.pids = {limit: 10}'
	set_args sleep 100
	create_ctr
	for c in memory pids; do grep -qw "$c" "$(cg_dir unified)/cgroup.controllers"; done
	grep -qx "$(ctr_pid)" "$(cg_dir unified)/cgroup.procs"
}

@test "cpu v2: realtime settings are refused" {
	requires_cg cgroup2
	update_config '.linux.resources.cpu = {realtimeRuntime: 1000, realtimePeriod: 100000}'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"not supported on cgroup v2"* ]]
}

@test "the container sees its own limits in its read-only /sys/fs/cgroup" {
	requires_cg memory
	update_config '.linux.resources.memory = {limit: 67108864}'
	if cg_is_v2 memory; then f=memory.max; else f=memory/memory.limit_in_bytes; fi
	set_args sh -c "cat /sys/fs/cgroup/$f; touch /sys/fs/cgroup/x"
	run run_ctr
	[ "${lines[0]}" = 67108864 ]
	[[ "$output" == *"Read-only file system"* ]]
}

@test "v1: the container can neither raise its own limit nor make a sub-cgroup (the binds are read-only)" {
	requires_cg memory
	cg_is_v2 memory && skip "v1 hierarchies only"
	update_config '.linux.resources.memory = {limit: 67108864}'
	set_args sh -c 'echo 134217728 > /sys/fs/cgroup/memory/memory.limit_in_bytes; echo "write $?";
		mkdir /sys/fs/cgroup/memory/sub; echo "mkdir $?"; cat /sys/fs/cgroup/memory/memory.limit_in_bytes;
		grep " /sys/fs/cgroup/memory " /proc/self/mountinfo'
	run run_ctr
	[[ "$output" == *"write 1"* ]]
	[[ "$output" == *"mkdir 1"* ]]
	[ "$(grep -c "Read-only file system" <<<"$output")" = 2 ]
	grep -qx 67108864 <<<"$output"
	grep -q " /sys/fs/cgroup/memory ro,nosuid,nodev,noexec" <<<"$output"
}

# delete of a stopped container first tries one rmdir per hierarchy, and lists
# cgroup.procs only when that fails: a process outside the init's pid namespace
# (here a host process put into one hierarchy's cgroup) keeps it busy; delete
# must still kill it and remove every directory.
@test "delete of a stopped container kills a host process left in its cgroup and removes it" {
	requires_cg pids
	set_args sleep 100
	run_detached
	d=$(cg_dir pids)
	stray=$(spawn_bg sleep 1000)
	echo "$stray" >"$d/cgroup.procs"
	husk kill "$CID" KILL
	wait_for_status "$CID" stopped
	kill -0 "$stray"
	husk delete "$CID"
	pid_gone "$stray"
	for m in $(awk -F' - ' '$2 ~ /^cgroup2? / { split($1, a, " "); print a[5] }' /proc/self/mountinfo); do
		[ ! -e "$m$CG_PATH" ]
	done
}
