#!/bin/bash
# Run bats tests on a host with systemd as PID 1 and a pure cgroup v2
# hierarchy: boot a Debian bookworm root (debootstrap, cached) with Debian's
# kernel under qemu (TCG) and print the TAP of the tests run inside it.
# tests/run-all.sh counts it after the cgroup v2 VM of tests/vm/run.sh.
#
# Usage (e.g. against another worktree's binary):
#
#   HUSK=/work/wt-sd-driver/husk HUSK_VM_TESTS=tests/integration/systemd.bats tests/vm/systemd-run.sh
#
# The first run builds the image (about a minute here: debootstrap from the
# host's apt mirror, mkfs.ext4 -d); each run after boots in about 10 s (TCG,
# 2 vCPUs, 2 GiB) and then runs the tests.  Runs on one BUILD take turns.
#
#   HUSK             the runtime to test (default ./husk)
#   BUILD            build directory: $BUILD/probe; the image is cached in
#                    $BUILD/vm-systemd (rebuilt when tests/vm/systemd-image.sh,
#                    which lists its packages, changes)
#   HUSK_VM_TESTS    bats files, relative to the repository (default
#                    tests/integration/systemd.bats, systemd-driver.bats and
#                    systemd-rootless.bats)
#   HUSK_VM_BATS_ARGS  extra bats arguments, e.g. "--filter scope"
#   HUSK_VM_TIMEOUT  seconds for the boot and the run (default 1200); building
#                    the image (first run: debootstrap, a few minutes) has its
#                    own HUSK_VM_IMAGE_TIMEOUT (default 1800)
#   HUSK_VM_KERNEL   kernel image (default: the newest /boot/vmlinuz-*)
#
# Inside: /dev/vda is the image (under qemu -snapshot: a run changes nothing in
# the cache), /dev/vdb (LABEL=husk) the per-run disk with the runtime, its
# libraries, build/probe, bats/, the test files, tests/clients/, contrib/ and
# run.sh (tests/vm/systemd-tests.sh), which husk-tests.service runs; the runtime
# is installed as /usr/local/bin/husk.  The console (kernel, systemd) is
# $BUILD/vm-systemd/console.log, the TAP $BUILD/vm-systemd/tap.log.
# To look around by hand: HUSK_VM_TESTS=none boots, runs nothing and powers off;
# the image has a passwordless root login on the console.
#
# Prints "ok ... # skip REASON" only when qemu (with TCG) or the kernel is
# missing; a "not ok" line for anything else that keeps the tests from running
# to their end (the console's tail above it).  Exit status non-zero when a test
# failed.
set -u
cd "$(dirname "$0")/../.." || exit 1
vm_name="systemd VM"
# shellcheck source=tests/vm/common.sh
. tests/vm/common.sh
timeout_s=${HUSK_VM_TIMEOUT:-1200}
image_timeout_s=${HUSK_VM_IMAGE_TIMEOUT:-1800}
vmdir=$BUILD/vm-systemd

tests=()
if [ "${HUSK_VM_TESTS:-}" = none ]; then
	:
elif [ -n "${HUSK_VM_TESTS:-}" ]; then
	read -r -a tests <<<"$HUSK_VM_TESTS"
else
	tests=(tests/integration/systemd.bats tests/integration/systemd-driver.bats tests/integration/systemd-rootless.bats)
fi
for t in "${tests[@]}"; do
	[ -f "$t" ] || fail "no test file $t"
done

mkdir -p "$vmdir"
# One run at a time per build directory (the image, the per-run disk and the
# logs are shared): a second run waits here.
exec 9>"$vmdir/lock"
if ! flock -n 9; then
	echo "# systemd VM: another run uses $vmdir, waiting for it"
	flock 9
fi
start=$(date +%s)
if ! timeout --foreground "$image_timeout_s" tests/vm/systemd-image.sh "$vmdir" "$kver" >"$vmdir/image.log" 2>&1; then
	sed 's/^/# /' "$vmdir/image.log" | tail -n 40
	fail "building the image failed (tests/vm/systemd-image.sh; log $vmdir/image.log)"
fi
image_s=$(($(date +%s) - start))
[ -s "$vmdir/image.log" ] && sed 's/^/# systemd VM image: /' "$vmdir/image.log"

# The per-run disk.
disk=$vmdir/husk-disk
rm -rf "$disk" "$vmdir/husk.img"
mkdir -p "$disk/lib" "$disk/build" "$disk/bats" "$disk/tests/integration" "$disk/tests/clients"
cp "$HUSK" "$disk/husk"
# The libraries of the runtime (the image may lack one, e.g. libyajl of a newer build).
ldd "$HUSK" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | while read -r lib; do
	cp -L "$lib" "$disk/lib/"
