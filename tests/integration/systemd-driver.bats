#!/usr/bin/env bats
# The systemd cgroup driver's own edges (src/cgroup/systemd.c, sdconv.c).
#
# The first tests run on any host: without systemd on the bus, --systemd-cgroup
# is a clear error that leaves nothing behind (never a silent fallback to
# cgroupfs), and the cgroupsPath forms are checked before any bus is asked.
# The rest need systemd as PID 1 on a pure cgroup v2 hierarchy and skip
# elsewhere; tests/vm/systemd-run.sh runs them in its VM:
#   HUSK_VM_TESTS="tests/integration/systemd-driver.bats" tests/vm/systemd-run.sh

load ../../bats/helpers

CG=/sys/fs/cgroup

systemd_host() {
	[ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && [ "$(stat -fc %T $CG 2>/dev/null)" = cgroup2fs ]
}

requires_systemd() {
	systemd_host || skip "needs systemd as PID 1 on pure cgroup v2 (tests/vm/systemd-run.sh)"
}

setup() {
	requires root
	common_setup
	UNIT="husk-$CID.scope"
}

teardown() {
	local id
	if [ -n "${ROOT:-}" ] && [ -d "$ROOT" ]; then
		for id in $(ls "$ROOT"); do
			timeout 20 "$HUSK" --systemd-cgroup --root "$ROOT" delete --force "$id" >/dev/null 2>&1 3>&- </dev/null
		done
	fi
	[ -f "$TESTDIR/hook.pid" ] && kill -9 "$(cat "$TESTDIR/hook.pid")" 2>/dev/null
	common_teardown
	if systemd_host; then
		for id in "$UNIT" "sdd-$CID.scope" "sdd-$CID-b.scope"; do
			systemctl stop "$id" >/dev/null 2>&1
			systemctl reset-failed "$id" >/dev/null 2>&1
		done
		systemctl stop sdd_t-sub.slice sdd_t.slice >/dev/null 2>&1
	fi
	rmdir "$CG"/*/"a:b:$CID" "$CG/a:b:$CID" 2>/dev/null
	return 0
}

sd_create() {
	husk_detached --systemd-cgroup create --bundle "$BUNDLE" "$@" "$CID"
}

prop() {
	systemctl show -p "$2" --value "$1"
}

# gone UNIT: systemd knows nothing of UNIT, and its cgroup is not there.
gone() {
	[ "$(systemctl show -p LoadState --value "$1")" = not-found ] &&
		! find "$CG" -maxdepth 4 -type d -name "$1" | grep -q .
}

# nothing_left: no state, no cgroup directory or unit of the container.
nothing_left() {
	[ -z "$(ls -A "$ROOT")" ] || { echo "state left: $(ls -A "$ROOT")"; return 1; }
	if find "$CG" -maxdepth 5 -type d \( -name "$UNIT" -o -name "*$CID*" \) 2>/dev/null | grep .; then
		echo "cgroup left"
		return 1
	fi
	return 0
}

# --- any host ---------------------------------------------------------------

@test "husk uses no libsystemd: the systemd driver speaks D-Bus itself" {
	requires husk
	# (a static build: ldd says "not a dynamic executable")
	run ldd "$HUSK"
	[[ "$output" != *libyajl* ]]
	[[ "$output" != *libsystemd* ]]
	# Not loaded later either (dlopen names the library in the binary).
	if grep -aq 'libsystemd\.so' "$HUSK"; then
		echo "$HUSK names libsystemd.so"
		return 1
	fi
	# (the systemd VM's tests are what show the driver on the bus: they run this build)
}

@test "no systemd on the bus: --systemd-cgroup is a clear error, and nothing is left" {
	systemd_host && skip "systemd is on the bus here"
	set_args sleep 100
	run sd_create
	[ "$status" -ne 0 ]
	[[ "$output" == *"--systemd-cgroup: cannot connect to systemd on the system bus"* ]]
	[[ "$output" == *"/run/systemd/private"* ]]
	nothing_left
}

@test "--systemd-cgroup with a path that is not slice:prefix:name is refused before the bus is asked" {
	update_config '.linux.cgroupsPath = "/husk-test/x"'
	run sd_create
	[ "$status" -ne 0 ]
	[[ "$output" == *'linux.cgroupsPath `/husk-test/x`: expected "slice:prefix:name" with --systemd-cgroup'* ]]
	update_config '.linux.cgroupsPath = "bad--slice.slice:p:n"'
	run sd_create
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid slice name \`bad--slice.slice\`"* ]]
	nothing_left
}

@test "a colon cgroupsPath without --systemd-cgroup is a cgroupfs path, as with runc" {
	update_config '.linux.cgroupsPath = $p' --arg p "a:b:$CID"
	set_args sleep 100
	if systemd_host; then
		# Relative to our own cgroup, a service's on cgroup v2, which cannot
		# hold a process-bearing child: the error shows it was taken as a path.
		run create_ctr
		[ "$status" -eq 0 ] || [[ "$output" == *"/a:b:$CID/cgroup.procs"* ]]
		[[ "$output" != *systemd* ]]
		[ "$status" -ne 0 ] && skip "a relative cgroupfs path cannot hold processes below this service (cgroup v2)"
	else
		create_ctr
	fi
	pid=$(ctr_pid)
	grep -q "/a:b:$CID\$" "/proc/$pid/cgroup"
	husk delete --force "$CID"
	! find "$CG" -maxdepth 3 -name "a:b:$CID" | grep -q .
}

# --- systemd as PID 1 -------------------------------------------------------

@test "systemd: a slice with dashes nests, the scope is delegated, delete stops it" {
	requires_systemd
	update_config '.linux.cgroupsPath = $p' --arg p "sdd_t-sub.slice:sdd:$CID"
	set_args sleep 100
	sd_create
	d="$CG/sdd_t.slice/sdd_t-sub.slice/sdd-$CID.scope"
	grep -qx "$(ctr_pid)" "$d/cgroup.procs"
	[ "$(prop "sdd-$CID.scope" ControlGroup)" = "/sdd_t.slice/sdd_t-sub.slice/sdd-$CID.scope" ]
	[ "$(prop "sdd-$CID.scope" Delegate)" = yes ]
	[ "$(prop "sdd-$CID.scope" Slice)" = sdd_t-sub.slice ]
	husk --systemd-cgroup delete --force "$CID"
	gone "sdd-$CID.scope"
	[ ! -e "$d" ]
}

@test "systemd: a unit of that name already there is a clear error, and it is left alone" {
	requires_systemd
	update_config '.linux.cgroupsPath = $p' --arg p "system.slice:sdd:$CID"
	set_args sleep 100
	sd_create
	pid=$(ctr_pid)
	run husk_detached --systemd-cgroup create --bundle "$BUNDLE" "$CID-b"
	[ "$status" -ne 0 ]
	[[ "$output" == *"systemd unit \`sdd-$CID.scope\` already exists"* ]]
	[ "$(prop "sdd-$CID.scope" ActiveState)" = active ]
	grep -qx "$pid" "$CG/system.slice/sdd-$CID.scope/cgroup.procs"
	[ ! -d "$ROOT/$CID-b" ]
}

@test "systemd: a create that fails in the container leaves no unit and no cgroup" {
	requires_systemd
	set_args /no/such/binary
	run sd_create
	[ "$status" -ne 0 ]
	gone "$UNIT"
	nothing_left
}

@test "systemd: after a create killed mid-way, delete --force removes unit, cgroup and processes" {
	requires_systemd
	update_config '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", $s]}]' \
		--arg s "echo \$\$ >$TESTDIR/hook.pid; exec sleep 60"
	set_args sleep 100
	"$HUSK" --systemd-cgroup --root "$ROOT" create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 3>&- &
	husk_pid=$!
	wait_for_file "$TESTDIR/hook.pid" "[0-9]" 600
	[ "$(prop "$UNIT" ActiveState)" = active ]
	pids=$(cat "$CG/system.slice/$UNIT/cgroup.procs")
	[ -n "$pids" ]
	kill -9 "$husk_pid"
	wait "$husk_pid" || true
	kill -9 "$(cat "$TESTDIR/hook.pid")"
	husk --systemd-cgroup delete --force "$CID"
	gone "$UNIT"
	for p in $pids; do pid_gone "$p"; done
	nothing_left
}

@test "systemd: resources reach the unit and the files alike; update changes both" {
	requires_systemd
	update_config '.linux.resources = {memory: {limit: 67108864}, pids: {limit: 30},
		cpu: {shares: 1024, quota: 12345, period: 100000}}'
	set_args sleep 100
	sd_create
	d="$CG/system.slice/$UNIT"
	[ "$(prop "$UNIT" MemoryMax)" = 67108864 ]
	[ "$(cat "$d/memory.max")" = 67108864 ]
	[ "$(prop "$UNIT" TasksMax)" = 30 ]
	[ "$(cat "$d/pids.max")" = 30 ]
	[ "$(prop "$UNIT" CPUWeight)" = 39 ]
	[ "$(cat "$d/cpu.weight")" = 39 ]
	# systemd keeps the quota in 10 ms steps per second: 123.45 ms -> 130 ms,
	# and cpu.max says the same.
	[ "$(prop "$UNIT" CPUQuotaPerSecUSec)" = 130ms ]
	[ "$(cat "$d/cpu.max")" = "13000 100000" ]
	husk --systemd-cgroup update --memory 134217728 --pids-limit 40 "$CID"
	[ "$(prop "$UNIT" MemoryMax)" = 134217728 ]
	[ "$(cat "$d/memory.max")" = 134217728 ]
	[ "$(prop "$UNIT" TasksMax)" = 40 ]
	[ "$(cat "$d/pids.max")" = 40 ]
}

@test "systemd: exec, ps, pause/resume and kill --all act on the scope's cgroup" {
	requires_systemd
	set_args sleep 100
	sd_create
	husk --systemd-cgroup start "$CID"
	d="$CG/system.slice/$UNIT"
	husk_detached --systemd-cgroup exec -d "$CID" sleep 99
	run husk --systemd-cgroup ps "$CID"
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$d/cgroup.procs")" -eq 2 ]
	husk --systemd-cgroup pause "$CID"
	[ "$(cat "$d/cgroup.freeze")" = 1 ]
	[ "$(ctr_status)" = paused ]
	husk --systemd-cgroup resume "$CID"
	[ "$(cat "$d/cgroup.freeze")" = 0 ]
	husk --systemd-cgroup kill --all "$CID" KILL
	wait_for_status "$CID" stopped 300
	husk --systemd-cgroup delete "$CID"
	gone "$UNIT"
}
