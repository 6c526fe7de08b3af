# Shared helpers for husk's integration tests (tests/integration/*.bats).
#
#   load ../../bats/helpers
#
# Every test gets its own state root ($ROOT, passed as --root), its own bundle
# ($BUNDLE, with the rootfs at $ROOTFS) and a container id ($CID) that is unique
# in the run.  The tests are written against runc's CLI so that they can be
# validated with runc first:   HUSK=runc bats tests/integration
#
# Containers started with a terminal: false config inherit the caller's stdio.
# bats' `run` captures output through a pipe and waits for its end, so a
# detached container must never hold that pipe: use `husk_detached create ...`
# (or `husk_detached run -d ...`), which gives the container $CTR_OUT/$CTR_ERR.

# `run !` and `run -N` need bats 1.5 (Debian 12 has 1.8).
if type bats_require_minimum_version >/dev/null 2>&1; then
	bats_require_minimum_version 1.5.0
fi

HELPERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HELPERS_DIR/.." && pwd)

# HUSK: the runtime under test, as an absolute path (HUSK=runc finds runc).
HUSK=${HUSK:-$REPO/husk}
if [[ "$HUSK" != /* ]]; then
	if [[ "$HUSK" == */* ]]; then
		HUSK="$(cd "$(dirname "$HUSK")" && pwd)/$(basename "$HUSK")"
	else
		HUSK=$(command -v "$HUSK" || echo "$HUSK")
	fi
fi
HUSK_NAME=$(basename "$HUSK")
export HUSK HUSK_NAME

SCHEMA_DIR="$REPO/oci-schema"
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3

# husk ARGS...: the runtime with this test's --root.  Use as `run husk state $CID`.
# fd 3 is bats' own: never let it reach a container that may outlive the test.
husk() {
	"$HUSK" --root "$ROOT" "$@" 3>&-
}

# husk_detached ARGS...: like husk, but stdin from /dev/null and stdout/stderr to
# $CTR_OUT/$CTR_ERR, which the container inherits.  Prints what husk itself wrote
# (its stderr, then stdout) and returns husk's exit status.
husk_detached() {
	local rc=0
	"$HUSK" --root "$ROOT" "$@" </dev/null >"$CTR_OUT" 2>"$CTR_ERR" 3>&- || rc=$?
	cat "$CTR_ERR" "$CTR_OUT"
	return $rc
}

