#!/usr/bin/env bats
# libseccomp is loaded with dlopen, only by the commands that use it
# (src/linux/libseccomp.h), and only on the host: `create`/`run` and `exec` of a
# config with linux.seccomp load it before they fork into the container, the
# container's processes use what they inherited and never load a library from
# the container's root filesystem.

load ../../bats/helpers

setup_file() {
	common_setup_file || return 1
	gcc -std=gnu11 -O2 -Wall -Wextra -static -o "$ROOTFS_CACHE/scall" \
		"$REPO/tests/seccomp/scall.c" || return 1
}

# deny_mkdir: a profile that allows everything but mkdir, which fails with 122.
deny_mkdir() {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}]}'
}

# opened_libseccomp ARGS...: strace of husk ARGS (the husk process itself, not
# its children); true when it opened a libseccomp file.
opened_libseccomp() {
	strace -qq -e trace=open,openat -o "$TESTDIR/strace" "$HUSK" --root "$ROOT" "$@" \
		</dev/null >"$TESTDIR/strace.out" 2>&1 3>&- || true
	grep -q 'libseccomp' "$TESTDIR/strace"
}

# without_libseccomp CMD...: CMD in a mount namespace where the host's
# libseccomp.so.2 is /dev/null (dlopen and ld.so fail on it).
without_libseccomp() {
	local lib
	lib=$(ldconfig -p | awk '$1 == "libseccomp.so.2" && /x86-64|64bit/ { print $NF; exit }')
	[ -n "$lib" ] || lib=$(ldconfig -p | awk '$1 == "libseccomp.so.2" { print $NF; exit }')
	[ -n "$lib" ] || return 99
	unshare -m --propagation private sh -c 'mount --bind /dev/null "$(readlink -f "$1")" && shift && exec "$@"' \
		sh "$lib" "$@" 3>&-
}

@test "husk is not linked with libseccomp" {
	requires husk
	run ldd "$HUSK"
	[ "$status" -eq 0 ]
	# A dynamic build (LIBC=glibc) names libc; a static one (musl) nothing.
	is_static "$HUSK" || [[ "$output" == *libc.so* ]]
	[[ "$output" != *libseccomp* ]]
}

@test "no command loads libseccomp, not create with linux.seccomp, nor features" {
	requires husk
	command -v strace >/dev/null || skip "strace is not installed"
	deny_mkdir
	set_args /scall mkdir /newdir
	opened_libseccomp create --bundle "$BUNDLE" "$CID" && { echo "create opened libseccomp"; false; }
	opened_libseccomp state "$CID" && { echo "state opened libseccomp"; false; }
	grep -q '"status": *"created"' "$TESTDIR/strace.out"
	opened_libseccomp start "$CID" && { echo "start opened libseccomp"; false; }
	wait_for_status "$CID" stopped
	opened_libseccomp delete "$CID" && { echo "delete opened libseccomp"; false; }
	[ ! -d "$ROOT/$CID" ]
	# The filter was there: mkdir failed with the profile's errno.
	[ ! -d "$ROOTFS/newdir" ]
	opened_libseccomp features && { echo "features opened libseccomp"; false; }
	jq -e '.linux.seccomp.enabled == true' "$TESTDIR/strace.out"
	jq -e '.annotations | has("io.github.seccomp.libseccomp.version") | not' "$TESTDIR/strace.out"
}

@test "without libseccomp.so.2 a config with linux.seccomp runs its whole lifecycle" {
	requires husk
	deny_mkdir
	set_args /scall mkdir /newdir
	# The container keeps create's stdio: not bats' pipe.
	local rc=0
	without_libseccomp "$HUSK" --root "$ROOT" create --bundle "$BUNDLE" "$CID" \
		</dev/null >"$CTR_OUT" 2>"$CTR_ERR" || rc=$?
	[ "$rc" -ne 99 ] || skip "ldconfig does not know libseccomp.so.2"
	cat "$CTR_ERR"
	[ "$rc" -eq 0 ]
	run without_libseccomp "$HUSK" --root "$ROOT" state "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = created ]
	run without_libseccomp "$HUSK" --root "$ROOT" start "$CID"
	[ "$status" -eq 0 ]
	wait_for_status "$CID" stopped
	[ "$(cat "$CTR_OUT")" = "ret=-1 errno=122" ]
	run without_libseccomp "$HUSK" --root "$ROOT" delete "$CID"
	[ "$status" -eq 0 ]
	[ ! -d "$ROOT/$CID" ]
	[ ! -d "$ROOTFS/newdir" ]
	run without_libseccomp "$HUSK" features
	[ "$status" -eq 0 ]
	[ "$(jq -r .linux.seccomp.enabled <<<"$output")" = true ]
}

# The attack: the container's root filesystem carries a libseccomp.so.2 of its
# own, wherever ld.so would look for it (its default directories, and
# LD_LIBRARY_PATH in process.env), whose constructor leaves a marker inside the
# container and one on the host.  husk loads no library for the filter, in
# the init or in exec's process, and must never run that code.
evil_rootfs() {
	local d
	cat >"$TESTDIR/evil.c" <<-EOF
		#include <fcntl.h>
		#include <unistd.h>
		__attribute__ ((constructor)) static void
		evil (void)
		{
		  const char *m[] = { "/evil-marker", "$TESTDIR/evil-marker-host" };
		  for (int i = 0; i < 2; i++)
		    {
		      int fd = open (m[i], O_WRONLY | O_CREAT, 0644);
		      if (fd >= 0)
		        close (fd);
		    }
		}
	EOF
	gcc -shared -fPIC -Wl,-soname,libseccomp.so.2 -o "$TESTDIR/evil.so" "$TESTDIR/evil.c" || return 1
	for d in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu lib usr/lib lib64 usr/lib64 usr/local/lib evil; do
		mkdir -p "$ROOTFS/$d"
		cp "$TESTDIR/evil.so" "$ROOTFS/$d/libseccomp.so.2"
	done
	echo "/evil" >"$ROOTFS/etc/ld.so.conf"
	update_config '.process.env += ["LD_LIBRARY_PATH=/evil", "LD_PRELOAD=/evil/libseccomp.so.2"]'
}

no_marker() {
	[ ! -e "$ROOTFS/evil-marker" ] && [ ! -e "$TESTDIR/evil-marker-host" ]
}

@test "the init never loads the container's libseccomp.so.2" {
	evil_rootfs
	deny_mkdir
	set_args /scall mkdir /newdir
	run run_ctr
	echo "$output"
	no_marker
	[ "$status" -eq 0 ]
	[ "$output" = "ret=-1 errno=122" ]
	[ ! -d "$ROOTFS/newdir" ]
}

@test "exec's process never loads the container's libseccomp.so.2" {
	evil_rootfs
	deny_mkdir
	set_args sleep 100
	run create_ctr
	echo "$output"
	no_marker
	[ "$status" -eq 0 ]
	run husk exec "$CID" /scall mkdir /newdir
	echo "$output"
	no_marker
	[ "$status" -eq 0 ]
	[ "$output" = "ret=-1 errno=122" ]
	[ ! -d "$ROOTFS/newdir" ]
	husk delete --force "$CID"
}
