#!/bin/bash
# The benchmark of issue 17: husk, runc and crun side by side, with the kernel's
# floor (floor.c: run's, create's and exec's) in the same run.  `make bench` runs it; `make check` runs it
# once with --quick (tests/integration/bench.bats) to prove it still works.
#
#   contrib/bench/bench.sh [--quick] [--rounds N] [--containers N] [--out DIR]
#
#   HUSK=path (default ./husk)  RUNC, CRUN (default: from $PATH)
#   BUILD=dir for the helpers (default build)
#
# Every command is timed by timeit.c, interleaved: for each round, for each
# metric, husk, runc, crun, floor in turn; "cold" commands run after an idle gap
# (100 ms), "warm" ones right after the same command; the state roots are on a
# tmpfs, as /run is.  Everything runs in one
# private mount namespace with /sys/fs/cgroup/unified unmounted, so that all
# runtimes see the same pure v1 layout (crun 1.8 refuses hybrid hosts); a pure
# v2 host is used as it is.  Output in DIR (default contrib/bench/results):
# bench.txt (a markdown table: median, min-max, ratio to crun's median),
# bench.csv, raw.txt (every sample), and bench.png / bench.svg (gnuplot).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
rounds=30 containers=1000 idle=100 tput=100 tput_rounds=5 quick=0
out=$here/results
args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 rounds=2 containers=10 idle=10 tput=4 tput_rounds=1 ;;
	--rounds) rounds=$2; shift ;;
	--containers) containers=$2; shift ;;
	--out) out=$2; shift ;;
	*) echo "usage: bench.sh [--quick] [--rounds N] [--containers N] [--out DIR]" >&2; exit 2 ;;
	esac
	shift
done

HUSK=${HUSK:-$repo/husk}
RUNC=${RUNC:-$(command -v runc || true)}
CRUN=${CRUN:-$(command -v crun || true)}
BUILD=${BUILD:-$repo/build}
[ -x "$HUSK" ] || { echo "bench: no husk binary at $HUSK (make first)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench: needs root (cgroups, namespaces)" >&2; exit 1; }

# The helpers, built here so that the bench needs only a C compiler.  The floor
# programs (floor.c, noop.c) are static and, where musl-gcc is there, linked
# against musl: its start-up costs next to nothing, where glibc's probes the CPU
# (some 40 CPUID instructions, ~0.2 ms in a virtual machine, each trapping to
# the hypervisor), so that they cost what the kernel costs.
FLOOR_CC=${FLOOR_CC:-$(command -v musl-gcc || echo "${CC:-cc}")}
mkdir -p "$BUILD/bench"
for p in timeit floor noop; do
	cc=$FLOOR_CC flags=-static
	[ "$p" = timeit ] && cc=${CC:-cc} flags=
	# Rebuilt when missing, older than its source, or built by another compiler.
	if [ ! -x "$BUILD/bench/$p" ] || [ "$here/$p.c" -nt "$BUILD/bench/$p" ] ||
		[ "$(cat "$BUILD/bench/$p.cc" 2>/dev/null)" != "$cc" ]; then
		$cc -std=gnu11 -O2 -Wall -Wextra -Werror $flags -o "$BUILD/bench/$p" "$here/$p.c"
		echo "$cc" >"$BUILD/bench/$p.cc"
	fi
done
timeit=$BUILD/bench/timeit floor=$BUILD/bench/floor noop=$BUILD/bench/noop

# One private mount namespace for everything that follows.
if [ -z "${HUSK_BENCH_IN_NS:-}" ]; then
	HUSK_BENCH_IN_NS=1 exec unshare -m --propagation private "$0" "${args[@]}"
fi
if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
	umount /sys/fs/cgroup/unified
fi

work=$(mktemp -d /tmp/husk-bench.XXXXXX)
# The state roots on a tmpfs, as /run is on a host (each runtime's default
# root is under /run): a runtime that fsyncs its state pays nothing there.
state=$work/state
mkdir "$state"
mount -t tmpfs -o mode=0700 tmpfs "$state"
declare -A bin=([husk]=$HUSK [runc]=$RUNC [crun]=$CRUN)
runtimes=()
for r in husk runc crun; do
	if [ -n "${bin[$r]}" ] && [ -x "${bin[$r]}" ]; then
		runtimes+=("$r")
	else
		echo "bench: $r not found: left out" >&2
	fi
