#!/bin/bash
# build.sh OUTDIR: the Debian package of this tree, built by dpkg-buildpackage
# -us -uc -b from a copy of the tree (the files git tracks or would track), so
# that nothing built here leaks into it and the .deb, .changes and .buildinfo
# (written next to the source) land in OUTDIR, not in the tree's parent.
# Then lintian on the .changes: OUTDIR/lintian.txt.  Exits non-zero when the
# build fails or lintian reports an error.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
src=$out/husk-$version

rm -rf "$src" "$out"/husk_* "$out"/husk-dbgsym_*
mkdir -p "$src"
(cd "$top" && git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do
	[ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf -) | tar -C "$src" -xf -

# A build of its own: not the make (flags, jobserver, BUILD, DESTDIR) that may
# have called us.
(cd "$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD -u HUSK_BIN -u DESTDIR -u PREFIX \
	dpkg-buildpackage -us -uc -b -j2) >"$out/build.log" 2>&1 ||
	{ tail -n 40 "$out/build.log" >&2; echo "dpkg-buildpackage failed (log: $out/build.log)" >&2; exit 1; }
rm -rf "$src"
ls "$out"/husk_"$version"_*.deb >/dev/null

if command -v lintian >/dev/null; then
	lintian --info "$out"/husk_"$version"_*.changes >"$out/lintian.txt" 2>&1 || true
	if grep -q '^E: ' "$out/lintian.txt"; then
		grep '^E: ' "$out/lintian.txt" >&2
		exit 1
	fi
fi
