#!/usr/bin/env bats
# The container process: args, env, cwd, user, capabilities, no_new_privs,
# rlimits, oom_score_adj, sysctl, fds, terminal.

load ../../bats/helpers

RECVTTY="$BATS_TEST_DIRNAME/helpers/recvtty.py"

# status_field NAME: the value of NAME: in probe caps output ($output).
status_field() {
	awk -v k="$1:" '$1 == k { print $2 }' <<<"$output"
}

@test "args are looked up in the container's PATH" {
	update_config '.process.env = ["PATH=/nowhere:/"]'
	set_args probe pid
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$(line_in_output pid)" = 1 ]
}

@test "args are passed verbatim" {
	set_args /bin/sh -c 'printf "[%s]" "$@"' zero 'a b' '' '$HOME' '"q"'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = '[a b][][$HOME]["q"]' ]
}

@test "env: the config's, and nothing of the caller's" {
	update_config '.process.env = ["PATH=/bin", "FOO=bar", "EMPTY="]'
	set_args /probe env
	HUSK_LEAK=1 run run_ctr
	[ "$status" -eq 0 ]
	[[ "$output" == *FOO=bar* ]]
	grep -qx 'EMPTY=' <<<"$output"
	[[ "$output" != *HUSK_LEAK* && "$output" != *BATS_* ]]
}

@test "cwd" {
	update_config '.process.cwd = "/home/user"'
	set_args /probe cwd
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = "cwd /home/user" ]
}

@test "a relative cwd is rejected" {
	update_config '.process.cwd = "home"'
	run run_ctr
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/$CID" ]
}

@test "user uid, gid and additionalGids" {
	update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [20, 10]}'
	set_args /probe ids
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$(line_in_output uid)" = 1000 ]
	[ "$(line_in_output euid)" = 1000 ]
	[ "$(line_in_output gid)" = 1000 ]
	[ "$(line_in_output egid)" = 1000 ]
	[ "$(line_in_output groups | tr ' ' '\n' | sort -n | xargs)" = "10 20" ]
}

@test "root has no supplementary groups unless configured" {
	set_args /probe ids
	run run_ctr
	[ "$(line_in_output uid)" = 0 ]
	[ "$(line_in_output groups)" = "" ]
}

@test "a non-root user cannot write the root-owned rootfs" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_args /bin/sh -c 'touch /f && echo W:root; touch /home/user/f && echo W:home'
	run run_ctr
	[[ "$output" != *W:root* ]]
	[[ "$output" == *W:home* ]]
	[ "$(stat -c %u "$ROOTFS/home/user/f")" = 1000 ]
}

@test "umask" {
	update_config '.process.user.umask = 63'
	set_args /bin/sh -c '/probe umask; touch /tmp/f; stat -c %a /tmp/f'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "umask 0077" ]
	[ "${lines[1]}" = 600 ]
}

@test "default umask is 0022" {
	set_args /probe umask
	run run_ctr
	[ "$output" = "umask 0022" ]
}

@test "HOME comes from the container's /etc/passwd when unset" {
	update_config '.process.user = {"uid": 1000, "gid": 1000} | .process.env = ["PATH=/bin"]'
	set_args /probe env
	run run_ctr
	grep -qx 'HOME=/home/user' <<<"$output"
	update_config '.process.user = {"uid": 0, "gid": 0}'
	run run_ctr
	grep -qx 'HOME=/root' <<<"$output"
}

@test "HOME set in env is kept; a uid not in /etc/passwd gets HOME=/" {
	update_config '.process.user = {"uid": 1000, "gid": 1000} | .process.env = ["PATH=/bin", "HOME=/elsewhere"]'
	set_args /probe env
	run run_ctr
	grep -qx 'HOME=/elsewhere' <<<"$output"
	update_config '.process.user = {"uid": 4242, "gid": 4242} | .process.env = ["PATH=/bin"]'
	run run_ctr
	grep -qx 'HOME=/' <<<"$output"
}

@test "default capabilities: bounding, effective, permitted; inheritable empty" {
	set_args /probe caps
	run run_ctr
	[ "$status" -eq 0 ]
	# CAP_AUDIT_WRITE(29) CAP_KILL(5) CAP_NET_BIND_SERVICE(10)
	[ "$(status_field CapBnd)" = 0000000020000420 ]
	[ "$(status_field CapEff)" = 0000000020000420 ]
	[ "$(status_field CapPrm)" = 0000000020000420 ]
	[ "$(status_field CapInh)" = 0000000000000000 ]
}

