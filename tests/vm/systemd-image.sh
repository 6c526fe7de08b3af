#!/bin/bash
# Build the systemd test VM's cached image (see tests/vm/systemd-run.sh).
#
#   tests/vm/systemd-image.sh DIR KVER
#
# Writes, when missing or when their key changed:
#   DIR/root.img       a Debian bookworm root (debootstrap --variant=minbase with
#                      systemd as /sbin/init, dbus (and the users' session bus,
#                      dbus-user-session), containerd, docker.io, ...)
#                      as a raw ext4 image (mkfs.ext4 -d, no loop mount).  The
#                      VM boots it read-write under qemu -snapshot: the cache is
#                      never changed by a run.  It holds the modules of kernel
#                      KVER (the host's, as the VM boots the host's kernel) and
#                      husk-tests.target / husk-tests.service, which mount the
#                      per-run disk (LABEL=husk) on /husk and run its run.sh.
#   DIR/initrd.img     busybox and the modules that mount root.img (virtio_blk,
#                      ext4); its /init switch_roots into /sbin/init (systemd).
#   DIR/image.key      sha256 of this script (its package list and the files it
#                      writes into the image) and KVER: the cache key.
#
# The mirror is the one the host's apt uses (/etc/apt/sources.list.d/debian.sources
# or sources.list); HUSK_VM_MIRROR overrides it.  Needs root and debootstrap.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 DIR KVER" >&2; exit 2; }
out=$1 kver=$2
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The image's packages.  Changing this list (or anything in this script)
# changes the key: the next run rebuilds the image.
PACKAGES=(systemd systemd-sysv dbus dbus-user-session libpam-systemd kmod udev
	containerd runc docker.io iptables
	busybox-static jq bats iproute2 procps util-linux e2fsprogs
	libyajl2 libseccomp2 libcap2 ca-certificates)

# Modules of the host's kernel the image leaves out (hardware a VM never has);
# everything else is copied, so udev, dockerd and iptables load what they need.
MODULE_EXCLUDES=(kernel/drivers/gpu kernel/drivers/media kernel/drivers/net/wireless
	kernel/drivers/infiniband kernel/drivers/staging kernel/sound kernel/drivers/bluetooth
	kernel/net/bluetooth kernel/drivers/iio kernel/drivers/input/touchscreen
	kernel/drivers/net/ethernet kernel/drivers/scsi kernel/drivers/usb kernel/drivers/hid
	kernel/net/wireless kernel/net/mac80211 kernel/drivers/isdn kernel/drivers/comedi)

key="$(sha256sum "$0" | cut -d' ' -f1) $kver"
if [ -f "$out/root.img" ] && [ -f "$out/initrd.img" ] && [ "$(cat "$out/image.key" 2>/dev/null)" = "$key" ]; then
	exit 0
fi
rm -f "$out/image.key"

mirror=${HUSK_VM_MIRROR:-}
if [ -z "$mirror" ]; then
	for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
		[ -r "$f" ] || continue
		mirror=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }
			/^deb / && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f")
		[ -n "$mirror" ] && break
	done
