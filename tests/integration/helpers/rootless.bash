# Shared by rootless.bats and rootless-podman.bats: an unprivileged user made
# for the file, and husk (or podman) run as that user.
#
#   rootless_setup_file    useradd $RL_USER (with /etc/subuid and /etc/subgid
#                          ranges), $RL_TMP: a directory the user owns, with a
#                          copy of the husk binary under test and a rootfs
#   rootless_teardown_file kill what the user still runs, userdel (which drops
#                          its subuid/subgid lines), rm -rf $RL_TMP
#   as_user CMD...         CMD as the user: its own uid, gid and groups, a
#                          clean environment with XDG_RUNTIME_DIR=$RL_XDG

RL_USER=husk-rootless

# kill_user_procs UID: every process of that uid (the file's own user: all
# were started by its tests), by pid.
kill_user_procs() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(stat -c %u "$p" 2>/dev/null)" = "$1" ] && kill -KILL "${p#/proc/}" 2>/dev/null
	done
	return 0
}

rootless_setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	# A user left over by an interrupted run goes first (its processes too).
	if id "$RL_USER" >/dev/null 2>&1; then
		kill_user_procs "$(id -u "$RL_USER")"
		userdel "$RL_USER" 2>/dev/null
	fi
	useradd -M -d /nonexistent -s /usr/sbin/nologin "$RL_USER" || return 1
	# Debian's useradd adds ranges itself (SUB_UID_COUNT): add them if not.
	grep -q "^$RL_USER:" /etc/subuid 2>/dev/null || usermod --add-subuids 200000-265535 "$RL_USER"
	grep -q "^$RL_USER:" /etc/subgid 2>/dev/null || usermod --add-subgids 200000-265535 "$RL_USER"
	RL_UID=$(id -u "$RL_USER")
	RL_GID=$(id -g "$RL_USER")
	RL_SUBUID=$(awk -F: -v u="$RL_USER" '$1 == u { print $2; exit }' /etc/subuid)
	RL_SUBGID=$(awk -F: -v u="$RL_USER" '$1 == u { print $2; exit }' /etc/subgid)
	RL_TMP=$(mktemp -d /tmp/husk-rootless-XXXXXX)
	chmod 755 "$RL_TMP"
	mkdir -p "$RL_TMP/bin"
	# The user must be able to run it: a copy in the user's own tree.
	cp "$HUSK" "$RL_TMP/bin/husk"
	chmod 755 "$RL_TMP/bin/husk"
	build_rootfs "$RL_TMP/rootfs" >/dev/null || return 1
	chown -R "$RL_USER:" "$RL_TMP"
	export RL_UID RL_GID RL_SUBUID RL_SUBGID RL_TMP
	export RL_HUSK="$RL_TMP/bin/husk"
}

rootless_teardown_file() {
	if [ -n "${RL_UID:-}" ]; then
		kill_user_procs "$RL_UID"
		sleep 0.2
		userdel "$RL_USER" 2>/dev/null
	fi
	if [ -n "${RL_TMP:-}" ] && [ -d "$RL_TMP" ]; then
		awk -v d="$RL_TMP/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
			while read -r m; do umount -l "$m" 2>/dev/null; done
		rm -rf "$RL_TMP"
	fi
	return 0
}

rootless_require() {
	[ "$(id -u)" = 0 ] || skip "needs root (to create the unprivileged user)"
	[ -n "${RL_TMP:-}" ] || skip "the unprivileged user could not be set up"
	command -v newuidmap >/dev/null || skip "!!! newuidmap missing (apt-get install uidmap)"
}

# as_user CMD...: CMD as $RL_USER (fd 3 closed: bats waits for it otherwise).
as_user() {
	setpriv --reuid "$RL_USER" --regid "$RL_USER" --init-groups --reset-env \
		env XDG_RUNTIME_DIR="$RL_XDG" HOME="$RL_TMP" PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		${RL_ENV:+$RL_ENV} "$@" 3>&-
}
