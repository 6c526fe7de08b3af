#!/usr/bin/env bats
# Escape 7 of issue 12: process.apparmorProfile was silently ignored where
# AppArmor is unavailable, so the process ran unconfined (fail open).  This host
# has no AppArmor, so the test is the attack itself: ask for a profile and see
# whether the container runs anyway.

load ../../bats/helpers

apparmor_enabled() {
	[ -e /sys/kernel/security/apparmor ] && grep -q Y /sys/module/apparmor/parameters/enabled 2>/dev/null
}

@test "escape 7: an apparmorProfile on a host without AppArmor fails create and leaves nothing" {
	apparmor_enabled && skip "AppArmor is enabled here"
	update_config '.process.apparmorProfile = "husk-test-profile"'
	set_args /bin/sh -c 'touch /ran-unconfined; exec sleep 100'
	run create_ctr
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *process.apparmorProfile* ]]
	[[ "$output" == *husk-test-profile* ]]
	[ ! -e "$ROOT/$CID" ]
	[ -z "$(find /sys/fs/cgroup -maxdepth 4 -name "$CID" 2>/dev/null || true)" ]
	# The init is a fork of husk create, whose command line names the container.
	[ -z "$(pgrep -f -- "$CID")" ]
	run husk start "$CID"
	[ "$status" -ne 0 ]
	[ ! -e "$ROOTFS/ran-unconfined" ]
}

@test "escape 7: husk exec with an apparmorProfile on a host without AppArmor is refused" {
	apparmor_enabled && skip "AppArmor is enabled here"
	set_args /bin/sleep 100
	create_ctr
	husk start "$CID"
	jq '.process | .args = ["/bin/touch", "/exec-unconfined"] | .apparmorProfile = "husk-test-profile"' \
		"$BUNDLE/config.json" >"$TESTDIR/process.json"
	run husk exec --process "$TESTDIR/process.json" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *process.apparmorProfile* ]]
	[ ! -e "$ROOTFS/exec-unconfined" ]
}

@test "escape 7: an empty apparmorProfile is no request and runs" {
	update_config '.process.apparmorProfile = ""'
	set_args /probe pid
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$(line_in_output pid)" = 1 ]
}
