#!/usr/bin/env bats
# The root filesystem: readonly root, mounts and their options, symlinks that
# try to escape, masked and readonly paths, devices, --no-pivot, propagation.

load ../../bats/helpers

# add_mount JSON: append one mount to the config.
add_mount() {
	update_config '.mounts += [$m]' --argjson m "$1"
}

# mountinfo_line DEST: the mountinfo line (from $output) whose mount point is DEST.
mountinfo_line() {
	awk -v d="$1" '$5 == d' <<<"$output" | tail -n1
}

@test "root.readonly: the root cannot be written" {
	update_config '.root.readonly = true'
	set_args /bin/sh -c 'touch /x && echo wrote; awk "\$5 == \"/\"" /proc/self/mountinfo'
	run run_ctr
	[[ "$output" != *wrote* ]]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$(mountinfo_line /)" == *" / ro,"* ]]
	[ ! -e "$ROOTFS/x" ]
}

@test "a writable root can be written" {
	set_args /bin/sh -c 'touch /x && echo wrote'
	run run_ctr
	[ "$output" = wrote ]
	[ -e "$ROOTFS/x" ]
}

@test "the default mounts have their types" {
	set_args /probe mounts
	run run_ctr
	[ "$status" -eq 0 ]
	for m in /proc:proc /dev:tmpfs /dev/pts:devpts /dev/shm:tmpfs /dev/mqueue:mqueue /sys:sysfs; do
		line=$(mountinfo_line "${m%%:*}")
		[[ "$line" == *" - ${m#*:} "* ]] || { echo "${m%%:*}: '$line'"; false; }
	done
	[ -n "$(awk '$5 ~ "^/sys/fs/cgroup"' <<<"$output")" ]
}

@test "tmpfs mount with options is visible in mountinfo" {
	add_mount '{"destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "noexec", "size=1m", "mode=750"]}'
	set_args /probe mounts
	run run_ctr
	[ "$status" -eq 0 ]
	line=$(mountinfo_line /mnt/t)
	[[ "$line" == *nosuid* && "$line" == *nodev* && "$line" == *noexec* ]]
	[[ "$line" == *"size=1024k"* ]]
	[[ "$line" == *"mode=750"* ]]
}

@test "bind mount rw: the container's write reaches the host" {
	mkdir "$TESTDIR/src"
	echo host >"$TESTDIR/src/in"
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$TESTDIR/src\", \"options\": [\"bind\"]}"
	set_args /bin/sh -c 'cat /data/in && echo ctr > /data/out'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = host ]
	[ "$(cat "$TESTDIR/src/out")" = ctr ]
}

@test "bind mount ro: the container cannot write" {
	mkdir "$TESTDIR/src"
	echo host >"$TESTDIR/src/in"
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$TESTDIR/src\", \"options\": [\"bind\", \"ro\"]}"
	set_args /bin/sh -c 'cat /data/in; echo ctr > /data/out && echo wrote'
	run run_ctr
	[ "${lines[0]}" = host ]
	[[ "$output" == *"Read-only file system"* ]]
	[ ! -e "$TESTDIR/src/out" ]
}

@test "bind mount of a single file" {
	echo filedata >"$TESTDIR/onefile"
	add_mount "{\"destination\": \"/etc/onefile\", \"type\": \"bind\", \"source\": \"$TESTDIR/onefile\", \"options\": [\"bind\", \"ro\"]}"
	set_args cat /etc/onefile
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = filedata ]
}

# A source with a submount: ro on rbind leaves the submount writable, rro not.
submount_src() {
	mkdir -p "$TESTDIR/mnt-src/sub"
	mount -t tmpfs tmpfs "$TESTDIR/mnt-src/sub"
}

@test "rbind with ro leaves submounts writable" {
	submount_src
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$TESTDIR/mnt-src\", \"options\": [\"rbind\", \"ro\"]}"
	set_args /bin/sh -c 'touch /data/top && echo W:top; touch /data/sub/x && echo W:sub'
	run run_ctr
	[[ "$output" != *W:top* ]]
	[[ "$output" == *W:sub* ]]
}

