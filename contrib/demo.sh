#!/bin/bash
# Walk a busybox container through its lifecycle and show what each step means.
#
#   contrib/demo.sh ./husk        (make demo; as root)
#
# Everything lives in a temp dir (bundle and --root), removed on exit.
set -eu

HUSK=${1:-./husk}
[ -x "$HUSK" ] || { echo "demo: $HUSK is not an executable (run make first)" >&2; exit 1; }
HUSK=$(cd "$(dirname "$HUSK")" && pwd)/$(basename "$HUSK")
[ "$(id -u)" = 0 ] || { echo "demo: run as root (namespaces, cgroups, mounts)" >&2; exit 1; }
for tool in jq /bin/busybox; do
	command -v "$tool" >/dev/null || { echo "demo: missing $tool (apt-get install jq busybox-static)" >&2; exit 1; }
done

TMP=$(mktemp -d /tmp/husk-demo.XXXXXX)
ROOT="$TMP/state"
BUNDLE="$TMP/bundle"
SHARED="$TMP/shared"
ID=demo
cleanup() {
	for c in "$ID" "$ID-sidecar" "$ID-hostpid"; do
		"$HUSK" --root "$ROOT" delete --force "$c" >/dev/null 2>&1 || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

h() { "$HUSK" --root "$ROOT" "$@"; }
if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B='' N=''; fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
say() { printf '   %s\n' "$*"; }
show() {
	local out
	printf '   $ %s\n' "husk $*"
	out=$(h "$@")
	[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/     /'
}

step "a bundle: a busybox rootfs and the default config from 'husk spec'"
mkdir -p "$BUNDLE/rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,shared} "$SHARED"
cp /bin/busybox "$BUNDLE/rootfs/bin/busybox"
chroot "$BUNDLE/rootfs" /bin/busybox --install -s
echo 'root:x:0:0:root:/root:/bin/sh' >"$BUNDLE/rootfs/etc/passwd"
echo 'root:x:0:' >"$BUNDLE/rootfs/etc/group"
(cd "$BUNDLE" && h spec)
# The command writes what it sees into a directory shared with the host,
# then sleeps until it is killed.  No terminal: stdio goes to /dev/null.
jq --arg shared "$SHARED" '
	.process.terminal = false
	| .hostname = "husk-demo"
	| .process.args = ["/bin/sh", "-c",
		"echo $$ > /shared/pid; hostname > /shared/hostname; for n in /proc/self/ns/*; do echo ${n##*/} $(readlink $n); done > /shared/ns; exec sleep 1000"]
	| .mounts += [{"destination": "/shared", "type": "bind", "source": $shared, "options": ["rbind", "rw"]}]' \
	"$BUNDLE/config.json" >"$BUNDLE/config.json.new"
mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
say "bundle: $BUNDLE   state root: $ROOT"
say "command: $(jq -r '.process.args[2]' "$BUNDLE/config.json" | cut -c1-60)..."

step "create: namespaces and rootfs are set up; the init waits before exec"
say "\$ husk create --bundle $BUNDLE $ID"
h create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$TMP/create.err" || { cat "$TMP/create.err" >&2; exit 1; }
show state "$ID"
PID=$(h state "$ID" | jq -r .pid)
say "status is 'created': pid $PID exists but has not run the command yet"
say "(nothing written to the shared dir yet: $(find "$SHARED" -mindepth 1 | wc -l) files)"

step "start: the init execs the command"
show start "$ID"
for _ in $(seq 50); do [ -s "$SHARED/ns" ] && break; sleep 0.1; done
show state "$ID"

step "what the container sees vs what the host sees"
say "PID inside the container: $(cat "$SHARED/pid")   (PID 1 of its own pid namespace)"
say "PID on the host:          $PID   (from 'husk state')"
say "hostname inside: $(cat "$SHARED/hostname")   on the host: $(hostname)"
say ""
printf '   %-8s %-22s %-22s %s\n' namespace "host (/proc/self/ns)" "container (/proc/$PID/ns)" ""
for ns in cgroup ipc mnt net pid time user uts; do
	[ -e "/proc/self/ns/$ns" ] || continue
	host=$(readlink "/proc/self/ns/$ns")
	ctr=$(readlink "/proc/$PID/ns/$ns")
	inside=$(awk -v n="$ns" '$1 == n { print $2 }' "$SHARED/ns")
	[ "$host" = "$ctr" ] && what=shared || what=new
	[ "$inside" = "$ctr" ] || what="$what (inside says $inside)"
	printf '   %-8s %-22s %-22s %s\n' "$ns" "$host" "$ctr" "$what"
done

step "a pod: a second container joins the first one's network namespace"
say "Kubernetes puts a pod's containers in one network namespace: the second"
say "config names the first's by path, /proc/$PID/ns/net, instead of asking for a new one."
mkdir -p "$TMP/sidecar" "$TMP/hostpid"
ln -s "$BUNDLE/rootfs" "$TMP/sidecar/rootfs"
ln -s "$BUNDLE/rootfs" "$TMP/hostpid/rootfs"
jq --arg net "/proc/$PID/ns/net" '
	.process.args = ["sleep", "1000"] | .mounts |= map(select(.destination != "/shared"))
	| .linux.namespaces |= map(if .type == "network" then .path = $net else . end)' \
	"$BUNDLE/config.json" >"$TMP/sidecar/config.json"
say "\$ husk run -d --bundle $TMP/sidecar $ID-sidecar"
h run -d --bundle "$TMP/sidecar" "$ID-sidecar" </dev/null >/dev/null
say "and one with the host's pid namespace (docker run --pid=host): no pid entry at all"
jq '.process.args = ["sleep", "1000"] | .mounts |= map(select(.destination != "/shared"))
	| .linux.namespaces |= map(select(.type != "pid"))' "$BUNDLE/config.json" >"$TMP/hostpid/config.json"
say "\$ husk run -d --bundle $TMP/hostpid $ID-hostpid"
h run -d --bundle "$TMP/hostpid" "$ID-hostpid" </dev/null >/dev/null

step "husk ns: each namespace, new, the host's, or shared, and how to enter it"
show ns "$ID-sidecar"
say ""
say "the first container sees the sharing from its side:"
h ns "$ID" | awk '$1 == "net" || $1 == "NS"' | sed 's/^/     /'
say ""
say "and --pid=host shows up as the host's pid namespace:"
h ns "$ID-hostpid" | awk '$1 == "pid" || $1 == "NS"' | sed 's/^/     /'

step "husk list --ns: one column per namespace; shared ones have the same number"
show list --ns

step "husk exec --ns: enter only some namespaces, like nsenter"
say "only the network namespace: the command is the host's own cat, but"
say "/proc/net/dev lists the interfaces of the namespace it runs in: the pod's (lo only)"
show exec --ns net "$ID-sidecar" cat /proc/net/dev
say "the same from the host, for comparison: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\n' ' ')"

step "from the host, a container's init is an ordinary process"
say "\$ ps -o pid,ppid,comm -p $PID"
ps -o pid,ppid,comm -p "$PID" | sed 's/^/     /'
say "\$ ls -l /proc/$PID/ns   (what husk ns reads)"
ls -l "/proc/$PID/ns" | awk 'NR > 1 { print "     " $(NF-2), $(NF-1), $NF }'
say ""
say "husk ns --graph draws all of it (husk ns --graph | dot -Tsvg > pod.svg):"
h ns --graph | grep -c -- '--' | sed 's/^/     edges: /'
h delete --force "$ID-sidecar"
h delete --force "$ID-hostpid"

step "kill: SIGKILL to the init; the container is stopped"
show kill "$ID" KILL
for _ in $(seq 50); do [ "$(h state "$ID" | jq -r .status)" = stopped ] && break; sleep 0.1; done
show state "$ID"

step "delete: the state and the cgroup go away"
show delete "$ID"
if [ -e "$ROOT/$ID" ]; then say "LEFT BEHIND: $ROOT/$ID"; exit 1; fi
say "no state dir: $ROOT/$ID is gone"
# A zombie has exited; it only waits for the host's init to reap it.
state=$(awk '{ print $3 }' "/proc/$PID/stat" 2>/dev/null || true)
if [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]; then
	say "LEFT BEHIND: process $PID ($state)"
	exit 1
fi
if [ -n "$state" ]; then
	say "no process: pid $PID has exited (a zombie until the host init reaps it)"
else
	say "no process: pid $PID is gone"
fi
show list
say "done."
