#!/usr/bin/env bats
# `husk --help` and every `husk CMD --help` list every option the command
# accepts: tests/help/options.sh compares them with the option tables of the
# source (src/cmd/*.c, src/main.c).

load ../../bats/helpers

setup_file() { :; }
setup() { requires husk; }
teardown() { :; }

@test "every --help lists every option of its command's table" {
	run "$REPO/tests/help/options.sh" "$HUSK"
	echo "$output"
	[ "$status" -eq 0 ]
	# It looked at the globals and at every command of husk --help.
	[ "$(grep -c '^ok ' <<<"$output")" -ge 16 ]
}
