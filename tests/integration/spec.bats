#!/usr/bin/env bats
# husk spec: the default config.

load ../../bats/helpers

setup() {
	common_setup
	SPECDIR="$TESTDIR/spec"
	mkdir -p "$SPECDIR"
}

@test "spec writes config.json in the current directory" {
	cd "$SPECDIR"
	run husk spec
	[ "$status" -eq 0 ]
	[ -f "$SPECDIR/config.json" ]
	jq -e '.ociVersion and .root.path == "rootfs" and (.process.args | length > 0)' config.json
}

@test "spec validates against oci-schema/config-schema.json" {
	requires jsonschema
	[ -f "$SCHEMA_DIR/config-schema.json" ] || skip "oci-schema/config-schema.json not written yet"
	run husk spec --bundle "$SPECDIR"
	[ "$status" -eq 0 ]
	run validate_json "$SCHEMA_DIR/config-schema.json" "$SPECDIR/config.json"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "spec --rootless validates against oci-schema/config-schema.json" {
	requires jsonschema
	[ -f "$SCHEMA_DIR/config-schema.json" ] || skip "oci-schema/config-schema.json not written yet"
	run husk spec --rootless --bundle "$SPECDIR"
	[ "$status" -eq 0 ]
	run validate_json "$SCHEMA_DIR/config-schema.json" "$SPECDIR/config.json"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "spec has the default namespaces, mounts, masked and readonly paths" {
	run husk spec --bundle "$SPECDIR"
	[ "$status" -eq 0 ]
	c="$SPECDIR/config.json"
	[ "$(jq -r '[.linux.namespaces[].type] | sort | join(",")' "$c")" = "ipc,mount,network,pid,uts" ]
	for d in /proc /dev /dev/pts /dev/shm /dev/mqueue /sys /sys/fs/cgroup; do
		jq -e --arg d "$d" 'any(.mounts[]; .destination == $d)' "$c" >/dev/null || { echo "no $d"; false; }
	done
	jq -e '.linux.maskedPaths | index("/proc/kcore")' "$c"
	jq -e '.linux.readonlyPaths | index("/proc/sys")' "$c"
	jq -e '.process.terminal == true and .process.user.uid == 0 and .process.noNewPrivileges == true' "$c"
}

@test "spec --rootless: a user namespace mapping the caller, no network namespace" {
	run husk spec --rootless --bundle "$SPECDIR"
	[ "$status" -eq 0 ]
	c="$SPECDIR/config.json"
	jq -e 'any(.linux.namespaces[]; .type == "user")' "$c"
	jq -e 'all(.linux.namespaces[]; .type != "network")' "$c"
	[ "$(jq -r '.linux.uidMappings[0] | "\(.containerID) \(.hostID) \(.size)"' "$c")" = "0 $(id -u) 1" ]
	[ "$(jq -r '.linux.gidMappings[0] | "\(.containerID) \(.hostID) \(.size)"' "$c")" = "0 $(id -g) 1" ]
	jq -e 'all(.mounts[]; .type != "cgroup" or (.options | index("ro")))' "$c"
}

@test "spec refuses to overwrite an existing config.json" {
	echo '{"keep": "me"}' >"$SPECDIR/config.json"
	run husk spec --bundle "$SPECDIR"
	[ "$status" -ne 0 ]
	[[ "$output" == *exists* ]]
	[ "$(jq -r .keep "$SPECDIR/config.json")" = me ]
}

@test "spec into a missing bundle directory fails" {
	run husk spec --bundle "$TESTDIR/nope"
	[ "$status" -ne 0 ]
	[ ! -e "$TESTDIR/nope/config.json" ]
}

@test "the default spec runs once made non-interactive" {
	run husk spec --bundle "$SPECDIR"
	cp "$SPECDIR/config.json" "$BUNDLE/config.json"
	update_config '.process.terminal = false | .process.args = ["/probe", "hostname"]'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$(line_in_output hostname)" = "$(jq -r .hostname "$BUNDLE/config.json")" ]
}
