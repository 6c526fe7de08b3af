#!/usr/bin/env bats
# The rest of process and linux: scheduler, ioPriority, CPU affinity,
# personality, memoryPolicy, netDevices, intelRdt, sysctl validation.

load ../../bats/helpers

# stat_field N: field N of the /proc/self/stat line in $output (comm has no spaces here).
stat_field() {
	awk -v n="$1" '{ print $n }' <<<"$output"
}

@test "personality LINUX32: uname -m inside is i686" {
	update_config '.linux.personality = {"domain": "LINUX32"}'
	set_args uname -m
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = i686 ]
	update_config '.linux.personality = {"domain": "LINUX"}'
	run run_ctr
	[ "$output" = "$(uname -m)" ]
}

@test "scheduler SCHED_BATCH with nice, SCHED_IDLE" {
	update_config '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 7}'
	set_args cat /proc/self/stat
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$(stat_field 41)" = 3 ] # policy
	[ "$(stat_field 19)" = 7 ] # nice
	update_config '.process.scheduler = {"policy": "SCHED_IDLE"}'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$(stat_field 41)" = 5 ]
}

@test "scheduler SCHED_DEADLINE, and a negative nice for a non-root user (set before the cap drop)" {
	update_config '.process.scheduler = {"policy": "SCHED_DEADLINE", "runtime": 42000, "deadline": 100000, "period": 1000000, "flags": ["SCHED_FLAG_RESET_ON_FORK"]}'
	set_args cat /proc/self/stat
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$(stat_field 41)" = 6 ]
	update_config '.process.scheduler = {"policy": "SCHED_OTHER", "nice": -5} | .process.user.uid = 1000'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$(stat_field 19)" = -5 ]
}

@test "scheduler SCHED_FIFO with a priority (or, under RT group scheduling, a clear EPERM)" {
	update_config '.process.scheduler = {"policy": "SCHED_FIFO", "priority": 10}'
	set_args cat /proc/self/stat
	run run_ctr
	if [ -e /sys/fs/cgroup/cpu/cpu.rt_runtime_us ]; then
		# The container's new cpu cgroup starts with cpu.rt_runtime_us = 0.
		[ "$status" -ne 0 ]
		[[ "$output" == *"sched_setattr SCHED_FIFO (the container's cpu cgroup may have no realtime budget"* ]]
	else
		[ "$status" -eq 0 ]
		[ "$(stat_field 41)" = 1 ]
		[ "$(stat_field 40)" = 10 ] # rt_priority
	fi
}

@test "scheduler: what runc's validator refuses is refused" {
	update_config '.process.scheduler = {"policy": "SCHED_OTHER", "priority": 3}'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.scheduler.priority: can only be specified for SCHED_FIFO or SCHED_RR"* ]]
	update_config '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 30}'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.scheduler.nice: invalid nice 30"* ]]
	[ ! -e "$ROOT/$CID" ]
}

@test "ioPriority: best-effort 5 and idle, as ionice reads them inside" {
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 5}'
	set_args ionice
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = "best-effort: prio 5" ]
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
	run run_ctr
	[[ "$output" == idle* ]]
}

@test "ioPriority priority out of 0..7 is rejected" {
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 9}'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.ioPriority.priority: invalid priority 9"* ]]
}

@test "the init does not inherit husk's CPU affinity, and execCPUAffinity is not for the init" {
	[ "$(nproc)" -ge 2 ] || skip "needs 2 cpus"
	all=$(awk '$1 == "Cpus_allowed_list:" { print $2 }' /proc/self/status)
	update_config '.process.execCPUAffinity = {"initial": "1", "final": "1"}'
	set_args cat /proc/self/status
	run taskset -c 0 "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ "$(awk '$1 == "Cpus_allowed_list:" { print $2 }' <<<"$output")" = "$all" ]
}

@test "execCPUAffinity: a malformed cpu list is rejected" {
	update_config '.process.execCPUAffinity = {"final": "3-1"}'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *'process.execCPUAffinity.final: invalid cpu list "3-1": invalid range "3-1"'* ]]
	update_config '.process.execCPUAffinity = {"initial": "99999"}'
	run create_ctr
	[[ "$output" == *'execCPUAffinity.initial: invalid cpu list "99999"'* ]]
}

@test "memoryPolicy MPOL_BIND to node 0 shows in numa_maps; an absent node is an error" {
	[ -e /proc/self/numa_maps ] || skip "needs a NUMA kernel"
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0"}'
	set_args cat /proc/self/numa_maps
	run run_ctr
	[ "$status" -eq 0 ]
	[[ "$output" == *" bind:0 "* ]]
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "7", "flags": ["MPOL_F_STATIC_NODES"]}'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *'set_mempolicy MPOL_BIND nodes "7": invalid argument'* ]]
	[ ! -e "$ROOT/$CID" ]
}

@test "memoryPolicy: runc's node-count rules" {
	update_config '.linux.memoryPolicy = {"mode": "MPOL_INTERLEAVE"}'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.memoryPolicy.nodes: memory policy mode requires at least one node"*"MPOL_INTERLEAVE"* ]]
	update_config '.linux.memoryPolicy = {"mode": "MPOL_LOCAL", "nodes": "0"}'
	run create_ctr
	[[ "$output" == *"MPOL_LOCAL takes no nodes"* ]]
}

veth_setup() {
	requires root ip
	HOSTDEV=hk$$
	ip link add "$HOSTDEV" type veth peer name "hp$$"
	ip addr add 10.199.0.1/24 dev "$HOSTDEV"
}

veth_teardown() {
	ip link del "hp$$" 2>/dev/null || true
	ip link del "hk$$" 2>/dev/null || true
}

# The containers first: deleting one moves its devices back to the host.
teardown() {
	common_teardown
	veth_teardown
}

@test "netDevices: a host veth appears inside, renamed, with its address; delete brings it back" {
	veth_setup
	# shellcheck disable=SC2016 # $d is jq's
	update_config '.linux.netDevices = {($d): {"name": "eth9"}}' --arg d "$HOSTDEV"
	create_ctr
	run ip link show "$HOSTDEV"
	[ "$status" -ne 0 ] # gone from the host
	run nsenter -t "$(ctr_pid)" -n ip -o addr show dev eth9
	[[ "$output" == *"inet 10.199.0.1/24"* ]]
	run nsenter -t "$(ctr_pid)" -n ip -o link show eth9
	grep -q '[<,]UP[,>]' <<<"$output"
	husk delete --force "$CID"
	run ip -o addr show dev "$HOSTDEV"
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet 10.199.0.1/24"* ]]
	veth_teardown
}

@test "netDevices: a missing host device fails create and leaves nothing; a moved one comes back" {
	veth_setup
	# shellcheck disable=SC2016 # $d is jq's
	update_config '.linux.netDevices = {($d): {}, "nope0": {}}' --arg d "$HOSTDEV"
	run create_ctr
	[ "$status" -ne 0 ]
	# shellcheck disable=SC2016 # backquotes are husk's
	[[ "$output" == *'linux.netDevices `nope0`: network device `nope0` not found'* ]]
	[ ! -e "$ROOT/$CID" ]
	ip link show "$HOSTDEV" # moved in, then back out by the failed create's cleanup
	veth_teardown
}

@test "netDevices without a network namespace of its own is rejected" {
	update_config '.linux.netDevices = {"lo": {}} | .linux.namespaces |= map(select(.type != "network"))'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.netDevices: requires a private network namespace"* ]]
}

@test "intelRdt without resctrl is a clear error and leaves nothing behind" {
	grep -qw resctrl /proc/self/mountinfo && skip "resctrl is mounted here"
	update_config '.linux.intelRdt = {"closID": "husk-test", "l3CacheSchema": "L3:0=f"}'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"intelRdt is specified in config, but Intel RDT is not enabled (no resctrl filesystem is mounted at /sys/fs/resctrl)"* ]]
	[ ! -e "$ROOT/$CID" ]
	[ -z "$(husk list -q)" ]
}

@test "sysctl: net.* without a network namespace and non-namespaced kernel.* are refused (runc's words)" {
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"} | .linux.namespaces |= map(select(.type != "network"))'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *'sysctl "net.ipv4.ip_forward" not allowed in host network namespace'* ]]
	setup_bundle
	update_config '.linux.sysctl = {"kernel.panic": "1"}'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *'sysctl "kernel.panic" is not in a separate kernel namespace'* ]]
}

@test "sysctl: user.* needs a user namespace" {
	update_config '.linux.sysctl = {"user.max_user_namespaces": "0"}'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"setting ucounts without a user namespace not allowed: user.max_user_namespaces"* ]]
}
