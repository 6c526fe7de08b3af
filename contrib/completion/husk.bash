# bash completion for husk: its commands, each command's options (and the
# values of those that list them, like --format table|json), and container ids.
#
# Nothing here is a second list that could drift: the commands and options are
# read from the husk being completed, `husk --help` and `husk CMD --help` (the
# usage text kept beside each command's option table), and the ids from
# `husk list -q` under the --root (and --rootless) given earlier on the line.

# _husk_parse: the entries of a help text on stdin, one a line:
#   "cmd<TAB>NAME<TAB>summary"      a command (the list of `husk --help`)
#   "opt<TAB>--NAME<TAB>ARG"        a long option (ARG empty when it takes none)
#   "id"                            the command takes a container id
_husk_parse() {
	awk '
	/^[ \t]*$/ { incmd = 0 }
	tolower($0) ~ /^commands:$/ { incmd = 1; next }
	/<container-id>/ && !id { id = 1; print "id" }
	incmd && /^ +[a-z]/ {
		name = $1; $1 = ""; sub(/^ +/, "")
		print "cmd\t" name "\t" $0
		next
	}
	# (1 to 8 blanks: no interval expression, which mawk lacks)
	/^ +-/ && match($0, /^ +/) && RLENGTH <= 8 {
		tag = $0
		sub(/^ +/, "", tag)
		if (match(tag, /  /))
			tag = substr(tag, 1, RSTART - 1)
		n = split(tag, part, ", ")
		for (i = 1; i <= n; i++) {
			name = part[i]; arg = ""
			if ((j = index(name, " "))) { arg = substr(name, j + 1); name = substr(name, 1, j - 1) }
			if (i < n && arg == "") {   # "-f, --format F": the short one takes it too
				split(part[n], last, " ")
				arg = substr(part[n], length(last[1]) + 2)
			}
			if (name ~ /^--[a-z]/)
				print "opt\t" name "\t" arg
		}
	}'
}

_husk() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local husk=${COMP_WORDS[0]} cmd='' cmd_at=0 i w help entries
	local -a globals=()
	COMPREPLY=()
	husk=${husk/#\~/$HOME}

	# The globals before the command: --root/--rootless are passed on to
	# husk list -q; a valued global takes the next word.
	local ghelp
	ghelp=$("$husk" --help 2>/dev/null | _husk_parse)
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-*=*)
			[[ $w == -root=* || $w == --root=* || $w == -rootless=* || $w == --rootless=* ]] &&
				globals+=("$w")
			;;
		-*)
			if grep -q "^opt	--${w#"${w%%[!-]*}"}	." <<<"$ghelp"; then
				[[ $w == -root || $w == --root || $w == -rootless || $w == --rootless ]] &&
					globals+=("$w" "${COMP_WORDS[i + 1]}")
				((i++))
			fi
			;;
		*)
			cmd=$w cmd_at=$i
			break
			;;
		esac
	done

	if [ -z "$cmd" ]; then
		help=$ghelp
	else
		help=$("$husk" "${globals[@]}" "$cmd" --help 2>/dev/null | _husk_parse)
	fi

	# The value of an option: its listed values, or a file or a directory.
	if [[ $prev == -* && $cur != -* ]]; then
		local arg
		arg=$(awk -F'\t' -v o="--${prev#"${prev%%[!-]*}"}" '$1 == "opt" && $2 == o { print $3; exit }' <<<"$help")
		if [ -n "$arg" ]; then
			if [[ $arg =~ ^[a-z]+(\|[a-z]+)+$ ]]; then
				mapfile -t COMPREPLY < <(compgen -W "${arg//|/ }" -- "$cur")
			elif [[ $arg == DIR ]]; then
				compopt -o filenames 2>/dev/null
				mapfile -t COMPREPLY < <(compgen -d -- "$cur")
			elif [[ $arg == *FILE* || $arg == S ]]; then
				compopt -o filenames 2>/dev/null
				mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			fi
			return 0
		fi
	fi

	if [[ $cur == -* ]]; then
		entries=$(awk -F'\t' '$1 == "opt" { print $2 }' <<<"$help")
		mapfile -t COMPREPLY < <(compgen -W "$entries" -- "$cur")
		return 0
	fi
	if [ -z "$cmd" ]; then
		entries=$(awk -F'\t' '$1 == "cmd" { print $2 }' <<<"$help")
		mapfile -t COMPREPLY < <(compgen -W "$entries" -- "$cur")
		return 0
	fi

	# The id: the first word after the command that is no option (or the
	# value of one) when the command takes one.
	grep -qx id <<<"$help" || return 0
	for ((i = cmd_at + 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == -*=* ]]; then
			continue
		elif [[ $w == -* ]]; then
			awk -F'\t' -v o="--${w#"${w%%[!-]*}"}" '$1 == "opt" && $2 == o && $3 != "" { f = 1 } END { exit !f }' <<<"$help" && ((i++))
		else
			return 0
		fi
	done
	mapfile -t COMPREPLY < <(compgen -W "$("$husk" "${globals[@]}" list -q 2>/dev/null)" -- "$cur")
	return 0
}

complete -F _husk husk
