#!/bin/bash
# options.sh [HUSK]: does `husk --help` and every `husk CMD --help` list every
# option the command accepts?  TAP, one line per command; exit 1 when one does not.
#
# The options a command accepts are read from the source: the `struct option`
# tables of the file that defines husk_cmd_CMD (src/cmd/*.c), and for husk's
# global options those tables of src/main.c plus its parse_globals() (the
# `valued[]` names and the `strcmp (a, "NAME")` ones).  A table may be shared by
# commands that refuse some of its options (create refuses run's --detach): an
# option the command answers with "unknown option" is not one it accepts.
# --help itself is left out: it is how the list is read.  An option is listed
# when a line of the help starts (indented) with "--NAME" or "-x, --NAME".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
husk=${1:-${HUSK:-$top/husk}}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# table_options FILE...: "NAME HAS_ARG" for each entry of their struct option tables.
table_options() {
	awk '/struct option [A-Za-z_0-9]+\[\] *=/ { on = 1; text = "" }
	on { text = text " " $0 }
	on && /};/ {
		on = 0
		while (match(text, /\{ *"[A-Za-z0-9-]+" *, *[a-z_]+/)) {
			e = substr(text, RSTART, RLENGTH)
			text = substr(text, RSTART + RLENGTH)
			gsub(/[{" ]/, "", e)
			split(e, f, ",")
			print f[1], f[2]
		}
	}' "$@"
}

# global_options: the names parse_globals() of src/main.c compares with.
global_options() {
	table_options "$top/src/main.c"
	awk '/^parse_globals/ { on = 1 } on && /^}/ { on = 0 }
	on && /valued\[\]/ { v = 1 }
	on && v {
		s = $0
		while (match(s, /"[a-z][a-z0-9-]+"/)) {
			print substr(s, RSTART + 1, RLENGTH - 2), "required_argument"
			s = substr(s, RSTART + RLENGTH)
		}
		if (/;/) v = 0
		next
	}
	on {
		s = $0
		while (match(s, /strcmp \(a, "[a-z][a-z0-9-]+"\)/)) {
			n = substr(s, RSTART, RLENGTH)
			sub(/^strcmp \(a, "/, "", n)
			sub(/"\)$/, "", n)
			print n, "no_argument"
			s = substr(s, RSTART + RLENGTH)
		}
	}' "$top/src/main.c"
}

# accepted CMD NAME HAS_ARG: does `husk CMD --NAME` get past option parsing?
# (No container id is given: no command gets further than asking for one; it
# runs in a scratch directory with a scratch state root all the same.)
accepted() {
	local opt=--$2 out
	[ "$3" = no_argument ] || opt=--$2=x
	if [ -z "$1" ]; then
		out=$(cd "$tmp/cwd" && timeout 10 "$husk" --root "$tmp/root" "$opt" --help 2>&1 </dev/null)
		[[ $out != *"unknown global option"* ]]
	else
		out=$(cd "$tmp/cwd" && timeout 10 "$husk" --root "$tmp/root" "$1" "$opt" 2>&1 </dev/null)
		[[ $out != *"unknown option"* ]]
	fi
}

# check CMD HELPFILE OPTIONS...: one TAP line.
n=0 failed=0
check() {
	local cmd=$1 help=$2 name arg missing=() refused=()
	shift 2
	while [ $# -gt 0 ]; do
		name=$1 arg=$2
		shift 2
		[ "$name" = help ] && continue
		if ! accepted "$cmd" "$name" "$arg"; then
			refused+=("--$name")
			continue
		fi
		grep -Eq -- "^ {1,8}(-[A-Za-z], )?--$name( |=|,|\[|$)" "$help" || missing+=("--$name")
	done
	n=$((n + 1))
	if [ ${#missing[@]} -eq 0 ]; then
		local note=''
		[ ${#refused[@]} -eq 0 ] || note=" (it refuses ${refused[*]} of its table)"
		echo "ok $n - husk ${cmd:+$cmd }--help lists every option it accepts$note"
	else
		echo "not ok $n - husk ${cmd:+$cmd }--help does not list ${missing[*]}"
		failed=$((failed + 1))
	fi
}

mkdir -p "$tmp/cwd" "$tmp/root"
chmod 700 "$tmp/root"
"$husk" --root "$tmp/root" --help >"$tmp/help" 2>&1 || { echo "not ok 1 - $husk --help failed"; exit 1; }
mapfile -t commands < <(awk 'tolower($0) ~ /^commands:$/ { on = 1; next } on && /^[ \t]*$/ { exit } on && $1 != "help" { print $1 }' "$tmp/help")
[ ${#commands[@]} -gt 0 ] || { echo "not ok 1 - no command list in husk --help"; exit 1; }

# shellcheck disable=SC2046 # the pairs are words
check "" "$tmp/help" $(global_options)
for cmd in "${commands[@]}"; do
	file=$(grep -l "^husk_cmd_$cmd (" "$top"/src/cmd/*.c)
	if [ -z "$file" ]; then
		n=$((n + 1)) failed=$((failed + 1))
		echo "not ok $n - no husk_cmd_$cmd in src/cmd/*.c"
		continue
	fi
	"$husk" --root "$tmp/root" "$cmd" --help >"$tmp/help.$cmd" 2>&1 </dev/null
	# shellcheck disable=SC2046
	check "$cmd" "$tmp/help.$cmd" $(table_options "$file")
done
echo "1..$n"
[ "$failed" -eq 0 ]