# create_ctr [ID] [OPTS...]: husk create --bundle $BUNDLE OPTS ID, detached stdio.
create_ctr() {
	local id=${1:-$CID}
	[ $# -gt 0 ] && shift
	husk_detached create --bundle "$BUNDLE" "$@" "$id"
}

# run_detached [ID] [OPTS...]: husk run -d --bundle $BUNDLE OPTS ID.
run_detached() {
	local id=${1:-$CID}
	[ $# -gt 0 ] && shift
	husk_detached run -d --bundle "$BUNDLE" "$@" "$id"
}

# run_ctr [ID]: husk run --bundle $BUNDLE ID in the foreground (stdin /dev/null).
run_ctr() {
	husk run --bundle "$BUNDLE" "${1:-$CID}" </dev/null
}

# ---------------------------------------------------------------------------
# Bundles

# The static probe program (tests/probe/probe.c); `make check` builds it into
# build/probe.  When it is missing (a bats run by hand), build it for this file.
find_probe() {
	if [ -x "$REPO/build/probe" ] && [ "$REPO/build/probe" -nt "$REPO/tests/probe/probe.c" ]; then
		echo "$REPO/build/probe"
		return
	fi
	gcc -std=gnu11 -O2 -Wall -Wextra -static -o "$BATS_FILE_TMPDIR/probe" \
		"$REPO/tests/probe/probe.c" >&2 || return 1
	echo "$BATS_FILE_TMPDIR/probe"
}

# build_rootfs DIR: a busybox root filesystem with /probe, root and user 1000.
build_rootfs() {
	local r=$1 busybox=/bin/busybox probe
	[ -x "$busybox" ] || busybox=$(command -v busybox)
	probe=$(find_probe) || return 1
	mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,home/user,run,var}
	chmod 1777 "$r/tmp"
	cp "$busybox" "$r/bin/busybox"
	# A dynamic busybox cannot run in the rootfs: this fails for it.
	chroot "$r" /bin/busybox --install -s ||
		{ echo "helpers: $busybox is not static: apt-get install busybox-static" >&2; return 1; }
	cp "$probe" "$r/probe"
	cat >"$r/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/bin/sh
		user:x:1000:1000:user:/home/user:/bin/sh
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	EOF
	cat >"$r/etc/group" <<-'EOF'
		root:x:0:
		user:x:1000:
		nogroup:x:65534:
	EOF
	chown 1000:1000 "$r/home/user"
	echo "husk-test" >"$r/etc/hostname"
}

# The default config, from the runtime's own `spec`, made non-interactive.
build_config() {
	local dir=$1
	(cd "$dir" && "$HUSK" spec) || return 1
	jq '.process.terminal = false | .process.args = ["/probe", "ids"] | .root.readonly = false' \
		"$dir/config.json" >"$dir/config.json.new" && mv "$dir/config.json.new" "$dir/config.json"
}

# shellcheck disable=SC2120 # tests may pass ARGS
# setup_bundle [ARGS...]: a fresh bundle in $BUNDLE; ARGS become process.args.
setup_bundle() {
	BUNDLE="$TESTDIR/bundle"
	ROOTFS="$BUNDLE/rootfs"
	rm -rf "$BUNDLE"
	mkdir -p "$BUNDLE"
	cp -a "$ROOTFS_CACHE" "$ROOTFS"
	if [ -f "$BATS_FILE_TMPDIR/config.json" ]; then
		cp "$BATS_FILE_TMPDIR/config.json" "$BUNDLE/config.json"
	else
		build_config "$BUNDLE" || return 1
	fi
	[ $# -gt 0 ] && set_args "$@"
	return 0
}

# update_config 'JQ FILTER' [JQ ARGS...]: edit $BUNDLE/config.json in place.
update_config() {
	local filter=$1
	shift
	jq "$@" "$filter" "$BUNDLE/config.json" >"$BUNDLE/config.json.new" &&
		mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# set_args ARG...: process.args = the arguments (one jq call).
# --arg, not --args: jq would take a "-c" among the arguments as its own.
set_args() {
	local i=0 a key jqargs=()
	for a in "$@"; do
		printf -v key 'a%04d' $i
		jqargs+=(--arg "$key" "$a")
		i=$((i + 1))
	done
	# shellcheck disable=SC2016 # $ARGS is jq's
	update_config '.process.args = ($ARGS.named | to_entries | sort_by(.key) | map(.value))' "${jqargs[@]}"
}

# ---------------------------------------------------------------------------
# Requirements and conditions

# is_static BIN: BIN has no program interpreter (a static or static-pie build:
# the default husk, linked against musl).
is_static() {
	! readelf -lW "$1" 2>/dev/null | grep -q 'program interpreter'
}

# requires FEATURE...: skip the test unless each holds.
requires() {
	local f
	for f in "$@"; do
		case $f in
		root) [ "$(id -u)" = 0 ] || skip "needs root" ;;
		userns)
			if [ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)" -eq 0 ] ||
				! unshare --user true 2>/dev/null; then
				skip "needs user namespaces"
			fi ;;
		timens) [ -e /proc/self/ns/time ] || skip "needs time namespaces (Linux 5.6)" ;;
		cgroupns) [ -e /proc/self/ns/cgroup ] || skip "needs cgroup namespaces" ;;
		jsonschema) "$PYTHON" -c 'import jsonschema' 2>/dev/null || skip "needs python3-jsonschema" ;;
		ip) command -v ip >/dev/null || skip "needs iproute2" ;;
		husk) [ "$HUSK_NAME" = runc ] && skip "husk-only behaviour" ;;
		*) echo "requires: unknown feature $f" >&2; return 1 ;;
		esac
	done
	return 0
}

