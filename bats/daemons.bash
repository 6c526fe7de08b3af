# Helpers for the client suites (tests/integration/{docker,containerd,podman}.bats):
# start dockerd / containerd / podman with private roots, state dirs and sockets
# under one temp dir, point them at husk through tests/clients/husk-argv-logger,
# and stop them by pid.  Never the system's /var/lib/docker or /run/containerd.
#
#   load ../../bats/helpers
#   load ../../bats/daemons
#   setup_file()    { clients_setup_file docker && start_dockerd; }
#   teardown_file() { clients_teardown_file; }
#   setup()         { clients_require dockerd; }
#
# A daemon that cannot start makes every test of its file skip with a loud
# message naming it (and what its log said); a test whose client reaches a husk
# command that is missing fails, it does not skip.
#
# Host state the docker suite changes (net.ipv4.ip_forward, docker0 when absent,
# /dev/net/tun's mode) is saved and put back at teardown; run one docker suite
# at a time on a machine.  Shim sockets live in /run/containerd/s (containerd
# 1.6 hard-codes it; their names hash this suite's private address).
#
# Every argv a client sent to the runtime is appended to $CLIENT_ARGV_LOG; the
# teardown copies it to ${HUSK_ARGV_DIR:-/tmp}/husk-argv.<suite>.log and
# `argv_shapes FILE` prints its distinct shapes (ids and paths replaced).

CLIENT_IMAGE=husk-test/busybox:latest
DOCKER=/usr/bin/docker # not /usr/local/bin/docker: a client of another version
CTR=/usr/bin/ctr

# clients_setup_file SUITE: the temp dir, the runtime wrapper, the image tarball.
clients_setup_file() {
	local suite=$1
	[ "$(id -u)" = 0 ] || { clients_down "$suite: needs root"; return 0; }
	# Short: unix socket paths under it must fit in 108 bytes.
	CLIENT_TMP=$(mktemp -d "/tmp/hk-$suite.XXXXXX")
	chmod 755 "$CLIENT_TMP"
	export CLIENT_TMP CLIENT_SUITE=$suite CLIENT_DOWN_FILE="$CLIENT_TMP/down"
	export CLIENT_ARGV_LOG="$CLIENT_TMP/argv.log"
	: >"$CLIENT_ARGV_LOG"
	clients_cgroup_dirs >"$CLIENT_TMP/cgroups.before"
	clients_save_host
	make_runtime_wrapper "$CLIENT_TMP/bin/husk"
	export CLIENT_RUNTIME="$CLIENT_TMP/bin/husk"
	build_image_tar "$CLIENT_TMP/busybox.tar" || clients_down "could not build the busybox image tarball"
	return 0
}

# The cgroup directories of the host, three levels deep.
clients_cgroup_dirs() { find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d 2>/dev/null | sort; }

# clients_cgroups_remove BEFORE: the daemons place their containers below
# parents of their own (docker's /docker, podman's /libpod_parent, containerd's
# /<namespace>), which husk creates as runc does and, as runc, leaves when it
# removes the container's own cgroup.  The ones that were not there before the
# file's daemons started are removed (deepest first; a busy one stays, and
# run-all.sh reports it).
clients_cgroups_remove() {
	[ -f "$1" ] || return 0
	comm -13 "$1" <(clients_cgroup_dirs) | sort -r | while read -r d; do
		rmdir "$d" 2>/dev/null
	done
	return 0
}

# clients_down REASON: record that this file's daemon is unusable; loud on fd 3.
clients_down() {
	[ -n "${CLIENT_DOWN_FILE:-}" ] || CLIENT_DOWN_FILE="$BATS_FILE_TMPDIR/down"
	echo "$1" >>"$CLIENT_DOWN_FILE"
	printf '# !!!!!!!!!! %s: %s: its tests will SKIP\n' "${CLIENT_SUITE:-client}" "$1" >&3
}

