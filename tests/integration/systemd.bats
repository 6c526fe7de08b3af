#!/usr/bin/env bats
# The systemd cgroup driver (--systemd-cgroup, cgroupsPath "slice:prefix:name")
# on a host with systemd as PID 1 and a pure cgroup v2 hierarchy: each result is
# checked on both sides, what systemd says of the unit (`systemctl show`) and
# the cgroup files.  Then the cgroupfs driver on the same host, containerd
# (SystemdCgroup = true) and dockerd (native.cgroupdriver=systemd), each started
# by systemd.
#
# Skips unless PID 1 is systemd and /sys/fs/cgroup is cgroup2: this file runs in
# the VM of tests/vm/systemd-run.sh:
#   HUSK_VM_TESTS=tests/integration/systemd.bats tests/vm/systemd-run.sh

load ../../bats/helpers
load ../../bats/daemons

CG=/sys/fs/cgroup

requires_systemd() {
	[ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] || skip "PID 1 is not systemd (tests/vm/systemd-run.sh runs this file)"
	[ "$(stat -fc %T $CG 2>/dev/null)" = cgroup2fs ] || skip "/sys/fs/cgroup is not cgroup2 (tests/vm/systemd-run.sh runs this file)"
	requires root
}

setup_file() {
	[ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && [ "$(stat -fc %T $CG 2>/dev/null)" = cgroup2fs ] || return 0
	common_setup_file
}

setup() {
	requires_systemd
	common_setup
	UNIT="husk-$CID.scope"
	SCOPE="$CG/system.slice/$UNIT"
	update_config '.linux.cgroupsPath = $p' --arg p "system.slice:husk:$CID"
}

teardown() {
	local id
	if [ -n "${ROOT:-}" ] && [ -d "$ROOT" ]; then
		for id in $(ls "$ROOT"); do
			timeout 20 "$HUSK" --systemd-cgroup --root "$ROOT" delete --force "$id" >/dev/null 2>&1 3>&- </dev/null
		done
	fi
	common_teardown
	# What a failed test may have left: its units, its slices, its cgroupfs dirs.
	for id in "husk-$CID.scope" "husk-$CID-b.scope"; do
		systemctl stop "$id" >/dev/null 2>&1
		systemctl reset-failed "$id" >/dev/null 2>&1
	done
	systemctl stop a-b.slice a.slice >/dev/null 2>&1
	for d in "$CG/husk-test/a/b/$CID" "$CG/husk-test/a/b" "$CG/husk-test/a" "$CG/husk-test"; do
		rmdir "$d" 2>/dev/null
	done
	return 0
}

# sd ARGS...: husk with --systemd-cgroup (as docker and containerd call it: on
# every command) and this test's --root.
sd() {
	husk --systemd-cgroup "$@"
}
sd_create() {
	husk_detached --systemd-cgroup create --bundle "$BUNDLE" "$@" "$CID"
}
sd_run_d() {
	husk_detached --systemd-cgroup run -d --bundle "$BUNDLE" "$@" "$CID"
}

# prop UNIT NAME: the unit's property as systemctl shows it.
prop() {
	systemctl show -p "$2" --value "$1"
}

# proc_cgroup PID: the pid's cgroup v2 path.
proc_cgroup() {
	sed -n 's/^0:://p' "/proc/$1/cgroup"
}

# no_unit UNIT: systemd knows nothing of UNIT (not loaded, not even failed).
no_unit() {
	local u
	u=$(systemctl list-units --all --plain --no-legend "$1")
	[ -z "$u" ] || { echo "unit still there: $u" >&2; return 1; }
}

# expect A B: A = B, saying both when not.
expect() {
	[ "$1" = "$2" ] || { echo "expected '$2', got '$1'" >&2; return 1; }
}

# runc's conversion of cpu shares (2..262144) to a CPUWeight (1..10000).
shares_to_weight() {
	echo $((1 + (($1 - 2) * 9999) / 262142))
}

# ---------------------------------------------------------------------------
# The driver: husk --systemd-cgroup

@test "systemd: create starts husk-<id>.scope in system.slice, Delegate=yes, the container in it" {
	set_args sleep 100
	run sd_create
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	pid=$(ctr_pid)
	expect "$(prop "$UNIT" ActiveState)" active
	expect "$(prop "$UNIT" ControlGroup)" "/system.slice/$UNIT"
	expect "$(prop "$UNIT" Slice)" system.slice
	expect "$(prop "$UNIT" Delegate)" yes
	expect "$(proc_cgroup "$pid")" "/system.slice/$UNIT"
	grep -qx "$pid" "$SCOPE/cgroup.procs"
	sd start "$CID"
	expect "$(ctr_status)" running
	expect "$(proc_cgroup "$pid")" "/system.slice/$UNIT"
}

@test "systemd: memory limit, reservation and swap: MemoryMax/MemoryLow/MemorySwapMax and the files" {
	update_config '.linux.resources.memory = {limit: 67108864, reservation: 33554432, swap: 134217728}'
	set_args sleep 100
	sd_create
	expect "$(prop "$UNIT" MemoryMax)" 67108864
	expect "$(cat "$SCOPE/memory.max")" 67108864
	expect "$(prop "$UNIT" MemoryLow)" 33554432
	expect "$(cat "$SCOPE/memory.low")" 33554432
	# OCI's swap is memory + swap; systemd's and the kernel's are swap alone.
	expect "$(prop "$UNIT" MemorySwapMax)" 67108864
	[ ! -e "$SCOPE/memory.swap.max" ] || expect "$(cat "$SCOPE/memory.swap.max")" 67108864
}

@test "systemd: pids limit: TasksMax and pids.max; a fork beyond it fails" {
	update_config '.linux.resources.pids = {limit: 20}'
	set_args sh -c 'sleep 1; for i in $(seq 30); do sleep 30 & done; wait'
	sd_run_d
	expect "$(prop "$UNIT" TasksMax)" 20
	expect "$(cat "$SCOPE/pids.max")" 20
	# busybox sh exits at the failed fork: the scope may be gone right after.
	wait_for_file "$CTR_ERR" "fork"
}

@test "systemd: cpu quota, period and shares: CPUQuotaPerSecUSec, CPUWeight and cpu.max, cpu.weight" {
	update_config '.linux.resources.cpu = {quota: 50000, period: 100000, shares: 2048}'
	set_args sleep 100
	sd_create
	expect "$(prop "$UNIT" CPUQuotaPerSecUSec)" 500ms
	expect "$(prop "$UNIT" CPUQuotaPeriodUSec)" 100ms
	expect "$(cat "$SCOPE/cpu.max")" "50000 100000"
	w=$(shares_to_weight 2048)
	expect "$(prop "$UNIT" CPUWeight)" "$w"
	expect "$(cat "$SCOPE/cpu.weight")" "$w"
}

@test "systemd: pause freezes the scope's cgroup, resume thaws it" {
	set_args sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tick.new; mv /tick.new /tick; sleep 0.05; done'
	sd_run_d
	wait_for_file "$ROOTFS/tick"
	run sd pause "$CID"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	expect "$(ctr_status)" paused
	expect "$(cat "$SCOPE/cgroup.freeze")" 1
	wait_for_file "$SCOPE/cgroup.events" "^frozen 1"
	a=$(cat "$ROOTFS/tick"); sleep 0.5; expect "$(cat "$ROOTFS/tick")" "$a"
	run sd resume "$CID"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	expect "$(ctr_status)" running
	expect "$(cat "$SCOPE/cgroup.freeze")" 0
	wait_for_file "$SCOPE/cgroup.events" "^frozen 0"
	sleep 0.5; [ "$(cat "$ROOTFS/tick")" != "$a" ]
	# The unit stays what it was.
	expect "$(prop "$UNIT" ActiveState)" active
}

@test "systemd: update changes the unit's properties and the files" {
	update_config '.linux.resources.memory = {limit: 67108864} | .linux.resources.pids = {limit: 20}'
	set_args sleep 100
	sd_run_d
	run sd update --memory 128m --pids-limit 30 --cpu-quota 20000 --cpu-period 100000 --cpu-share 512 "$CID"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	expect "$(prop "$UNIT" MemoryMax)" 134217728
	expect "$(cat "$SCOPE/memory.max")" 134217728
	expect "$(prop "$UNIT" TasksMax)" 30
	expect "$(cat "$SCOPE/pids.max")" 30
	expect "$(prop "$UNIT" CPUQuotaPerSecUSec)" 200ms
	expect "$(cat "$SCOPE/cpu.max")" "20000 100000"
	w=$(shares_to_weight 512)
	expect "$(prop "$UNIT" CPUWeight)" "$w"
	expect "$(cat "$SCOPE/cpu.weight")" "$w"
	# systemd keeps them: a daemon-reload does not put the old ones back.
	systemctl daemon-reload
	expect "$(cat "$SCOPE/memory.max")" 134217728
	expect "$(cat "$SCOPE/pids.max")" 30
}

@test "systemd: exec lands in the scope; ps lists it; events --stats reads the scope" {
	update_config '.linux.resources.pids = {limit: 50}'
	set_args sleep 100
	sd_run_d
	run husk_detached --systemd-cgroup exec -d "$CID" sleep 201
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	wait_until 50 pgrep -x -f "sleep 201"
	p=$(pgrep -x -f "sleep 201")
	expect "$(proc_cgroup "$p")" "/system.slice/$UNIT"
	grep -qx "$p" "$SCOPE/cgroup.procs"
	run sd ps --format json "$CID"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	jq -e --argjson p "$p" 'index($p) != null' <<<"$output"
	expect "$(jq length <<<"$output")" 2
	run sd events --stats "$CID"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	jq -e '.type == "stats" and .data.pids.current == 2 and .data.pids.limit == 50' <<<"$output"
}

@test "systemd: kill --all kills every process of the scope" {
	set_args sh -c 'sleep 102 & exec sleep 100'
	sd_run_d
	wait_until 50 pgrep -x -f "sleep 102"
	child=$(pgrep -x -f "sleep 102")
	pid=$(ctr_pid)
	run sd kill --all "$CID" KILL
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	wait_for_status "$CID" stopped
	pid_gone "$pid"
	wait_until 50 pid_gone "$child"
	pid_gone "$child"
}

@test "systemd: delete of a stopped container leaves no unit and no cgroup" {
	set_args true
	sd_run_d
	wait_for_status "$CID" stopped
	run sd delete "$CID"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	no_unit "$UNIT"
	no_unit 'husk-*.scope'
	[ ! -e "$SCOPE" ]
}

@test "systemd: delete --force of a running (and of a paused) container leaves no unit and no cgroup" {
	set_args sleep 100
	sd_run_d
	pid=$(ctr_pid)
	run sd delete --force "$CID"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	pid_gone "$pid"
	no_unit "$UNIT"
	[ ! -e "$SCOPE" ]
	sd_run_d
	pid=$(ctr_pid)
	sd pause "$CID"
	run sd delete --force "$CID"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	pid_gone "$pid"
	no_unit "$UNIT"
	[ ! -e "$SCOPE" ]
}

@test "systemd: a create that fails after the scope exists leaves nothing delete --force cannot remove" {
	update_config '.hooks.createRuntime = [{path: "/bin/false"}]'
	set_args sleep 100
	run sd_create
	[ "$status" -ne 0 ]
	sd delete --force "$CID" 2>/dev/null || true
	no_unit "$UNIT"
	[ ! -e "$SCOPE" ]
	# The id is free again.
	update_config 'del(.hooks)'
	run sd_create
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	expect "$(prop "$UNIT" ActiveState)" active
}

@test "systemd: a slice with dashes lives in its parents (a-b.slice in a.slice)" {
	update_config '.linux.cgroupsPath = $p' --arg p "a-b.slice:husk:$CID"
	set_args sleep 100
	sd_create
	expect "$(prop "$UNIT" Slice)" a-b.slice
	expect "$(prop "$UNIT" ControlGroup)" "/a.slice/a-b.slice/$UNIT"
	expect "$(proc_cgroup "$(ctr_pid)")" "/a.slice/a-b.slice/$UNIT"
	[ -d "$CG/a.slice/a-b.slice/$UNIT" ]
	sd delete --force "$CID"
	no_unit "$UNIT"
	[ ! -e "$CG/a.slice/a-b.slice/$UNIT" ]
}

@test "systemd: no cgroupsPath means system.slice:husk:<id>" {
	update_config 'del(.linux.cgroupsPath)'
	set_args sleep 100
	sd_create
	expect "$(prop "$UNIT" ActiveState)" active
	expect "$(proc_cgroup "$(ctr_pid)")" "/system.slice/$UNIT"
}

@test "systemd: two containers in one scope-less slice, each in its own scope" {
	update_config '.linux.cgroupsPath = $p' --arg p "a-b.slice:husk:$CID"
	set_args sleep 100
	sd_create
	update_config '.linux.cgroupsPath = $p' --arg p "a-b.slice:husk:$CID-b"
	husk_detached --systemd-cgroup create --bundle "$BUNDLE" "$CID-b"
	expect "$(proc_cgroup "$(ctr_pid)")" "/a.slice/a-b.slice/$UNIT"
	expect "$(proc_cgroup "$(ctr_pid "$CID-b")")" "/a.slice/a-b.slice/husk-$CID-b.scope"
	sd delete --force "$CID-b"
	no_unit "husk-$CID-b.scope"
	expect "$(prop "$UNIT" ActiveState)" active
}

# ---------------------------------------------------------------------------
# The cgroupfs driver on the same host

@test "cgroupfs driver on a systemd host: nested path, controllers enabled along it" {
	update_config '.linux.cgroupsPath = $p | .linux.resources.memory = {limit: 67108864} | .linux.resources.pids = {limit: 20}' \
		--arg p "/husk-test/a/b/$CID"
	set_args sleep 100
	create_ctr
	d=$CG/husk-test/a/b/$CID
	expect "$(proc_cgroup "$(ctr_pid)")" "/husk-test/a/b/$CID"
	expect "$(cat "$d/memory.max")" 67108864
	expect "$(cat "$d/pids.max")" 20
	for p in "$CG" "$CG/husk-test" "$CG/husk-test/a" "$CG/husk-test/a/b"; do
		grep -qw memory "$p/cgroup.subtree_control" || { echo "memory not enabled in $p"; false; }
		grep -qw pids "$p/cgroup.subtree_control" || { echo "pids not enabled in $p"; false; }
	done
	no_unit "husk-$CID.scope"
	husk delete --force "$CID"
	[ ! -e "$d" ]
}

# ---------------------------------------------------------------------------
# containerd, started by systemd, SystemdCgroup = true

NS=husk-sd
IMG=docker.io/husk-test/busybox:latest

# start_sd_containerd: a containerd (a transient unit) with the contrib snippet
# contrib/containerd/config-systemd.toml merged in, its BinaryName the wrapper;
# the busybox image imported.
start_sd_containerd() {
	local d="$CLIENT_TMP/containerd"
	mkdir -p "$d"
	sed -e "s|^  BinaryName = .*|  BinaryName = \"$CLIENT_RUNTIME\"|" \
		-e "s|^  Root = .*|  Root = \"$d/cri-husk\"|" \
		"$REPO/contrib/containerd/config-systemd.toml" >"$d/husk.toml"
	start_containerd "$d" "$d/husk.toml" || return 0
	if ! build_oci_archive "$CLIENT_TMP/busybox.tar" "$CLIENT_TMP/busybox-oci.tar" "$IMG" ||
		! ctr -n "$NS" images import "$CLIENT_TMP/busybox-oci.tar" >"$d/import.log" 2>&1; then
		clients_down "ctr images import failed: $(tail -n 3 "$d/import.log" 2>/dev/null)"
	fi
}

# cr ARGS...: ctr run through the runc shim, husk (the wrapper) as its binary,
# the systemd driver as the contrib snippet says.
cr() {
	local sdflag=()
	grep -q '^  SystemdCgroup = true' "$CLIENT_TMP/containerd/husk.toml" && sdflag=(--runc-systemd-cgroup)
	ctr -n "$NS" run --runc-binary "$CLIENT_RUNTIME" --runc-root "$CLIENT_TMP/containerd/runc-root" "${sdflag[@]}" "$@"
}

ctr_cleanup() {
	local id
	[ -n "${CONTAINERD_SOCK:-}" ] || return 0
	for id in $(ctr -n "$NS" tasks ls -q 2>/dev/null); do
		ctr -n "$NS" tasks kill -s SIGKILL "$id" >/dev/null 2>&1
	done
	sleep 0.3
	for id in $(ctr -n "$NS" containers ls -q 2>/dev/null); do
		ctr -n "$NS" tasks delete -f "$id" >/dev/null 2>&1
		ctr -n "$NS" containers delete "$id" >/dev/null 2>&1
	done
}

# The client part shares one containerd and one dockerd per file: started by
# the first test that needs them (setup_file runs on hosts that skip too).
clients_up() {
	if [ -z "${CLIENT_TMP:-}" ] || [ ! -d "$CLIENT_TMP" ]; then
		[ -f "$BATS_FILE_TMPDIR/clients.env" ] && . "$BATS_FILE_TMPDIR/clients.env"
	fi
	if [ -z "${CLIENT_TMP:-}" ] || [ ! -d "$CLIENT_TMP" ]; then
		export CLIENT_SYSTEMD_RUN=1
		clients_setup_file systemd
		[ -s "$CLIENT_DOWN_FILE" ] || start_sd_containerd
		{
			declare -p CLIENT_TMP CLIENT_SUITE CLIENT_DOWN_FILE CLIENT_ARGV_LOG CLIENT_RUNTIME CLIENT_SYSTEMD_RUN
			declare -p CONTAINERD_SOCK CLIENT_IP_FORWARD CLIENT_TUN_MODE CLIENT_HAD_DOCKER0 2>/dev/null
		} | sed 's/^declare -[a-z-]* /export /' >"$BATS_FILE_TMPDIR/clients.env"
	fi
	clients_require
}

teardown_file() {
	[ -f "$BATS_FILE_TMPDIR/clients.env" ] || return 0
	. "$BATS_FILE_TMPDIR/clients.env"
	[ -f "$BATS_FILE_TMPDIR/docker.env" ] && . "$BATS_FILE_TMPDIR/docker.env"
	ctr_cleanup
	clients_teardown_file
	systemctl stop kubepods.slice >/dev/null 2>&1
	return 0
}

@test "containerd: started by systemd, the contrib snippet (SystemdCgroup = true) loads" {
	clients_up
	grep -q '^  SystemdCgroup = true' "$REPO/contrib/containerd/config-systemd.toml"
	expect "$(prop "$(cat "$CLIENT_TMP/containerd/containerd.unit")" ActiveState)" active
	run ctr plugins ls
	[ "$status" -eq 0 ]
	grep -E '^io\.containerd\.grpc\.v1[[:space:]]+cri[[:space:]].*ok' <<<"$output"
}

@test "containerd: ctr run: the container's cgroup is its scope; --memory-limit reaches memory.max" {
	clients_up
	id=c-sd-$BATS_TEST_NUMBER
	run cr -d --memory-limit 67108864 --cgroup "system.slice:husk-ctr:$id" "$IMG" "$id" sleep 100
	[ "$status" -eq 0 ] || { echo "$output"; ctr_cleanup; false; }
	unit=husk-ctr-$id.scope
	pid=$(ctr -n "$NS" tasks ls | awk -v id="$id" '$1 == id { print $2 }')
	got_cg=$(proc_cgroup "$pid")
	got_active=$(prop "$unit" ActiveState) got_max=$(prop "$unit" MemoryMax)
	got_file=$(cat "$CG/system.slice/$unit/memory.max" 2>&1)
	argv_logged "--systemd-cgroup .*create .*$id"
	ctr_cleanup
	expect "$got_cg" "/system.slice/$unit"
	expect "$got_active" active
	expect "$got_max" 67108864
	expect "$got_file" 67108864
	wait_until 50 no_unit "$unit"
	no_unit "$unit"
}

@test "containerd: a pod as kubelet makes it: kubepods slices, two containers in the pod's slice" {
	clients_up
	uid=0a1b2c3d_4e5f_6789_abcd_ef0123456789
	pod=kubepods-besteffort-pod$uid.slice
	# kubelet creates the pod's slices itself, as transient units.
	for s in kubepods.slice kubepods-besteffort.slice "$pod"; do
		busctl call org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager \
			StartTransientUnit 'ssa(sv)a(sa(sv))' "$s" replace 1 Description s "husk test $s" 0 >/dev/null
		wait_until 50 systemctl is-active "$s"
	done
	podcg=$CG/kubepods.slice/kubepods-besteffort.slice/$pod
	[ -d "$podcg" ]
	cr -d --cgroup "$pod:cri-containerd:sandbox$BATS_TEST_NUMBER" "$IMG" "sandbox$BATS_TEST_NUMBER" sleep 100
	cr -d --cgroup "$pod:cri-containerd:app$BATS_TEST_NUMBER" "$IMG" "app$BATS_TEST_NUMBER" sleep 100
	ok=yes
	for c in "sandbox$BATS_TEST_NUMBER" "app$BATS_TEST_NUMBER"; do
		pid=$(ctr -n "$NS" tasks ls | awk -v id="$c" '$1 == id { print $2 }')
		got=$(proc_cgroup "$pid")
		[ "$got" = "/kubepods.slice/kubepods-besteffort.slice/$pod/cri-containerd-$c.scope" ] ||
			{ echo "$c: in $got"; ok=no; }
		[ "$(prop "cri-containerd-$c.scope" Slice)" = "$pod" ] || { echo "$c: slice $(prop "cri-containerd-$c.scope" Slice)"; ok=no; }
	done
	ctr_cleanup
	systemctl stop kubepods.slice
	[ "$ok" = yes ]
	no_unit "cri-containerd-*.scope"
}

# ---------------------------------------------------------------------------
# dockerd, started by systemd, native.cgroupdriver=systemd

docker_up() {
	clients_up
	if [ -f "$BATS_FILE_TMPDIR/docker.env" ]; then
		. "$BATS_FILE_TMPDIR/docker.env"
	else
		CLIENT_DOCKER_CONFIG=$REPO/contrib/docker/daemon-systemd.json start_dockerd
		declare -p DOCKER_HOST 2>/dev/null | sed 's/^declare -[a-z-]* /export /' >"$BATS_FILE_TMPDIR/docker.env"
	fi
	clients_require
	[ -n "${DOCKER_HOST:-}" ] || skip "dockerd did not start"
}

@test "docker: native.cgroupdriver=systemd from the contrib daemon.json; run --runtime husk --memory 64m" {
	docker_up
	jq -e '."exec-opts" | index("native.cgroupdriver=systemd") != null' "$REPO/contrib/docker/daemon-systemd.json"
	expect "$(docker info -f '{{.CgroupDriver}} {{.CgroupVersion}}')" "systemd 2"
	run docker run -d --runtime husk --network none --memory 64m "$CLIENT_IMAGE" sleep 100
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	id=$output
	pid=$(docker inspect -f '{{.State.Pid}}' "$id")
	unit=docker-$id.scope
	got_cg=$(proc_cgroup "$pid") got_max=$(prop "$unit" MemoryMax)
	got_file=$(cat "$CG/system.slice/$unit/memory.max" 2>&1)
	docker rm -f "$id" >/dev/null
	argv_logged "--systemd-cgroup .*create .*$id"
	expect "$got_cg" "/system.slice/$unit"
	expect "$got_max" 67108864
	expect "$got_file" 67108864
	wait_until 50 no_unit "$unit"
	no_unit "$unit"
}
