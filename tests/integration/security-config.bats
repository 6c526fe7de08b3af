#!/usr/bin/env bats
# Issue 12, the config: what a hostile config.json or process.json must not get
# through the parser and validator (uid -1, no mount namespace, JSON the spec
# does not allow), and that a refused config leaves nothing behind.

load ../../bats/helpers

# nothing_left: no state directory, cgroup directory or process of $CID.
nothing_left() {
	local d p
	if [ -n "$(ls -A "$ROOT")" ]; then
		echo "state left: $(ls -A "$ROOT")" >&2
		return 1
	fi
	# (find exits 1 when a directory vanishes under it: another cgroup going away)
	d=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$CID" 2>/dev/null || true)
	if [ -n "$d" ]; then
		echo "cgroup left: $d" >&2
		return 1
	fi
	# A forked init keeps husk's argv, which names this test's $ROOT.
	for p in /proc/[0-9]*; do
		if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$ROOT"; then
			echo "process left: ${p#/proc/}: $(tr '\0' ' ' <"$p/cmdline")" >&2
			return 1
		fi
	done
}

# refused WORDS...: the create failed, its message names each of WORDS, and
# nothing is left.  (On failure, what the container reported is shown.)
refused() {
	local w
	run create_ctr
	echo "${output:0:2000}"
	[ "$status" -ne 0 ]
	for w in "$@"; do
		[[ "$output" == *"$w"* ]] || { echo "missing: $w" >&2; return 1; }
	done
	nothing_left
}

# A running container whose init sleeps.
start_sleeper() {
	set_args /probe sleep 600
	run_detached >/dev/null
}

@test "process.user.uid 4294967295 ((uid_t) -1) is refused, not run as root" {
	set_args /probe ids
	update_config '.process.user.uid = 4294967295'
	refused "process.user.uid" "4294967295 is not a valid uid"
}

@test "process.user.gid and additionalGids 4294967295 are refused" {
	update_config '.process.user = {"uid": 1000, "gid": 4294967295}'
	refused "process.user.gid" "not a valid gid"
	update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 4294967295]}'
	refused "process.user.additionalGids[1]" "not a valid gid"
}

@test "uidMappings that reach 4294967295 are refused at parse time" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 4294901760, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	refused "linux.uidMappings[0]" "hostID + size exceeds 4294967295"
}

@test "exec --user 4294967295 is refused and runs nothing as root" {
	start_sleeper
	run husk exec --user 4294967295 "$CID" /probe ids
	echo "${output:0:2000}"
	[ "$status" -ne 0 ]
	[[ "$output" != *"uid 0"* ]]
	run husk exec --user 0:4294967295 "$CID" /probe ids
	[ "$status" -ne 0 ]
	[[ "$output" != *"gid 0"* ]]
	run husk exec --additional-gids 4294967295 "$CID" /probe ids
	[ "$status" -ne 0 ]
}

@test "exec --process with user.uid 4294967295 is refused, naming the file and the path" {
	start_sleeper
	echo '{"args": ["/probe", "ids"], "cwd": "/", "user": {"uid": 4294967295, "gid": 1000}}' >"$TESTDIR/p.json"
	run husk exec --process "$TESTDIR/p.json" "$CID"
	echo "${output:0:2000}"
	[ "$status" -ne 0 ]
	[[ "$output" != *"uid 0"* ]]
	[[ "$output" == *"$TESTDIR/p.json"* ]]
	[[ "$output" == *"user.uid: 4294967295 is not a valid uid"* ]]
}

@test "a config without a mount namespace but with maskedPaths is refused (they could not apply)" {
	update_config '.linux.namespaces |= map(select(.type != "mount"))'
	refused "linux.namespaces" "a mount namespace is required for linux.maskedPaths"
}

@test "a config with no linux object (no mount namespace, nothing to mask) runs; exec stays in its root" {
	update_config 'del(.linux) | del(.hostname) | .process.args = ["sleep", "100"]'
	echo inside >"$ROOTFS/only-in-rootfs"
	run_detached
	run husk exec "$CID" cat /only-in-rootfs
	[ "$status" -eq 0 ]
	[ "$output" = inside ]
}

