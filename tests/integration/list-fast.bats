#!/usr/bin/env bats
# list's fast path: a stopped container's row comes from the summary symlink
# beside its state.json (src/container/state.c has the format), bound to that
# state.json; anything else (no summary, a malformed one, one that does not
# match, a pid that may be alive) goes through state.json as `state` does.

load ../../bats/helpers

# A test that corrupts a real container's state.json keeps the good one aside:
# put back, it lets delete remove the container's cgroups.
teardown() {
	[ -f "${TESTDIR:-}/state.json.good" ] && cp "$TESTDIR/state.json.good" "$ROOT/$CID/state.json"
	common_teardown
}

# stopped_ctr: $CID created and started with /bin/true, now stopped.
stopped_ctr() {
	set_args /bin/true
	create_ctr >/dev/null
	husk start "$CID"
	wait_for_status "$CID" stopped
}

# summary_text PID BUNDLE: the summary husk would write for $CID's state.json
# as it is now, with PID and BUNDLE in place of its own.
summary_text() {
	local d=$ROOT/$CID ino size mt start owner created rootfs
	read -r ino size mt < <(stat -c '%i %s %.9Y' "$d/state.json")
	start=$(jq -r .start_time "$d/state.json")
	owner=$(jq -r .owner "$d/state.json")
	created=$(jq -r .created "$d/state.json")
	rootfs=$(jq -r .rootfs "$d/state.json")
	printf 'husk-summary-1 %s %s %s %s %s %s %s %s %s %s %s %s%s%s%s' "$ino" "$size" "${mt%.*}" \
		"$((10#${mt#*.}))" "$1" "$start" "$owner" ${#CID} ${#created} ${#2} ${#rootfs} \
		"$CID" "$created" "$2" "$rootfs"
}

# forge_summary PID BUNDLE [TEXT]: replace $CID's summary (by TEXT when given).
forge_summary() {
	ln -sfn "${3:-$(summary_text "$1" "$2")}" "$ROOT/$CID/summary"
}

# bundle_of: the BUNDLE column of $CID's row in `list`.
bundle_of() {
	husk list | awk -v id="$CID" '$1 == id { print $4 }'
}

@test "create writes a summary; a state directory without one (an older husk's) lists the same" {
	stopped_ctr
	[ -L "$ROOT/$CID/summary" ]
	run husk list
	[ "$status" -eq 0 ]
	table=$output
	[[ "$table" == *"$CID"*" 0 "*" stopped "*"$BUNDLE"* ]]
	json=$(husk list --format json)
	quiet=$(husk list -q)
	rm "$ROOT/$CID/summary"
	[ "$(husk list)" = "$table" ]
	[ "$(husk list --format json)" = "$json" ]
	[ "$(husk list -q)" = "$quiet" ]
}

@test "list takes a stopped container's row from its summary, only while it matches state.json" {
	stopped_ctr
	forge_summary 0 /forged
	[ "$(bundle_of)" = /forged ]
	[ "$(husk list --format json | jq -r '.[0].bundle')" = /forged ]
	# state.json rewritten in place (another mtime): the summary is stale.
	cp "$ROOT/$CID/state.json" "$TESTDIR/st"
	sleep 0.01
	cat "$TESTDIR/st" >"$ROOT/$CID/state.json"
	[ "$(bundle_of)" = "$BUNDLE" ]
	# Replaced by another file (another inode): stale too.
	forge_summary 0 /forged
	[ "$(bundle_of)" = /forged ]
	cp "$TESTDIR/st" "$ROOT/$CID/state.json.new"
	touch -r "$ROOT/$CID/state.json" "$ROOT/$CID/state.json.new"
	mv "$ROOT/$CID/state.json.new" "$ROOT/$CID/state.json"
	[ "$(bundle_of)" = "$BUNDLE" ]
}

@test "a malformed summary is ignored: list reads state.json, without a warning" {
	stopped_ctr
	good=$(summary_text 0 /forged)
	for text in "$good"x "${good%?}" "${good/husk-summary-1/husk-summary-2}" \
		"${good/ 0 / 2147483648 }" "${good/ 0 / -1 }" "${good/ 0 / 0x0 }" garbage "husk-summary-1 "; do
		forge_summary 0 /forged "$text"
		run husk list
		echo "summary: $text"
		echo "$output"
		[ "$status" -eq 0 ]
		[ "${#lines[@]}" -eq 2 ]
		[[ "${lines[1]}" == "$CID"*" stopped "*"$BUNDLE"* ]]
	done
	# Not a symlink: a regular file with a well-formed text.
	rm "$ROOT/$CID/summary"
	printf '%s' "$good" >"$ROOT/$CID/summary"
	[ "$(bundle_of)" = "$BUNDLE" ]
}

@test "a corrupt state.json beside a valid summary: list warns, as without a summary" {
	stopped_ctr
	# pid 0: read from the summary alone were it believed (the init may still
	# be a zombie, which sends list to state.json anyway).
	forge_summary 0 "$BUNDLE"
	[ "$(bundle_of)" = "$BUNDLE" ]
	cp "$ROOT/$CID/state.json" "$TESTDIR/state.json.good"
	echo '{"id": ' >"$ROOT/$CID/state.json"
	run husk list
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"container $CID: corrupt state file"* ]]
	[[ "$output" != *" stopped "* ]]
}

