# What tests/vm/run.sh (the cgroup v2 VM) and tests/vm/systemd-run.sh (the
# systemd VM) share, sourced by both from the repository's root after they set
# vm_name ("cgroup v2 VM", ...): the TAP lines for a skip and a failure, the
# checks for qemu with TCG and a kernel with its modules, and the runtime and
# probe under test.  Sets repo, BUILD, HUSK (absolute), kernel, kver, probe.
# shellcheck shell=bash

: "${vm_name:?set vm_name before sourcing tests/vm/common.sh}"
repo=$PWD
BUILD=${BUILD:-build}
HUSK=${HUSK:-$repo/husk}

skip() {
	echo "1..1"
	echo "ok 1 - $vm_name # skip $*"
	exit 0
}
fail() {
	echo "not ok - $vm_name: $*"
	exit 1
}

command -v qemu-system-x86_64 >/dev/null ||
	skip "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
qemu-system-x86_64 -accel help 2>/dev/null | grep -qx tcg ||
	skip "this qemu-system-x86_64 has no TCG accelerator"
kernel=${HUSK_VM_KERNEL:-$(printf '%s\n' /boot/vmlinuz-* | sort -V | tail -n 1)}
[ -r "$kernel" ] || skip "no kernel image in /boot (apt-get install linux-image-amd64)"
kver=${kernel##*/vmlinuz-}
[ -d "/lib/modules/$kver" ] || skip "no /lib/modules/$kver for $kernel"

case $HUSK in /*) ;; */*) HUSK=$repo/$HUSK ;; *) HUSK=$(command -v "$HUSK") ;; esac
[ -x "$HUSK" ] || fail "runtime $HUSK is not built (make)"
probe=$BUILD/probe
[ -x "$probe" ] || probe=build/probe
[ -x "$probe" ] || fail "$BUILD/probe is not built (make $BUILD/probe)"
