#!/bin/bash
# mkman.sh HUSK OUTDIR: the man pages husk(8) and husk-CMD(8), one per command,
# written as roff from `HUSK --help` and `HUSK CMD --help`.
#
# The usage text next to each command's option table (src/cmd/*.c, src/main.c)
# is the one source: the pages cannot say something --help does not.  A help
# text is read as
#
#   usage: husk CMD SYNOPSIS            or    NAME:
#          husk CMD SYNOPSIS                     husk CMD - SUMMARY
#                                              USAGE:
#   DESCRIPTION paragraphs                        husk CMD SYNOPSIS
#   [Section header:]
#     -x, --opt ARG   description               (runc's layout)
#                     continued (indented deeper)
#
# and the command list of `husk --help` gives each command's summary (NAME)
# and the list of pages.  The date is SOURCE_DATE_EPOCH's (reproducible
# builds), else the last commit's.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 HUSK OUTDIR" >&2; exit 2; }
husk=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"

# --help never touches a state root, but the commands that use one prepare it
# before they parse their options (rootless: mkdir): give them a scratch one.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
help() { "$husk" --root "$tmp/state" "$@" --help; }

epoch=${SOURCE_DATE_EPOCH:-$(git -C "$here" log -1 --format=%ct 2>/dev/null || date +%s)}
date=$(date -u -d "@$epoch" +%Y-%m-%d)
version=$("$husk" --version | awk 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "version") { print $(i + 1); exit } }')

help >"$tmp/husk.txt"
# The commands: "  name  summary" lines under the commands header.
awk 'tolower($0) ~ /^commands:$/ { on = 1; next }
	on && /^[ \t]*$/ { exit }
	on && $1 != "help" { name = $1; $1 = ""; sub(/^ +/, ""); print name "\t" $0 }' \
	"$tmp/husk.txt" >"$tmp/commands"
[ -s "$tmp/commands" ] || { echo "mkman: no command list in \`$husk --help\`" >&2; exit 1; }

page() { # page NAME SUMMARY HELPFILE
	awk -v cmd="$1" -v summary="$2" -v date="$date" -v version="$version" \
		-v commands="$tmp/commands" -f "$here/usage2roff.awk" "$3" >"$out/$1.8.tmp"
	mv "$out/$1.8.tmp" "$out/$1.8"
}

page husk "" "$tmp/husk.txt"
while IFS=$'\t' read -r name summary; do
	help "$name" >"$tmp/$name.txt"
	page "husk-$name" "$summary" "$tmp/$name.txt"
done <"$tmp/commands"
