#!/usr/bin/env bats
# CVE-2019-5736: a container must never get a writable handle on the host's husk
# binary through /proc/PID/exe of a husk process that entered it (the init before
# its exec, the processes of `husk exec` before theirs).
#
# Each attack runs against a copy of the binary under test ($HCOPY), so that a
# successful one destroys the copy and not the build; the copy's sha256 must be
# unchanged afterwards.  Teardown uses $HUSK itself.

load ../../bats/helpers

HELPERS="$BATS_TEST_DIRNAME/helpers"

setup_file() {
	common_setup_file || return 1
	gcc -std=gnu11 -O2 -Wall -Wextra -shared -fPIC -o "$BATS_FILE_TMPDIR/evil.so" \
		"$HELPERS/exe-evil.c" || return 1
	gcc -std=gnu11 -O2 -Wall -Wextra -static -o "$BATS_FILE_TMPDIR/exe-race" \
		"$HELPERS/exe-race.c" || return 1
	gcc -std=gnu11 -O2 -Wall -Wextra -o "$BATS_FILE_TMPDIR/no-set-mm" \
		"$HELPERS/no-set-mm.c" || return 1
}

setup() {
	common_setup
	HCOPY="$TESTDIR/husk"
	cp "$HUSK" "$HCOPY"
	SUM=$(sha256sum <"$HCOPY")
}

# hcopy ARGS...: the copy, with this test's --root.
hcopy() {
	"$HCOPY" --root "$ROOT" "$@" 3>&-
}

# hcopy_detached ARGS...: the copy, with the container's stdio away from bats.
hcopy_detached() {
	"$HCOPY" --root "$ROOT" "$@" </dev/null >"$CTR_OUT" 2>"$CTR_ERR" 3>&-
}

# copy_unchanged: the binary the attack aimed at is as it was.
copy_unchanged() {
	[ "$(sha256sum <"$HCOPY")" = "$SUM" ] || { echo "the husk binary was overwritten" >&2; return 1; }
}

# on_ro_mount FILE: FILE (followed) is on a read-only mount.
on_ro_mount() {
	"$PYTHON" -c 'import os, sys; sys.exit(0 if os.statvfs(sys.argv[1]).f_flag & os.ST_RDONLY else 1)' "$1"
}

# copy_libs BIN: the shared libraries BIN loads (ld.so included), at the same
# paths in the rootfs, so that the binary can run inside the container.
copy_libs() {
	local lib
	for lib in $(ldd "$1" | grep -o '/[^ ]*'); do
		mkdir -p "$ROOTFS$(dirname "$lib")"
		cp -L "$lib" "$ROOTFS$lib"
	done
}

@test "a #!/proc/self/exe entrypoint with a preloaded library cannot overwrite the husk binary" {
	requires root
	# A static husk (LIBC=musl, the default build) loads no library: no
	# LD_PRELOAD runs code in it, and its exe is read-only all the same (the
	# tests below).  The attack then runs against the glibc build of the same
	# code that make check builds beside it ($HUSK_GLIBC, build/glibc/husk).
	if is_static "$HCOPY" && [ "$HUSK_NAME" = husk ]; then
		[ -x "${HUSK_GLIBC:-}" ] || skip "a static husk: no preloaded library can run in it"
		cp "$HUSK_GLIBC" "$HCOPY"
		SUM=$(sha256sum <"$HCOPY")
	fi
	copy_libs "$HCOPY"
	cp "$BATS_FILE_TMPDIR/evil.so" "$ROOTFS/evil.so"
	printf '#!/proc/self/exe\n' >"$ROOTFS/evil.sh"
	# $1: the handle exe-evil.c took on /proc/self/exe.  Retry while the binary
	# still runs somewhere (ETXTBSY): it stops when husk start exits.
	cat >"$ROOTFS/pwn.sh" <<-'EOF'
		n=0
		while [ $n -lt 100 ]; do
			if err=$( { echo pwned >"/proc/self/fd/$1"; } 2>&1 ); then
				echo "write ok" >>/record; break
			fi
			case $err in
			*busy*) sleep 0.1; n=$((n + 1)) ;;
			*) echo "write failed: $err" >>/record; break ;;
			esac
		done
		echo done >>/record
	EOF
	chmod 755 "$ROOTFS/evil.sh" "$ROOTFS/pwn.sh"
	set_args /evil.sh
	# ASAN_OPTIONS: an ASan build (make check-asan) accepts a preload before it.
	update_config '.process.env += ["LD_PRELOAD=/evil.so", "ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0"]'
	hcopy_detached create --bundle "$BUNDLE" "$CID"
	hcopy start "$CID"
	wait_for_file "$ROOTFS/record" '^done' 150
	cat "$ROOTFS/record"
	copy_unchanged
	# The attack ran: it held the exe, and writing through it was refused.
	grep -q '^handle ' "$ROOTFS/record"
	grep -q '^write failed' "$ROOTFS/record"
}