@test "capability sets are applied as configured" {
	# CAP_CHOWN(0) CAP_KILL(5) CAP_NET_RAW(13).  For root, execve makes the
	# effective set the permitted one, whatever "effective" said.
	update_config '.process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"], "permitted": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_KILL"]}'
	set_args /probe caps
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$(status_field CapBnd)" = 0000000000002021 ]
	[ "$(status_field CapPrm)" = 0000000000000021 ]
	[ "$(status_field CapEff)" = 0000000000000021 ]
	[ "$(status_field CapInh)" = 0000000000000000 ]
	[ "$(status_field CapAmb)" = 0000000000000000 ]
}

@test "inheritable and ambient capabilities reach a non-root user" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}
		| .process.capabilities = {"bounding": ["CAP_NET_BIND_SERVICE"], "permitted": ["CAP_NET_BIND_SERVICE"], "effective": ["CAP_NET_BIND_SERVICE"], "inheritable": ["CAP_NET_BIND_SERVICE"], "ambient": ["CAP_NET_BIND_SERVICE"]}'
	set_args /probe caps
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$(status_field CapInh)" = 0000000000000400 ]
	[ "$(status_field CapAmb)" = 0000000000000400 ]
	[ "$(status_field CapEff)" = 0000000000000400 ]
}

@test "a capability outside the bounding set cannot be used" {
	update_config '.process.capabilities = {"bounding": ["CAP_KILL"], "permitted": ["CAP_KILL"], "effective": ["CAP_KILL"]}'
	set_args /bin/sh -c 'chown 1000 /etc/passwd && echo W:chown; true'
	run run_ctr
	[[ "$output" != *W:chown* ]]
	[ "$(stat -c %u "$ROOTFS/etc/passwd")" = 0 ]
}

@test "without CAP_SETPCAP: a bounding set already that small is kept, a larger one is refused" {
	# husk started with every cap of the host's bounding set but CAP_SETPCAP: it
	# can drop none.  A config asking for all of those has nothing to drop: each
	# drop fails with EPERM and each cap is seen to be out already.
	caps=$("$HUSK" features | jq '.linux.capabilities - ["CAP_SETPCAP"]')
	update_config '.process.capabilities = {bounding: $c}' --argjson c "$caps"
	set_args /probe caps
	run setpriv --bounding-set -setpcap "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	want=$(printf '%016x' $((0x$(awk '$1 == "CapBnd:" { print $2 }' /proc/self/status) & ~(1 << 8))))
	[ "$(status_field CapBnd)" = "$want" ]
	# The default set (3 caps): CAP_CHOWN is still there and cannot go.  Refused,
	# naming it, and nothing left behind.
	update_config '.process.capabilities = {bounding: ["CAP_KILL"]}'
	run setpriv --bounding-set -setpcap "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"drop CAP_CHOWN from the bounding set"* ]]
	[ ! -e "$ROOT/$CID" ]
}

@test "an unknown capability name is rejected, or ignored with the rest applied" {
	# runc 1.1 warns and ignores unknown names (newer caps on older kernels).
	update_config '.process.capabilities.bounding += ["CAP_NOT_A_CAP"]'
	set_args /probe caps
	run run_ctr
	if [ "$status" -eq 0 ]; then
		[ "$(status_field CapBnd)" = 0000000020000420 ]
	fi
	[ ! -e "$ROOT/$CID" ]
}

@test "noNewPrivileges true and false" {
	set_args /probe caps
	update_config '.process.noNewPrivileges = true'
	run run_ctr
	[ "$(line_in_output no_new_privs)" = 1 ]
	update_config '.process.noNewPrivileges = false'
	run run_ctr
	[ "$(line_in_output no_new_privs)" = 0 ]
}

@test "rlimits" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}, {"type": "RLIMIT_CORE", "soft": 1234, "hard": 5678}]'
	set_args /probe rlimits
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$(line_in_output RLIMIT_NOFILE)" = "100 200" ]
	[ "$(line_in_output RLIMIT_CORE)" = "1234 5678" ]
}

@test "an unknown rlimit type is rejected" {
	update_config '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
	run run_ctr
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/$CID" ]
}

@test "oomScoreAdj" {
	update_config '.process.oomScoreAdj = 123'
	set_args cat /proc/self/oom_score_adj
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = 123 ]
}

@test "sysctl in the container's namespaces; the host's value is untouched" {
	host=$(cat /proc/sys/net/ipv4/ip_default_ttl)
	update_config '.linux.sysctl = {"net.ipv4.ip_default_ttl": "42", "kernel.msgmax": "4321"}'
	set_args cat /proc/sys/net/ipv4/ip_default_ttl /proc/sys/kernel/msgmax
	run run_ctr
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 42 ]
	[ "${lines[1]}" = 4321 ]
	[ "$(cat /proc/sys/net/ipv4/ip_default_ttl)" = "$host" ]
}