# clients_require: in setup(): skip loudly when the daemon did not start.
clients_require() {
	if [ -s "${CLIENT_DOWN_FILE:-/nonexistent}" ]; then
		skip "!!! ${CLIENT_SUITE} could not start: $(head -c 300 "$CLIENT_DOWN_FILE" | tr '\n' ' ')"
	fi
	return 0
}

# make_runtime_wrapper PATH: an executable named like PATH that records its argv
# and execs $HUSK.  Clients scrub the environment of the runtime they call
# (podman leaves only XDG_RUNTIME_DIR and PATH), so the settings are in the file.
make_runtime_wrapper() {
	mkdir -p "$(dirname "$1")"
	cat >"$1" <<-EOF
		#!/bin/sh
		HUSK='$HUSK' HUSK_ARGV_LOG='$CLIENT_ARGV_LOG' exec '$REPO/tests/clients/husk-argv-logger' "\$@"
	EOF
	chmod 755 "$1"
}

# Host settings the daemons change: saved here, put back at teardown.
clients_save_host() {
	CLIENT_IP_FORWARD=$(cat /proc/sys/net/ipv4/ip_forward)
	CLIENT_TUN_MODE=$(stat -c %a /dev/net/tun 2>/dev/null)
	CLIENT_HAD_DOCKER0=no
	ip link show docker0 >/dev/null 2>&1 && CLIENT_HAD_DOCKER0=yes
	export CLIENT_IP_FORWARD CLIENT_TUN_MODE CLIENT_HAD_DOCKER0
}

clients_restore_host() {
	[ -n "${CLIENT_IP_FORWARD:-}" ] && echo "$CLIENT_IP_FORWARD" >/proc/sys/net/ipv4/ip_forward
	[ -n "${CLIENT_TUN_MODE:-}" ] && chmod "$CLIENT_TUN_MODE" /dev/net/tun
	[ "${CLIENT_HAD_DOCKER0:-yes}" = no ] && ip link del docker0 2>/dev/null
	return 0
}

# build_image_tar FILE: the busybox rootfs of the other suites (with /probe),
# plus a page for `httpd`, as a tarball for `docker import` / `podman import`.
build_image_tar() {
	local r="$CLIENT_TMP/image-rootfs"
	build_rootfs "$r" >/dev/null || return 1
	mkdir -p "$r/www"
	echo "hello from husk" >"$r/www/index.html"
	tar -C "$r" -cf "$1" . && rm -rf "$r"
}

# build_oci_archive TAR OUT REF: an OCI image layout archive of the rootfs tarball
# TAR, named REF, for `ctr image import` (containerd has no `import` of a rootfs).
build_oci_archive() {
	local tar=$1 out=$2 ref=$3 d="$CLIENT_TMP/oci" layer diffid lsize cfg csize man msize
	mkdir -p "$d/blobs/sha256"
	diffid=$(sha256sum <"$tar" | cut -d' ' -f1)
	gzip -n -c "$tar" >"$d/layer.tgz"
	layer=$(sha256sum <"$d/layer.tgz" | cut -d' ' -f1)
	lsize=$(stat -c %s "$d/layer.tgz")
	mv "$d/layer.tgz" "$d/blobs/sha256/$layer"
	jq -nc --arg d "sha256:$diffid" '{architecture: "amd64", os: "linux",
		config: {Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["/bin/sh"]},
		rootfs: {type: "layers", diff_ids: [$d]}}' >"$d/config.json"
	cfg=$(sha256sum <"$d/config.json" | cut -d' ' -f1)
	csize=$(stat -c %s "$d/config.json")
	mv "$d/config.json" "$d/blobs/sha256/$cfg"
	jq -nc --arg c "sha256:$cfg" --argjson cs "$csize" --arg l "sha256:$layer" --argjson ls "$lsize" \
		'{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
		layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $l, size: $ls}]}' >"$d/manifest.json"
	man=$(sha256sum <"$d/manifest.json" | cut -d' ' -f1)
	msize=$(stat -c %s "$d/manifest.json")
	mv "$d/manifest.json" "$d/blobs/sha256/$man"
	jq -nc --arg m "sha256:$man" --argjson ms "$msize" --arg ref "$ref" \
		'{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
		digest: $m, size: $ms, annotations: {"io.containerd.image.name": $ref,
		"org.opencontainers.image.ref.name": ($ref | sub(".*:"; ""))}}]}' >"$d/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
	tar -C "$d" -cf "$out" oci-layout index.json blobs && rm -rf "$d"
}

