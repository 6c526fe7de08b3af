#!/usr/bin/env bats
# runc parity (issue 16): what `update` writes and in which order on cgroup v1
# (cfs and rt period/budget pairs under a limited parent, cpu.idle, cpu burst),
# device access strings, `exec --cgroup` errors, and a container without a
# mount namespace.

load ../../bats/helpers

setup() {
	requires root
	common_setup
	PARENT="husk-parity-$$-$BATS_TEST_NUMBER"
	CG_PATH="/$PARENT/$CID"
	update_config '.linux.cgroupsPath = $p' --arg p "$CG_PATH"
}

teardown() {
	common_teardown
	local d
	for d in /sys/fs/cgroup/*/"$PARENT"; do
		[ -d "$d" ] || continue
		rmdir "$d/$CID" 2>/dev/null
		rmdir "$d" 2>/dev/null
	done
	return 0
}

CPU=/sys/fs/cgroup/cpu

# v1_cpu FILE...: skip unless the v1 cpu hierarchy has each FILE.
v1_cpu() {
	local f
	[ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] || skip "needs the v1 cpu controller"
	for f in "$@"; do
		[ -e "$CPU/$f" ] || skip "the kernel has no cpu $f"
	done
}

@test "update: a shorter cfs period under a parent's quota (quota written first)" {
	v1_cpu cpu.cfs_quota_us
	mkdir "$CPU/$PARENT"
	echo 50000 >"$CPU/$PARENT/cpu.cfs_quota_us" # 50% of the default 100 ms period
	update_config '.linux.resources.cpu = {"quota": 500000, "period": 1000000}'
	set_args sleep 100
	run_detached
	# 60% exceeds the parent: refused by the kernel.
	run husk update --cpu-quota 600000 "$CID"
	[ "$status" -ne 0 ]
	# 30%: period first would be 500000/10000 for a moment, over the parent.
	run husk update --cpu-period 10000 --cpu-quota 3000 "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$CPU$CG_PATH/cpu.cfs_period_us")" = 10000 ]
	[ "$(cat "$CPU$CG_PATH/cpu.cfs_quota_us")" = 3000 ]
	# And back to a longer period: period first.
	run husk update --cpu-period 100000 --cpu-quota 20000 "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$CPU$CG_PATH/cpu.cfs_period_us")" = 100000 ]
	[ "$(cat "$CPU$CG_PATH/cpu.cfs_quota_us")" = 20000 ]
}

@test "update: rt period and runtime both ways (runtime first when the period shrinks)" {
	v1_cpu cpu.rt_runtime_us
	mkdir "$CPU/$PARENT"
	echo 1000000 >"$CPU/$PARENT/cpu.rt_period_us"
	echo 500000 >"$CPU/$PARENT/cpu.rt_runtime_us" || skip "no rt runtime left under the root"
	update_config '.linux.resources.cpu = {"realtimePeriod": 1000000, "realtimeRuntime": 400000}'
	set_args sleep 100
	run_detached
	[ "$(cat "$CPU$CG_PATH/cpu.rt_runtime_us")" = 400000 ]
	run husk update --cpu-rt-period 10000 --cpu-rt-runtime 3000 "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$CPU$CG_PATH/cpu.rt_period_us")" = 10000 ]
	[ "$(cat "$CPU$CG_PATH/cpu.rt_runtime_us")" = 3000 ]
	run husk update --cpu-rt-period 100000 --cpu-rt-runtime 20000 "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$CPU$CG_PATH/cpu.rt_period_us")" = 100000 ]
	[ "$(cat "$CPU$CG_PATH/cpu.rt_runtime_us")" = 20000 ]
}

@test "update --cpu-idle sets cpu.idle; a value the kernel refuses fails and leaves it" {
	v1_cpu cpu.idle
	set_args sleep 100
	run_detached
	[ "$(cat "$CPU$CG_PATH/cpu.idle")" = 0 ]
	run husk update --cpu-idle 1 "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$CPU$CG_PATH/cpu.idle")" = 1 ]
	run husk update --cpu-idle 2 "$CID"
	[ "$status" -ne 0 ]
	[ "$(cat "$CPU$CG_PATH/cpu.idle")" = 1 ]
	# Another update does not touch it.
	run husk update --cpu-period 10000 "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$CPU$CG_PATH/cpu.idle")" = 1 ]
}

@test "update --cpu-burst sets cpu.cfs_burst_us, and other updates keep it" {
	v1_cpu cpu.cfs_burst_us
	update_config '.linux.resources.cpu = {"quota": 500000, "period": 1000000}'
	set_args sleep 100
	run_detached
	run husk update --cpu-period 900000 --cpu-burst 500000 "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$CPU$CG_PATH/cpu.cfs_burst_us")" = 500000 ]
	run husk update --memory 100M "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$CPU$CG_PATH/cpu.cfs_burst_us")" = 500000 ]
	run husk update --cpu-burst 0 "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$CPU$CG_PATH/cpu.cfs_burst_us")" = 0 ]
}

@test "device access letters other than r, w, m are ignored (rwa is rw); none of them is refused" {
	[ -e /sys/fs/cgroup/devices/devices.list ] || skip "needs the v1 devices controller"
	update_config '.linux.resources.devices = [{"allow": false, "access": "rwm"},
		{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "rwa"}]'
	set_args sleep 100
	run_detached
	grep -qx "c 1:11 rw" "/sys/fs/cgroup/devices$CG_PATH/devices.list"
	husk delete --force "$CID"
	update_config '.linux.resources.devices[1].access = "a"'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"devices[1].access"* ]]
}

@test "exec --cgroup: a path out of the container, an unknown controller, a missing sub-cgroup" {
	[ -d /sys/fs/cgroup/pids ] || skip "needs the v1 pids controller"
	set_args sleep 100
	run_detached
	run husk exec --cgroup .. "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"bad sub cgroup path"* ]]
	run husk exec --cgroup whaaat:/ "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown controller"* ]]
	run husk exec --cgroup pids:nonexistent "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"adding pid"*"No such file or directory"* || "$output" == *"adding pid"*"no such file or directory"* ]]
	run husk exec --cgroup pids:/ "$CID" true
	[ "$status" -eq 0 ]
}

@test "no mount namespace and no masked or read-only paths: runs chroot'ed, and exec lands in its root" {
	update_config '.linux.namespaces |= map(select(.type != "mount"))
		| .linux.maskedPaths = [] | .linux.readonlyPaths = []'
	echo inside >"$ROOTFS/only-in-rootfs"
	set_args sleep 100
	run run_detached
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e /only-in-rootfs ]
	run husk exec "$CID" cat /only-in-rootfs
	[ "$status" -eq 0 ]
	[ "$output" = inside ]
}

@test "no mount namespace with a terminal: the pty comes from the devpts husk sees, nothing is bound on the host" {
	update_config '.linux.namespaces |= map(select(.type != "mount"))
		| .linux.maskedPaths = [] | .linux.readonlyPaths = [] | .process.terminal = true'
	rm -rf "${ROOTFS:?}/dev"
	set_args /probe ids
	local before
	before=$(wc -l </proc/self/mountinfo)
	run husk run --bundle "$BUNDLE" "$CID" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *uid* ]]
	[ "$(wc -l </proc/self/mountinfo)" -eq "$before" ]
	[ ! -e "$ROOTFS/dev" ]
}

@test "no mount namespace: readonlyPaths are refused, a read-only root runs with a warning" {
	update_config '.linux.namespaces |= map(select(.type != "mount")) | .linux.maskedPaths = []'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"a mount namespace is required for linux.readonlyPaths"* ]]
	update_config '.linux.readonlyPaths = [] | .root.readonly = true'
	run create_ctr
	[ "$status" -eq 0 ]
	[[ "$output" == *"root.readonly is not applied"* ]]
}

@test "createContainer hooks run from the container's root (relative paths land in the rootfs)" {
	update_config '.hooks.createContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "pwd > ./hook-cwd"]}]'
	run create_ctr
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$ROOTFS/hook-cwd")" = "$(realpath "$ROOTFS")" ]
	[ ! -e "$BUNDLE/hook-cwd" ]
}