done
cp "$probe" "$disk/build/probe"
cp bats/*.bash "$disk/bats/"
[ -d tests/integration/helpers ] && cp -a tests/integration/helpers "$disk/tests/integration/"
cp -a tests/clients/. "$disk/tests/clients/"
cp -a contrib "$disk/contrib"
for f in "${tests[@]}"; do
	mkdir -p "$disk/$(dirname "$f")"
	cp "$f" "$disk/$f"
done
cp tests/vm/systemd-tests.sh "$disk/run.sh"
{
	printf 'HUSK_VM_TESTS=%q\n' "${tests[*]}"
	printf 'HUSK_VM_BATS_ARGS=%q\n' "${HUSK_VM_BATS_ARGS:-}"
} >"$disk/vm.env"
disk_mb=$(($(du -sm "$disk" | cut -f1) + 64))
if ! mkfs.ext4 -q -F -L husk -E root_owner=0:0 -d "$disk" "$vmdir/husk.img" "${disk_mb}M" >"$vmdir/mkfs.log" 2>&1; then
	sed 's/^/# /' "$vmdir/mkfs.log"
	fail "mkfs.ext4 of the per-run disk failed"
fi
rm -rf "$disk"

console=$vmdir/console.log tap=$vmdir/tap.log
rm -f "$console" "$tap" "$tap.clean"
# ttyS0: the kernel's and systemd's console; ttyS1: the TAP stream only.
# systemd.unit: multi-user, then husk-tests.service (the image's).
# apparmor=0: Debian's kernel enables AppArmor, the image has no apparmor_parser
# (dockerd would refuse to run), and our hosts have none either.
# panic=-1 with -no-reboot: a panic ends qemu instead of hanging until the
# timeout.  --foreground keeps qemu in our process group.
append="console=ttyS0 root=/dev/vda rw panic=-1 loglevel=4 systemd.unified_cgroup_hierarchy=1"
append+=" cgroup_no_v1=all apparmor=0 systemd.unit=husk-tests.target systemd.show_status=1 systemd.log_color=0"
boot_start=$(date +%s)
timeout --foreground --kill-after=5 "$timeout_s" qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 2048 \
	-nodefaults -no-user-config -display none -no-reboot \
	-kernel "$kernel" -initrd "$vmdir/initrd.img" -append "$append" \
	-drive file="$vmdir/root.img",format=raw,if=virtio,snapshot=on,cache=unsafe \
	-drive file="$vmdir/husk.img",format=raw,if=virtio,cache=unsafe \
	-device virtio-rng-pci \
	-serial "file:$console" -serial "file:$tap" </dev/null >"$vmdir/qemu.log" 2>&1
rc=$?
vm_s=$(($(date +%s) - boot_start))

: >"$tap.clean"
[ -f "$tap" ] && tr -d '\r' <"$tap" >"$tap.clean"
cat "$tap.clean"

show_console() {
	echo "# --- qemu: $(tr '\n' ' ' <"$vmdir/qemu.log")"
	echo "# --- last lines of the VM console ($console):"
	tr -d '\r' <"$console" 2>/dev/null | tail -n 40 | sed 's/^/#   /'
}

if ! grep -q '^# husk-vm: systemd-tests started' "$tap.clean"; then
	show_console
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		fail "timed out after ${timeout_s}s before husk-tests.service started"
	fi
	fail "the VM never reached husk-tests.service (qemu exit $rc, ${vm_s}s)"
fi
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	show_console
	fail "timed out after ${timeout_s}s"
fi
bats_rc=$(sed -n 's/^# husk-vm: bats exit \([0-9]*\)$/\1/p' "$tap.clean")
[ -n "$bats_rc" ] || { show_console; fail "bats never finished (qemu exit $rc)"; }
grep -q '^# husk-vm: pid 1: systemd' "$tap.clean" || fail "PID 1 in the VM is not systemd"
if grep -q '^# husk-vm: cgroup mounts: .*cgroup:' "$tap.clean" ||
	! grep -q '^# husk-vm: cgroup mounts: cgroup2:/sys/fs/cgroup ' "$tap.clean"; then
	fail "the VM's cgroup hierarchy is not pure v2 at /sys/fs/cgroup"
fi
boot_at=$(sed -n 's/^# husk-vm: systemd-tests started, .*, \([0-9.]*\) s after boot$/\1/p' "$tap.clean")
if [ ${#tests[@]} -eq 0 ]; then
	echo "1..1"
	echo "ok 1 - systemd VM boots (no tests asked for)"
else
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tap.clean" | head -n 1)
	ran=$(grep -c -E '^(not )?ok ' "$tap.clean")
	[ "$plan" = "$ran" ] || fail "bats planned ${plan:-no} tests and reported $ran"
fi
echo "# systemd VM: $(grep -c '^ok ' "$tap.clean") passed ($(grep -Eic '^ok .*# skip' "$tap.clean") skipped), $(grep -c '^not ok ' "$tap.clean") failed;" \
	"kernel $kver; image ${image_s}s, VM ${vm_s}s (tests started ${boot_at:-?}s after boot)"
if [ "$bats_rc" -ne 0 ] && ! grep -q '^not ok ' "$tap.clean"; then
	fail "bats exited with status $bats_rc"
fi
[ "$bats_rc" -eq 0 ]