@test "a sysctl of a namespace the container shares with the host is rejected" {
	host=$(cat /proc/sys/net/ipv4/ip_default_ttl)
	update_config '.linux.sysctl = {"net.ipv4.ip_default_ttl": "42"} | .linux.namespaces |= map(select(.type != "network"))'
	run run_ctr
	[ "$status" -ne 0 ]
	[ "$(cat /proc/sys/net/ipv4/ip_default_ttl)" = "$host" ]
}

@test "only stdio reaches the container: every other fd is closed" {
	set_args /probe fds
	"$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$CID" </dev/null >"$CTR_OUT" 2>&1 5</etc/hostname 7</etc/passwd 9>"$TESTDIR/w"
	cat "$CTR_OUT"
	[ "$(awk '{ print $2 }' "$CTR_OUT" | xargs)" = "0 1 2" ]
}

@test "--preserve-fds N passes fds 3..3+N-1 and closes the rest" {
	set_args /probe fds
	echo hello >"$TESTDIR/three"
	"$HUSK" --root "$ROOT" run --preserve-fds 2 --bundle "$BUNDLE" "$CID" </dev/null >"$CTR_OUT" 2>&1 \
		3<"$TESTDIR/three" 4</etc/passwd 5</etc/group
	cat "$CTR_OUT"
	[ "$(awk '{ print $2 }' "$CTR_OUT" | xargs)" = "0 1 2 3 4" ]
	grep -q "^fd 3 .*three$" "$CTR_OUT"
}

@test "LISTEN_FDS passes the socket-activation fds and sets LISTEN_FDS/LISTEN_PID" {
	set_args /bin/sh -c '/probe fds; /probe env | grep ^LISTEN_'
	# LISTEN_PID must be the runtime's own pid (sd_listen_fds protocol).
	LISTEN_FDS=2 sh -c 'LISTEN_PID=$$ exec "$@"' sh "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$CID" \
		</dev/null >"$CTR_OUT" 2>&1 3</etc/hostname 4</etc/passwd 5</etc/group
	cat "$CTR_OUT"
	[ "$(grep ^fd "$CTR_OUT" | awk '{ print $2 }' | xargs)" = "0 1 2 3 4" ]
	grep -qx LISTEN_FDS=2 "$CTR_OUT"
	grep -qx LISTEN_PID=1 "$CTR_OUT"
}

@test "terminal false: a detached container inherits the caller's stdio" {
	set_args /bin/sh -c '/probe fds; /probe tty; echo to-stderr >&2'
	run_detached
	wait_for_status "$CID" stopped
	grep -q "^fd 1 .*ctr.out$" "$CTR_OUT"
	grep -q "^fd 2 .*ctr.err$" "$CTR_OUT"
	grep -qx "isatty 1 0" "$CTR_OUT"
	grep -qx to-stderr "$CTR_ERR"
}

@test "run passes stdin through in the foreground" {
	set_args /bin/sh -c 'read line; echo "got $line"'
	run husk run --bundle "$BUNDLE" "$CID" <<<"hello"
	[ "$status" -eq 0 ]
	[ "$output" = "got hello" ]
}

@test "terminal true with --console-socket: the pty master arrives, the container has a tty" {
	update_config '.process.terminal = true'
	set_args /bin/sh -c '/probe tty; echo done'
	sock="$TESTDIR/console.sock"
	"$RECVTTY" "$sock" "$TESTDIR/tty.out" 3>&- &
	wait_for_file "$sock"
	run run_detached "$CID" --console-socket "$sock"
	[ "$status" -eq 0 ]
	wait
	cat "$TESTDIR/tty.out"
	for fd in 0 1 2; do grep -q "^isatty $fd 1" "$TESTDIR/tty.out"; done
	grep -q "^ttyname 0 /dev/pts/" "$TESTDIR/tty.out"
	grep -q "^done" "$TESTDIR/tty.out"
}

@test "terminal true: input written to the master reaches the container" {
	update_config '.process.terminal = true'
	set_args /bin/sh -c 'read line; echo "got:$line"'
	sock="$TESTDIR/console.sock"
	"$RECVTTY" "$sock" "$TESTDIR/tty.out" --input $'ping\n' 3>&- &
	wait_for_file "$sock"
	run create_ctr "$CID" --console-socket "$sock"
	[ "$status" -eq 0 ]
	husk start "$CID"
	wait
	grep -q "got:ping" "$TESTDIR/tty.out"
}

@test "terminal true with a detached container and no console socket fails" {
	update_config '.process.terminal = true'
	run create_ctr
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/$CID" ]
}
