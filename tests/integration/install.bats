#!/usr/bin/env bats
# Installing husk (issue 20): make install into a DESTDIR, the man pages that
# make man writes from the --help texts, bash and zsh completion, and the Debian
# package, built from the tree, installed into a bookworm chroot where `husk run`
# runs a busybox container.
#
# Cached in build/: the chroot (tests/install/chroot.sh, build/pkg-chroot: one
# debootstrap, about a minute, then an overlay per run).  The package is built
# once per run, into build/deb/ (about 30 s).

load ../../bats/helpers

setup_file() {
	[ "$HUSK_NAME" = runc ] && return 0 # every test skips: husk's own install
	common_setup_file || return 1
	export DEST="$BATS_FILE_TMPDIR/dest"
	make -C "$REPO" --no-print-directory BUILD=build HUSK_BIN=husk PREFIX=/usr DESTDIR="$DEST" \
		install >"$BATS_FILE_TMPDIR/install.log" 2>&1 || { cat "$BATS_FILE_TMPDIR/install.log" >&3; return 1; }
	# The commands, from the installed husk's own list.
	"$DEST/usr/bin/husk" --help | awk 'tolower($0) ~ /^commands:$/ { on = 1; next }
		on && /^[ \t]*$/ { exit } on && $1 != "help" { print $1 }' >"$BATS_FILE_TMPDIR/commands"
}

setup() {
	requires husk
	common_setup
}

# has_section FILE SECTION: readelf lists the section in FILE.
has_section() {
	readelf -SW "$1" | grep -q " $2 "
}

# complete_bash WORD...: COMPREPLY for the words (the last is the one completed),
# one a line, with the installed bash completion; the first word is the husk run.
complete_bash() {
	bash -c 'source "$1" && shift && complete -p husk >/dev/null || exit 1
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _husk
		printf "%s\n" "${COMPREPLY[@]}"' bash "$DEST/usr/share/bash-completion/completions/husk" "$@"
}

