#!/usr/bin/env bats
# What issue 12 found already safe, kept so: each test attacks and checks the
# effect on the host (or, for capabilities, what the kernel says inside).
# Covered elsewhere (and kept there): fds (process.bats "only stdio reaches the
# container", exec.bats "only fds 0 1 2 and the preserved ones"), a symlinked
# /proc (rootfs.bats "/proc must be a real directory"), exec --cap (exec.bats
# "exec --cap adds ... never inheritable").

load ../../bats/helpers

status_field() {
	awk -v k="$1:" '$1 == k { print $2 }' <<<"$output"
}

# A v1 (hybrid) host or a v2 one: where the container's cgroup directories are.
cgroup_leftovers() {
	find /sys/fs/cgroup -maxdepth 5 -type d -name "$1*" 2>/dev/null
}

# cwd_through_fd N [HUSK OPTION...]: run /probe cwd with cwd /proc/self/fd/N, the
# caller holding fds 5 (a host file), 7 (a host directory) and 9 (the host's /).
cwd_through_fd() {
	local n=$1
	shift
	update_config '.process.cwd = $c' --arg c "/proc/self/fd/$n"
	rc=0
	"$HUSK" --root "$ROOT" run "$@" --bundle "$BUNDLE" "$CID-$n" </dev/null >"$CTR_OUT" 2>&1 \
		5</etc/hostname 7<"$TESTDIR" 9<"/" 3>&- || rc=$?
	cat "$CTR_OUT"
	husk delete --force "$CID-$n" 2>/dev/null || true
}

@test "cwd /proc/self/fd/N is refused (CVE-2024-21626)" {
	set_args /probe cwd
	for n in 3 4 5 6 7 8 9 10 11 12; do
		cwd_through_fd "$n"
		# Refused, or (where fd N does not exist) a plain failure: never a cwd.
		# (run's init holds no directory then; create's holds its own fd
		# directory, in the container's /proc, which would be a container path.)
		[ "$rc" -ne 0 ]
		run ! grep -q "^cwd " "$CTR_OUT"
	done
	# The caller's directories handed in as preserved fds: the cwd check itself
	# is what stops them (the kernel reports them outside the root).  Through
	# fd 7 (the host's $TESTDIR) the process would write a file there.
	for n in 5 7 9; do
		if [ "$n" = 7 ]; then set_args /bin/sh -c 'echo owned >escaped; pwd'; else set_args /bin/pwd; fi
		cwd_through_fd "$n" --preserve-fds 7
		[ "$rc" -ne 0 ]
		[ ! -e "$TESTDIR/escaped" ]
		grep -q "outside of container mount namespace root\|not a directory" "$CTR_OUT"
	done
}

# A symlink in the rootfs at /evil pointing at each target, and a mount (tmpfs or
# bind) whose destination goes through it: the mount and every directory husk
# makes for it stay in the rootfs; nothing appears on the host side.
@test "mount destinations and mkdir through rootfs symlinks stay inside (table)" {
	mkdir -p "$TESTDIR/outside" "$TESTDIR/src"
	echo src >"$TESTDIR/src/file"
	name="husk-escape-$$-$BATS_TEST_NUMBER"
	up=../../../../../../../../..
	cp "$BUNDLE/config.json" "$TESTDIR/config.orig"
	n=0
	for target in / .. ../.. ../../.. "$TESTDIR/outside" "$up$TESTDIR/outside" /proc/../..; do
		for dest in /evil "/evil/$name" "/evil/d/$name"; do
			for type in tmpfs bind; do
				n=$((n + 1))
				rm -f "$ROOTFS/evil"
				ln -s "$target" "$ROOTFS/evil"
				cp "$TESTDIR/config.orig" "$BUNDLE/config.json"
				if [ $type = tmpfs ]; then
					m='{"destination": $d, "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}'
				else
					m='{"destination": $d, "type": "bind", "source": $s, "options": ["bind"]}'
				fi
				update_config ".mounts += [$m] | .process.args = [\"/bin/true\"]" --arg d "$dest" --arg s "$TESTDIR/src"
				rc=0; timeout 20 "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$CID-$n" </dev/null >/dev/null 2>"$TESTDIR/err" 3>&- || rc=$?
				echo "$n link $target $type on $dest: $rc $(cat "$TESTDIR/err")"
				husk delete --force "$CID-$n" 2>/dev/null || true
				# Host side: nothing under the bundle's parents, at /, or outside.
				for p in "/$name" "/d" "$BUNDLE/$name" "$BUNDLE/d" "$TESTDIR/$name" "$TESTDIR/d" \
					"$(dirname "$TESTDIR")/$name"; do
					if [ -e "$p" ]; then echo "link $target, $type on $dest: made $p" >&2; return 1; fi
				done
				if [ -n "$(ls -A "$TESTDIR/outside")" ]; then
					echo "link $target, $type on $dest: wrote into $TESTDIR/outside" >&2
					return 1
				fi
				if grep -qE " ($TESTDIR/outside|$BUNDLE|$TESTDIR|/|/d)(/$name)? " <(awk '{ print " " $5 " " }' /proc/self/mountinfo | grep -v " / $"); then
					echo "link $target, $type on $dest: a mount on the host" >&2
					return 1
				fi
				# Where it worked, husk made the directory: inside the rootfs.
				if [ "$rc" -eq 0 ] && [ "$dest" != /evil ]; then
					[ -n "$(find "$ROOTFS" -name "$name")" ]
					rm -rf "${ROOTFS:?}/$name" "$ROOTFS/d" "$ROOTFS$TESTDIR"
				fi
			done
		done
	done
	[ "$n" -eq 42 ]
}

