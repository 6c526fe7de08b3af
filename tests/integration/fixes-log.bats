#!/usr/bin/env bats
# husk's warnings go to its --log file (or its stderr without one), never into
# the container's own stderr: a shim hands the container's stdio to create as
# husk's, so what the init prints there reads as the program's output.

load ../../bats/helpers

# An ambient capability that is not also permitted and inheritable cannot be
# raised: husk warns and goes on, as runc 1.2 does (1.1 is silent).
unraisable_ambient() {
	skip_if_runc "an ambient capability it cannot raise is ignored silently"
	update_config '.process.capabilities.ambient = ["CAP_SYS_RESOURCE"]'
	set_args /bin/sh -c 'echo container-err >&2; echo container-out'
}

@test "a capability warning of the init goes to --log, not to the container's stderr" {
	unraisable_ambient
	log="$TESTDIR/log.json"
	run husk_detached --log "$log" --log-format json run -d --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	wait_for_status "$CID" stopped
	wait_for_file "$CTR_ERR" container-err
	# The container's stderr holds what the program wrote, and nothing of husk's.
	[ "$(cat "$CTR_ERR")" = container-err ]
	[ "$(cat "$CTR_OUT")" = container-out ]
	jq -se 'any(.[]; .level == "warning" and (.msg | contains("CAP_SYS_RESOURCE")))' "$log"
}

@test "a capability warning of a foreground run goes to --log, not to the caller's stderr" {
	unraisable_ambient
	log="$TESTDIR/log.txt"
	run husk --log "$log" run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" != *CAP_SYS_RESOURCE* ]]
	grep -q 'level=warning msg=".*CAP_SYS_RESOURCE' "$log"
}

@test "without --log the warning is on husk's stderr, once" {
	unraisable_ambient
	run husk run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ "$(grep -c CAP_SYS_RESOURCE <<<"$output")" -eq 1 ]
}
