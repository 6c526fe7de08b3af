#!/usr/bin/env bats
# Rootless podman with husk (issue 15): podman run by the unprivileged user of
# helpers/rootless.bash, `--runtime` pointing at a wrapper that logs each argv
# and runs the husk under test.  Store, run dir, events and containers.conf are
# private to this file, as in podman.bats; no network except slirp4netns.

load ../../bats/helpers
load helpers/rootless

IMG=localhost/husk-rl/busybox:latest

setup_file() {
	rootless_setup_file || return 1
	[ -n "${RL_TMP:-}" ] || return 0
	export RL_XDG="$RL_TMP/xdg" RL_DOWN="$RL_TMP/down" RL_ARGV="$RL_TMP/argv.log"
	local d="$RL_TMP/podman" r="$RL_TMP/image"
	mkdir -p "$RL_XDG" "$d" "$RL_TMP/vol"
	chmod 700 "$RL_XDG"
	command -v podman >/dev/null || echo "podman is not installed" >>"$RL_DOWN"
	command -v newuidmap >/dev/null || echo "newuidmap is missing (apt-get install uidmap)" >>"$RL_DOWN"
	cat >"$RL_TMP/bin/husk-wrap" <<-EOF
		#!/bin/sh
		echo "\$*" >>'$RL_ARGV'
		exec '$RL_HUSK' "\$@"
	EOF
	chmod 755 "$RL_TMP/bin/husk-wrap"
	# podman decides what a runtime supports from its name: call it husk.
	mkdir -p "$RL_TMP/rt" && mv "$RL_TMP/bin/husk-wrap" "$RL_TMP/rt/husk"
	{
		printf '[containers]\nnetns = "none"\n'
		printf '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n'
		printf 'events_logfile_path = "%s/events.log"\n' "$d"
		printf 'runtime_supports_json = ["crun", "runc", "husk"]\n'
	} >"$RL_TMP/containers.conf"
	cp -a "$RL_TMP/rootfs" "$r"
	mkdir -p "$r/www" && echo "hello from husk" >"$r/www/index.html"
	tar -C "$r" -cf "$RL_TMP/image.tar" . && rm -rf "$r"
	echo from-volume >"$RL_TMP/vol/f"
	chown -R "$RL_USER:" "$RL_TMP"
	if [ ! -s "$RL_DOWN" ] && ! rp import -q "$RL_TMP/image.tar" "$IMG" >"$RL_TMP/import.log" 2>&1; then
		echo "rootless podman cannot import an image: $(tail -n 3 "$RL_TMP/import.log")" >>"$RL_DOWN"
	fi
	if [ -s "$RL_DOWN" ]; then
		printf '# !!!!!!!!!! rootless podman: %s: its tests will SKIP\n' "$(cat "$RL_DOWN")" >&3
	fi
	return 0
}

teardown_file() {
	[ -n "${RL_TMP:-}" ] && timeout 60 rp rm -a -f -t 0 >/dev/null 2>&1
	rootless_teardown_file
}

setup() {
	rootless_require
	[ ! -s "$RL_DOWN" ] || skip "!!! rootless podman cannot work here: $(cat "$RL_DOWN")"
}

teardown() {
	[ -n "${RL_TMP:-}" ] && timeout 60 rp rm -a -f -t 0 >/dev/null 2>&1
	return 0
}

# rp ARGS...: podman as the user, with the private store, and husk by path.
rp() {
	RL_ENV="CONTAINERS_CONF=$RL_TMP/containers.conf" as_user podman \
		--root "$RL_TMP/podman/graph" --runroot "$RL_TMP/podman/run" \
		--tmpdir "$RL_TMP/podman/tmp" --storage-driver vfs --runtime "$RL_TMP/rt/husk" "$@" 2>&1 |
		grep -v 'is not a shared mount'
	return "${PIPESTATUS[0]}"
}

@test "rootless podman run: output, exit status, root inside is the user outside" {
	run rp run --rm "$IMG" sh -c 'id -u; cat /proc/self/uid_map; exit 3'
	[ "$status" -eq 3 ]
	[ "${lines[0]}" = 0 ]
	[ "$(awk 'NF == 3 && $1 == 0 { print $2, $3 }' <<<"$output")" = "$RL_UID 1" ]
	grep -q " create .*--bundle " "$RL_ARGV"
	# husk ran unprivileged: its default state root is the user's.
	[ -d "$RL_XDG/husk" ]
	[ "$(stat -c %u "$RL_XDG/husk")" = "$RL_UID" ]
}

@test "rootless podman run -d + exec, stop, rm" {
	run rp run -d --name ex "$IMG" sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
	[ "$status" -eq 0 ]
	run rp exec ex sh -c 'echo in-exec; id -u'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'in-exec\n0')" ]
	local pid
	pid=$(rp inspect -f '{{.State.Pid}}' ex)
	[ "$(stat -c %u "/proc/$pid")" = "$RL_UID" ]
	rp stop -t 10 ex
	[ "$(rp inspect -f '{{.State.ExitCode}}' ex)" = 7 ]
	pid_gone "$pid"
	rp rm ex
	run rp ps -a -q
	[ -z "$output" ]
	grep -q "^delete --force " "$RL_ARGV" || grep -q " delete " "$RL_ARGV"
	[ -z "$(ls -A "$RL_XDG/husk")" ]
}

@test "rootless podman: a volume, written as the container's root, is the user's on the host" {
	run rp run --rm -v "$RL_TMP/vol:/v" "$IMG" sh -c 'cat /v/f; echo from-ctr >/v/g'
	[ "$status" -eq 0 ]
	[ "$output" = from-volume ]
	[ "$(cat "$RL_TMP/vol/g")" = from-ctr ]
	[ "$(stat -c %u "$RL_TMP/vol/g")" = "$RL_UID" ]
}

@test "rootless podman --userns=keep-id: the user's own uid inside" {
	run rp run --rm --userns=keep-id "$IMG" sh -c 'id -u; cat /proc/self/uid_map'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$RL_UID" ]
	# keep-id maps the user to itself: container uid RL_UID is podman's 0 (the user).
	[ "$(awk -v u="$RL_UID" 'NF == 3 && $1 == u { print $2, $3 }' <<<"$output")" = "0 1" ]
}

@test "rootless podman: a published port through slirp4netns" {
	command -v slirp4netns >/dev/null || skip "!!! slirp4netns missing (apt-get install slirp4netns)"
	local port=$((20000 + RANDOM % 20000))
	run rp run -d --name web --network slirp4netns -p "127.0.0.1:$port:80" "$IMG" httpd -f -p 80 -h /www
	[ "$status" -eq 0 ]
	local tries=50 out=
	while [ $tries -gt 0 ]; do
		out=$(curl -s --max-time 2 "http://127.0.0.1:$port/index.html") && [ -n "$out" ] && break
		sleep 0.2
		tries=$((tries - 1))
	done
	[ "$out" = "hello from husk" ]
}
