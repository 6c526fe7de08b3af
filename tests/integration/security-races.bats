#!/usr/bin/env bats
# The racing variants of issue 12's mount and /proc classes, and the sysctl and
# /dev/console symlink attacks.  A host process stands for a second container
# sharing the rootfs: it swaps names in the rootfs (renameat2 RENAME_EXCHANGE,
# tests/integration/helpers/swapper.c) while husk sets the container up.  Each
# loop is bounded; the verdict is on the host's state after it.

load ../../bats/helpers

setup_file() {
	common_setup_file
	gcc -O2 -Wall -o "$BATS_FILE_TMPDIR/swapper" "$REPO/tests/integration/helpers/swapper.c"
}

# start_swapper A B: swap A and B until the test ends (at most 60 s).
start_swapper() {
	SWAPPER=$(spawn_bg "$BATS_FILE_TMPDIR/swapper" "$1" "$2" 60)
}

stop_swapper() {
	kill "$SWAPPER" 2>/dev/null || true
	wait "$SWAPPER" 2>/dev/null || true
}

# net_sysctl PID KEY: KEY as seen in the network namespace of PID.
net_sysctl() {
	nsenter --net="/proc/$1/ns/net" cat "/proc/sys/$2"
}

@test "sysctl: a symlink where /proc/sys/... is expected gets no write, the sysctl is applied" {
	# No procfs in the config: the rootfs's own /proc/sys/net/ipv4/ip_forward is
	# a symlink to a container file.
	update_config '.mounts |= map(select(.destination != "/proc"))
		| .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	mkdir -p "$ROOTFS/proc/sys/net/ipv4"
	ln -s /etc/fwd "$ROOTFS/proc/sys/net/ipv4/ip_forward"
	echo untouched >"$ROOTFS/etc/fwd"
	set_args /bin/sleep 100
	run create_ctr
	echo "$output"
	[ "$(cat "$ROOTFS/etc/fwd")" = untouched ]
	[ "$status" -eq 0 ]
	[ "$(net_sysctl "$(ctr_pid)" net/ipv4/ip_forward)" = 1 ]
}

@test "CVE-2025-52881: /proc swapped while husk writes sysctls: every write reaches procfs" {
	# Two directories take turns as /proc: the procfs husk mounts lands on one, the
	# other holds a regular file where the sysctl is.
	for d in proc proc2; do
		mkdir -p "$ROOTFS/$d/sys/net/ipv4"
		echo fake >"$ROOTFS/$d/sys/net/ipv4/ip_forward"
	done
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"} | .linux.maskedPaths = [] | .linux.readonlyPaths = []'
	set_args /bin/sleep 100
	start_swapper "$ROOTFS/proc" "$ROOTFS/proc2"
	local ok=0 i
	for i in $(seq 200); do
		if create_ctr "$CID-$i" >/dev/null 2>&1; then
			ok=$((ok + 1))
			[ "$(net_sysctl "$(ctr_pid "$CID-$i")" net/ipv4/ip_forward)" = 1 ]
		fi
		husk delete --force "$CID-$i" >/dev/null 2>&1 || true
		[ "$(cat "$ROOTFS/proc/sys/net/ipv4/ip_forward")" = fake ]
		[ "$(cat "$ROOTFS/proc2/sys/net/ipv4/ip_forward")" = fake ]
	done
	stop_swapper
	echo "created: $ok of 200"
	# However the race went, the config itself works once the swapping stops
	# (a fail-closed husk may lose every round to a fast swapper).
	create_ctr "$CID-last"
	[ "$(net_sysctl "$(ctr_pid "$CID-last")" net/ipv4/ip_forward)" = 1 ]
	husk delete --force "$CID-last"
}

