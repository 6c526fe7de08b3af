#!/bin/bash
# chroot.sh DIR: a minimal Debian bookworm root in DIR/root (debootstrap
# --variant=minbase, with the libraries husk's package depends on, so that
# `dpkg -i husk_*.deb` needs no network), built once and kept: install.bats
# lays a throwaway overlay on it.  Rebuilt when this script changes.  The
# mirror is the host's apt mirror (HUSK_VM_MIRROR overrides it, as for the VMs).
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
INCLUDE=libyajl2,libseccomp2

key=$(sha256sum "$0" | cut -d' ' -f1)
[ -d "$out/root/usr" ] && [ "$(cat "$out/key" 2>/dev/null)" = "$key" ] && exit 0
command -v debootstrap >/dev/null || { echo "debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }

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

rm -rf "$out/root" "$out/key"
debootstrap --variant=minbase --include="$INCLUDE" bookworm "$out/root" "$mirror" >"$out/debootstrap.log" 2>&1 ||
	{ tail -n 20 "$out/debootstrap.log" >&2; echo "debootstrap failed (log: $out/debootstrap.log)" >&2; exit 1; }
# No downloaded .debs in the cache.
rm -rf "$out/root/var/cache/apt/archives/"*.deb
echo "$key" >"$out/key"