@test "a container whose init died shows stopped, with pid 0" {
	set_args sleep 100
	run_detached >/dev/null
	pid=$(ctr_pid)
	[ -L "$ROOT/$CID/summary" ]
	run husk list
	[[ "$output" == *"$CID"*" $pid "*" running "* ]]
	kill -9 "$pid"
	for _ in $(seq 50); do pid_gone "$pid" 2>/dev/null && break; sleep 0.1; done
	pid_gone "$pid"
	run husk list
	echo "$output"
	[[ "${lines[1]}" == "$CID"*" 0 "*" stopped "* ]]
	run husk list --format json
	[ "$(jq -r '.[0].status' <<<"$output")" = stopped ]
	[ "$(jq -r '.[0].pid' <<<"$output")" = 0 ]
}

@test "a pid reused by another process: stopped (its start time is not the init's)" {
	stopped_ctr
	other=$(spawn_bg sleep 100)
	jq --argjson p "$other" '.pid = $p' "$ROOT/$CID/state.json" >"$ROOT/$CID/state.json.new"
	mv "$ROOT/$CID/state.json.new" "$ROOT/$CID/state.json"
	forge_summary "$other" "$BUNDLE"
	run husk list
	echo "$output"
	[[ "${lines[1]}" == "$CID"*" 0 "*" stopped "* ]]
	[ "$(ctr_status)" = stopped ]
	pid_alive "$other"
}

@test "delete removes the summary with the state directory" {
	stopped_ctr
	[ -L "$ROOT/$CID/summary" ]
	run husk delete "$CID"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/$CID" ]
}

@test "an init left a zombie, or a pid reused: the row comes from the summary, not state.json" {
	stopped_ctr
	# A zombie: sleep 0.3 exits after its parent has exec'd into sleep 100,
	# which never reaps it.  (With sleep 0 the shell could reap it before its
	# exec, and then there was no zombie: the test failed at random.)
	sh -c 'sleep 0.3 & echo $! >"$1"; exec sleep 100' sh "$TESTDIR/zpid" 3>&- &
	echo $! >>"$TESTDIR/bg.pids"
	wait_for_file "$TESTDIR/zpid" '^[0-9]'
	zpid=$(cat "$TESTDIR/zpid")
	for _ in $(seq 50); do [ "$(awk '{ print $3 }' "/proc/$zpid/stat")" = Z ] && break; sleep 0.1; done
	[ "$(awk '{ print $3 }' "/proc/$zpid/stat")" = Z ]
	zstart=$(awk '{ print $22 }' "/proc/$zpid/stat")
	jq --argjson p "$zpid" --argjson s "$zstart" '.pid = $p | .start_time = $s' \
		"$ROOT/$CID/state.json" >"$ROOT/$CID/state.json.new"
	mv "$ROOT/$CID/state.json.new" "$ROOT/$CID/state.json"
	# The summary's bundle is forged: it shows which of the two list read.
	forge_summary "$zpid" /forged
	run husk list
	echo "$output"
	[[ "${lines[1]}" == "$CID"*" 0 "*" stopped "*/forged* ]]
	# A live process of another start time under the init's pid: the same.
	other=$(spawn_bg sleep 100)
	jq --argjson p "$other" '.pid = $p' "$ROOT/$CID/state.json" >"$ROOT/$CID/state.json.new"
	mv "$ROOT/$CID/state.json.new" "$ROOT/$CID/state.json"
	forge_summary "$other" /forged
	run husk list
	echo "$output"
	[[ "${lines[1]}" == "$CID"*" 0 "*" stopped "*/forged* ]]
	# The init itself alive (that process's own start time in state.json): state.json decides.
	jq --argjson p "$other" --argjson s "$(awk '{ print $22 }' "/proc/$other/stat")" \
		'.pid = $p | .start_time = $s' "$ROOT/$CID/state.json" >"$ROOT/$CID/state.json.new"
	mv "$ROOT/$CID/state.json.new" "$ROOT/$CID/state.json"
	forge_summary "$other" /forged
	[ "$(bundle_of)" = "$BUNDLE" ]
}

@test "list and list -q are in id order, whatever order the directory gives" {
	local ids="m b z a k c y d x e q" id
	for id in $ids; do
		create_ctr "$CID-$id" >/dev/null
	done
	run husk list -q
	[ "$status" -eq 0 ]
	[ "$(xargs <<<"$output")" = "$(tr ' ' '\n' <<<"$ids" | sed "s/^/$CID-/" | LC_ALL=C sort | xargs)" ]
	run husk list
	[ "$(tail -n +2 <<<"$output" | awk '{ print $1 }' | xargs)" = "$(tr ' ' '\n' <<<"$ids" | sed "s/^/$CID-/" | LC_ALL=C sort | xargs)" ]
}