@test "rro makes the whole bind tree read-only" {
	submount_src
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$TESTDIR/mnt-src\", \"options\": [\"rbind\", \"rro\"]}"
	set_args /bin/sh -c 'touch /data/top && echo W:top; touch /data/sub/x && echo W:sub; true'
	run run_ctr
	[ "$status" -eq 0 ]
	[[ "$output" != *W:top* ]]
	[[ "$output" != *W:sub* ]]
	[ ! -e "$TESTDIR/mnt-src/sub/x" ]
}

@test "rnosuid and rnoexec apply to submounts" {
	submount_src
	cp "$ROOTFS/probe" "$TESTDIR/mnt-src/sub/probe"
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$TESTDIR/mnt-src\", \"options\": [\"rbind\", \"rnoexec\", \"rnosuid\"]}"
	set_args /bin/sh -c '/data/sub/probe pid && echo ran; grep " /data/sub " /proc/self/mountinfo'
	run run_ctr
	[[ "$output" != *ran* ]]
	line=$(grep ' /data/sub ' <<<"$output")
	[[ "$line" == *noexec* && "$line" == *nosuid* ]]
}

@test "an absolute symlink in the rootfs cannot make a bind mount land outside it" {
	mkdir "$TESTDIR/src" "$TESTDIR/outside"
	echo secret-src >"$TESTDIR/src/file"
	ln -s "$TESTDIR/outside" "$ROOTFS/evil"
	add_mount "{\"destination\": \"/evil/x\", \"type\": \"bind\", \"source\": \"$TESTDIR/src\", \"options\": [\"bind\"]}"
	set_args /bin/sh -c 'cat /evil/x/file'
	run run_ctr
	[ -z "$(ls -A "$TESTDIR/outside")" ]
	if [ "$status" -eq 0 ]; then
		[ "$output" = secret-src ]
		[ -d "$ROOTFS/$TESTDIR/outside/x" ]
	fi
}

@test "a relative symlink climbing out of the rootfs cannot make a mount land outside it" {
	mkdir "$TESTDIR/outside"
	ln -s ../../../../../../../../.."$TESTDIR/outside" "$ROOTFS/evil"
	add_mount '{"destination": "/evil/t", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}'
	set_args /bin/sh -c 'grep " /evil/t \| /tmp/.*/t " /proc/self/mountinfo; true'
	run run_ctr
	[ -z "$(ls -A "$TESTDIR/outside")" ]
	run ! grep -q "$TESTDIR/outside/t" /proc/self/mountinfo
}

@test "/proc must be a real directory in the rootfs" {
	rmdir "$ROOTFS/proc"
	mkdir "$TESTDIR/fakeproc"
	ln -s "$TESTDIR/fakeproc" "$ROOTFS/proc"
	run run_ctr
	[ "$status" -ne 0 ]
	[ -z "$(ls -A "$TESTDIR/fakeproc")" ]
	[ ! -e "$ROOT/$CID" ]
}

@test "maskedPaths: files read empty, directories are empty" {
	update_config '.linux.maskedPaths += ["/etc/hostname", "/home", "/proc/cpuinfo"]'
	touch "$ROOTFS/home/user/file"
	set_args /bin/sh -c 'echo "[$(cat /etc/hostname)]"; ls -A /home | wc -l; cat /proc/cpuinfo | wc -c'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "[]" ]
	[ "${lines[1]}" = 0 ]
	[ "${lines[2]}" = 0 ]
}

@test "readonlyPaths: cannot be written" {
	update_config '.linux.readonlyPaths += ["/home/user"]'
	set_args /bin/sh -c 'touch /home/user/f && echo W:home; touch /tmp/f && echo W:tmp; echo 0 > /proc/sys/vm/overcommit_memory && echo W:sys'
	run run_ctr
	[[ "$output" == *W:tmp* ]]
	[[ "$output" != *W:home* ]]
	[[ "$output" != *W:sys* ]]
	[ ! -e "$ROOTFS/home/user/f" ]
}