@test "make install: a stripped binary, its debug info, man pages, completions, the snippets" {
	local husk=$DEST/usr/bin/husk dbg=$DEST/usr/lib/debug/usr/bin/husk.debug cmd f
	[ -x "$husk" ]
	run "$husk" --version
	[ "$status" -eq 0 ]
	run ! has_section "$husk" .symtab
	run ! has_section "$husk" .debug_info
	has_section "$husk" .gnu_debuglink
	has_section "$dbg" .debug_info
	[ "$(wc -l <"$BATS_FILE_TMPDIR/commands")" -ge 15 ]
	[ -f "$DEST/usr/share/man/man8/husk.8" ]
	while read -r cmd; do
		[ -f "$DEST/usr/share/man/man8/husk-$cmd.8" ] || { echo "no husk-$cmd.8"; false; }
	done <"$BATS_FILE_TMPDIR/commands"
	cmp "$REPO/contrib/completion/husk.bash" "$DEST/usr/share/bash-completion/completions/husk"
	cmp "$REPO/contrib/completion/_husk" "$DEST/usr/share/zsh/vendor-completions/_husk"
	for f in "$REPO"/contrib/{docker,containerd,podman}/*; do
		cmp "$f" "$DEST/usr/share/doc/husk/${f#"$REPO"/contrib/}"
	done
}

@test "make install STRIP=0: the binary as built, for a packager's strip" {
	local d=$BATS_TEST_TMPDIR/d
	make -C "$REPO" --no-print-directory BUILD=build HUSK_BIN=husk PREFIX=/usr DESTDIR="$d" STRIP=0 install >/dev/null
	has_section "$d/usr/bin/husk" .symtab
	has_section "$d/usr/bin/husk" .debug_info
	[ ! -e "$d/usr/lib/debug" ]
}

@test "man --warnings renders every page without a warning, each with every option of its --help" {
	local page cmd opt out
	for page in "$DEST"/usr/share/man/man8/*.8; do
		out=$(man --warnings -l "$page" 2>&1 >/dev/null)
		[ -z "$out" ] || { echo "$page: $out"; false; }
	done
	# What --help lists, the page says (roff's \- reads back as -).
	while read -r cmd; do
		out=$(MANWIDTH=200 man -l "$DEST/usr/share/man/man8/husk-$cmd.8" 2>/dev/null)
		[[ $out == *"husk-$cmd - "* ]]
		for opt in $("$DEST/usr/bin/husk" "$cmd" --help | grep -Eo '^ {1,8}(-[A-Za-z], )?--[a-z0-9-]+' | grep -Eo -- '--[a-z0-9-]+'); do
			grep -q -- "$opt" <<<"$out" || { echo "husk-$cmd.8 misses $opt"; false; }
		done
	done <"$BATS_FILE_TMPDIR/commands"
}

@test "bash completion: commands, options, option values" {
	local husk=$DEST/usr/bin/husk
	run complete_bash "$husk" cr
	[ "$status" -eq 0 ]
	[ "$output" = create ]
	run complete_bash "$husk" ""
	# Every command of husk --help, `help` too (it has no page of its own).
	[ "$(sort <<<"$output")" = "$({ cat "$BATS_FILE_TMPDIR/commands"; echo help; } | sort)" ]
	run complete_bash "$husk" kill --a
	[ "$output" = --all ]
	run complete_bash "$husk" exec --no-n
	[ "$output" = --no-new-privs ]
	run complete_bash "$husk" --root /x --log-f
	[ "$output" = --log-format ]
	run complete_bash "$husk" --log-format ""
	[ "$output" = "$(printf 'text\njson')" ]
}

@test "bash completion: container ids from husk list -q under the --root on the line" {
	local husk=$DEST/usr/bin/husk
	create_ctr
	run complete_bash "$husk" --root "$ROOT" kill ""
	[ "$output" = "$CID" ]
	run complete_bash "$husk" --root="$ROOT" state "${CID:0:6}"
	[ "$output" = "$CID" ]
	# Options before the id; none after it; another root has other ids.
	run complete_bash "$husk" --root "$ROOT" delete --force ""
	[ "$output" = "$CID" ]
	run complete_bash "$husk" --root "$ROOT" kill "$CID" ""
	[ -z "$output" ]
	mkdir -m 700 "$TESTDIR/other"
	run complete_bash "$husk" --root "$TESTDIR/other" kill ""
	[ -z "$output" ]
	run complete_bash "$husk" --root "$ROOT" spec ""
	[ -z "$output" ]
}

@test "zsh completion: commands with their summaries, options, ids" {
	command -v zsh >/dev/null || { echo "zsh is not installed (contrib/deps.sh installs it)"; false; }
	local husk=$DEST/usr/bin/husk
	create_ctr
	# compadd and _describe print what they would offer.
	zcomplete() {
		zsh -fc 'compadd() { while [[ $1 != -- ]]; do shift; done; shift; print -l -- "$@"; }
			_describe() { print -l -- ${(P)4}; }
			f=$1; shift; words=("$@"); CURRENT=$#; source $f' zsh \
			"$DEST/usr/share/zsh/vendor-completions/_husk" "$@"
	}
	run zcomplete "$husk" cr
	[[ "$output" == *"create:create a container"* ]]
	run zcomplete "$husk" kill --
	[ "$output" = --all ]
	run zcomplete "$husk" --root "$ROOT" pause ""
	[ "$output" = "$CID" ]
}

@test "the Debian package builds; lintian reports no error; it registers nothing" {
	run "$REPO/contrib/deb/build.sh" "$REPO/build/deb"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -v '^running with root' "$REPO/build/deb/lintian.txt" || true
	local deb
	deb=$(echo "$REPO"/build/deb/husk_*_"$(dpkg --print-architecture)".deb)
	[ -f "$deb" ]
	ls "$REPO"/build/deb/husk-dbgsym_*.deb
	run dpkg-deb -c "$deb"
	[[ "$output" == *" ./usr/bin/husk"* ]]
	[[ "$output" == *" ./usr/share/man/man8/husk-run.8.gz"* ]]
	[[ "$output" == *" ./usr/share/bash-completion/completions/husk"* ]]
	[[ "$output" == *" ./usr/share/zsh/vendor-completions/_husk"* ]]
	[[ "$output" == *" ./usr/share/doc/husk/containerd/config.toml"* ]]
	[[ "$output" != *" ./etc/"* ]]
	# No maintainer script: installing it changes no engine's configuration.
	dpkg-deb -e "$deb" "$BATS_TEST_TMPDIR/control"
	[ "$(ls "$BATS_TEST_TMPDIR/control")" = "$(printf 'control\nmd5sums')" ]
}

@test "the package installs into a bookworm chroot and its husk runs a container" {
	local deb c=$BATS_TEST_TMPDIR/chroot
	deb=$(echo "$REPO"/build/deb/husk_*_"$(dpkg --print-architecture)".deb)
	[ -f "$deb" ] || { echo "no package: the test before builds it"; false; }
	run "$REPO/tests/install/chroot.sh" "$REPO/build/pkg-chroot"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	mkdir -p "$c"/{upper,work,root}
	cp "$deb" "$c/husk.deb"
	cp -a "$BUNDLE" "$c/bundle"
	# A mount namespace of its own: whatever happens, the mounts end with it.
	# shellcheck disable=SC2016 # expanded by the inner bash
	run unshare -m --propagation private bash -euc '
		lower=$1 c=$2 r=$2/root
		mount -t overlay overlay -o "lowerdir=$lower,upperdir=$c/upper,workdir=$c/work" "$r"
		mount --rbind /proc "$r/proc"
		mount --rbind /sys "$r/sys"
		mount --rbind /dev "$r/dev"
		mount -t tmpfs tmpfs "$r/run"
		cp "$c/husk.deb" "$r/tmp/" && cp -a "$c/bundle" "$r/bundle"
		chroot "$r" dpkg -i /tmp/husk.deb
		chroot "$r" sh -c "command -v husk; husk --version"
		chroot "$r" husk spec --bundle /tmp
		chroot "$r" husk run --bundle /bundle deb-test </dev/null
		chroot "$r" husk list -q
		umount -R "$r"' bash "$REPO/build/pkg-chroot/root" "$c" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Setting up husk"* ]]
	[[ "$output" == *"/usr/bin/husk"* ]]
	[ -f "$c/upper/tmp/config.json" ]
	# The probe of the bundle ran (it prints the ids it runs as), and run deleted it.
	[[ "$output" == *"euid 0"* ]]
	[[ "$(tail -n 1 <<<"$output")" != deb-test ]]
	run ! grep -q " $c/" /proc/self/mountinfo
}
