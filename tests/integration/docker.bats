#!/usr/bin/env bats
# husk under Docker: a private dockerd (and its own containerd) whose default
# runtime is husk, configured from contrib/docker/daemon.json.  The runtime is
# tests/clients/husk-argv-logger, so every call Docker's shim makes is recorded.

load ../../bats/helpers
load ../../bats/daemons

IMG=husk-test/busybox:latest

setup_file() { clients_setup_file docker && start_dockerd; }
teardown_file() { clients_teardown_file; }
setup() { clients_require; }
teardown() {
	local ids
	ids=$(docker ps -aq 2>/dev/null)
	# shellcheck disable=SC2086
	[ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1
	return 0
}

# dstate NAME GO-TEMPLATE: one field of `docker inspect`.
dstate() { docker inspect -f "$2" "$1"; }

# cgroup_file NAME CONTROLLER FILE: a file of the container's v1 cgroup on the host.
cgroup_file() { cat "/sys/fs/cgroup/$2/docker/$(dstate "$1" '{{.Id}}')/$3"; }

@test "docker: husk is the default runtime and Docker's shim calls it" {
	run docker info --format '{{.DefaultRuntime}}'
	[ "$output" = husk ]
	run docker run --name rt "$IMG" true
	[ "$status" -eq 0 ]
	[ "$(dstate rt '{{.HostConfig.Runtime}}')" = husk ]
	argv_logged "create .*--bundle .*$(dstate rt '{{.Id}}')"
}

@test "docker run: the exit status of the command (0, 1, 3)" {
	run docker run --rm "$IMG" true
	[ "$status" -eq 0 ]
	run docker run --rm "$IMG" false
	[ "$status" -eq 1 ]
	run docker run --rm "$IMG" sh -c 'exit 3'
	[ "$status" -eq 3 ]
}

@test "docker run: 127 for a command not found, 126 for one not executable" {
	run -127 docker run --rm "$IMG" /no/such/command
	run -126 docker run --rm "$IMG" /etc/passwd
}

@test "docker run -d + logs" {
	docker run -d --name logs "$IMG" sh -c 'echo out-line; echo err-line >&2; sleep 100'
	wait_for sh -c "'$DOCKER' logs logs 2>&1 | grep -q err-line"
	run docker logs logs
	[[ "$output" == *out-line* ]]
	[ "$(dstate logs '{{.State.Status}}')" = running ]
}

@test "docker exec -u -w -e: user, cwd and environment of the new process" {
	docker run -d --name ex "$IMG" sleep 100
	run docker exec -u 1000:1000 -w /tmp -e FOO=bar ex sh -c 'id -u; id -g; pwd; echo "$FOO"'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1000\n1000\n/tmp\nbar')" ]
	run docker exec ex sh -c 'exit 5'
	[ "$status" -eq 5 ]
}

@test "docker exec -t: the process gets a pts" {
	docker run -d --name ext "$IMG" sleep 100
	run docker exec -t ext tty
	[ "$status" -eq 0 ]
	[[ "$output" == /dev/pts/* ]]
}

@test "docker run -t: the container's stdio is a pts" {
	run docker run --rm -t "$IMG" sh -c 'tty; test -t 0 && echo stdin-is-a-tty'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == /dev/pts/* ]]
	[[ "$output" == *stdin-is-a-tty* ]]
}

@test "docker stop: SIGTERM reaches a process that traps it" {
	docker run -d --name st "$IMG" sh -c 'trap "echo got-term; exit 7" TERM; while :; do sleep 0.1; done'
	sleep 0.5
	docker stop -t 10 st
	[ "$(dstate st '{{.State.ExitCode}}')" = 7 ]
	run docker logs st
	[[ "$output" == *got-term* ]]
}

@test "docker stop: SIGKILL after the timeout when SIGTERM is ignored" {
	# PID 1 of a pid namespace ignores signals it has no handler for.
	docker run -d --name sk "$IMG" sleep 100
	local t0=$SECONDS
	docker stop -t 2 sk
	[ $((SECONDS - t0)) -ge 2 ]
	[ "$(dstate sk '{{.State.ExitCode}}')" = 137 ]
}

@test "docker kill -s: the named signal is delivered" {
	docker run -d --name ks "$IMG" sh -c 'trap "echo got-usr1" USR1; while :; do sleep 0.1; done'
	sleep 0.5
	docker kill -s USR1 ks
	wait_for sh -c "'$DOCKER' logs ks | grep -q got-usr1"
	[ "$(dstate ks '{{.State.Status}}')" = running ]
	docker kill ks
	[ "$(dstate ks '{{.State.ExitCode}}')" = 137 ]
}

@test "docker restart: a new init process, running again" {
	docker run -d --name rs "$IMG" sleep 100
	local pid1
	pid1=$(dstate rs '{{.State.Pid}}')
	docker restart -t 1 rs
	[ "$(dstate rs '{{.State.Status}}')" = running ]
	[ "$(dstate rs '{{.State.Pid}}')" != "$pid1" ]
	pid_alive "$(dstate rs '{{.State.Pid}}')"
}

@test "docker pause/unpause: the container stops making progress, then resumes" {
	docker run -d --name pz "$IMG" sh -c 'while :; do echo tick; sleep 0.1; done'
	sleep 0.5
	docker pause pz
	[ "$(dstate pz '{{.State.Status}}')" = paused ]
	local n1 n2
	n1=$(docker logs pz | wc -l); sleep 0.6; n2=$(docker logs pz | wc -l)
	[ "$n1" -eq "$n2" ]
	docker unpause pz
	sleep 0.5
	[ "$(docker logs pz | wc -l)" -gt "$n2" ]
}

@test "docker top: the container's processes" {
	docker run -d --name tp "$IMG" sh -c 'sleep 101 & sleep 100'
	sleep 0.3
	run docker top tp
	[ "$status" -eq 0 ]
	[[ "$output" == *"sleep 101"* ]]
	[[ "$output" == *"sleep 100"* ]]
}

@test "docker stats --no-stream: memory and pids of the container" {
	docker run -d --name sts "$IMG" sh -c 'sleep 100 & sleep 100'
	run docker stats --no-stream --format '{{.MemUsage}} {{.PIDs}}' sts
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != 0B* ]]
	[[ "$output" == *" 2" ]]
}

@test "docker inspect: State.Pid is a live host pid in its own namespaces" {
	docker run -d --name ip "$IMG" sleep 100
	local pid
	pid=$(dstate ip '{{.State.Pid}}')
	pid_alive "$pid"
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 100 " ]
	[ "$(readlink "/proc/$pid/ns/pid")" != "$(host_ns pid)" ]
	[ "$(readlink "/proc/$pid/ns/mnt")" != "$(host_ns mnt)" ]
}

@test "docker update: a running container's memory and cpu limits change" {
	docker run -d --name up --memory 64m "$IMG" sleep 100
	[ "$(cgroup_file up memory memory.limit_in_bytes)" = 67108864 ]
	docker update --memory 96m --memory-swap 96m --cpu-shares 512 up
	[ "$(cgroup_file up memory memory.limit_in_bytes)" = 100663296 ]
	[ "$(cgroup_file up cpu cpu.shares)" = 512 ]
	[ "$(dstate up '{{.State.Status}}')" = running ]
}

@test "docker run --memory: OOM gives 137 and OOMKilled" {
	# The loop is bounded (a 64 MiB string): without a limit it ends, exit 0.
	# shellcheck disable=SC2016 # $x is the container shell's
	run docker run --name oom --memory 32m --memory-swap 32m "$IMG" sh -c 'x=a; i=0; while [ $i -lt 26 ]; do x=$x$x; i=$((i + 1)); done'
	[ "$status" -eq 137 ]
	[ "$(dstate oom '{{.State.OOMKilled}}')" = true ]
}

@test "docker run --pids-limit: the limit is set and enforced" {
	docker run -d --name pl --pids-limit 8 "$IMG" sleep 100
	[ "$(cgroup_file pl pids pids.max)" = 8 ]
	run docker exec pl sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 30 & done; wait'
	[ "$status" -ne 0 ]
	[[ "$output" == *"an't fork"* || "$output" == *"Resource temporarily unavailable"* ]]
}

@test "docker run --cpus and --cpuset-cpus" {
	docker run -d --name cpu --cpus 0.5 --cpuset-cpus 0 "$IMG" sleep 100
	[ "$(cgroup_file cpu cpu cpu.cfs_quota_us)" = 50000 ]
	[ "$(cgroup_file cpu cpu cpu.cfs_period_us)" = 100000 ]
	run docker exec cpu grep Cpus_allowed_list /proc/self/status
	[[ "$output" == *$'\t'0 ]]
	run docker run --rm --cpuset-cpus 0 "$IMG" grep Cpus_allowed_list /proc/self/status
	[[ "$output" == *$'\t'0 ]]
}

@test "docker run --cap-drop ALL --cap-add NET_ADMIN: exactly that capability" {
	run docker run --rm --cap-drop ALL --cap-add NET_ADMIN "$IMG" grep -E '^Cap(Eff|Bnd)' /proc/self/status
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'CapEff:\t0000000000001000\nCapBnd:\t0000000000001000')" ]
	run docker run --rm --cap-drop CHOWN "$IMG" chown 1000 /tmp
	[ "$status" -ne 0 ]
}

@test "docker run --read-only and --tmpfs" {
	run docker run --rm --read-only "$IMG" touch /etc/x
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	run docker run --rm --read-only --tmpfs /scratch:size=1m "$IMG" sh -c 'touch /scratch/x && grep " /scratch " /proc/mounts'
	[ "$status" -eq 0 ]
	[[ "$output" == "tmpfs /scratch tmpfs rw,"* ]]
}

@test "docker run -v: bind volumes rw and :ro" {
	local v="$CLIENT_TMP/vol"
	mkdir -p "$v" && echo from-host >"$v/in"
	run docker run --rm -v "$v:/data" "$IMG" sh -c 'cat /data/in; echo from-ctr > /data/out'
	[ "$output" = from-host ]
	[ "$(cat "$v/out")" = from-ctr ]
	run docker run --rm -v "$v:/data:ro" "$IMG" sh -c 'echo x > /data/out2'
	[ "$status" -ne 0 ]
	[ ! -e "$v/out2" ]
}

@test "docker run --user and --group-add" {
	run docker run --rm --user 1000:1000 --group-add 1234 "$IMG" id
	[ "$status" -eq 0 ]
	[[ "$output" == "uid=1000(user) gid=1000(user) groups=1000(user),1234" ]]
}

@test "docker run --hostname" {
	run docker run --rm --hostname husk-host "$IMG" hostname
	[ "$output" = husk-host ]
}

@test "docker run --network none: only loopback" {
	run docker run --rm --network none "$IMG" ls /sys/class/net
	[ "$output" = lo ]
}

@test "docker run -p on the default bridge: httpd inside answers on 127.0.0.1" {
	docker run -d --name web -p 127.0.0.1::80 "$IMG" httpd -f -p 80 -h /www
	local port
	port=$(docker port web 80/tcp | head -n1 | sed 's/.*://')
	[ -n "$port" ]
	wait_for curl -sf "http://127.0.0.1:$port/"
	run curl -sf "http://127.0.0.1:$port/"
	[ "$output" = "hello from husk" ]
}

@test "docker run --security-opt no-new-privileges" {
	run docker run --rm --security-opt no-new-privileges "$IMG" grep NoNewPrivs /proc/self/status
	[ "$output" = "$(printf 'NoNewPrivs:\t1')" ]
	run docker run --rm "$IMG" grep NoNewPrivs /proc/self/status
	[ "$output" = "$(printf 'NoNewPrivs:\t0')" ]
}

@test "docker run: the default seccomp profile is applied; seccomp=unconfined is not" {
	run docker run --rm "$IMG" grep '^Seccomp:' /proc/self/status
	[ "$output" = "$(printf 'Seccomp:\t2')" ]
	# The default profile refuses unshare(CLONE_NEWUSER|...) without CAP_SYS_ADMIN.
	run docker run --rm "$IMG" unshare -U true
	[ "$status" -ne 0 ]
	run docker run --rm --security-opt seccomp=unconfined "$IMG" grep '^Seccomp:' /proc/self/status
	[ "$output" = "$(printf 'Seccomp:\t0')" ]
}

@test "docker run --privileged: every capability of the host, host devices" {
	# Docker asks for every capability the kernel knows; where the host's own
	# bounding set lacks one (this VM: CAP_SYS_RESOURCE), runc fails to start.
	local last full
	last=$(cat /proc/sys/kernel/cap_last_cap)
	printf -v full '%016x' $(((1 << (last + 1)) - 1))
	[ "$(grep '^CapBnd:' /proc/self/status | cut -f2)" = "$full" ] ||
		skip "the host's bounding set is not full: --privileged cannot get every capability here"
	run docker run --rm --privileged "$IMG" grep '^CapEff:' /proc/self/status
	echo "$output"
	[ "${output#*:}" = "$(grep '^CapBnd:' /proc/self/status | cut -d: -f2)" ]
	run docker run --rm --privileged "$IMG" sh -c 'test -c /dev/kmsg && grep "^Seccomp:" /proc/self/status'
	[ "$output" = "$(printf 'Seccomp:\t0')" ]
}

@test "docker run --device: the device node is there and usable" {
	run docker run --rm --device /dev/zero:/dev/hkzero "$IMG" sh -c 'head -c 3 /dev/hkzero | od -An -tx1 | tr -d " "'
	[ "$status" -eq 0 ]
	[ "$output" = 000000 ]
	run docker run --rm "$IMG" test -e /dev/hkzero
	[ "$status" -eq 1 ]
}

@test "docker run --ulimit" {
	run docker run --rm --ulimit nofile=512:1024 "$IMG" sh -c 'ulimit -n; ulimit -Hn'
	[ "$output" = "$(printf '512\n1024')" ]
}

@test "docker run --sysctl: a namespaced sysctl inside the container" {
	run docker run --rm --sysctl net.core.somaxconn=1234 "$IMG" cat /proc/sys/net/core/somaxconn
	[ "$output" = 1234 ]
	[ "$(cat /proc/sys/net/core/somaxconn)" != 1234 ]
}

@test "docker run --init: docker-init is PID 1 and reaps" {
	run docker run --rm --init "$IMG" cat /proc/1/comm
	[ "$status" -eq 0 ]
	[ "$output" = docker-init ]
}

@test "docker healthcheck: healthy, then unhealthy (runs through exec)" {
	docker run -d --name hc --health-cmd 'test -e /tmp/ok' --health-interval 1s --health-retries 1 \
		"$IMG" sh -c 'touch /tmp/ok; sleep 100'
	wait_until 75 sh -c "[ \"\$('$DOCKER' inspect -f '{{.State.Health.Status}}' hc)\" = healthy ]"
	[ "$(dstate hc '{{.State.Health.Status}}')" = healthy ]
	docker exec hc rm /tmp/ok
	wait_until 75 sh -c "[ \"\$('$DOCKER' inspect -f '{{.State.Health.Status}}' hc)\" = unhealthy ]"
	[ "$(dstate hc '{{.State.Health.Status}}')" = unhealthy ]
}

@test "docker: 20 containers started concurrently all run" {
	local i pids=()
	for i in $(seq 20); do
		docker run -d --name "c$i" "$IMG" sleep 100 >/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	run docker ps -q --filter status=running
	[ "$(wc -l <<<"$output")" -eq 20 ]
}