done

cleanup() {
	local r id
	for r in "${runtimes[@]}"; do
		for id in $("${bin[$r]}" --root "$state/root-$r" list -q 2>/dev/null); do
			"${bin[$r]}" --root "$state/root-$r" delete -f "$id" >/dev/null 2>&1 || true
		done
	done
	# What a runtime killed by the memory limit before it wrote its state left
	# (its processes may take a moment to go).
	for _ in 1 2 3 4 5; do
		rmdir /sys/fs/cgroup/{memory/,}husk-bench-mem/husk-bench-m-*/husk-bench-m-* \
			/sys/fs/cgroup/{memory/,}husk-bench-mem/husk-bench-m-* /sys/fs/cgroup/*/husk-bench-m-* 2>/dev/null || true
		rmdir /sys/fs/cgroup/memory/husk-bench-mem /sys/fs/cgroup/husk-bench-mem 2>/dev/null || true
		ls -d /sys/fs/cgroup/*/husk-bench-* /sys/fs/cgroup/husk-bench-* >/dev/null 2>&1 || break
		sleep 0.2
	done
	umount "$state" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# The bundle: a static busybox, the runtime's default config (runc spec), /bin/true.
bundle=$work/bundle
mkdir -p "$bundle/rootfs"/{bin,proc,sys,dev,tmp,etc}
cp "$(command -v busybox)" "$bundle/rootfs/bin/busybox"
chroot "$bundle/rootfs" /bin/busybox --install -s 2>/dev/null
# runc's spec: the reference config, which crun 1.8 accepts too (not husk's:
# crun refuses its ociVersion 1.3.0).
(cd "$bundle" && "${RUNC:-$HUSK}" spec)
jq '.process.terminal = false | .process.args = ["/bin/true"]' "$bundle/config.json" >"$work/c.json"
mv "$work/c.json" "$bundle/config.json"
# A second bundle on the same rootfs, for exec: a container that stays up.
sleeper=$work/sleeper
mkdir -p "$sleeper"
jq --arg root "$bundle/rootfs" '.process.args = ["/bin/sleep", "100000"] | .root.path = $root' \
	"$bundle/config.json" >"$sleeper/config.json"

raw=$out/raw.txt
mkdir -p "$out"
: >"$raw"
# sample METRIC RUNTIME VALUE
sample() { echo "$1 $2 $3" >>"$raw"; }
rt() { "${bin[$1]}" --root "$state/root-$1" "${@:2}"; }
# timed METRIC RUNTIME IDLE CMD...: one timed command, its microseconds (and
# for run its peak RSS) recorded.
timed() {
	local m=$1 r=$2 i=$3 us rss fails
	shift 3
	read -r us rss fails < <("$timeit" -q -i "$i" -- "$@")
	if [ "${fails:-1}" != 0 ]; then
		echo "bench: $r: $m failed: $*" >&2
		"$@" >&2 || true
		exit 1
	fi
	sample "$m" "$r" "$us"
	[ "$m" = run ] && sample rss "$r" "$rss"
	return 0
}

echo "bench: ${runtimes[*]} + floor, $rounds rounds, $containers containers for list" >&2
# Setup: the containers that list sees (stopped), and one that runs for exec.
# (Their warnings go to setup.log: runc's spec asks for ambient capabilities
# without inheritable ones, which husk warns about.)
for r in "${runtimes[@]}"; do
	for ((i = 0; i < containers; i++)); do
		if ! rt "$r" create -b "$bundle" "l$i" >/dev/null 2>>"$work/setup.log" ||
			! rt "$r" start "l$i" 2>>"$work/setup.log"; then
			cat "$work/setup.log" >&2
			exit 1
		fi
	done
	rt "$r" run -d -b "$sleeper" exe </dev/null >/dev/null 2>>"$work/setup.log" ||
		{ cat "$work/setup.log" >&2; exit 1; }
done

# The init of the first runtime's running container, which exec's floor joins.
exe_pid=$(rt "${runtimes[0]}" state exe | jq -r .pid)

# rotated N ITEM...: the items rotated left by N.  Each round starts the
# interleaved sequence one runtime further on, so that none always follows the
# same one: a cold command runs faster or slower depending on what ran 0.1 s
# before it (the floor's cold run was 0.8 ms faster after crun's than after
# husk's on this machine, so in a fixed order it always had crun before it).
rotated() {
	local n=$1 i
	shift
	for ((i = 0; i < $#; i++)); do
		local k=$(((i + n) % $# + 1))
		echo "${!k}"
	done
}

for ((n = 0; n < rounds; n++)); do
	for r in $(rotated "$n" "${runtimes[@]}" floor); do
		if [ "$r" = floor ]; then
			timed run floor "$idle" "$floor" "$bundle/rootfs" "husk-bench-fl$n"
		else
			timed run "$r" "$idle" "${bin[$r]}" --root "$state/root-$r" run -b "$bundle" "r$n"
		fi
	done
	for r in $(rotated "$n" "${runtimes[@]}" floor); do
		if [ "$r" = floor ]; then
			"$floor" "$bundle/rootfs" "husk-bench-fw$n-pre"
			timed run-warm floor 0 "$floor" "$bundle/rootfs" "husk-bench-fw$n"
		else
			rt "$r" run -b "$bundle" "w$n-pre" >/dev/null 2>&1
			timed run-warm "$r" 0 "${bin[$r]}" --root "$state/root-$r" run -b "$bundle" "w$n"
		fi
	done
	# create's floor: the same as run's up to the exec (floor -c), its cgroups
	# removed afterwards, untimed.
	for r in $(rotated "$n" "${runtimes[@]}" floor); do
		if [ "$r" = floor ]; then
			timed create floor "$idle" "$floor" -c "$bundle/rootfs" "husk-bench-fc$n"
			"$floor" -d "husk-bench-fc$n"
		else
			timed create "$r" "$idle" "${bin[$r]}" --root "$state/root-$r" create -b "$bundle" "c$n"
		fi
	done
	# The floor of these three: starting any program at all (noop.c).
	for m in state start delete; do
		for r in $(rotated "$n" "${runtimes[@]}" floor); do
			if [ "$r" = floor ]; then
				timed "$m" floor "$idle" "$noop"
			else
				timed "$m" "$r" "$idle" "${bin[$r]}" --root "$state/root-$r" "$m" "c$n"
			fi
		done
	done
	# exec's floor: into the first runtime's running container (floor -e).
	for r in $(rotated "$n" "${runtimes[@]}" floor); do
		if [ "$r" = floor ]; then
			timed exec floor "$idle" "$floor" -e "$exe_pid"
		else
			timed exec "$r" "$idle" "${bin[$r]}" --root "$state/root-$r" exec exe /bin/true
		fi
	done
	for r in $(rotated "$n" "${runtimes[@]}"); do timed list "$r" "$idle" "${bin[$r]}" --root "$state/root-$r" list; done
done

# Throughput: N runs back to back, and in 2 parallel streams (runs per second).
for ((n = 0; n < tput_rounds; n++)); do
	for p in 1 2; do
		for r in $(rotated "$n" "${runtimes[@]}" floor); do
			if [ "$r" = floor ]; then
				set -- "$floor" "$bundle/rootfs" "husk-bench-t$n-$p-{}"
			else
				set -- "${bin[$r]}" --root "$state/root-$r" run -b "$bundle" "t$n-$p-{}"
			fi
			res=$("$timeit" -q -i "$idle" -n "$tput" -p "$p" -- "$@") || { echo "bench: $r: throughput failed" >&2; exit 1; }
			sample "throughput-$p" "$r" "$(awk -v n="$tput" '{ printf "%.1f", n * 1e6 / $1 }' <<<"$res")"
		done
	done
done

# The smallest memory-cgroup limit (KiB, on a 64 KiB grid; 1 MiB with --quick)
# under which `run` succeeds twice in a row, by bisection.  Each probe has a
# fresh memory cgroup of its own (beneath husk-bench-mem): a used one may hold
# charges (page cache, a killed runtime's kernel memory) above the next limit.
memroot=/sys/fs/cgroup/memory/husk-bench-mem
[ -d /sys/fs/cgroup/memory ] || memroot=/sys/fs/cgroup/husk-bench-mem
mkdir -p "$memroot"
[ -f "$memroot/cgroup.subtree_control" ] && echo +memory >"$memroot/cgroup.subtree_control"
# set_limit DIR BYTES
set_limit() {
	if [ -f "$1/memory.limit_in_bytes" ]; then
		echo "$2" >"$1/memory.limit_in_bytes" &&
			{ [ ! -f "$1/memory.memsw.limit_in_bytes" ] || echo "$2" >"$1/memory.memsw.limit_in_bytes"; }
	else
		echo "$2" >"$1/memory.max" && echo 0 >"$1/memory.swap.max"
	fi
}
# Each probe's container gets a relative cgroupsPath of its own: all three
# runtimes then place its cgroup beneath their own, in the limited one, so the
# container's memory counts for each alike (without one, runc and crun would
# nest it there while husk uses /husk/<id>).
membundle=$work/membundle
mkdir -p "$membundle"
survives() { # RUNTIME KIB
	local r=$1 k id memcg ok=0
	for k in 1 2; do
		id=husk-bench-m-$r-$2-$k
		memcg=$memroot/$id
		mkdir "$memcg"
		set_limit "$memcg" $(($2 * 1024)) || { echo "bench: cannot set the memory limit of $memcg" >&2; exit 1; }
		if [ "$r" = floor ]; then
			"$timeit" -q -c "$memcg" -- "$floor" "$bundle/rootfs" "$id" >/dev/null || ok=1
		else
			jq --arg root "$bundle/rootfs" --arg cg "$id" '.root.path = $root | .linux.cgroupsPath = $cg' \
				"$bundle/config.json" >"$membundle/config.json"
			"$timeit" -q -c "$memcg" -- "${bin[$r]}" --root "$state/root-$r" run -b "$membundle" "$id" >/dev/null || {
				ok=1
				rt "$r" delete -f "$id" >/dev/null 2>&1 || true
			}
		fi
		[ $ok = 0 ] || return 1
	done
	return 0
}
grid=64
[ "$quick" = 1 ] && grid=1024
for r in "${runtimes[@]}" floor; do
	lo=0 hi=32768 # KiB: lo fails (or is nothing), hi survives
	while [ $((hi - lo)) -gt $grid ]; do
		mid=$(((lo + hi) / 2 / grid * grid))
		[ "$mid" -le "$lo" ] && mid=$((lo + grid))
		if survives "$r" "$mid"; then hi=$mid; else lo=$mid; fi
	done
	sample memlimit "$r" "$hi"
done
# (crun also makes directories under the hidden unified mount point, on the
# tmpfs beneath it: not cgroups, not named.)
left=$(for d in /sys/fs/cgroup/*/husk-bench-m-* "$memroot"/husk-bench-m-*/husk-bench-m-*; do
	[ -d "$d" ] && [[ $(stat -f -c %T "$d") == cgroup* ]] && echo "$d"
done)
[ -z "$left" ] || echo "bench: note: killed by the memory limit, $(sed 's/.*husk-bench-m-\([a-z]*\)-.*/\1/' <<<"$left" | sort -u | xargs) left $(wc -l <<<"$left") cgroups (removed at the end)" >&2

# Installed size (KiB): husk as `make install` installs it (stripped).
for r in "${runtimes[@]}"; do
	f=${bin[$r]}
	if [ "$r" = husk ]; then
		strip -o "$work/husk.stripped" "$f"
		f=$work/husk.stripped
	fi
	sample size "$r" $(($(stat -c %s "$f") / 1024))
done

"$here/report.sh" "$raw" "$out"