@test "100k env entries: duplicates resolved as before (last value, at its last place)" {
	# 50000 keys, each twice: first E<i>=a in order, then E<i>=b in reverse
	# order.  Before the fix this took ~9 s in create; it must stay correct.
	jq -n '[range(50000) | "E\(.)=a"] + [range(49999; -1; -1) | "E\(.)=b"]' >"$TESTDIR/env.json"
	update_config '.process.env = ["PATH=/bin:/usr/bin"] + $e[0]' --slurpfile e "$TESTDIR/env.json"
	set_args /probe env
	run run_ctr
	[ "$status" -eq 0 ]
	grep -v '^HOME=' <<<"$output" >"$TESTDIR/got"
	{
		echo "PATH=/bin:/usr/bin"
		seq 49999 -1 0 | sed 's/^/E/; s/$/=b/'
	} >"$TESTDIR/want"
	cmp "$TESTDIR/got" "$TESTDIR/want"
	[ "$(grep -c '^HOME=' <<<"$output")" = 1 ]
}

@test "env de-duplication: last value wins at its last place; entries without '='; empty HOME" {
	update_config '.process.env = ["PATH=/bin", "A=1", "X", "B=1", "A=2", "C=", "HOME=", "X=9", "Y=1", "B=3", "Y"]'
	set_args /probe env
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' PATH=/bin A=2 C= X=9 B=3 Y HOME=/root)" ]
}

@test "JSON comments are refused" {
	sed -i '0,/{/s//{ \/* a comment *\/ /' "$BUNDLE/config.json"
	refused "config.json: parse error" "comments are not enabled"
	sed -i 's|/\* a comment \*/||; 1s|^|// a comment\n|' "$BUNDLE/config.json"
	refused "config.json: parse error" "comments are not enabled"
}

@test "\\u0000 in a string is refused with the JSON path, not truncated" {
	update_config '.hostname = "box"'
	sed -i 's/"hostname": *"box"/"hostname": "box\\u0000evil"/' "$BUNDLE/config.json"
	grep -qF 'box\u0000evil' "$BUNDLE/config.json"
	refused "config.json: hostname: contains \\u0000"
	update_config '.hostname = "box" | .process.env += ["LD_PRELOAD=NULHERE"]'
	sed -i 's/NULHERE/\\u0000\/x.so/' "$BUNDLE/config.json"
	refused "config.json: process.env[2]: contains \\u0000"
}

@test "overlong UTF-8 (C0 AF for '/') is refused with the JSON path" {
	update_config '.mounts += [{"destination": "/tmpOVERLONGetc", "type": "tmpfs", "source": "tmpfs"}]'
	sed -i 's/OVERLONG/\xc0\xaf/' "$BUNDLE/config.json"
	grep -q $'\xc0\xaf' "$BUNDLE/config.json"
	refused "config.json: mounts[" "].destination: invalid UTF-8: an overlong encoding"
}

@test "a newline or other control character in hostname or domainname is refused" {
	update_config '.hostname = "box\n127.0.0.1 host.evil"'
	refused "config.json: hostname: contains the control character 0x0a"
	update_config '.hostname = "box" | .domainname = "a\u001b[2Jb"'
	refused "config.json: domainname: contains the control character 0x1b"
}

@test "a 100 kB hostname: the error keeps its path and reason, the value is elided" {
	update_config '.hostname = ("h" * 100000)'
	refused "config.json: hostname: longer than the 64 bytes the kernel takes" "bytes elided"
	[ "${#output}" -lt 4096 ]
}

@test "a child's error longer than a sync message keeps its head and its reason" {
	# 90 kB of path: the init's mount error is longer than one sync message (64 KiB);
	# it must come back elided in the middle, not cut at the end.
	local long
	long=$(printf '/%0200d' $(seq 1 450) | tr 0 d)
	update_config '.mounts += [{"destination": ("/mnt" + $p), "type": "tmpfs", "source": "tmpfs"}]' --arg p "$long"
	run husk_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"bytes elided"* ]]
	[[ "$output" == *"name too long"* ]]
	nothing_left
}