@test "a container with CAP_SYS_PTRACE cannot overwrite the husk binary through husk exec" {
	requires root
	cp "$BATS_FILE_TMPDIR/exe-race" "$ROOTFS/exe-race"
	set_args /exe-race /race.log /stop
	update_config '.process.capabilities = (["bounding", "effective", "permitted", "inheritable", "ambient"]
		| map({(.): ["CAP_KILL", "CAP_SYS_PTRACE"]}) | add)'
	hcopy_detached run -d --bundle "$BUNDLE" "$CID"
	wait_for_file "$ROOTFS/race.log" '^ready'
	# The poller grabs the exe of the exec'd process between its fork into the
	# container and its exec; it writes once no husk runs (husk exec returned).
	for _ in $(seq 20); do
		hcopy exec "$CID" /exe-race noop || true
		if grep -q '^handle' "$ROOTFS/race.log"; then
			wait_for_file "$ROOTFS/race.log" '^write' 50
			break
		fi
	done
	touch "$ROOTFS/stop"
	sort "$ROOTFS/race.log" | uniq -c
	copy_unchanged
	grep -q '^handle' "$ROOTFS/race.log"
	grep -q '^write failed' "$ROOTFS/race.log"
	[ "$(grep -c '^write ok' "$ROOTFS/race.log")" = 0 ]
}

@test "the created init runs husk from a read-only mount until its exec" {
	requires root husk
	set_args /probe ids
	hcopy_detached create --bundle "$BUNDLE" "$CID"
	pid=$(ctr_pid)
	# /proc/PID/exe is the file the kernel keeps as the init's exe, on the mount
	# it was executed from: the one a process of the container would get.
	on_ro_mount "/proc/$pid/exe"
	# O_TRUNC: the mount is checked first (a plain O_WRONLY meets ETXTBSY first
	# while the init runs the binary; that is no protection once it stops).
	run ! "$PYTHON" -c 'import os, sys; os.open(sys.argv[1], os.O_WRONLY | os.O_TRUNC)' "/proc/$pid/exe"
	echo "$output"
	[[ "$output" == *"Read-only file system"* ]]
	copy_unchanged
}

@test "husk run keeps its pid and name with its read-only copy as exe" {
	requires root husk
	set_args /probe sleep 600
	pid=$(spawn_bg "$HCOPY" --root "$ROOT" run --bundle "$BUNDLE" "$CID")
	wait_for_status "$CID" running
	# The pid the caller started is the husk that runs the container, now from a
	# read-only mount, and it is the init's parent (subreaper).
	on_ro_mount "/proc/$pid/exe"
	[ "$(awk '{ print $4 }' "/proc/$(ctr_pid)/stat")" = "$pid" ]
	[ "$(cat "/proc/$pid/comm")" = husk ]
	copy_unchanged
}

# binary_maps PID: the mappings of PID that map the file husk was started from
# (its device and inode), as "RANGE PATH-THE-KERNEL-KEEPS" lines.
binary_maps() {
	local dev ino range perms off mdev mino
	# maps: the device as hex major:minor.
	dev=$(printf '%02x:%02x' $(stat -c '%Hd %Ld' "$HCOPY")) ino=$(stat -c %i "$HCOPY")
	while read -r range perms off mdev mino _; do
		[ "$mdev" = "$dev" ] && [ "$mino" = "$ino" ] || continue
		echo "$range $perms $mdev"
	done <"/proc/$1/maps"
}

