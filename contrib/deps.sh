#!/bin/bash
# Install the Debian packages husk's build and tests need, when missing.
# Elsewhere (no apt-get, or not root) name exactly what is missing and fail.
set -u
pkgs=(gcc make pkg-config libyajl-dev libseccomp-dev libcap-dev bats jq
	python3-jsonschema busybox-static iproute2 util-linux procps)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || true
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || {
		echo "deps: apt-get install ${missing[*]} failed" >&2
		exit 1
	}
	exit 0
fi
echo "deps: missing Debian packages: ${missing[*]} (install them: apt-get install ${missing[*]})" >&2
exit 1