@test "a symlinked /sys in the rootfs is refused" {
	rmdir "$ROOTFS/sys"
	mkdir "$TESTDIR/fakesys"
	ln -s "$TESTDIR/fakesys" "$ROOTFS/sys"
	run run_ctr
	[ "$status" -ne 0 ]
	[ -z "$(ls -A "$TESTDIR/fakesys")" ]
	run ! grep -q " $TESTDIR/fakesys " /proc/self/mountinfo
	[ ! -e "$ROOT/$CID" ]
}

# Without a /dev tmpfs, the rootfs's own /dev/null is what masks files: a fake
# one must make create fail, never hide (or show) a masked file with its content.
@test "a swapped /dev/null (symlink or regular file) fails closed" {
	update_config '.mounts |= map(select(.destination | startswith("/dev") | not))
		| .linux.maskedPaths += ["/etc/hostname"]'
	set_args /bin/cat /etc/hostname
	echo LEAKED >"$ROOTFS/etc/leak"
	echo host-content >"$TESTDIR/hostfile"
	for kind in regular symlink-in symlink-host; do
		rm -rf "$ROOTFS/dev/null"
		case $kind in
		regular) echo LEAKED >"$ROOTFS/dev/null" ;;
		symlink-in) ln -s /etc/leak "$ROOTFS/dev/null" ;;
		symlink-host) ln -s "$TESTDIR/hostfile" "$ROOTFS/dev/null" ;;
		esac
		run run_ctr
		echo "$kind: $status $output"
		[ "$status" -ne 0 ]
		[[ "$output" != *LEAKED* && "$output" != *husk-test* && "$output" != *host-content* ]]
		[ "$(cat "$TESTDIR/hostfile")" = host-content ]
		husk delete --force "$CID" 2>/dev/null || true
	done
}

@test "an empty capability config empties every set (seen from inside)" {
	set_args /probe caps
	for caps in '{}' '{"bounding": [], "effective": [], "permitted": [], "inheritable": [], "ambient": []}'; do
		update_config '.process.capabilities = $c' --argjson c "$caps"
		run run_ctr
		[ "$status" -eq 0 ]
		for f in CapInh CapPrm CapEff CapBnd CapAmb; do
			[ "$(status_field $f)" = 0000000000000000 ]
		done
	done
}

@test "the default spec cannot mknod, nor open a host device placed in the rootfs" {
	[ -c /dev/loop-control ] || skip "no /dev/loop-control on this host"
	mknod "$ROOTFS/loopctl" c 10 237
	set_args /bin/sh -c 'mknod /tmp/n c 1 3 && echo MKNOD-OK; mknod /tmp/b b 8 0 && echo MKNOD-OK;
		( : </loopctl ) && echo OPEN-OK; true'
	run run_ctr
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *MKNOD-OK* ]]
	[[ "$output" != *OPEN-OK* ]]
	[ ! -e "$ROOTFS/tmp/n" ] && [ ! -e "$ROOTFS/tmp/b" ]
	# The control: with every device allowed, the same open works (so the check
	# above is the device cgroup's, not a missing driver's).
	update_config '.linux.resources.devices = [{"allow": true, "access": "rwm"}]'
	run run_ctr "$CID-control"
	[[ "$output" == *OPEN-OK* ]]
}

@test "100 parallel lifecycles leave nothing behind" {
	set_args /bin/true
	prefix="$CID-p"
	# shellcheck disable=SC2016
	seq 100 | xargs -P 8 -I{} sh -c '"$1" --root "$2" run --bundle "$3" "$4{}" </dev/null >/dev/null 2>&1 || echo "run $4{} failed: $?"' \
		sh "$HUSK" "$ROOT" "$BUNDLE" "$prefix" >"$TESTDIR/fails" 3>&-
	cat "$TESTDIR/fails"
	[ ! -s "$TESTDIR/fails" ]
	[ -z "$(ls -A "$ROOT")" ]
	[ -z "$(cgroup_leftovers "$prefix")" ]
	run ! pgrep -f "$BUNDLE"
}