# ---------------------------------------------------------------------------
# Daemons

# wait_until TRIES CMD...: run CMD every 0.2 s until it succeeds.
wait_until() {
	local tries=$1
	shift
	while [ "$tries" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		tries=$((tries - 1))
	done
	return 1
}

# launch_daemon NAME LOG PIDFILE CMD...: CMD in the background, its output in
# LOG, its pid in PIDFILE.  With CLIENT_SYSTEMD_RUN set (a host with systemd as
# PID 1: systemd.bats), as the daemon runs there: a transient service started by
# systemd (Delegate=yes, KillMode=process, as Debian's units), its name in
# PIDFILE's directory as NAME.unit; it goes away when the daemon exits.
launch_daemon() {
	local name=$1 log=$2 pidfile=$3 unit
	shift 3
	if [ -n "${CLIENT_SYSTEMD_RUN:-}" ]; then
		unit="hk-$name-$(basename "$CLIENT_TMP" | tr -c 'A-Za-z0-9.\n' -).service"
		systemd-run --quiet --collect --unit "$unit" -p Delegate=yes -p KillMode=process \
			-p StandardOutput="file:$log" -p StandardError="file:$log" "$@" </dev/null 3>&- || return 1
		echo "$unit" >"$(dirname "$pidfile")/$name.unit"
		systemctl show -p MainPID --value "$unit" >"$pidfile"
	else
		"$@" </dev/null >"$log" 2>&1 3>&- &
		echo $! >"$pidfile"
	fi
}

# start_containerd DIR [IMPORT]: a containerd with root, state, sockets and opt
# dir under DIR; IMPORT (a config file) is merged in.  Sets CONTAINERD_SOCK.
start_containerd() {
	local d=$1 import=${2:-} imports='' disabled='disabled_plugins = ["io.containerd.grpc.v1.cri"]'
	command -v containerd >/dev/null || { clients_down "containerd is not installed (apt-get install containerd)"; return 1; }
	mkdir -p "$d"
	CONTAINERD_SOCK="$d/c.sock"
	# The CRI plugin is only wanted when a runtime handler is being tested.
	if [ -n "$import" ]; then
		disabled='disabled_plugins = []'
		imports="imports = [\"$import\"]"
	fi
	cat >"$d/config.toml" <<-EOF
		version = 2
		root = "$d/root"
		state = "$d/state"
		$imports
		$disabled
		[grpc]
		  address = "$CONTAINERD_SOCK"
		[ttrpc]
		  address = "$CONTAINERD_SOCK.ttrpc"
		[debug]
		  address = ""
		[metrics]
		  address = ""
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$d/opt"
	EOF
	launch_daemon containerd "$d/containerd.log" "$d/containerd.pid" containerd --config "$d/config.toml" ||
		{ clients_down "containerd did not start: $(tail -n 3 "$d/containerd.log")"; return 1; }
	export CONTAINERD_SOCK
	if ! wait_until 100 "$CTR" --address "$CONTAINERD_SOCK" version; then
		clients_down "containerd did not start: $(tail -n 3 "$d/containerd.log")"
		return 1
	fi
}

# start_dockerd: containerd first (dockerd gets its own), then dockerd with the
# config of contrib/docker/daemon.json (or $CLIENT_DOCKER_CONFIG; its runtime
# path replaced by the wrapper) plus private dirs.  Sets DOCKER_HOST.
start_dockerd() {
	local d="$CLIENT_TMP/docker" config=${CLIENT_DOCKER_CONFIG:-$REPO/contrib/docker/daemon.json}
	[ -x /usr/sbin/dockerd ] || { clients_down "dockerd is not installed (apt-get install docker.io)"; return 0; }
	# A containerd this suite started already (systemd.bats) serves dockerd too.
	if [ -z "${CONTAINERD_SOCK:-}" ] || [ ! -S "$CONTAINERD_SOCK" ]; then
		start_containerd "$CLIENT_TMP/containerd" || return 0
	fi
	mkdir -p "$d"
	# --iptables=false: the host's firewall stays as it is; -p still works,
	# through docker-proxy on the bridge.  Forwarding on (restored at teardown),
	# else each `docker run` on the bridge warns on stderr.
	echo 1 >/proc/sys/net/ipv4/ip_forward
	jq --arg p "$CLIENT_RUNTIME" --arg d "$d" --arg c "$CONTAINERD_SOCK" '
		.runtimes.husk.path = $p | .["data-root"] = "\($d)/data" | .["exec-root"] = "\($d)/exec" |
		.pidfile = "\($d)/docker.pid" | .hosts = ["unix://\($d)/docker.sock"] |
		.containerd = $c | .iptables = false | .["ip-forward"] = false |
		.["ip-masq"] = false | .["log-level"] = "info"' \
		"$config" >"$d/daemon.json" || { clients_down "bad $config"; return 0; }
	launch_daemon dockerd "$d/dockerd.log" "$d/dockerd.pid" /usr/sbin/dockerd --config-file "$d/daemon.json" ||
		{ clients_down "dockerd did not start: $(tail -n 3 "$d/dockerd.log")"; return 0; }
	export DOCKER_HOST="unix://$d/docker.sock"
	if ! wait_until 150 "$DOCKER" info; then
		clients_down "dockerd did not start: $(grep -m3 -iE 'level=(error|fatal)|failed' "$d/dockerd.log")"
		return 0
	fi
	"$DOCKER" import "$CLIENT_TMP/busybox.tar" "$CLIENT_IMAGE" >"$d/import.log" 2>&1 ||
		clients_down "docker import of the busybox tarball failed: $(tail -n 3 "$d/import.log")"
	return 0
}

# podman_setup: CONTAINERS_CONF = contrib/podman/containers.conf with the
# wrapper as husk's path, plus settings for a machine without systemd; every
# store and run dir under $CLIENT_TMP/podman (the `podman` function adds them).
podman_setup() {
	local d="$CLIENT_TMP/podman"
	command -v podman >/dev/null || { clients_down "podman is not installed (apt-get install podman)"; return 0; }
	mkdir -p "$d/tmp" "$d/volumes"
	# The contrib file, husk's path first the wrapper, then (one TOML table may
	# appear only once) test-only settings: no systemd or journald here, no
	# network, every directory private.
	{
		# podman raises nofile and nproc to 1048576 / 4194304 for root by
		# default: beyond the hard limits without CAP_SYS_RESOURCE (this VM;
		# podman's own nproc hard limit ends up below the shell's, too).
		printf '[containers]\nnetns = "none"\ndefault_ulimits = ["nofile=%s:%s", "nproc=4096:4096"]\n\n' \
			"$(ulimit -Hn)" "$(ulimit -Hn)"
		sed -e "s|^husk = \[|husk = [\"$CLIENT_RUNTIME\",|" \
			-e "s|^\[engine\]\$|[engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\nevents_logfile_path = \"$d/events.log\"\ntmp_dir = \"$d/tmp\"\nvolume_path = \"$d/volumes\"|" \
			"$REPO/contrib/podman/containers.conf"
	} >"$d/containers.conf"
	export CONTAINERS_CONF="$d/containers.conf"
	# Nothing of /etc/containers/storage.conf: the store is given on the command line.
	export CONTAINERS_STORAGE_CONF="$d/storage.conf"
	printf '[storage]\ndriver = "vfs"\nrunroot = "%s/run"\ngraphroot = "%s/graph"\n' "$d" "$d" >"$d/storage.conf"
	if ! podman import -q "$CLIENT_TMP/busybox.tar" "localhost/$CLIENT_IMAGE" >"$d/import.log" 2>&1; then
		clients_down "podman could not import the image: $(tail -n 3 "$d/import.log")"
	fi
	return 0
}

# podman ARGS...: podman with this suite's private store.
podman() {
	command podman --root "$CLIENT_TMP/podman/graph" --runroot "$CLIENT_TMP/podman/run" \
		--tmpdir "$CLIENT_TMP/podman/tmp" --storage-driver vfs "$@" 3>&-
}

# docker ARGS...: the docker.io client of the daemon under test.
docker() {
	"$DOCKER" "$@" 3>&-
}

# ctr ARGS...: ctr on this suite's containerd.
ctr() {
	"$CTR" --address "$CONTAINERD_SOCK" "$@" 3>&-
}

# stop_pidfile FILE: TERM the process whose pid is in FILE, KILL after 20 s.
stop_pidfile() {
	local pid
	[ -f "$1" ] && pid=$(cat "$1") && [ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	wait_until 100 pid_gone "$pid" || { kill -KILL "$pid" 2>/dev/null; wait_until 25 pid_gone "$pid"; }
	return 0
}

# kill_shims SOCK: the shims (and their containers) this suite's containerd
# started: each shim's argv names its containerd's address.
kill_shims() {
	local p
	[ -n "$1" ] || return 0
	for p in /proc/[0-9]*; do
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- "-address $1 " || continue
		kill -KILL "${p#/proc/}" 2>/dev/null
	done
	return 0
}

# clients_teardown_file: containers removed through their client, daemons
# stopped by pid, leftovers killed, mounts under the temp dir undone, host
# settings put back, the argv log kept.
clients_teardown_file() {
	[ -n "${CLIENT_TMP:-}" ] && [ -d "$CLIENT_TMP" ] || return 0
	if [ -n "${DOCKER_HOST:-}" ] && "$DOCKER" info >/dev/null 2>&1; then
		# shellcheck disable=SC2046
		timeout 60 "$DOCKER" rm -f $("$DOCKER" ps -aq) >/dev/null 2>&1
	fi
	if [ -n "${CONTAINERS_CONF:-}" ]; then
		timeout 60 podman rm -a -f -t 0 >/dev/null 2>&1
	fi
	stop_pidfile "$CLIENT_TMP/docker/dockerd.pid"
	kill_shims "${CONTAINERD_SOCK:-}"
	stop_pidfile "$CLIENT_TMP/containerd/containerd.pid"
	awk -v d="$CLIENT_TMP/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	clients_restore_host
	clients_cgroups_remove "$CLIENT_TMP/cgroups.before"
	mkdir -p "${HUSK_ARGV_DIR:-/tmp}"
	cp "$CLIENT_ARGV_LOG" "${HUSK_ARGV_DIR:-/tmp}/husk-argv.$CLIENT_SUITE.log" 2>/dev/null
	rm -rf "$CLIENT_TMP"
	return 0
}

# argv_shapes FILE: the distinct argv shapes in an argv log: the container id
# (the last word but a signal number), paths and numbers replaced by ID, PATH, N.
argv_shapes() {
	sed -E -e "s|/[^ ]*|PATH|g" -e 's/ [0-9]+( |$)/ N\1/g' \
		-e 's/ [A-Za-z0-9][A-Za-z0-9_.-]*( N)?$/ ID\1/' "$1" | sort | uniq -c | sort -rn
}

# ---------------------------------------------------------------------------
# Assertions and waits used by the client suites

# wait_for CMD...: CMD succeeds within 10 s.
wait_for() {
	wait_until 50 "$@" || { echo "wait_for: '$*' never succeeded" >&2; return 1; }
}

# argv_logged PATTERN: some runtime call in this suite's argv log matches.
argv_logged() {
	grep -qE -- "$1" "$CLIENT_ARGV_LOG" || {
		echo "argv log has no call matching '$1'; last calls:" >&2
		tail -n 5 "$CLIENT_ARGV_LOG" >&2
		return 1
	}
}
