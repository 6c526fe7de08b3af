#!/usr/bin/env bats
# Files husk writes as root at a path its caller chose (--pid-file of create,
# run and exec; --log), in a directory an unprivileged user owns: that user
# plants symlinks and must not make root write through them (issue 12, escape 3).

load ../../bats/helpers

setup() {
	common_setup
	requires root
	# The attacker (uid 1000) owns the pid file's directory; the victim is a
	# root-owned file elsewhere.
	ATTACK="$TESTDIR/attacker"
	mkdir -p "$ATTACK" "$TESTDIR/victim"
	chown 1000:1000 "$ATTACK"
	TARGET="$TESTDIR/victim/secret"
	echo "root's own content" >"$TARGET"
	chmod 600 "$TARGET"
	PIDFILE="$ATTACK/pid"
}
teardown() { common_teardown; }

as_attacker() {
	setpriv --reuid=1000 --regid=1000 --clear-groups "$@"
}

# planted CMD...: as the attacker, plant `$PIDFILE.tmp-<pid>` -> $TARGET for the
# pid CMD will have (this shell execs it), then run CMD: the temp name husk used
# to write through, without a race to win.
planted() {
	sh -c 'setpriv --reuid=1000 --regid=1000 --clear-groups ln -s "$1" "$2.tmp-$$" || exit 99
		shift 2; exec "$@"' sh "$TARGET" "$PIDFILE" "$@"
}

# The victim is untouched and the pid file is a regular file holding PID.
victim_intact_and_pidfile_is() {
	[ "$(cat "$TARGET")" = "root's own content" ]
	[ "$(stat -c %U:%a "$TARGET")" = root:600 ]
	[ ! -L "$PIDFILE" ]
	[ -f "$PIDFILE" ]
	[ "$(cat "$PIDFILE")" = "$1" ]
}

@test "create --pid-file does not write through a planted <pidfile>.tmp-<pid> symlink" {
	set_args /probe sleep 600
	# Not `run`: the container would hold its output pipe.
	rc=0
	planted "$HUSK" --root "$ROOT" create --bundle "$BUNDLE" --pid-file "$PIDFILE" "$CID" \
		</dev/null >"$CTR_OUT" 2>"$CTR_ERR" 3>&- || rc=$?
	cat "$CTR_ERR"
	[ "$rc" -eq 0 ]
	victim_intact_and_pidfile_is "$(ctr_pid)"
	# The plant is still there, untouched (the attack was really made).
	[ "$(readlink "$(compgen -G "$PIDFILE.tmp-*")")" = "$TARGET" ]
}

@test "run -d --pid-file does not write through a planted temp symlink" {
	set_args /probe sleep 600
	# Not `run`: the container would hold its output pipe.
	rc=0
	planted "$HUSK" --root "$ROOT" run -d --bundle "$BUNDLE" --pid-file "$PIDFILE" "$CID" \
		</dev/null >"$CTR_OUT" 2>"$CTR_ERR" 3>&- || rc=$?
	cat "$CTR_ERR"
	[ "$rc" -eq 0 ]
	victim_intact_and_pidfile_is "$(ctr_pid)"
}

@test "exec --pid-file does not write through a planted temp symlink" {
	set_args /probe sleep 600
	run_detached >/dev/null
	# Not `run`: the container would hold its output pipe.
	rc=0
	planted "$HUSK" --root "$ROOT" exec -d --pid-file "$PIDFILE" "$CID" /probe sleep 600 \
		</dev/null >"$CTR_OUT" 2>"$CTR_ERR" 3>&- || rc=$?
	cat "$CTR_ERR"
	[ "$rc" -eq 0 ]
	pid=$(cat "$PIDFILE")
	echo "$pid" >>"$TESTDIR/bg.pids"
	victim_intact_and_pidfile_is "$pid"
	# It is the exec'd process, in the container.
	[ "$(readlink /proc/"$pid"/ns/pid)" = "$(readlink /proc/"$(ctr_pid)"/ns/pid)" ]
}

@test "a pid file that is a symlink is replaced, not written through" {
	set_args /probe sleep 600
	as_attacker ln -s "$TARGET" "$PIDFILE"
	run create_ctr "$CID" --pid-file "$PIDFILE"
	[ "$status" -eq 0 ]
	victim_intact_and_pidfile_is "$(ctr_pid)"
}

@test "temp names planted for the next 2000 pids neither fail create nor get written" {
	# What an attacker without the exec trick above would do.  One process
	# plants them all, so that the planting does not use up the pids.
	set_args /probe sleep 600
	as_attacker "$PYTHON" -c '
import os, sys
last = int(open("/proc/sys/kernel/ns_last_pid").read())
for p in range(last, last + 2000):
    os.symlink(sys.argv[1], "%s.tmp-%d" % (sys.argv[2], p))' "$TARGET" "$PIDFILE"
	run create_ctr "$CID" --pid-file "$PIDFILE"
	[ "$status" -eq 0 ]
	victim_intact_and_pidfile_is "$(ctr_pid)"
}

@test "--log that is a planted symlink is refused, the victim is not appended to" {
	as_attacker ln -s "$TARGET" "$ATTACK/log.json"
	run husk --log "$ATTACK/log.json" --log-format json state nope
	[ "$status" -ne 0 ]
	[ "$(cat "$TARGET")" = "root's own content" ]
	[[ "$output" == *"is a symbolic link"* ]]
	# A regular log file in the same directory still works.
	run husk --log "$ATTACK/log2.json" --log-format json state nope
	[ "$status" -ne 0 ]
	jq -e '.msg | contains("does not exist")' "$ATTACK/log2.json"
}