@test "default devices exist with the right numbers" {
	set_args /bin/sh -c 'for d in null zero full random urandom tty ptmx; do echo $d $(stat -L -c "%F %t:%T" /dev/$d); done'
	run run_ctr
	[ "$status" -eq 0 ]
	[[ "$output" == *"null character special file 1:3"* ]]
	[[ "$output" == *"zero character special file 1:5"* ]]
	[[ "$output" == *"full character special file 1:7"* ]]
	[[ "$output" == *"random character special file 1:8"* ]]
	[[ "$output" == *"urandom character special file 1:9"* ]]
	[[ "$output" == *"tty character special file 5:0"* ]]
	[[ "$output" == *"ptmx character special file 5:2"* ]]
}

@test "default devices work" {
	set_args /bin/sh -c 'echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | wc -c; head -c 4 /dev/urandom | wc -c; echo x > /dev/full || echo full-ok'
	run run_ctr
	[ "${lines[0]}" = null-ok ]
	[ "${lines[1]}" = 4 ]
	[ "${lines[2]}" = 4 ]
	[[ "$output" == *full-ok* ]]
}

@test "/dev symlinks: fd, stdin, stdout, stderr, ptmx; /dev/shm is a directory" {
	set_args /bin/sh -c 'for l in fd stdin stdout stderr; do echo $l $(readlink /dev/$l); done; [ -d /dev/shm ] && echo shm'
	run run_ctr
	[ "$status" -eq 0 ]
	[[ "$output" == *"fd /proc/self/fd"* ]]
	[[ "$output" == *"stdin /proc/self/fd/0"* ]]
	[[ "$output" == *"stdout /proc/self/fd/1"* ]]
	[[ "$output" == *"stderr /proc/self/fd/2"* ]]
	[[ "$output" == *shm* ]]
}

@test "no host devices leak into /dev" {
	set_args ls /dev
	run run_ctr
	[ "$status" -eq 0 ]
	[[ "$output" != *sda* && "$output" != *vda* && "$output" != *kmsg* && "$output" != *mem* ]]
}

@test "linux.devices: a device node with its type, numbers, mode and owner" {
	update_config '.linux.devices = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 432, "uid": 1000, "gid": 1000}]
		| .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]
		| .process.user = {"uid": 1000, "gid": 1000}'
	set_args /bin/sh -c 'stat -c "%F %t:%T %a %u:%g" /dev/mynull; echo x > /dev/mynull && echo wrote'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "character special file 1:3 660 1000:1000" ]
	[ "${lines[1]}" = wrote ]
}

@test "linux.devices in several directories, back and forth, each made where it is named" {
	update_config '.linux.devices = [
		{"path": "/dev/net/tun2", "type": "c", "major": 1, "minor": 5},
		{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3},
		{"path": "/dev/net/null2", "type": "c", "major": 1, "minor": 3},
		{"path": "/dev/a/b/zero2", "type": "c", "major": 1, "minor": 5},
		{"path": "/top", "type": "c", "major": 1, "minor": 3},
		{"path": "/dev/zero3", "type": "c", "major": 1, "minor": 5}]'
	set_args /bin/sh -c 'for f in /dev/net/tun2 /dev/mynull /dev/net/null2 /dev/a/b/zero2 /top /dev/zero3 /dev/null /dev/tty; do stat -c "%n %t:%T" $f; done'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "/dev/net/tun2 1:5 /dev/mynull 1:3 /dev/net/null2 1:3 /dev/a/b/zero2 1:5 /top 1:3 /dev/zero3 1:5 /dev/null 1:3 /dev/tty 5:0" ]
}

@test "--no-pivot runs the container in its rootfs" {
	set_args /bin/sh -c 'ls /probe && cat /etc/hostname'
	run husk run --no-pivot --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /probe ]
	[ "${lines[1]}" = husk-test ]
}

