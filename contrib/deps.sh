#!/bin/bash
# Install the Debian packages husk's build and tests need, when missing.
# Elsewhere (no apt-get, or not root) name exactly what is missing and fail.
#
# The container engines of the client suites (docker.bats, containerd.bats,
# podman.bats) are installed too, but only as a best effort: when they cannot
# be installed, `make check` goes on and those suites skip with a loud message
# naming the daemon that could not start.
set -u
pkgs=(gcc make pkg-config musl-tools libseccomp-dev dbus-daemon bats jq
	python3-jsonschema busybox-static iproute2 util-linux procps strace
	cpio linux-image-amd64 qemu-system-x86 debootstrap e2fsprogs uidmap
	crun gnuplot-nox binutils
	man-db groff-base zsh dpkg-dev debhelper lintian)
client_pkgs=(docker.io containerd podman conmon iptables tini curl slirp4netns)

# missing LIST...: the packages of LIST that are not installed.
missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
	done
}

mapfile -t need < <(missing "${pkgs[@]}")
mapfile -t need_clients < <(missing "${client_pkgs[@]}")
[ ${#need[@]} -eq 0 ] && [ ${#need_clients[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null || [ "$(id -u)" != 0 ]; then
	[ ${#need_clients[@]} -gt 0 ] &&
		echo "deps: the client suites will skip: missing ${need_clients[*]}" >&2
	[ ${#need[@]} -eq 0 ] && exit 0
	echo "deps: missing Debian packages: ${need[*]} (install them: apt-get install ${need[*]})" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || true
if [ ${#need[@]} -gt 0 ]; then
	echo "deps: installing ${need[*]}"
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || {
		echo "deps: apt-get install ${need[*]} failed" >&2
		exit 1
	}
fi
if [ ${#need_clients[@]} -gt 0 ]; then
	echo "deps: installing ${need_clients[*]} (for the client suites)"
	# The packages' maintainer scripts must not start the system's daemons
	# (the suites start private ones): policy-rc.d says so to invoke-rc.d.
	policy=/usr/sbin/policy-rc.d own_policy=no
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=yes
	fi
	apt-get install -y -qq --no-install-recommends "${need_clients[@]}" >/dev/null ||
		echo "deps: WARNING: apt-get install ${need_clients[*]} failed: the docker, containerd and podman suites will skip" >&2
	[ "$own_policy" = yes ] && rm -f "$policy"
fi
exit 0