fi
mirror=${mirror:-http://deb.debian.org/debian}
command -v debootstrap >/dev/null || { echo "debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
command -v mkfs.ext4 >/dev/null || { echo "mkfs.ext4 is not installed (apt-get install e2fsprogs)" >&2; exit 1; }

root=$out/root
t0=$(date +%s)
rm -rf "$root" "$out/root.img" "$out/initrd.img"
mkdir -p "$root"
# The packages' maintainer scripts must start no daemon in the chroot.
include=$(IFS=,; echo "${PACKAGES[*]}")
echo "debootstrap bookworm from $mirror"
debootstrap --variant=minbase --include="$include" bookworm "$root" "$mirror" >"$out/debootstrap.log" 2>&1 ||
	{ tail -n 30 "$out/debootstrap.log" >&2; echo "debootstrap failed (log: $out/debootstrap.log)" >&2; exit 1; }
t1=$(date +%s)
echo "debootstrap: $((t1 - t0)) s"

# Kernel modules: the host's, for the host's kernel the VM boots.
excl=()
for e in "${MODULE_EXCLUDES[@]}"; do excl+=(--exclude="./$e"); done
mkdir -p "$root/usr/lib/modules/$kver"
tar -C "/lib/modules/$kver" "${excl[@]}" -cf - . | tar -C "$root/usr/lib/modules/$kver" -xf -
depmod -b "$root" "$kver"

cat >"$root/etc/fstab" <<-'EOF'
	/dev/vda / ext4 rw,noatime 0 1
EOF
echo husk-vm >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 husk-vm\n' >"$root/etc/hosts"
# An empty machine-id: systemd makes a fresh one at each boot (nothing to commit,
# the root is a snapshot).
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
# No password for root: a login on the console (ttyS0) for debugging by hand.
sed -i 's/^root:[^:]*:/root::/' "$root/etc/shadow"

# The daemons the tests start themselves, with their own configs, start not
# at boot; nor do timers and units that only cost time under TCG.
for u in docker.service docker.socket containerd.service apt-daily.timer apt-daily-upgrade.timer \
	e2scrub_all.timer e2scrub_reap.service fstrim.timer systemd-timesyncd.service \
	man-db.timer dpkg-db-backup.timer; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done

cat >"$root/etc/systemd/system/husk-tests.target" <<-'EOF'
	# The VM's boot target (systemd.unit=husk-tests.target on the kernel's
	# command line): multi-user, then the tests of the per-run disk.
	[Unit]
	Description=husk tests
	Requires=multi-user.target husk-tests.service
	After=multi-user.target husk-tests.service
	AllowIsolate=yes
EOF
cat >"$root/etc/systemd/system/husk-tests.service" <<-'EOF'
	# Runs /husk/run.sh from the per-run disk (LABEL=husk, written by
	# tests/vm/systemd-run.sh): its TAP goes to /dev/ttyS1, then it powers off.
	[Unit]
	Description=husk tests (the per-run disk's run.sh)
	After=multi-user.target dbus.service systemd-logind.service
	Wants=dbus.service

	[Service]
	Type=oneshot
	ExecStartPre=/bin/mkdir -p /husk
	ExecStartPre=/bin/mount -o rw LABEL=husk /husk
	ExecStart=/bin/bash /husk/run.sh
	ExecStopPost=-/bin/systemctl --no-block poweroff --force
	StandardOutput=journal+console
	StandardError=journal+console
	TimeoutStartSec=infinity
	# The tests run as on a root shell: no limits of the unit's own.
	Delegate=no
	TasksMax=infinity
EOF
echo "image files: $(($(date +%s) - t1)) s"

# The initrd: busybox, the modules that mount /dev/vda, /init.
ird=$out/initrd-root
rm -rf "$ird"
mkdir -p "$ird"/{bin,dev,proc,sys,newroot,lib/modules}
cp /bin/busybox "$ird/bin/busybox"
ln -s busybox "$ird/bin/sh"
modprobe -S "$kver" --show-depends -a virtio_pci virtio_blk ext4 | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
	while read -r ko; do
		name=$(basename "$ko")
		case $ko in
		*.ko.xz) name=${name%.xz}; xz -dc "$ko" >"$ird/lib/modules/$name" ;;
		*.ko.zst) name=${name%.zst}; zstd -qdc "$ko" >"$ird/lib/modules/$name" ;;
		*) cp "$ko" "$ird/lib/modules/$name" ;;
		esac
		echo "$name" >>"$ird/lib/modules/load.list"
	done
cat >"$ird/init" <<-'EOF'
	#!/bin/sh
	# Load the modules of the root disk, mount it, hand over to systemd.
	/bin/busybox mount -t proc proc /proc
	/bin/busybox mount -t devtmpfs devtmpfs /dev
	while read -r ko; do /bin/busybox insmod "/lib/modules/$ko"; done </lib/modules/load.list
	i=0
	while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do /bin/busybox sleep 0.1; i=$((i + 1)); done
	/bin/busybox mount -t ext4 -o rw /dev/vda /newroot || { echo "husk-vm initrd: cannot mount /dev/vda"; exit 1; }
	/bin/busybox umount /dev /proc
	exec /bin/busybox switch_root /newroot /sbin/init
EOF
chmod 755 "$ird/init"
(cd "$ird" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 | gzip -6) >"$out/initrd.img"
rm -rf "$ird"

# The root as an ext4 image: what is in it plus 2 GiB for the containers'
# images and layers (sparse: only what is written takes room).
size_mb=$(($(du -sm "$root" | cut -f1) + 2048))
mkfs.ext4 -q -F -L husk-root -E root_owner=0:0 -d "$root" "$out/root.img.tmp" "${size_mb}M" >/dev/null
mv "$out/root.img.tmp" "$out/root.img"
rm -rf "$root"
echo "$key" >"$out/image.key"
echo "image: $(du -sh --apparent-size "$out/root.img" | cut -f1) ($(du -sh "$out/root.img" | cut -f1) used), $(($(date +%s) - t0)) s in all"