# skip_if_runc REASON: for what the spec asks and runc 1.1.5 does not do.
skip_if_runc() {
	[ "$HUSK_NAME" = runc ] && skip "runc 1.1.5: $1"
	return 0
}

# wait_for_status ID STATUS [TRIES]: poll `state` every 0.1 s (default 50 tries).
wait_for_status() {
	local id=$1 want=$2 tries=${3:-50} got=
	while [ "$tries" -gt 0 ]; do
		got=$(husk state "$id" 2>/dev/null | jq -r .status 2>/dev/null)
		[ "$got" = "$want" ] && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	echo "wait_for_status: $id is '${got:-absent}', wanted '$want'" >&2
	return 1
}

# wait_for_file FILE [PATTERN] [TRIES]: until FILE exists (and matches PATTERN).
wait_for_file() {
	local f=$1 pat=${2:-} tries=${3:-50}
	while [ "$tries" -gt 0 ]; do
		if [ -e "$f" ] && { [ -z "$pat" ] || grep -q -- "$pat" "$f"; }; then
			return 0
		fi
		sleep 0.1
		tries=$((tries - 1))
	done
	echo "wait_for_file: $f never matched '$pat'" >&2
	return 1
}

# ctr_pid ID: the container's init pid as `state` reports it.
ctr_pid() {
	husk state "${1:-$CID}" | jq -r .pid
}

# ctr_status ID
ctr_status() {
	husk state "${1:-$CID}" | jq -r .status
}

# host_ns TYPE: the host's namespace link, e.g. net:[4026531840].
host_ns() {
	readlink "/proc/self/ns/$1"
}

# ns_in_output TYPE: from `probe ns` in $output, the link for TYPE.
ns_in_output() {
	awk -v t="$1" '$1 == t { print $2 }' <<<"$output"
}

# line_in_output KEY: the value(s) following KEY at the start of a line of $output.
line_in_output() {
	awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' <<<"$output"
}

# validate_json SCHEMA FILE: FILE is valid against the JSON schema.
validate_json() {
	"$PYTHON" - "$1" "$2" <<-'EOF'
		import json, sys
		import jsonschema
		schema = json.load(open(sys.argv[1]))
		doc = json.load(open(sys.argv[2]))
		cls = jsonschema.validators.validator_for(schema)
		errors = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.path))
		for e in errors:
		    print("%s: %s" % ("/".join(str(p) for p in e.path) or "(root)", e.message))
		sys.exit(1 if errors else 0)
	EOF
}

