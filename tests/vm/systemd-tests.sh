#!/bin/bash
# /husk/run.sh in the systemd test VM (tests/vm/systemd-run.sh writes it to the
# per-run disk; husk-tests.service of the image runs it once systemd is up).
# Installs the runtime under test as /usr/local/bin/husk (with the libraries of
# the host's build that the image lacks), runs the bats files of /husk/vm.env
# with --tap onto /dev/ttyS1 (nothing but TAP there; the console is ttyS0) and
# powers off.
set -u
tap=/dev/ttyS1
stty -F "$tap" raw -echo 2>/dev/null
say() { echo "# husk-vm: $*" >"$tap"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

say "systemd-tests started, kernel $(uname -r), $(uptime_s) s after boot"
say "pid 1: $(cat /proc/1/comm); $(systemctl --version | head -n 1)"
say "system state: $(systemctl is-system-running 2>&1)"
failed_units=$(systemctl list-units --failed --plain --no-legend 2>/dev/null | awk '{ print $1 }' | paste -sd' ')
[ -n "$failed_units" ] && say "failed units: $failed_units"
say "cgroup mounts: $(awk '$3 ~ /^cgroup/ { printf "%s:%s ", $3, $2 }' /proc/mounts)"
say "controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
say "subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"

install -m 755 /husk/husk /usr/local/bin/husk
libdir=/usr/lib/x86_64-linux-gnu
for l in /husk/lib/*; do
	[ -e "$l" ] || continue
	[ -e "$libdir/${l##*/}" ] || cp -L "$l" "$libdir/"
done
ldconfig

HUSK_VM_TESTS='' HUSK_VM_BATS_ARGS=''
# shellcheck source=/dev/null
. /husk/vm.env
export HUSK=/usr/local/bin/husk HOME=/root TMPDIR=/tmp TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
if ! "$HUSK" --version >/dev/null 2>&1; then
	say "husk does not run here: $("$HUSK" --version 2>&1 | head -n 3 | tr '\n' ' ')"
fi
cd /husk || exit 1
say "running at $(uptime_s) s: bats --tap $HUSK_VM_BATS_ARGS $HUSK_VM_TESTS"
rc=0
if [ -n "$HUSK_VM_TESTS" ]; then
	# shellcheck disable=SC2086 # word lists on purpose
	bats --tap $HUSK_VM_BATS_ARGS $HUSK_VM_TESTS </dev/null >"$tap" 2>&1
	rc=$?
fi
say "bats finished at $(uptime_s) s"
say "units left: $(systemctl list-units --all --plain --no-legend 'husk-*' 'cri-containerd-*' 'docker-*' 2>/dev/null | awk '$1 != "husk-tests.service" && $1 != "husk-tests.target" { print $1 }' | paste -sd' ')"
say "bats exit $rc"
sync
systemctl --no-block poweroff --force
