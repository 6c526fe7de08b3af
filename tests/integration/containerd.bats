#!/usr/bin/env bats
# husk under containerd: a private containerd (its config merges
# contrib/containerd/config.toml, the CRI runtime handler `husk`), driven with
# ctr through the runc shim, `--runc-binary` pointing at the argv-logging wrapper.

load ../../bats/helpers
load ../../bats/daemons

IMG=docker.io/husk-test/busybox:latest
NS=husk-test

setup_file() {
	clients_setup_file containerd || return 0
	[ -s "$CLIENT_DOWN_FILE" ] && return 0
	local d="$CLIENT_TMP/containerd"
	mkdir -p "$d"
	# The contrib snippet, its BinaryName pointing at the wrapper, its Root private.
	sed -e "s|^  BinaryName = .*|  BinaryName = \"$CLIENT_RUNTIME\"|" \
		-e "s|^  Root = .*|  Root = \"$d/cri-husk\"|" \
		"$REPO/contrib/containerd/config.toml" >"$d/husk.toml"
	start_containerd "$d" "$d/husk.toml" || return 0
	if ! build_oci_archive "$CLIENT_TMP/busybox.tar" "$CLIENT_TMP/busybox-oci.tar" "$IMG" ||
		! ctr -n "$NS" images import "$CLIENT_TMP/busybox-oci.tar" >"$d/import.log" 2>&1; then
		clients_down "ctr images import failed: $(tail -n 3 "$d/import.log" 2>/dev/null)"
	fi
	export RUNC_ROOT="$d/runc-root"
}
teardown_file() { clients_teardown_file; }
setup() { clients_require; }
teardown() {
	local id
	for id in $(ctr -n "$NS" tasks ls -q 2>/dev/null); do
		ctr -n "$NS" tasks kill -s SIGKILL "$id" >/dev/null 2>&1
	done
	sleep 0.2
	for id in $(ctr -n "$NS" containers ls -q 2>/dev/null); do
		ctr -n "$NS" tasks delete -f "$id" >/dev/null 2>&1
		ctr -n "$NS" containers delete "$id" >/dev/null 2>&1
	done
	return 0
}

# cr ARGS...: ctr run with husk as the runc binary and a private runtime root.
cr() {
	ctr -n "$NS" run --runc-binary "$CLIENT_RUNTIME" --runc-root "$RUNC_ROOT" "$@"
}

# task_status ID: RUNNING, PAUSED, STOPPED... as `ctr task ls` says.
task_status() {
	ctr -n "$NS" tasks ls | awk -v id="$1" '$1 == id { print $3 }'
}

@test "containerd: the image imports and ctr run --runc-binary runs husk" {
	run ctr -n "$NS" images ls -q
	[[ "$output" == *"$IMG"* ]]
	run cr --rm "$IMG" c-hello echo hello
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	argv_logged "create .*--bundle .*c-hello"
}

@test "ctr run: the exit status of the task" {
	run -3 cr --rm "$IMG" c-exit sh -c 'exit 3'
	run cr --rm "$IMG" c-true true
	[ "$status" -eq 0 ]
}

@test "ctr run -d + ctr task exec: output and exit status of the new process" {
	cr -d "$IMG" c-exec sleep 100
	[ "$(task_status c-exec)" = RUNNING ]
	run ctr -n "$NS" tasks exec --exec-id e1 c-exec cat /proc/1/comm
	[ "$status" -eq 0 ]
	[ "$output" = sleep ]
	run -4 ctr -n "$NS" tasks exec --exec-id e2 c-exec sh -c 'exit 4'
}

@test "ctr task exec --tty: the process gets a pts" {
	cr -d "$IMG" c-exect sleep 100
	run script -qec "'$CTR' --address '$CONTAINERD_SOCK' -n $NS tasks exec -t --exec-id t1 c-exect tty" /dev/null
	output=${output//$'\r'/}
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"[0-9]* ]]
}

@test "ctr task kill: SIGTERM reaches the task, its exit status comes back" {
	cr "$IMG" c-kill sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done' </dev/null >/dev/null 2>&1 3>&- &
	local pid=$! rc=0
	wait_for sh -c "[ \"\$('$CTR' --address '$CONTAINERD_SOCK' -n $NS tasks ls | awk '\$1 == \"c-kill\" { print \$3 }')\" = RUNNING ]"
	sleep 0.3
	ctr -n "$NS" tasks kill c-kill
	wait "$pid" || rc=$?
	[ "$rc" -eq 7 ]
}

@test "ctr task kill -s SIGKILL: the task stops" {
	cr -d "$IMG" c-kill9 sleep 100
	ctr -n "$NS" tasks kill -s SIGKILL c-kill9
	wait_for sh -c "'$CTR' --address '$CONTAINERD_SOCK' -n $NS tasks ls | grep -q 'c-kill9.*STOPPED'"
}

@test "ctr task pause/resume: the freezer follows" {
	cr -d "$IMG" c-pause sleep 100
	ctr -n "$NS" tasks pause c-pause
	[ "$(task_status c-pause)" = PAUSED ]
	[ "$(cat /sys/fs/cgroup/freezer/$NS/c-pause/freezer.state)" = FROZEN ]
	ctr -n "$NS" tasks resume c-pause
	[ "$(task_status c-pause)" = RUNNING ]
	[ "$(cat /sys/fs/cgroup/freezer/$NS/c-pause/freezer.state)" = THAWED ]
}

@test "ctr task ps: the processes of the task" {
	cr -d "$IMG" c-ps sh -c 'sleep 101 & sleep 100'
	sleep 0.3
	run ctr -n "$NS" tasks ps c-ps
	[ "$status" -eq 0 ]
	# A header and the two sleeps (the shell execs the last one).
	[ "$(wc -l <<<"$output")" -eq 3 ]
}

@test "ctr task metrics: memory and pids of the task" {
	cr -d "$IMG" c-metrics sleep 100
	run ctr -n "$NS" tasks metrics c-metrics
	[ "$status" -eq 0 ]
	[[ "$output" == *memory.usage_in_bytes* ]]
	[[ "$output" == *pids.current* ]]
}

@test "ctr run --tty: the container's stdio is a pts" {
	run script -qec "'$CTR' --address '$CONTAINERD_SOCK' -n $NS run --rm -t --runc-binary '$CLIENT_RUNTIME' --runc-root '$RUNC_ROOT' $IMG c-tty tty" /dev/null
	output=${output//$'\r'/}
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"[0-9]* ]]
}

@test "containerd: contrib/containerd/config.toml defines the CRI handler husk with its BinaryName" {
	run containerd --config "$CLIENT_TMP/containerd/config.toml" config dump
	[ "$status" -eq 0 ]
	grep -A12 'runtimes.husk\]' <<<"$output" | grep -q 'runtime_type = "io.containerd.runc.v2"'
	grep -A6 'runtimes.husk.options\]' <<<"$output" | grep -q "BinaryName = \"$CLIENT_RUNTIME\""
	run ctr plugins ls
	grep -E 'io.containerd.grpc.v1 +cri .* ok' <<<"$output"
}