# pid_alive PID: the process exists and is not a zombie.
pid_alive() {
	local st
	[ -n "$1" ] && [ -e "/proc/$1" ] || return 1
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# spawn_bg CMD...: start a host process in the background, killed at teardown.
# Prints its pid.  (fd 3 closed: bats waits for it otherwise.)
spawn_bg() {
	"$@" </dev/null >/dev/null 2>&1 3>&- &
	echo $! >>"$TESTDIR/bg.pids"
	echo $!
}

# trace_init PID SYSCALL INJECT: strace attached to the process PID (a created
# init), tampering with SYSCALL as INJECT says (strace's -e inject=SYSCALL:INJECT,
# e.g. delay_exit=500000); returns once PID is traced.  Killed at teardown.
trace_init() {
	local tries=50
	spawn_bg strace -qq -p "$1" -e trace="$2" -e inject="$2:$3" -o /dev/null >/dev/null
	until [ "$(awk '$1 == "TracerPid:" { print $2 }' "/proc/$1/status")" != 0 ]; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.1
	done
}

# pid_gone PID: the process has exited (gone, or a zombie).  Use this rather
# than `! pid_alive`: bats does not fail a test on a `!` command.
pid_gone() {
	if pid_alive "$1"; then
		echo "pid $1 is still alive: $(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)" >&2
		return 1
	fi
}

# no_process_left: no process of this test's container is alive.  Not one whose
# root directory is $ROOTFS, compared by device:inode through /proc/PID/root/
# (the link's text is "/" for a process pivoted into its own mount namespace,
# so `readlink` can never match), and not one of husk's own forks (stage 1, an
# init before its execve), which still carry the argv naming this test's $ROOT.
no_process_left() {
	local want p id args left=0
	want=$(stat -L -c %d:%i "$ROOTFS") || return 1
	while read -r p id; do
		if [ "$id" = "$want" ]; then
			echo "process left in the rootfs: ${p%/root/}" >&2
			left=1
		fi
	done < <(stat -L -c '%n %d:%i' /proc/[0-9]*/root/ 2>/dev/null)
	# Builtins only: a grep of ours would have $ROOT in its own argv.
	for p in /proc/[0-9]*; do
		mapfile -d '' args 2>/dev/null <"$p/cmdline" || continue
		if [[ "${args[*]}" == *"$ROOT"* ]]; then
			echo "husk process left: ${p#/proc/}: ${args[*]}" >&2
			left=1
		fi
	done
	return $left
}

# ---------------------------------------------------------------------------
# setup / teardown: files may define their own and call these.

common_setup_file() {
	export ROOTFS_CACHE="$BATS_FILE_TMPDIR/rootfs"
	build_rootfs "$ROOTFS_CACHE" || return 1
	# One `spec` per file: cheaper than one per test.  If spec fails here, each
	# test's setup_bundle tries again and reports it.
	mkdir -p "$BATS_FILE_TMPDIR/spec"
	if build_config "$BATS_FILE_TMPDIR/spec" 2>/dev/null; then
		mv "$BATS_FILE_TMPDIR/spec/config.json" "$BATS_FILE_TMPDIR/config.json"
	fi
	return 0
}

common_setup() {
	TESTDIR=$(mktemp -d "${BATS_TMPDIR:-/tmp}/husk-test.XXXXXX")
	# Mapped uids in a user namespace must reach the bundle.
	chmod 755 "$TESTDIR"
	ROOT="$TESTDIR/root"
	mkdir -p "$ROOT"
	CTR_OUT="$TESTDIR/ctr.out"
	CTR_ERR="$TESTDIR/ctr.err"
	CID="test-$$-${BATS_TEST_NUMBER}"
	# shellcheck disable=SC2119 # no args: the default command
	setup_bundle
}

# Force-delete every container under $ROOT (whatever `list` says, and whatever
# directories are there), kill what survives, remove the temp dirs.
common_teardown() {
	[ -n "${ROOT:-}" ] && [ -d "$ROOT" ] || return 0
	local id pid ids='' pids=()
	[ -n "$(ls -A "$ROOT")" ] &&
		ids=$({ timeout 10 "$HUSK" --root "$ROOT" list -q 2>/dev/null; ls "$ROOT"; } 3>&- </dev/null | sort -u)
	for id in $ids; do
		pid=$(timeout 10 "$HUSK" --root "$ROOT" state "$id" 2>/dev/null 3>&- </dev/null | jq -r '.pid // empty' 2>/dev/null)
		[ -n "$pid" ] && [ "$pid" != 0 ] && pids+=("$pid")
		timeout 10 "$HUSK" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 3>&- </dev/null
		rmdir /sys/fs/cgroup/*/"$id" 2>/dev/null
	done
	[ -f "$TESTDIR/bg.pids" ] && mapfile -t -O "${#pids[@]}" pids <"$TESTDIR/bg.pids"
	for pid in "${pids[@]}"; do
		pid_alive "$pid" && kill -9 "$pid" 2>/dev/null
	done
	# Host mounts a test made under its dir (deepest first).
	awk -v d="$TESTDIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf "$TESTDIR"
	return 0
}

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }
