#!/usr/bin/env bats
# A new network namespace has its loopback interface up (runc and crun do it); a
# namespace joined by path is left as it is.

load ../../bats/helpers

# /sys/class/net/lo/flags: 0x9 is IFF_UP|IFF_LOOPBACK, 0x8 loopback and down.
LO_FLAGS='cat /sys/class/net/lo/flags'

new_netns() {
	update_config '.linux.namespaces |= (map(select(.type != "network")) + [{"type": "network"}])'
}

@test "a new network namespace has lo up and 127.0.0.1 answers" {
	new_netns
	# busybox ping needs a raw socket: ping_group_range is "1 0" in a new net ns.
	update_config '.process.capabilities |= with_entries(.value += ["CAP_NET_RAW"])'
	set_args /bin/sh -c "$LO_FLAGS; ping -c1 -W2 127.0.0.1 >/dev/null && echo ping ok"
	run run_ctr
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0x9 ]
	[ "${lines[1]}" = "ping ok" ]
}

@test "a new network namespace in a new user namespace has lo up" {
	requires userns
	new_netns
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	set_args /bin/sh -c "$LO_FLAGS"
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = 0x9 ]
}

@test "a network namespace joined by path keeps lo as it is" {
	requires ip
	pid=$(spawn_bg unshare --net sleep 100)
	wait_for_file "/proc/$pid/ns/net"
	for i in $(seq 50); do [ "$(readlink "/proc/$pid/ns/net")" != "$(host_ns net)" ] && break; sleep 0.1; done
	update_config '.linux.namespaces |= (map(select(.type != "network")) + [{"type": "network", "path": $p}])' \
		--arg p "/proc/$pid/ns/net"
	set_args /bin/sh -c "$LO_FLAGS"
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = 0x8 ]
	# From the host (sysfs shows the namespace of its mounter: ip instead).
	run nsenter --net="/proc/$pid/ns/net" ip -o link show lo
	[ "$status" -eq 0 ]
	[[ "$output" == *"<LOOPBACK>"* ]]
}
