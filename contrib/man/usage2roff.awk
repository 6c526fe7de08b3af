# usage2roff.awk: one husk help text (stdin or a file) as a man page (roff).
# Called by mkman.sh, which says what it reads:
#   -v cmd=husk-kill (the page; "husk" for husk(8)) -v summary=... (may be empty)
#   -v date=YYYY-MM-DD -v version=X.Y.Z -v commands=FILE ("name<TAB>summary" lines)

# The text as roff: backslashes, hyphens as minus signs (they are options and
# paths, copied from the page), `code` in bold, no control character first.
function esc(s) {
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	while (match(s, /`[^`]*`/))
		s = substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 1, RLENGTH - 2) "\\fR" substr(s, RSTART + RLENGTH)
	if (s ~ /^[.']/)
		s = "\\&" s
	return s
}
function indent(s) { match(s, /^ */); return RLENGTH }
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }

function section(name) {
	if (name == cur)
		return
	cur = name
	entry = 0
	para = 0
	print ".SH " name
}
# A paragraph of text; blank lines separate them.
function text(s) {
	if (entry || (para && gap))
		print ".PP"
	entry = 0
	gap = 0
	para = 1
	print esc(trim(s))
}
# An entry of a list (an option or a command): tag, then its description.
function item(tag, desc) {
	print ".TP"
	print tag
	entry = 1
	para = 0
	gap = 0
	if (desc != "")
		print desc
}
function option(line,    tag, desc, i) {
	line = trim(line)
	# The tag ends at the first run of two spaces (or at the end).
	i = match(line, /  +/)
	if (i) {
		tag = substr(line, 1, i - 1)
		desc = trim(substr(line, i))
	} else
		tag = line
	item("\\fB" esc(tag) "\\fR", esc(desc))
}
function command(line,    name, desc) {
	line = trim(line)
	name = line
	sub(/[ \t].*/, "", name)
	desc = trim(substr(line, length(name) + 1))
	if (name == "help") {
		item("\\fBhelp\\fR", esc(desc))
		return
	}
	item("\\fB" name "\\fR", esc(desc) " (\\fBhusk\\-" name "\\fR(8))")
}

BEGIN {
	title = toupper(cmd)
	gsub(/-/, "\\-", title)
	printf ".TH %s 8 \"%s\" \"husk %s\" \"husk manual\"\n", title, date, version
	state = "start"
}

# The head: "usage:" lines, or runc's NAME:/USAGE: blocks.
state == "start" && /^NAME:$/ { state = "name"; next }
state == "name" && /^[ \t]*$/ { next }
state == "name" && /^USAGE:$/ { state = "usage"; next }
state == "name" && !got_name {
	got_name = 1
	s = trim($0)
	if (summary == "" && (i = index(s, " - ")))
		summary = substr(s, i + 3)
	next
}
state == "name" { pre[npre++] = $0; next }
state == "start" && /^[Uu]sage: / { state = "usage"; sub(/^[Uu]sage: */, ""); syn[nsyn++] = $0; next }
state == "usage" && /^[ \t]*$/ { if (nsyn) state = "body"; next }
state == "usage" { syn[nsyn++] = trim($0); next }

# The body, once the head is printed.
state == "body" && !head_done {
	head_done = 1
	if (summary == "" && cmd == "husk") {
		summary = "an OCI container runtime"
	}
	print ".SH NAME"
	print esc(cmd) " \\- " esc(summary)
	print ".SH SYNOPSIS"
	print ".nf"
	for (i = 0; i < nsyn; i++) {
		s = syn[i]
		# "husk CMD" in bold, the rest as it is.
		n = split(s, w, " ")
		k = (w[1] == "husk" && cmd != "husk") ? 2 : 1
		b = w[1]
		for (j = 2; j <= k; j++)
			b = b " " w[j]
		print "\\fB" esc(b) "\\fR" esc(substr(s, length(b) + 1))
	}
	print ".fi"
	section("DESCRIPTION")
	for (i = 0; i < npre; i++)
		if (pre[i] ~ /^[ \t]*$/)
			gap = 1
		else
			text(pre[i])
	gap = 1
}
state == "body" && /^[ \t]*$/ { gap = 1; next }
# A header: "global options:", "COMMANDS:", "Options:".
state == "body" && /^[A-Za-z][A-Za-z ]*:$/ {
	h = toupper(substr($0, 1, length($0) - 1))
	if (h ~ /COMMANDS/) {
		section("COMMANDS")
		list = "commands"
	} else if (h ~ /OPTIONS/) {
		section("OPTIONS")
		list = "options"
	} else {
		section(h)
		list = ""
	}
	next
}
state == "body" && indent($0) <= 8 && $0 ~ /^[ \t]+-/ {
	if (cur == "DESCRIPTION")
		section("OPTIONS")
	option($0)
	next
}
state == "body" && list == "commands" && indent($0) <= 8 && $0 ~ /^[ \t]+[a-z]/ {
	command($0)
	next
}
# The description of an entry, continued on a line indented deeper.
state == "body" && entry && !gap && indent($0) > 8 { print esc(trim($0)); next }
state == "body" { text($0); next }

END {
	print ".SH SEE ALSO"
	if (cmd == "husk") {
		n = 0
		while ((getline line <commands) > 0) {
			split(line, f, "\t")
			if (f[1] == "help")
				continue
			printf "%s\\fBhusk\\-%s\\fR(8)", (n++ ? ",\n" : ""), f[1]
		}
		print ""
	} else
		print "\\fBhusk\\fR(8)"
}
