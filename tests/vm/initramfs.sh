#!/bin/bash
# Build the cgroup v2 test VM's initramfs (see tests/vm/run.sh).
#
#   tests/vm/initramfs.sh DIR KVER HUSK PROBE BATS_FILE...
#
# Writes DIR/initramfs.img: two gzip'd cpio (newc) archives, one after the other
# (the kernel unpacks each in turn):
#   DIR/base.cpio.gz  bash, jq, bats, the host's coreutils, grep, sed, awk,
#                     findutils, procps and util-linux, static busybox for every
#                     other command, the shared libraries they need, the
#                     modules of kernel KVER that init loads, tests/vm/init as
#                     /init.  Cached: rebuilt only when its key (package
#                     versions, kernel, this script and init) changes.
#   DIR/husk.cpio.gz  /husk: the runtime HUSK (with its libraries), build/probe
#                     from PROBE, bats/helpers.bash, the BATS_FILEs (paths
#                     relative to the repository) and tests/integration/helpers,
#                     and vm.env naming the files to run.  Rebuilt every time.
set -euo pipefail

usage() { echo "usage: $0 DIR KVER HUSK PROBE BATS_FILE..." >&2; exit 2; }
[ $# -ge 5 ] || usage
out=$1 kver=$2 husk=$3 probe=$4
shift 4
repo=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

# copy_bin ROOT FILE [DEST]: FILE into ROOT at DEST (default: the same path),
# plus every shared library ldd names for it and the dynamic loader, at the
# paths ldd resolves (the loader's default search), written under /usr: the
# VM's / is merged-usr like the host's (/lib is a link to usr/lib).  Libraries
# listed in $IN_BASE (the base archive's files) are left out.
IN_BASE=/dev/null
copy_bin() {
	local root=$1 file=$2 dest=${3:-$2} lib to
	mkdir -p "$root$(dirname "$dest")"
	cp -L "$file" "$root$dest"
	# A static binary or a script: ldd says "not a dynamic executable", fails.
	{ ldd "$file" 2>/dev/null || true; } | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
		while read -r lib; do
			to=$lib
			case $lib in /lib/* | /lib64/*) to=/usr$lib ;; esac
			[ -e "$root$to" ] && continue
			grep -qxF "${to#/}" "$IN_BASE" && continue
			mkdir -p "$root$(dirname "$to")"
			cp -L "$lib" "$root$to"
		done
}

# mkcpio ROOT ARCHIVE: ROOT's tree as a gzip'd newc cpio owned by root.
mkcpio() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 | gzip -6) >"$2.tmp"
	mv "$2.tmp" "$2"
}

base_key() {
	dpkg-query -W -f='${Package} ${Version}\n' bash jq bats busybox-static criu iptables python3.11-minimal "${HOST_PKGS[@]}" 2>/dev/null
	echo "kernel $kver"
	sha256sum "$repo/tests/vm/init" "$repo/tests/vm/initramfs.sh" | awk '{ print $1 }'
}

# The host's own tools for the tests (they are written against GNU coreutils,
# procps and util-linux: `stat -f %T`, pgrep, lsblk); busybox fills the gaps
# (mount, insmod, switch_root, poweroff, ...).  GNU tar: CRIU dumps a tmpfs with it.
HOST_PKGS=(coreutils diffutils findutils grep mawk procps sed util-linux tar)

# The modules tests/vm/init loads: the scratch disk's virtio_blk (a real block
# device for io.max), loop, and bfq (io.bfq.weight, the weight fallback).
# The socket diag modules: CRIU (checkpoint.bats) finds sockets through them;
# the iptables filter tables: its network lock.
# Their dependencies come first in load.list.
VM_MODULES=(virtio_pci virtio_blk loop bfq unix_diag inet_diag tcp_diag udp_diag netlink_diag af_packet_diag tun veth nf_tables nf_conntrack_netlink xt_mark ip_tables iptable_filter ip6_tables ip6table_filter)

copy_modules() {
	local root=$1 ko name
	modprobe -S "$kver" --show-depends -a "${VM_MODULES[@]}" | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
		while read -r ko; do
			name=$(basename "$ko")
			case $ko in
			*.ko.xz) name=${name%.xz}; xz -dc "$ko" >"$root/lib/modules/$name" ;;
			*.ko.zst) name=${name%.zst}; zstd -qdc "$ko" >"$root/lib/modules/$name" ;;
			*) cp "$ko" "$root/lib/modules/$name" ;;
			esac
			echo "$name" >>"$root/lib/modules/load.list"
		done
}

# criu (checkpoint.bats), when the host has it, and the least of python3 that
# tests/integration/helpers/recvtty.py needs (the console socket's receiver):
# the interpreter and the modules it imports, as the host's python finds them.
copy_criu_python() {
	local root=$1 py=/usr/bin/python3 f
	if [ -x /usr/sbin/criu ]; then
		copy_bin "$root" /usr/sbin/criu
		# criu check runs `iptables -w -L` (its network lock); the legacy
		# tables need no nftables in the kernel.
		if [ -x /usr/sbin/xtables-legacy-multi ]; then
			for f in iptables iptables-restore iptables-save ip6tables ip6tables-restore ip6tables-save; do
				copy_bin "$root" /usr/sbin/xtables-legacy-multi "/usr/sbin/$f"
			done
			# Its extensions (the standard target, the mark match of the lock).
			cp -a /usr/lib/x86_64-linux-gnu/xtables "$root/usr/lib/x86_64-linux-gnu/"
		fi
	fi
	[ -x "$py" ] || return 0
	copy_bin "$root" "$(readlink -f "$py")" /usr/bin/python3
	"$py" -c 'import array, os, socket, sys, site
print("\n".join(sorted({m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)})))' |
		while read -r f; do
			[ -e "$root$f" ] || copy_bin "$root" "$f"
		done
}

build_base() {
	local root=$out/base d f applet
	rm -rf "$root"
	# Merged /usr, as on the host: dpkg's /bin/x and /usr/bin/x are one file.
	mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,usr/libexec,dev,proc,sys,tmp,run,root,etc}
	for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done
	mkdir -p "$root/lib/modules"
	chmod 1777 "$root/tmp"
	mknod -m 600 "$root/dev/console" c 5 1
	mknod -m 666 "$root/dev/null" c 1 3
	cp /bin/busybox "$root/bin/busybox"
	copy_bin "$root" /bin/bash
	copy_bin "$root" /usr/bin/jq
	copy_bin "$root" "$(readlink -f /usr/bin/awk)" /usr/bin/awk
	dpkg-query -L "${HOST_PKGS[@]}" | grep -E '^(/usr)?/s?bin/[^/]+$' | while read -r f; do
		if [ -f "$f" ] && [ ! -e "$root$f" ]; then copy_bin "$root" "$f"; fi
	done
	cp /usr/bin/bats "$root/usr/bin/bats"
	cp -a /usr/lib/bats-core "$root/usr/lib/"
	cp -a /usr/libexec/bats-core "$root/usr/libexec/"
	"$root/bin/busybox" --list-full | while read -r applet; do
		[ -e "$root/$applet" ] || [ -L "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
	done
	copy_modules "$root"
	copy_criu_python "$root"
	cp "$repo/tests/vm/init" "$root/init"
	chmod 755 "$root/init"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\n' >"$root/etc/group"
	mkcpio "$root" "$out/base.cpio.gz"
	(cd "$root" && find . -mindepth 1 | sed 's|^\./||') >"$out/base.files"
	rm -rf "$root"
}

build_husk() {
	local root=$out/husk-root f
	rm -rf "$root"
	mkdir -p "$root/husk/build" "$root/husk/bats" "$root/husk/tests/integration"
	# The libraries a dynamically linked husk (LIBC=glibc) needs and the base
	# lacks join its /usr/lib when the kernel unpacks this archive over it; the
	# static default needs none.  (husk loads no library with dlopen.)
	IN_BASE=$out/base.files copy_bin "$root" "$husk" /husk/husk
	cp "$probe" "$root/husk/build/probe"
	cp "$repo/bats/helpers.bash" "$root/husk/bats/"
	[ -d "$repo/tests/integration/helpers" ] &&
		cp -a "$repo/tests/integration/helpers" "$root/husk/tests/integration/"
	for f in "$@"; do
		mkdir -p "$root/husk/$(dirname "$f")"
		cp "$repo/$f" "$root/husk/$f"
	done
	# No tests/probe/probe.c: helpers.bash then takes build/probe as it is
	# (the VM has no gcc to rebuild it).
	{
		printf 'HUSK_VM_TESTS=%q\n' "$*"
		printf 'HUSK_VM_BATS_ARGS=%q\n' "${HUSK_VM_BATS_ARGS:-}"
	} >"$root/husk/vm.env"
	mkcpio "$root" "$out/husk.cpio.gz"
	rm -rf "$root"
}

key=$(base_key)
if [ ! -f "$out/base.cpio.gz" ] || [ ! -f "$out/base.files" ] || [ "$(cat "$out/base.key" 2>/dev/null)" != "$key" ]; then
	build_base
	echo "$key" >"$out/base.key"
fi
build_husk "$@"
cat "$out/base.cpio.gz" "$out/husk.cpio.gz" >"$out/initramfs.img"