# maps_on_ro_mount PID: every mapping of the binary in PID is a file on a
# read-only mount (map_files is the file each mapping keeps), and there are at
# least three (the text, the read-only data, the data).
maps_on_ro_mount() {
	local range n=0
	while read -r range _; do
		on_ro_mount "/proc/$1/map_files/$range"
		n=$((n + 1))
	done < <(binary_maps "$1")
	[ "$n" -ge 3 ]
}

@test "husk becomes its read-only copy in place: one execution, no mapping of the host's binary left" {
	requires root husk
	command -v strace >/dev/null || skip "needs strace"
	set_args /bin/true
	strace -f -qq -e trace=execve,execveat,prctl -o "$TESTDIR/st" "$HCOPY" --root "$ROOT" run --bundle "$BUNDLE" "$CID-s" \
		</dev/null >"$CTR_OUT" 2>"$CTR_ERR" 3>&-
	grep -E 'exec|PR_SET_MM' "$TESTDIR/st"
	# The binary is executed once, by the caller; the container's /bin/true is
	# the only other execution: no second start of husk from the mount.
	[ "$(grep -c 'execve(' "$TESTDIR/st")" = 2 ]
	run ! grep -q 'execveat(' "$TESTDIR/st"
	grep -q 'prctl(PR_SET_MM, PR_SET_MM_MAP, .*) = 0' "$TESTDIR/st"
	# The created init and the husk that waits for a run's container: every
	# mapping of the binary is the read-only mount's (map_files is the file
	# each mapping keeps; the host's binary is on a writable mount), and the
	# text, the read-only data and the data are all there.
	set_args /probe sleep 600
	hcopy_detached create --bundle "$BUNDLE" "$CID"
	local pid=$(ctr_pid)
	binary_maps "$pid"
	maps_on_ro_mount "$pid"
	binary_maps "$pid" | grep -q ' r-xp '
	binary_maps "$pid" | grep -q ' rw-p '
	run ! on_ro_mount "$HCOPY"
	husk delete -f "$CID"
	local rpid
	rpid=$(spawn_bg "$HCOPY" --root "$ROOT" run --bundle "$BUNDLE" "$CID-r")
	wait_for_status "$CID-r" running
	maps_on_ro_mount "$rpid"
	on_ro_mount "/proc/$rpid/exe"
	copy_unchanged
}

@test "where PR_SET_MM is refused, husk executes itself again from the read-only copy" {
	requires root husk
	command -v strace >/dev/null || skip "needs strace"
	set_args /probe sleep 600
	# Not -f: the init stays, and strace would wait for it.
	"$BATS_FILE_TMPDIR/no-set-mm" strace -qq -e trace=execve,execveat,prctl -o "$TESTDIR/st" \
		"$HCOPY" --root "$ROOT" create --bundle "$BUNDLE" "$CID" </dev/null >"$CTR_OUT" 2>"$CTR_ERR" 3>&-
	grep -E 'exec|PR_SET_MM' "$TESTDIR/st"
	grep -q 'prctl(PR_SET_MM, PR_SET_MM_MAP, .*) = -1 EPERM' "$TESTDIR/st"
	grep -q 'execveat(.*AT_EMPTY_PATH) = 0' "$TESTDIR/st"
	# The mappings already moved to the mount stay so; the second image maps
	# nothing else of the host's binary.
	local pid=$(ctr_pid)
	maps_on_ro_mount "$pid"
	on_ro_mount "/proc/$pid/exe"
	husk start "$CID"
	wait_for_status "$CID" running
	copy_unchanged
}

