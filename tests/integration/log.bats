#!/usr/bin/env bats
# --log, --log-format, --version.

load ../../bats/helpers

@test "--log FILE --log-format json: a failed command appends one JSON line" {
	log="$TESTDIR/log.json"
	run husk --log "$log" --log-format json state nope
	[ "$status" -eq 1 ]
	[ "$(wc -l <"$log")" -eq 1 ]
	jq -e '.level == "error"' "$log"
	jq -e '.msg | contains("container does not exist")' "$log"
	jq -e '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$")' "$log"
	run husk --log "$log" --log-format json kill nope
	[ "$(wc -l <"$log")" -eq 2 ]
	[ "$(jq -s 'map(.level) | unique | join(",")' -r "$log")" = error ]
}

@test "with --log the error still goes to stderr" {
	log="$TESTDIR/log.json"
	run husk --log "$log" --log-format json state nope
	[ "$status" -eq 1 ]
	[[ "$output" == *"container does not exist"* ]]
}

@test "a failed create is explained in the JSON log (what containerd's shim reads)" {
	log="$TESTDIR/log.json"
	set_args nonexistent-binary
	run husk_detached --log "$log" --log-format json create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 1 ]
	jq -se 'map(select(.level == "error")) | length >= 1' "$log"
	jq -se 'any(.[]; .msg | contains("executable file not found in $PATH"))' "$log"
}

@test "--log-format json without --log writes the JSON line to stderr" {
	run husk --log-format json state nope
	[ "$status" -eq 1 ]
	line=$(grep '^{' <<<"$output" | tail -n1)
	[ "$(jq -r .level <<<"$line")" = error ]
	[[ "$(jq -r .msg <<<"$line")" == *"container does not exist"* ]]
}

@test "text format: the error is one line on stderr" {
	run husk state nope
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	if [ "$HUSK_NAME" = runc ]; then
		[[ "$output" == *'level=error msg="container does not exist"'* ]]
	else
		[ "$output" = "husk: container does not exist: nope" ]
	fi
}

@test "a successful command logs no error" {
	log="$TESTDIR/log.json"
	run husk --log "$log" --log-format json list
	[ "$status" -eq 0 ]
	[ ! -e "$log" ] || run ! grep -q '"level":"error"' "$log"
}

@test "an invalid --log-format is rejected" {
	run husk --log-format yaml list
	[ "$status" -ne 0 ]
}

@test "--version: first line '<name> version X', then commit: and spec: lines" {
	run husk --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^$HUSK_NAME\ version\ [0-9] ]]
	grep -q '^commit: ' <<<"$output"
	grep -q '^spec: [0-9]' <<<"$output"
}

@test "-v is --version" {
	run husk -v
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^$HUSK_NAME\ version ]]
}
