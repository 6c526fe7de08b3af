#!/usr/bin/env bats
# LSM labels: process.apparmorProfile, process.selinuxLabel, linux.mountLabel.
# This machine has neither AppArmor nor SELinux: what is tested is runc's
# behaviour on such a host (refuse a label, ignore a mountLabel, and say so).
# Writing the labels (through a procfs made inside the container, see
# src/linux/procfs.h) needs a host with the LSM.

load ../../bats/helpers

apparmor_enabled() {
	[ -e /sys/kernel/security/apparmor ] && grep -q Y /sys/module/apparmor/parameters/enabled 2>/dev/null
}

selinux_enabled() {
	[ "$(stat -f -c %T /sys/fs/selinux 2>/dev/null)" = selinuxfs ]
}

@test "apparmorProfile without AppArmor is refused (fail closed), an empty one is fine" {
	apparmor_enabled && skip "AppArmor is enabled here"
	update_config '.process.apparmorProfile = "husk-test-profile"'
	set_args /probe pid
	run "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *'process.apparmorProfile "husk-test-profile" is specified, but apparmor is not enabled on this host'* ]]
	update_config '.process.apparmorProfile = ""'
	run "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ "$(line_in_output pid)" = 1 ]
}

@test "selinuxLabel without SELinux is refused, as runc refuses it, and leaves nothing" {
	selinux_enabled && skip "SELinux is enabled here"
	update_config '.process.selinuxLabel = "system_u:system_r:container_t:s0:c1,c2"'
	run create_ctr
	[ "$status" -ne 0 ]
	[[ "$output" == *"selinux label is specified in config, but selinux is disabled or not supported"* ]]
	[ ! -e "$ROOT/$CID" ]
	[ ! -d "/sys/fs/cgroup/pids/husk/$CID" ]
}

@test "mountLabel without SELinux: ignored with a debug line, tmpfs mounts carry no context=" {
	selinux_enabled && skip "SELinux is enabled here"
	update_config '.linux.mountLabel = "system_u:object_r:container_file_t:s0:c1,c2"
		| .mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]'
	set_args cat /proc/self/mountinfo
	run "$HUSK" --debug --root "$ROOT" run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *'selinux is not enabled on this host: linux.mountLabel \"system_u:object_r:container_file_t:s0:c1,c2\" is ignored'* ]]
	grep -q ' /scratch .* tmpfs ' <<<"$output"
	[[ "$output" != *context=* ]]
}

@test "apparmorProfile with AppArmor: the process runs under the profile" {
	apparmor_enabled || skip "needs AppArmor (not on this host)"
	command -v apparmor_parser >/dev/null || skip "needs apparmor_parser"
	printf 'profile husk-test flags=(attach_disconnected) {\n  file,\n  capability,\n}\n' |
		apparmor_parser -r || skip "cannot load a profile"
	update_config '.process.apparmorProfile = "husk-test"'
	set_args cat /proc/self/attr/current
	run run_ctr
	[ "$status" -eq 0 ]
	[[ "$output" == "husk-test"* ]]
}