# Move the bundle onto a shared mount, so that a slave root has a master.
shared_bundle() {
	mkdir "$TESTDIR/mnt-shared"
	mount --bind "$TESTDIR/mnt-shared" "$TESTDIR/mnt-shared"
	mount --make-shared "$TESTDIR/mnt-shared"
	mv "$BUNDLE" "$TESTDIR/mnt-shared/bundle"
	BUNDLE="$TESTDIR/mnt-shared/bundle"
	ROOTFS="$BUNDLE/rootfs"
}

@test "rootfsPropagation shared, slave, private, unbindable show on /" {
	skip_if_runc "rootfsPropagation does not show on the container's /"
	shared_bundle
	set_args /bin/sh -c 'awk "\$5 == \"/\"" /proc/self/mountinfo'
	update_config '.linux.rootfsPropagation = "shared"'
	run run_ctr
	[[ "$output" == *shared:* ]]
	update_config '.linux.rootfsPropagation = "slave"'
	run run_ctr
	[[ "$output" == *master:* && "$output" != *shared:* ]]
	update_config '.linux.rootfsPropagation = "private"'
	run run_ctr
	[[ "$output" != *master:* && "$output" != *shared:* ]]
	update_config '.linux.rootfsPropagation = "unbindable"'
	run run_ctr
	[[ "$output" == *unbindable* ]]
}

@test "rootfsPropagation: an invalid value is rejected" {
	update_config '.linux.rootfsPropagation = "sideways"'
	run run_ctr
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/$CID" ]
}

@test "mounts in the container do not propagate to the host" {
	# The bundle is on a shared mount: only the runtime's private/slave root
	# keeps the container's mounts from showing up on the host.
	shared_bundle
	add_mount '{"destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs"}'
	set_args /probe sleep 100
	run_detached
	run ! grep -q "$ROOTFS/mnt/t" /proc/self/mountinfo
	run ! grep -q " $ROOTFS " /proc/self/mountinfo
}

@test "nosymfollow: symlinks on the mount are not followed" {
	skip_if_runc "no nosymfollow"
	mkdir "$TESTDIR/src"
	echo target >"$TESTDIR/src/real"
	ln -s real "$TESTDIR/src/link"
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$TESTDIR/src\", \"options\": [\"bind\", \"nosymfollow\"]}"
	set_args /bin/sh -c 'cat /data/real; cat /data/link && echo followed; true'
	run run_ctr
	[ "${lines[0]}" = target ]
	[[ "$output" != *followed* ]]
}

@test "tmpcopyup: a tmpfs over a directory starts with its contents" {
	mkdir -p "$ROOTFS/seed"
	echo seeded >"$ROOTFS/seed/file"
	add_mount '{"destination": "/seed", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]}'
	set_args /bin/sh -c 'cat /seed/file; echo new > /seed/file; grep " /seed " /proc/self/mountinfo'
	run run_ctr
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = seeded ]
	[[ "${lines[1]}" == *tmpfs* ]]
	[ "$(cat "$ROOTFS/seed/file")" = seeded ]
}

@test "idmap bind mount: files appear owned by the mapped ids" {
	requires userns
	skip_if_runc "no idmap mounts"
	mkdir "$TESTDIR/src" "$ROOTFS/data" "$ROOTFS/plain"
	touch "$TESTDIR/src/f"
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	# Host root's file, mapped to the container's root; without idmap it is unmapped.
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$TESTDIR/src\", \"options\": [\"bind\", \"idmap\"], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}], \"gidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}]}"
	add_mount "{\"destination\": \"/plain\", \"type\": \"bind\", \"source\": \"$TESTDIR/src\", \"options\": [\"bind\"]}"
	set_args stat -c %u:%g /data/f /plain/f
	run run_ctr
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "0:0" ]
	[ "${lines[1]}" = "65534:65534" ]
}

@test "a mount destination that is relative is rejected or resolved inside" {
	add_mount '{"destination": "rel/t", "type": "tmpfs", "source": "tmpfs"}'
	set_args /bin/sh -c 'grep " /rel/t " /proc/self/mountinfo'
	run run_ctr
	[ ! -e "$BUNDLE/rel" ] && [ ! -e "$PWD/rel" ]
}