@test "CVE-2021-30465: a directory swapped for a symlink to /etc during many mounts stays inside" {
	local n=16 mounts='[]' i
	mkdir -p "$ROOTFS/mnt/dir"
	ln -s /etc "$ROOTFS/mnt/link"
	for i in $(seq $n); do
		mounts=$(jq -c --arg d "/mnt/dir/husk-race-$i" '. + [{"destination": $d, "type": "tmpfs", "source": "tmpfs", "options": ["size=64k"]}]' <<<"$mounts")
	done
	update_config '.mounts += $m' --argjson m "$mounts"
	set_args /bin/true
	grep husk-race /proc/self/mountinfo >"$TESTDIR/mountinfo.before" || true
	start_swapper "$ROOTFS/mnt/dir" "$ROOTFS/mnt/link"
	local ok=0
	for i in $(seq 200); do
		create_ctr "$CID-$i" >>"$TESTDIR/errors" 2>&1 && ok=$((ok + 1))
		husk delete --force "$CID-$i" >/dev/null 2>&1 || true
	done
	stop_swapper
	echo "created: $ok of 200; refusals:"
	sed 's/[0-9]\+/N/g' "$TESTDIR/errors" | sort | uniq -c
	# The race really ran (husk saw the swap at least once), and every failed
	# create was husk refusing a mountpoint that changed, nothing else.  How many
	# rounds a fast swapper wins depends on the machine: not asserted.
	local refused
	refused=$(grep -c 'mount `tmpfs` to `/mnt/dir/husk-race-[0-9]*`: .*\(changed while mounting\|reopen mountpoint\)' "$TESTDIR/errors" || true)
	[ "$refused" -gt 0 ]
	[ $((ok + refused)) -eq 200 ]
	[ "$(grep -c . "$TESTDIR/errors")" -eq "$refused" ]
	grep husk-race /proc/self/mountinfo >"$TESTDIR/mountinfo.after" || true
	diff "$TESTDIR/mountinfo.before" "$TESTDIR/mountinfo.after"
	# Nothing made on the host's /etc (the link's target outside the rootfs).
	[ -z "$(ls -d /etc/husk-race-* 2>/dev/null)" ]
}

@test "CVE-2025-52565: /dev/console swapped for a symlink while husk binds the pty" {
	requires husk
	# No /dev tmpfs: the rootfs's own /dev, where console and a symlink to a
	# file take turns.
	update_config '.mounts |= map(select(.destination != "/dev"))
		| .process.terminal = true'
	echo secret >"$ROOTFS/etc/target"
	touch "$ROOTFS/dev/console"
	ln -s /etc/target "$ROOTFS/dev/console-link"
	set_args /bin/sleep 100
	start_swapper "$ROOTFS/dev/console" "$ROOTFS/dev/console-link"
	local i ok=0 sock="$TESTDIR/console.sock"
	for i in $(seq 100); do
		rm -f "$sock"
		spawn_bg "$PYTHON" "$REPO/tests/integration/helpers/recvtty.py" "$sock" "$TESTDIR/tty.out" >/dev/null
		wait_for_file "$sock"
		if create_ctr "$CID-$i" --console-socket "$sock" >/dev/null 2>&1; then
			# The pty never lands on the link's target (seen from inside).
			ok=$((ok + 1))
			run husk exec "$CID-$i" cat /proc/1/mountinfo
			[[ "$output" != *" /etc/target "* ]]
		fi
		husk delete --force "$CID-$i" >/dev/null 2>&1 || true
		[ "$(cat "$ROOTFS/etc/target")" = secret ]
	done
	stop_swapper
	echo "created: $ok of 100"
	# However the race went, with the regular file back in place the pty lands
	# on /dev/console (so the check above can see a success).
	if [ -L "$ROOTFS/dev/console" ]; then
		mv "$ROOTFS/dev/console" "$ROOTFS/dev/console.tmp"
		mv "$ROOTFS/dev/console-link" "$ROOTFS/dev/console"
		mv "$ROOTFS/dev/console.tmp" "$ROOTFS/dev/console-link"
	fi
	rm -f "$sock"
	spawn_bg "$PYTHON" "$REPO/tests/integration/helpers/recvtty.py" "$sock" "$TESTDIR/tty.out" >/dev/null
	wait_for_file "$sock"
	create_ctr "$CID-last" --console-socket "$sock"
	run husk exec "$CID-last" cat /proc/1/mountinfo
	[[ "$output" == *" /dev/console "* ]]
	husk delete --force "$CID-last"
}