@test "20 concurrent creates of one id: exactly one wins, delete leaves nothing" {
	set_args /probe sleep 600
	# shellcheck disable=SC2016
	seq 20 | xargs -P 20 -I{} sh -c '"$1" --root "$2" create --bundle "$3" "$4" </dev/null >/dev/null 2>&1 && echo won; true' \
		sh "$HUSK" "$ROOT" "$BUNDLE" "$CID" >"$TESTDIR/won" 3>&-
	[ "$(wc -l <"$TESTDIR/won")" -eq 1 ]
	[ "$(ctr_status)" = created ]
	pid=$(ctr_pid)
	husk delete --force "$CID"
	pid_gone "$pid"
	[ -z "$(ls -A "$ROOT")" ]
	[ -z "$(cgroup_leftovers "$CID")" ]
}

@test "concurrent kill, delete and state on running containers leave nothing behind" {
	set_args /probe sleep 600
	for i in 1 2 3 4 5; do
		run_detached "$CID-$i" >/dev/null
		echo "$(ctr_pid "$CID-$i")" >>"$TESTDIR/bg.pids"
	done
	for i in 1 2 3 4 5; do
		for _ in 1 2 3; do
			"$HUSK" --root "$ROOT" kill "$CID-$i" KILL >/dev/null 2>&1 3>&- &
			"$HUSK" --root "$ROOT" state "$CID-$i" >/dev/null 2>&1 3>&- &
			"$HUSK" --root "$ROOT" delete --force "$CID-$i" >/dev/null 2>&1 3>&- &
		done
	done
	wait
	for pid in $(cat "$TESTDIR/bg.pids"); do pid_gone "$pid"; done
	[ -z "$(ls -A "$ROOT")" ]
	[ -z "$(cgroup_leftovers "$CID-")" ]
}

# ~300 configs, each the default one with one value replaced by something
# hostile (a wrong type, an extreme number, a huge or odd string, deep nesting),
# through `husk create`: no crash (no signal, no sanitizer report under
# `make check-asan`).  Seeded: the same 300 every run.  Paths that would reach
# the host if mutated (root, namespaces, cgroupsPath) are left alone.
@test "300 hostile configs: create fails or succeeds, never crashes" {
	mkdir "$TESTDIR/corpus"
	"$PYTHON" - "$BUNDLE/config.json" "$TESTDIR/corpus" <<-'EOF'
		import copy, json, random, sys
		base = json.load(open(sys.argv[1]))
		rnd = random.Random(12)
		values = [None, True, -1, 0, 4294967295, 4294967296, -9223372036854775808,
		          18446744073709551615, 1e308, -1e308, 0.5, "", "x" * 100000, "\u00e9\u0000x",
		          "\ud800", "%s%n%s%n", "/", "a" * 5000 + "/b", [], {}, [None], {"": None},
		          "@DEEP@", [1] * 10000, {"k%d" % i: i for i in range(5000)}]
		protect = {"root", "namespaces", "cgroupsPath"}
		def paths(node, path):
		    yield path
		    if isinstance(node, dict):
		        for k, v in node.items():
		            if k not in protect:
		                yield from paths(v, path + [k])
		    elif isinstance(node, list):
		        for i, v in enumerate(node):
		            yield from paths(v, path + [i])
		all_paths = [p for p in paths(base, []) if p]
		for n in range(300):
		    doc = copy.deepcopy(base)
		    p = rnd.choice(all_paths)
		    node = doc
		    for k in p[:-1]:
		        node = node[k]
		    if rnd.random() < 0.1 and isinstance(node, dict):
		        del node[p[-1]]
		    else:
		        node[p[-1]] = rnd.choice(values)
		    text = json.dumps(doc).replace('"@DEEP@"', "[" * 2000 + "]" * 2000)
		    open("%s/%03d.json" % (sys.argv[2], n), "w").write(text)
	EOF
	# shellcheck disable=SC2016
	ls "$TESTDIR/corpus" | xargs -P 2 -I{} sh -c '
		b="$1/b-{}"; mkdir -p "$b"; ln -s "$2" "$b/rootfs"; cp "$1/corpus/{}" "$b/config.json"
		timeout 20 "$3" --root "$4" create --bundle "$b" "c-{}" </dev/null >/dev/null 2>"$b/err"; rc=$?
		"$3" --root "$4" delete --force "c-{}" >/dev/null 2>&1
		if [ $rc -ge 124 ] || grep -qE "Sanitizer|runtime error" "$b/err"; then
			echo "{}: status $rc: $(head -c 300 "$b/err")"; fi' \
		sh "$TESTDIR" "$ROOTFS" "$HUSK" "$ROOT" >"$TESTDIR/crashes" 3>&-
	cat "$TESTDIR/crashes"
	[ "$(ls "$TESTDIR/corpus" | wc -l)" -eq 300 ]
	[ ! -s "$TESTDIR/crashes" ]
	[ -z "$(ls -A "$ROOT")" ]
}
