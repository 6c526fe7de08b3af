#!/bin/bash
# Run the cgroup bats tests on a pure cgroup v2 host: boot Debian's
# linux-image-amd64 under qemu (TCG: this host has no KVM) with cgroup_no_v1=all
# and an initramfs holding busybox, bash, bats, jq, the runtime under test and
# the tests (tests/vm/initramfs.sh builds it, tests/vm/init runs them), and print
# their TAP.  tests/run-all.sh counts it; `make check-cgroup2` runs it alone.
#
#   HUSK             the runtime to test (default ./husk)
#   BUILD            build directory: $BUILD/probe, cache in $BUILD/vm (build)
#   HUSK_VM_TESTS    bats files, relative to the repository (default: every
#                    tests/integration/cgroups*.bats, security-cgroup.bats, lifecycle.bats
#                    and checkpoint.bats: CRIU works on this kernel, not on the host's)
#   HUSK_VM_BATS_ARGS  extra bats arguments, e.g. "--filter memory"
#   HUSK_VM_TIMEOUT  seconds for the whole boot and run (default 900)
#   HUSK_VM_KERNEL   kernel image (default: the newest /boot/vmlinuz-*)
#
# Prints "ok ... # skip REASON" when qemu (with TCG) or the kernel is not
# installed; a "not ok" line for anything else that keeps the tests from running
# to their end (qemu's error and the console's tail above it).  Exit status
# non-zero when a test failed.
set -u
cd "$(dirname "$0")/../.." || exit 1
vm_name="cgroup v2 VM"
# shellcheck source=tests/vm/common.sh
. tests/vm/common.sh
timeout_s=${HUSK_VM_TIMEOUT:-900}
vmdir=$BUILD/vm

if [ -n "${HUSK_VM_TESTS:-}" ]; then
	read -r -a tests <<<"$HUSK_VM_TESTS"
else
	shopt -s nullglob
	tests=(tests/integration/cgroups*.bats tests/integration/security-cgroup.bats tests/integration/lifecycle.bats
		tests/integration/checkpoint.bats)
	shopt -u nullglob
fi
for t in "${tests[@]}"; do
	[ -f "$t" ] || fail "no test file $t"
done

start=$(date +%s)
mkdir -p "$vmdir"
if ! tests/vm/initramfs.sh "$vmdir" "$kver" "$HUSK" "$probe" "${tests[@]}" >"$vmdir/initramfs.log" 2>&1; then
	sed 's/^/# /' "$vmdir/initramfs.log"
	fail "building the initramfs failed"
fi

console=$vmdir/console.log tap=$vmdir/tap.log
rm -f "$console" "$tap" "$tap.clean"
# ttyS0: the kernel's console; ttyS1: the TAP stream, nothing else on it.
# The scratch disk (/dev/vda, 64 MB of zeroes, no file) is a block device for
# the io tests.
# hugepages: a few 2 MB pages for hugetlb tests.  panic=-1 with -no-reboot: a
# panic ends qemu instead of hanging until the timeout.  --foreground keeps
# qemu in our process group, so a timeout around this script reaches it too.
append="console=ttyS0 quiet panic=-1 cgroup_no_v1=all hugepagesz=2M hugepages=16"
timeout --foreground --kill-after=5 "$timeout_s" qemu-system-x86_64 -accel tcg -smp 2 -m 2048 \
	-nodefaults -no-user-config -display none -no-reboot \
	-kernel "$kernel" -initrd "$vmdir/initramfs.img" -append "$append" \
	-blockdev driver=null-co,node-name=scratch,size=67108864,read-zeroes=on \
	-device virtio-blk-pci,drive=scratch \
	-serial "file:$console" -serial "file:$tap" </dev/null >"$vmdir/qemu.log" 2>&1
rc=$?
elapsed=$(($(date +%s) - start))

# A TAP line as bats wrote it, less the serial line's carriage returns.
: >"$tap.clean"
[ -f "$tap" ] && tr -d '\r' <"$tap" >"$tap.clean"
cat "$tap.clean"

show_console() {
	echo "# --- qemu: $(tr '\n' ' ' <"$vmdir/qemu.log")"
	echo "# --- last lines of the VM console ($console):"
	tr -d '\r' <"$console" 2>/dev/null | tail -n 25 | sed 's/^/#   /'
}

if ! grep -q '^# husk-vm: init started' "$tap.clean"; then
	show_console
	fail "tests/vm/init never ran (qemu exit $rc)"
fi
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	show_console
	fail "timed out after ${timeout_s}s"
fi
bats_rc=$(sed -n 's/^# husk-vm: bats exit \([0-9]*\)$/\1/p' "$tap.clean")
[ -n "$bats_rc" ] || { show_console; fail "bats never finished (qemu exit $rc)"; }
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tap.clean" | head -n 1)
ran=$(grep -c -E '^(not )?ok ' "$tap.clean")
[ "$plan" = "$ran" ] || fail "bats planned ${plan:-no} tests and reported $ran"
controllers=$(sed -n 's/^# husk-vm: controllers: //p' "$tap.clean")
for c in cpu cpuset io memory pids hugetlb; do
	[[ " $controllers " == *" $c "* ]] || fail "controller $c missing in the VM's cgroup v2 root"
done
if grep -q '^# husk-vm: cgroup mounts: .*cgroup:' "$tap.clean"; then
	fail "a cgroup v1 hierarchy is mounted in the VM"
fi
echo "# cgroup v2 VM: $(grep -c '^ok ' "$tap.clean") passed ($(grep -Eic '^ok .*# skip' "$tap.clean") skipped), $(grep -c '^not ok ' "$tap.clean") failed; kernel $kver, $elapsed s"
if [ "$bats_rc" -ne 0 ] && ! grep -q '^not ok ' "$tap.clean"; then
	fail "bats exited with status $bats_rc"
fi
[ "$bats_rc" -eq 0 ]
