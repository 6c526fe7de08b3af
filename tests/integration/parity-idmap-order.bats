#!/usr/bin/env bats
# Idmapped binds whose source lies inside the rootfs (issue 16, mount order):
# the source may exist only once an earlier mount of the same container is in
# place, so it is cloned from inside the container's mount namespace at its
# turn, resolved inside the rootfs (a symlink of the image's must not lead to
# the host), and idmapped by the host-side parent.

# shellcheck disable=SC2016 # $s, $d are jq's (--arg)
load ../../bats/helpers

setup() {
	common_setup
	requires root
	# What the container's first mount brings: $SRC on /mnt, $SRC/sub/owned
	# owned by 7:8 on disk.  $ROOTFS/mnt/sub does not exist on the host.
	SRC="$TESTDIR/src"
	mkdir -p "$SRC/sub" "$ROOTFS/mnt" "$ROOTFS/data"
	touch "$SRC/sub/owned"
	chown 7:8 "$SRC/sub/owned"
	update_config '.mounts += [{"source": $s, "destination": "/mnt", "type": "bind",
		"options": ["rbind", "rprivate"]}]' --arg s "$SRC"
}

teardown() { common_teardown; }

# idmap_bind SOURCE DEST UIDHOST GIDHOST: an idmapped bind with its own mappings.
idmap_bind() {
	update_config '.mounts += [{"source": $s, "destination": $d, "type": "bind",
		"options": ["rbind", "rprivate"],
		"uidMappings": [{"containerID": 0, "hostID": ($u | tonumber), "size": 65536}],
		"gidMappings": [{"containerID": 0, "hostID": ($g | tonumber), "size": 65536}]}]' \
		--arg s "$1" --arg d "$2" --arg u "$3" --arg g "$4"
}

userns() {
	requires userns
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
}

@test "an idmapped bind of a source an earlier mount of the container made" {
	idmap_bind "$ROOTFS/mnt/sub" /data 100000 100002
	set_args /bin/stat -c %u:%g /data/owned
	run run_ctr
	echo "$output"
	[ "$status" -eq 0 ]
	# 7:8 on disk, seen through the mount's mappings (no user namespace).
	[ "$output" = "100007:100010" ]
}

@test "an idmapped bind of a source an earlier mount made, in a user namespace" {
	userns
	idmap_bind "$ROOTFS/mnt/sub" /data 100000 100002
	set_args /bin/stat -c %u:%g /data/owned
	run run_ctr
	echo "$output"
	[ "$status" -eq 0 ]
	# 7:8 on disk, 100007:100010 through the mount, 7:10 in the container
	# (65534:65534 without the idmap).
	[ "$output" = "7:10" ]
}

@test "an idmapped bind of a relative source inside the rootfs, over a nested earlier mount" {
	userns
	mkdir -p "$SRC/sub/deeper" "$TESTDIR/src2"
	echo second >"$TESTDIR/src2/file"
	update_config '.mounts += [{"source": $s, "destination": "/mnt/sub/deeper", "type": "bind",
		"options": ["rbind"]}]' --arg s "$TESTDIR/src2"
	# Relative to the bundle; rbind takes the nested mount along.
	idmap_bind rootfs/mnt/sub /data 100000 100000
	set_args /bin/cat /data/deeper/file
	run run_ctr
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "second" ]
}

@test "an idmapped file an earlier mount made gets a file as its new mountpoint" {
	idmap_bind "$ROOTFS/mnt/sub/owned" /etc/owned 100000 100000
	set_args /bin/stat -c %F:%u:%g /etc/owned
	run run_ctr
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "regular empty file:100007:100008" ]
}

@test "an idmapped source through a symlink of the rootfs resolves inside the rootfs" {
	# The image's symlink names a host path; the host has a secret there, the
	# rootfs a decoy at the same path.
	mkdir -p "$TESTDIR/secret" "$ROOTFS$TESTDIR/secret"
	echo host-secret >"$TESTDIR/secret/file"
	echo rootfs-decoy >"$ROOTFS$TESTDIR/secret/file"
	ln -s "$TESTDIR/secret" "$ROOTFS/lnk"
	idmap_bind "$ROOTFS/lnk" /data 100000 100000
	set_args /bin/cat /data/file
	run run_ctr
	echo "$output"
	[[ "$output" != *host-secret* ]]
	[ "$status" -eq 0 ]
	[ "$output" = "rootfs-decoy" ]
}

@test "an idmapped source through a symlink of the rootfs to a host-only path fails, naming the mount" {
	userns
	mkdir -p "$TESTDIR/secret"
	echo host-secret >"$TESTDIR/secret/file"
	ln -s "$TESTDIR/secret" "$ROOTFS/lnk"
	idmap_bind "$ROOTFS/lnk" /data 100000 100000
	n=$(jq '.mounts | length - 1' "$BUNDLE/config.json")
	set_args /bin/cat /data/file
	run run_ctr
	echo "$output"
	[[ "$output" != *host-secret* ]]
	[ "$status" -ne 0 ]
	[[ "$output" == *"mounts[$n]: \`$ROOTFS/lnk\`"*"no such file"* ]]
	# Nothing left: no process, no state.
	no_process_left
	[ -z "$(ls -A "$ROOT")" ]
}
