#!/usr/bin/env bats
# husk features: the document is valid, and every advertised item is true.

load ../../bats/helpers

setup() {
	common_setup
	"$HUSK" features >"$TESTDIR/features.json"
}

# feature JQ: a value of the features document.
feature() {
	jq -r "$1" "$TESTDIR/features.json"
}

@test "features validates against oci-schema/features-schema.json" {
	requires jsonschema
	run validate_json "$SCHEMA_DIR/features-schema.json" "$TESTDIR/features.json"
	[ "$status" -eq 0 ]
	[ "$(feature .ociVersionMin)" = 1.0.0 ]
	[ "$(feature .ociVersionMax)" = 1.3.0 ]
	[ "$(feature '.linux.cgroup.systemd')" = true ]
}

@test "mountOptions is exactly the option table of oci/names.c, rro included" {
	requires husk
	table=$(sed -n 's/^  { "\([a-z]*\)", OCI_MOUNT_.*/\1/p' "$REPO/src/oci/names.c" | sort)
	[ "$(wc -l <<<"$table")" -gt 50 ]
	[ "$(feature '.mountOptions[]' | sort)" = "$table" ]
	feature '.mountOptions[]' | grep -qx rro
}

@test "every listed mount option is accepted by a real container" {
	mkdir "$TESTDIR/src"
	# bind-only options get a bind mount; the others a tmpfs; idmap ones have their own test.
	feature '.mountOptions[]' | grep -vx 'idmap\|ridmap\|remount' | jq -R . | jq -s --arg src "$TESTDIR/src" \
		'map({destination: ("/mnt/" + .), options: [.]} + (if . == "bind" or . == "rbind" then {type: "bind", source: $src} else {type: "tmpfs", source: "tmpfs"} end))' >"$TESTDIR/mounts.json"
	update_config '.mounts += $m[0]' --slurpfile m "$TESTDIR/mounts.json"
	set_args /bin/sh -c 'grep -c " /mnt/" /proc/self/mountinfo'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" -ge "$(jq length "$TESTDIR/mounts.json")" ]
}

@test "remount, idmap and ridmap are accepted on bind mounts" {
	requires userns
	mkdir "$TESTDIR/src"
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] | .linux.gidMappings = .linux.uidMappings
		| .mounts += [{destination: "/mnt/a", type: "bind", source: $s, options: ["bind", "remount", "ro"]},
			{destination: "/mnt/b", type: "bind", source: $s, options: ["bind", "idmap"], uidMappings: .linux.uidMappings, gidMappings: .linux.uidMappings},
			{destination: "/mnt/c", type: "bind", source: $s, options: ["rbind", "ridmap"], uidMappings: .linux.uidMappings, gidMappings: .linux.uidMappings}]' --arg s "$TESTDIR/src"
	chown -R 100000:100000 "$ROOTFS"
	set_args /bin/sh -c 'grep -c " /mnt/" /proc/self/mountinfo'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" -ge 3 ]
}

@test "every listed namespace works" {
	requires userns timens cgroupns
	[ "$(feature '.linux.namespaces | sort | join(" ")')" = "cgroup ipc mount network pid time user uts" ]
	update_config '.linux.namespaces = [{"type": "pid"}, {"type": "network"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}, {"type": "user"}, {"type": "cgroup"}, {"type": "time"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] | .linux.gidMappings = .linux.uidMappings'
	chown -R 100000:100000 "$ROOTFS"
	set_args /probe ns
	run run_ctr
	[ "$status" -eq 0 ]
	for t in pid net mnt ipc uts user cgroup time; do [ "$(ns_in_output $t)" != "$(host_ns $t)" ]; done
}

@test "every listed capability is accepted in the bounding set" {
	caps=$(feature '.linux.capabilities')
	[ "$(jq length <<<"$caps")" -ge 38 ]
	update_config '.process.capabilities = {bounding: $c}' --argjson c "$caps"
	set_args /probe caps
	run run_ctr
	[ "$status" -eq 0 ]
	# Everything the host's root has in its bounding set is there.
	[ "$(awk '$1 == "CapBnd:" { print $2 }' <<<"$output")" = "$(awk '$1 == "CapBnd:" { print $2 }' /proc/self/status)" ]
}

@test "hooks: every listed hook runs" {
	[ "$(feature '.hooks | length')" -eq 6 ]
	# startContainer runs in the container: its log is the rootfs's /tmp.
	hooks=$(feature '.hooks' | jq --arg d "$TESTDIR" 'map({(.): [{path: "/bin/sh", args: ["sh", "-c",
		("echo " + . + " >>" + (if . == "startContainer" then "/tmp" else $d end) + "/hooks.log")]}]}) | add')
	update_config '.hooks = $h' --argjson h "$hooks"
	set_args /probe exit 0
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$(sort "$TESTDIR/hooks.log" "$ROOTFS/tmp/hooks.log" | xargs)" = "$(feature '.hooks | sort | join(" ")')" ]
}

@test "seccomp: every listed action (but NOTIFY), operator, arch and supported flag is accepted" {
	[ "$(feature .linux.seccomp.enabled)" = true ]
	sc=$(jq '.linux.seccomp as $s | {defaultAction: "SCMP_ACT_ALLOW", architectures: $s.archs,
		flags: ($s.supportedFlags - ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]),
		syscalls: (([$s.actions[] | select(. != "SCMP_ACT_NOTIFY" and . != "SCMP_ACT_ALLOW")] | to_entries
			| map({names: [["acct", "swapon", "swapoff", "reboot", "kexec_load", "init_module", "delete_module", "pivot_root"][.key]], action: .value}))
			+ [$s.operators | to_entries[] | {names: ["getpriority"], action: "SCMP_ACT_ERRNO", args: [{index: 0, value: (100 + .key), valueTwo: 0, op: .value}]}])}' "$TESTDIR/features.json")
	update_config '.linux.seccomp = $s' --argjson s "$sc"
	set_args /probe exit 0
	run run_ctr
	[ "$status" -eq 0 ]
}

@test "seccomp: SCMP_ACT_NOTIFY and WAIT_KILLABLE_RECV are recognised" {
	feature '.linux.seccomp.actions[]' | grep -qx SCMP_ACT_NOTIFY
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: $l, flags: ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"], syscalls: [{names: ["acct"], action: "SCMP_ACT_NOTIFY"}]}' --arg l "$TESTDIR/none.sock"
	run create_ctr
	# Refused only for the missing agent, not for the action or the flag.
	[ "$status" -ne 0 ]
	[[ "$output" == *"none.sock"* ]]
	[[ "$output" != *"unknown"* && "$output" != *"not supported"* ]]
}