@test "the read-only mount's fd reaches neither the init nor the container, even among the preserved fds" {
	requires root husk
	# The caller leaves fds 3 and 4 closed and asks for 3 to 5 to be preserved:
	# the first image's fds land at 3 and 4, so the mount's fd, which the second
	# image keeps for a while (linux/exeseal.h), sits in the preserved range.
	echo preserved-data >"$TESTDIR/preserved"
	set_args /bin/sh -c 'for f in /proc/self/fd/*; do echo "fd $f $(readlink $f)"; done; cat <&5'
	"$HCOPY" --root "$ROOT" create --preserve-fds 3 --bundle "$BUNDLE" "$CID" </dev/null \
		>"$CTR_OUT" 2>"$CTR_ERR" 3<&- 4<&- 5<"$TESTDIR/preserved"
	# The created init, from the host: no fd of it is the binary.
	local ino n
	ino=$(stat -L -c %d:%i "$HCOPY")
	for n in $(ls "/proc/$(ctr_pid)/fd"); do
		echo "fd $n -> $(readlink "/proc/$(ctr_pid)/fd/$n")"
		[ "$(stat -L -c %d:%i "/proc/$(ctr_pid)/fd/$n")" != "$ino" ]
	done
	husk start "$CID"
	wait_for_status "$CID" stopped
	cat "$CTR_OUT"
	grep -q preserved-data "$CTR_OUT"
	grep -q "^fd /proc/self/fd/5 .*preserved" "$CTR_OUT"
	# Nothing but stdio and fd 5 (the glob's own directory fd, 3 here, is gone
	# when readlink looks: an empty target).
	run ! grep -E "^fd /proc/self/fd/(3 .|4 )" "$CTR_OUT"
	copy_unchanged
}

# mounts_on_dev_null FILE: the mounts whose mount point is /dev/null in the
# mountinfo FILE (where the init parks the read-only copy's mount).
mounts_on_dev_null() {
	awk '$5 == "/dev/null"' "$1"
}

@test "the read-only copy's mount is parked in the init's old root and goes down with it, never where it could reach the host" {
	requires root husk
	command -v strace >/dev/null || skip "needs strace"
	local host_before prop
	host_before=$(mounts_on_dev_null /proc/self/mountinfo)
	# rslave (the default): attached over the host's /dev/null in the init's own
	# namespace just before pivot_root, then unmounted with the old root, in the
	# same grace period; no close of its fd dissolves it on its own.  A config
	# mount of the host's /dev/null, made before, still gets the device.
	set_args /bin/sh -c 'stat -c %t:%T /nullcopy'
	update_config '.mounts += [{"source": "/dev/null", "destination": "/nullcopy", "type": "bind", "options": ["bind"]}]'
	strace -f -qq -e trace=move_mount -o "$TESTDIR/st" "$HCOPY" --root "$ROOT" run --bundle "$BUNDLE" "$CID-s" \
		</dev/null >"$CTR_OUT" 2>"$CTR_ERR" 3>&-
	cat "$TESTDIR/st" "$CTR_OUT" "$CTR_ERR"
	grep -q 'move_mount(.*, AT_FDCWD, "/dev/null", MOVE_MOUNT_F_EMPTY_PATH) = 0' "$TESTDIR/st"
	[ "$(cat "$CTR_OUT")" = 1:3 ]
	# The created init's root is its namespace's: every mount of it shows here.
	set_args /probe sleep 600
	hcopy_detached create --bundle "$BUNDLE" "$CID"
	on_ro_mount "/proc/$(ctr_pid)/exe"
	[ -z "$(mounts_on_dev_null "/proc/$(ctr_pid)/mountinfo")" ]
	[ "$(mounts_on_dev_null /proc/self/mountinfo)" = "$host_before" ]
	# A root that is shared, or private only at the top, would carry the mount
	# to the host's /dev/null: it is not parked, only closed.
	set_args /probe exit 0
	for prop in rshared shared private; do
		update_config '.linux.rootfsPropagation = $p' --arg p "$prop"
		strace -f -qq -e trace=move_mount -o "$TESTDIR/st-$prop" "$HCOPY" --root "$ROOT" run --bundle "$BUNDLE" "$CID-$prop" \
			</dev/null >"$CTR_OUT" 2>"$CTR_ERR" 3>&-
		run ! grep '"/dev/null"' "$TESTDIR/st-$prop"
		[ "$(mounts_on_dev_null /proc/self/mountinfo)" = "$host_before" ]
	done
	copy_unchanged
}
