#!/usr/bin/env bats
# Issue 13 item 9: `run` and `exec -t` in the foreground, where husk holds the
# container's pty and proxies it to its caller.  The container's bytes reach a
# pipe unchanged (the pty adds no \r, as runc clears ONLCR); on a terminal the
# caller's tty is raw for input while husk proxies, keeps its own output
# processing (one \r per line, as for any program), gets its size copied and
# its resizes forwarded, and is restored exactly whatever way husk ends.

load ../../bats/helpers

PTYRUN="$BATS_TEST_DIRNAME/helpers/ptyrun.py"

setup() {
	common_setup
	update_config '.process.terminal = true'
}

# on_tty [STDIN] ACTION... -- HUSK-ARGS...: husk (with this test's --root) on a
# new pty (tests/integration/helpers/ptyrun.py does the ACTIONs), inside a shell
# that saves `stty -g` before and after in $TESTDIR/stty.{before,after}; husk's
# pid goes to $TESTDIR/husk.pid, its exit status to $TESTDIR/rc, what the pty
# showed to $TESTDIR/tty.out.  STDIN (a file) replaces the terminal as husk's stdin.
on_tty() {
	local in=/dev/tty actions=()
	[ "${1#/}" != "$1" ] && { in=$1; shift; }
	while [ "$1" != -- ]; do actions+=("$1"); shift; done
	shift
	# shellcheck disable=SC2016 # for the inner shell
	run "$PYTHON" "$PTYRUN" "$TESTDIR/tty.out" "${actions[@]}" -- /bin/sh -c '
		d=$1 in=$2; shift 2
		stty -g </dev/tty >"$d/stty.before"
		sh -c "echo \$\$ >$d/husk.pid; exec \"\$@\"" sh "$@" <"$in"
		echo $? >"$d/rc"
		stty -g </dev/tty >"$d/stty.after"' sh "$TESTDIR" "$in" "$HUSK" --root "$ROOT" "$@"
	echo "$output"
	od -c "$TESTDIR/tty.out" | head -20
}

# tty_out_is TEXT: the pty showed exactly TEXT (printf escapes), husk is gone and
# the caller's terminal settings are back as they were.
# shellcheck disable=SC2059 # TEXT is a format
tty_out_is() {
	[ "$(od -An -c "$TESTDIR/tty.out")" = "$(printf "$1" | od -An -c)" ]
	cmp "$TESTDIR/stty.before" "$TESTDIR/stty.after"
}

# start_ctr: a running container for exec (terminal false: no console needed).
start_ctr() {
	update_config '.process.terminal = false'
	set_args /probe sleep 600
	run_detached >/dev/null
}

@test "run with a terminal, output to a pipe: the container's bytes, no \\r" {
	set_args printf 'a\nb\n'
	husk run --bundle "$BUNDLE" "$CID" </dev/null >"$TESTDIR/out"
	od -c "$TESTDIR/out"
	printf 'a\nb\n' | cmp - "$TESTDIR/out"
}

@test "exec -t, output to a pipe: the process's bytes, no \\r" {
	start_ctr
	husk exec -t "$CID" printf 'a\nb\n' </dev/null >"$TESTDIR/out"
	od -c "$TESTDIR/out"
	printf 'a\nb\n' | cmp - "$TESTDIR/out"
}

@test "run on a terminal: raw input, output processing kept, one \\r per line, termios restored" {
	# shellcheck disable=SC2016 # $x is the container shell's
	set_args /bin/sh -c 'stty -echo; echo ready; read x; echo "got:$x"; printf "a\nb\n"; exit 3'
	on_tty wait=ready mode 'send=ping\r' -- run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$TESTDIR/rc")" = 3 ]
	# While husk proxied: no line editing, echo or signals of its own (the
	# container's pty does those), output processing as before.
	[ "${lines[0]}" = "mode icanon=0 echo=0 isig=0 opost=1 onlcr=1" ]
	tty_out_is 'ready\r\ngot:ping\r\na\r\nb\r\n'
}

@test "exec -t on a terminal: raw input, one \\r per line, termios restored" {
	start_ctr
	# shellcheck disable=SC2016 # $x is the container shell's
	on_tty wait=ready mode 'send=ping\r' -- exec -t "$CID" /bin/sh -c 'stty -echo; echo ready; read x; echo "got:$x"; printf "a\nb\n"'
	[ "$status" -eq 0 ]
	[ "$(cat "$TESTDIR/rc")" = 0 ]
	[ "${lines[0]}" = "mode icanon=0 echo=0 isig=0 opost=1 onlcr=1" ]
	tty_out_is 'ready\r\ngot:ping\r\na\r\nb\r\n'
}

@test "run with stdin not a terminal leaves the terminal alone; still one \\r per line" {
	set_args /bin/sh -c 'echo ready; sleep 0.5; printf "a\nb\n"'
	on_tty /dev/null wait=ready mode -- run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$TESTDIR/rc")" = 0 ]
	[ "${lines[0]}" = "mode icanon=1 echo=1 isig=1 opost=1 onlcr=1" ]
	tty_out_is 'ready\r\na\r\nb\r\n'
}

@test "^C on the terminal interrupts the container's process; termios restored" {
	set_args /bin/sh -c 'trap "echo int; exit 5" INT; echo ready; while :; do sleep 0.1; done'
	on_tty wait=ready 'send=\x03' -- run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$TESTDIR/rc")" = 5 ]
	grep -q int "$TESTDIR/tty.out"
	cmp "$TESTDIR/stty.before" "$TESTDIR/stty.after"
}

@test "SIGTERM to husk run is forwarded; termios restored when it exits" {
	set_args /bin/sh -c 'trap "echo term; exit 7" TERM; echo ready; while :; do sleep 0.1; done'
	on_tty wait=ready "signal=TERM@$TESTDIR/husk.pid" -- run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$TESTDIR/rc")" = 7 ]
	grep -q term "$TESTDIR/tty.out"
	cmp "$TESTDIR/stty.before" "$TESTDIR/stty.after"
}

@test "SIGINT to husk exec -t is forwarded; termios restored when it exits" {
	start_ctr
	on_tty wait=ready "signal=INT@$TESTDIR/husk.pid" -- exec -t "$CID" /bin/sh -c 'trap "echo int; exit 6" INT; echo ready; while :; do sleep 0.1; done'
	[ "$status" -eq 0 ]
	[ "$(cat "$TESTDIR/rc")" = 6 ]
	grep -q int "$TESTDIR/tty.out"
	cmp "$TESTDIR/stty.before" "$TESTDIR/stty.after"
}

@test "run on a terminal: the pty has the caller's size from the start and follows SIGWINCH" {
	set_args /bin/sh -c 'stty size; read x; stty size'
	on_tty size=33x101 'wait=33 101' size=44x120 'send=\r' -- run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	grep -q '^33 101' "$TESTDIR/tty.out"
	grep -q '^44 120' "$TESTDIR/tty.out"
	cmp "$TESTDIR/stty.before" "$TESTDIR/stty.after"
}

@test "exec -t on a terminal: the pty has the caller's size from the start and follows SIGWINCH" {
	start_ctr
	on_tty size=33x101 'wait=33 101' size=44x120 'send=\r' -- exec -t "$CID" /bin/sh -c 'stty size; read x; stty size'
	[ "$status" -eq 0 ]
	grep -q '^33 101' "$TESTDIR/tty.out"
	grep -q '^44 120' "$TESTDIR/tty.out"
}
