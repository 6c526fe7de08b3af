#!/usr/bin/env bats
# Global options: before the command in any order, single-dash long options,
# --help for every command, argument errors.

load ../../bats/helpers

@test "global options before the command, in any order" {
	log="$TESTDIR/log.json"
	run "$HUSK" --log "$log" --root "$ROOT" --log-format json state nope
	[ "$status" -eq 1 ]
	run "$HUSK" --log-format json --log "$log" --debug --root "$ROOT" state nope
	[ "$status" -eq 1 ]
	[ "$(jq -s 'map(select(.level == "error")) | length' "$log")" -eq 2 ]
}

@test "--root chooses where state lives" {
	set_args /probe sleep 100
	run_detached
	[ -d "$ROOT/$CID" ]
	mkdir "$TESTDIR/other-root"
	run "$HUSK" --root "$TESTDIR/other-root" list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(husk list -q)" = "$CID" ]
}

@test "single-dash long options (as containerd sends them)" {
	set_args /probe sleep 100
	"$HUSK" -root "$ROOT" run -detach -bundle "$BUNDLE" -pid-file "$TESTDIR/pid" "$CID" </dev/null >"$CTR_OUT" 2>&1 3>&-
	run "$HUSK" -root "$ROOT" list -q
	[ "$output" = "$CID" ]
	[ "$(cat "$TESTDIR/pid")" = "$(ctr_pid)" ]
	run "$HUSK" -root "$ROOT" delete -force "$CID"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/$CID" ]
}

@test "-log and -log-format with a single dash" {
	log="$TESTDIR/log.json"
	run "$HUSK" -root "$ROOT" -log "$log" -log-format json state nope
	[ "$status" -eq 1 ]
	jq -e '.level == "error"' "$log"
}

@test "--rootless true|false|auto and --systemd-cgroup are accepted" {
	for v in true false auto; do
		run husk --rootless "$v" list -q
		[ "$status" -eq 0 ] || { echo "--rootless $v: $output"; false; }
	done
	run husk --systemd-cgroup list -q
	[ "$status" -eq 0 ]
}

@test "--help works for every command" {
	for c in create start state kill delete run list spec; do
		run husk "$c" --help
		[ "$status" -eq 0 ] || { echo "$c --help: $output"; false; }
		[[ "$output" == *"$c"* ]]
	done
	run husk --help
	[ "$status" -eq 0 ]
}

@test "an unknown command fails" {
	run husk nosuchcommand
	[ "$status" -ne 0 ]
}

@test "a missing container id is an error" {
	for c in start state delete kill; do
		run husk "$c"
		[ "$status" -ne 0 ] || { echo "$c without an id succeeded"; false; }
	done
}

@test "an unknown option is an error" {
	run husk state --no-such-option nope
	[ "$status" -ne 0 ]
	run husk --no-such-global list
	[ "$status" -ne 0 ]
}
