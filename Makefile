# husk — an OCI container runtime
#
#   make            build ./husk
#   make check      install missing Debian packages, build, run unit + integration
#                   tests; the last line is "N passed, N failed"
#   make demo       build and walk a busybox container through its lifecycle
#   make install    PREFIX=/usr/local DESTDIR= (stripped; debug info beside, DEBUGDIR;
#                   STRIP=0: unstripped, for a packager's own strip); man pages,
#                   bash and zsh completion, the contrib snippets under share/doc/husk
#   make man        the man pages, from the --help texts, into build/man/
#   make deb        the Debian package (dpkg-buildpackage -us -uc -b) into build/deb/
#   make bench      husk vs runc vs crun vs the kernel floor (contrib/bench/)
#   make check-asan the unit and integration tests (but the client suites) against an
#                   ASan+UBSan build
#   make check-cgroup2  the cgroup tests in a pure cgroup v2 VM (qemu TCG, tests/vm/)
#   make check-systemd  the systemd driver tests in a VM with systemd as PID 1 (tests/vm/)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
BUILD ?= build
CC ?= gcc
# The compiler of what is not husk: the test programs (tests/probe, the seccomp
# agent), which link the system's C library.
HOSTCC := $(CC)
PKG_CONFIG ?= pkg-config
# husk uses no library but the C library: JSON is its own (src/oci/jsontree.c,
# src/util/jsongen.c), it compiles linux.seccomp into BPF itself
# (src/linux/bpf-seccomp.h) and speaks D-Bus to systemd itself
# (src/cgroup/dbus.h).  libseccomp is the oracle of a unit test and the notify
# agent's library, nothing else.
PKGS :=
LINK_PKGS :=

VERSION := 0.1.0
COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
SPEC_VERSION := 1.3.0

WARNINGS := -Wall -Wextra -Wno-unused-parameter \
	-Werror=shadow -Werror=empty-body -Werror=strict-prototypes \
	-Werror=missing-prototypes -Werror=implicit-function-declaration \
	-Werror=pointer-arith -Werror=init-self -Werror=missing-declarations \
	-Werror=return-type -Werror=overflow -Werror=int-conversion \
	-Werror=parentheses -Werror=incompatible-pointer-types \
	-Werror=misleading-indentation -Werror=missing-include-dirs \
	-Werror=format=2 -Werror=format-security

# No .eh_frame (C has no exceptions; debuggers read .debug_frame, which -g
# writes into the debug info that make install keeps apart), and each function
# in a section of its own so that the linker drops what nothing calls: the
# installed binary is ~10% smaller (352 -> 316 KiB).  -Os rather than -O2: husk
# waits on the kernel, not on its own code (run, state and the rest time the
# same, contrib/bench), and the binary is 13% smaller (372 -> 324 KiB).  The
# relative relocations of the PIE packed (DT_RELR, binutils 2.38, glibc 2.36):
# 29 KiB of .rela.dyn become 0.5 KiB of .relr.dyn (-> 296 KiB).
SIZE_OPT := -fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections
OPT ?= -Os -g $(SIZE_OPT)
CFLAGS ?= $(OPT)
LIBC ?= $(if $(shell command -v musl-gcc 2>/dev/null),musl,glibc)
ifeq ($(LIBC),glibc)
RELR := $(shell echo 'int main (void) { return 0; }' | $(CC) -x c - -Wl,-z,pack-relative-relocs \
	-Wl,--fatal-warnings -o /dev/null 2>/dev/null && echo -Wl,-z,pack-relative-relocs)
endif
LDFLAGS ?= -Wl,--gc-sections $(RELR)

# LIBC=musl: husk linked statically against musl (Debian: musl-tools), as a
# position-independent executable (static-pie).  Every husk command then starts
# without a dynamic loader, and without glibc's start-up, whose CPU feature and
# cache probing (some 40 CPUID instructions) costs ~0.2 ms in a virtual machine,
# where each CPUID traps to the hypervisor (3.7 us here): `state` 0.87 -> 0.55 ms,
# a static no-op 0.52 -> 0.25 ms.  musl-gcc compiles against musl's headers; the
# kernel's (linux/, asm/) are the system's, which musl-gcc leaves out, so they
# are linked into $(BUILD)/musl-include.  gcc's driver links (musl-gcc's specs do
# not know -static-pie), with husk's own entry point instead of musl's rcrt1.o:
# src/util/start-musl.c relocates the binary at start-up, and applies the packed
# relocations (DT_RELR) that musl 1.2.3's would not.
ifeq ($(LIBC),musl)
MUSL_GCC ?= musl-gcc
MULTIARCH := $(shell $(HOSTCC) -dumpmachine)
MUSL_LIBDIR ?= /usr/lib/$(patsubst %-gnu,%-musl,$(MULTIARCH))
MUSL_INC := $(BUILD)/musl-include
CC := $(MUSL_GCC) -isystem $(MUSL_INC)
LINK = $(HOSTCC) -nostdlib -static-pie $(CFLAGS) $(LDFLAGS) -Wl,-z,pack-relative-relocs -o $@ \
	$(MUSL_LIBDIR)/crti.o $(shell $(HOSTCC) -print-file-name=crtbeginS.o) $(1) \
	$(MUSL_LIBDIR)/libc.a $(shell $(HOSTCC) -print-libgcc-file-name) \
	$(shell $(HOSTCC) -print-file-name=crtendS.o) $(MUSL_LIBDIR)/crtn.o \
	&& { ! readelf -rW $@ | awk '/^ *[0-9a-f]+ +[0-9a-f]+ +R_/ && $$3 != "R_X86_64_RELATIVE"' | grep -q .; } \
	|| { echo "$@: a dynamic relocation other than a relative one (start-musl.c applies no other)" >&2; rm -f $@; exit 1; }
# start-musl.c runs before the thread area (and the stack protector's canary) exists.
$(BUILD)/src/util/start-musl.o: HUSK_CFLAGS += -fno-stack-protector
# malloc-musl.c: no builtin knowledge of malloc, or gcc -O2 turns the malloc and
# memset of its calloc into a call to calloc, itself (Debian's build did).
$(BUILD)/src/util/malloc-musl.o: HUSK_CFLAGS += -fno-builtin
else
LINK = $(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(1)
endif
HUSK_CFLAGS := -std=gnu11 $(WARNINGS) -D_FORTIFY_SOURCE=2 -fstack-protector-strong \
	-iquote src -DHUSK_VERSION='"$(VERSION)"' -DHUSK_COMMIT='"$(COMMIT)"' \
	-DHUSK_SPEC_VERSION='"$(SPEC_VERSION)"' \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
LIBS := $(shell $(PKG_CONFIG) --libs $(LINK_PKGS) 2>/dev/null)

SRCS := $(wildcard src/*.c src/*/*.c)
# husk's own allocator, vfprintf, strtol family and fork replace musl's (the
# files say why); a glibc build, and so the ASan one, keeps the C library's.
ifneq ($(LIBC),musl)
SRCS := $(filter-out src/util/fork-musl.c src/util/malloc-musl.c src/util/printf-musl.c \
	src/util/start-musl.c src/util/strtol-musl.c,$(SRCS))
endif
LIB_SRCS := $(filter-out src/main.c src/cmd/%,$(SRCS))
OBJS := $(SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
DEPS := $(OBJS:.o=.d)

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)

# Parallel work trees: make BUILD=build-x HUSK_BIN=build-x/husk build-x/husk, then
# HUSK=$$PWD/build-x/husk bats tests/integration/foo.bats
HUSK_BIN ?= husk

all: $(HUSK_BIN)

$(HUSK_BIN): $(OBJS)
	$(call LINK,$(OBJS) $(LIBS))

# The syscall numbers of the seccomp compiler, from the kernel headers.
$(BUILD)/gen/syscalls.h: contrib/gen-syscalls.sh | $(MUSL_INC)
	@mkdir -p $(dir $@)
	contrib/gen-syscalls.sh "$(CC)" $@
$(OBJS): | $(BUILD)/gen/syscalls.h

$(BUILD)/%.o: %.c $(BUILD)/libc.stamp | $(MUSL_INC)
	@mkdir -p $(dir $@)
	$(CC) $(HUSK_CFLAGS) -iquote $(BUILD)/gen $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# Which C library the objects of $(BUILD) were compiled for: rewritten (and so
# every object rebuilt) only when LIBC changes.
$(BUILD)/libc.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo $(LIBC) | cmp -s - $@ || echo $(LIBC) >$@
FORCE:

ifeq ($(LIBC),musl)
$(MUSL_INC):
	@mkdir -p $@
	ln -sfn /usr/include/linux /usr/include/asm-generic $@/
	ln -sfn /usr/include/$(MULTIARCH)/asm $@/asm
	@test -f $(MUSL_LIBDIR)/libc.a || { echo "LIBC=musl: no $(MUSL_LIBDIR)/libc.a (apt-get install musl-tools)" >&2; exit 1; }

# The glibc build of the same code, for the tests that need a dynamically
# linked husk (security-exe.bats: a preloaded library), in $(BUILD)/glibc.
GLIBC_HUSK := $(BUILD)/glibc/husk
$(GLIBC_HUSK): FORCE
	@$(MAKE) --no-print-directory LIBC=glibc BUILD=$(BUILD)/glibc HUSK_BIN=$@ $@

# test_seccomp_bpf links libseccomp (its oracle), which is the system's, built
# for glibc: the test comes from a glibc build of its own, in $(BUILD)/glibc.
$(BUILD)/unit/test_seccomp_bpf: FORCE
	@$(MAKE) --no-print-directory LIBC=glibc BUILD=$(BUILD)/glibc $(BUILD)/glibc/unit/test_seccomp_bpf
	@mkdir -p $(dir $@)
	cp $(BUILD)/glibc/unit/test_seccomp_bpf $@
endif

# A test's own libraries: libseccomp is test_seccomp_bpf's oracle.
UNIT_LIBS_test_seccomp_bpf := $(shell $(PKG_CONFIG) --libs libseccomp 2>/dev/null)
$(BUILD)/unit/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@mkdir -p $(BUILD)/tests/unit
	$(CC) $(HUSK_CFLAGS) $(CFLAGS) -Itests/unit -c -o $(BUILD)/tests/unit/$*.o $<
	$(call LINK,$(BUILD)/tests/unit/$*.o $(LIB_OBJS) $(LIBS) $(UNIT_LIBS_$*))

# The static program the integration tests run inside containers.
$(BUILD)/probe: tests/probe/probe.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O2 -Wall -Wextra -static -o $@ $<

# The seccomp notify agent of tests/integration/seccomp.bats (runs on the host).
$(BUILD)/seccomp-agent: tests/seccomp/agent.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O2 $(WARNINGS) -o $@ $< $(shell $(PKG_CONFIG) --libs libseccomp 2>/dev/null)

unit: $(UNIT_BINS)

# Install what the build and the tests need, from Debian, when it is missing.
deps:
	@contrib/deps.sh

check: deps
	$(MAKE) $(HUSK_BIN) unit $(BUILD)/probe $(BUILD)/seccomp-agent $(GLIBC_HUSK)
	@tests/run-all.sh

# Part of check too (tests/run-all.sh runs tests/vm/run.sh unless HUSK_SKIP_VM=1).
check-cgroup2: deps
	$(MAKE) $(HUSK_BIN) $(BUILD)/probe
	@HUSK=$(abspath $(HUSK_BIN)) BUILD=$(BUILD) tests/vm/run.sh

# Part of check too: the systemd VM (systemd as PID 1, pure cgroup v2, a debootstrapped
# bookworm image cached in $(BUILD)/vm-systemd): systemd.bats, systemd-driver.bats and
# systemd-rootless.bats.
check-systemd: deps
	$(MAKE) $(HUSK_BIN) $(BUILD)/probe
	@HUSK=$(abspath $(HUSK_BIN)) BUILD=$(BUILD) tests/vm/systemd-run.sh

# The unit tests and every integration suite against an ASan+UBSan build.
# Not the client suites (docker, containerd, podman): dockerd, containerd's shim
# and conmon scrub the environment of the runtime they call, so ASAN_OPTIONS never
# reaches husk there (LeakSanitizer's exit status would fail every call), and what
# they exercise in husk is the same create/start/exec/delete the other suites run.
ASAN := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
CLIENT_BATS := $(addprefix tests/integration/,docker.bats containerd.bats podman.bats rootless-podman.bats)
# ASan's reports go to files, not stderr: a crash in a command a test expects to
# fail (status != 0) is found too.  (gcc's UBSan runtime ignores log_path next to
# ASan and prints to stderr; -fno-sanitize-recover makes it exit 1.)
ASAN_REPORTS := $(CURDIR)/build-asan/reports
ASAN_BATS := $(filter-out $(CLIENT_BATS),$(wildcard tests/integration/*.bats))
check-asan: deps
	$(MAKE) LIBC=glibc BUILD=build-asan HUSK_BIN=build-asan/husk OPT="$(ASAN)" LDFLAGS="-fsanitize=address,undefined" \
		build-asan/husk unit build-asan/probe
	@rm -rf $(ASAN_REPORTS) && mkdir -p $(ASAN_REPORTS)
	ASAN_OPTIONS=detect_leaks=0:log_path=$(ASAN_REPORTS)/asan UBSAN_OPTIONS=print_stacktrace=1 \
		BUILD=build-asan HUSK=$(CURDIR)/build-asan/husk HUSK_BATS="$(ASAN_BATS)" HUSK_SKIP_VM=1 \
		tests/run-all.sh; rc=$$?; \
	if [ -n "$$(ls -A $(ASAN_REPORTS))" ]; then \
		echo "not ok - sanitizer reports (a test that expects a failure may have hidden them):"; \
		cat $(ASAN_REPORTS)/*; exit 1; fi; exit $$rc

# libFuzzer on the config parser (clang): make fuzz; build-fuzz/fuzz_config -max_total_time=60
FUZZ_SRCS := $(filter src/oci/% src/util/%,$(LIB_SRCS))
fuzz:
	@mkdir -p build-fuzz
	clang -g -O1 -fsanitize=fuzzer,address,undefined -iquote src \
		-o build-fuzz/fuzz_config tests/fuzz/fuzz_config.c $(FUZZ_SRCS) $(LIBS)

# deps first, then a new make: LIBS and the pkg-config flags are read when a make
# starts, so the make that ran deps cannot have them on a fresh machine.
demo: deps
	@$(MAKE) --no-print-directory $(HUSK_BIN)
	@contrib/demo.sh ./$(HUSK_BIN)

# The man pages: husk(8) and husk-CMD(8), written from `husk --help` and each
# `husk CMD --help` (contrib/man/mkman.sh): the usage text beside each command's
# option table is their only source.
MANDIR ?= $(PREFIX)/share/man
man: $(BUILD)/man/husk.8
$(BUILD)/man/husk.8: $(HUSK_BIN) contrib/man/mkman.sh contrib/man/usage2roff.awk
	@rm -rf $(BUILD)/man
	contrib/man/mkman.sh ./$(HUSK_BIN) $(BUILD)/man

# A stripped binary; its debug info in $(DEBUGDIR), found by gdb through the
# binary's .gnu_debuglink.  STRIP=0 installs the binary as it was built, for a
# packager that strips it itself (debian/rules: dh_strip makes the dbgsym).
DEBUGDIR ?= $(PREFIX)/lib/debug$(BINDIR)
OBJCOPY ?= objcopy
STRIP ?= 1
DOCDIR ?= $(PREFIX)/share/doc/husk
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/vendor-completions
DOC_SNIPPETS := $(wildcard contrib/docker/* contrib/containerd/* contrib/podman/*)
install: $(HUSK_BIN) man
ifeq ($(STRIP),0)
	install -D -m 0755 $(HUSK_BIN) $(DESTDIR)$(BINDIR)/husk
else
	$(OBJCOPY) --only-keep-debug $(HUSK_BIN) $(BUILD)/husk.debug
	$(OBJCOPY) --strip-all --add-gnu-debuglink=$(BUILD)/husk.debug $(HUSK_BIN) $(BUILD)/husk.stripped
	install -D -m 0755 $(BUILD)/husk.stripped $(DESTDIR)$(BINDIR)/husk
	install -D -m 0644 $(BUILD)/husk.debug $(DESTDIR)$(DEBUGDIR)/husk.debug
endif
	install -d $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(BUILD)/man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -D -m 0644 contrib/completion/husk.bash $(DESTDIR)$(BASHCOMPDIR)/husk
	install -D -m 0644 contrib/completion/_husk $(DESTDIR)$(ZSHCOMPDIR)/_husk
	for f in $(DOC_SNIPPETS); do install -D -m 0644 $$f $(DESTDIR)$(DOCDIR)/$${f#contrib/}; done

# The Debian package from this tree (debian/; contrib/deb/build.sh builds a copy
# of it), into $(BUILD)/deb/ with lintian's report.
deb: deps
	contrib/deb/build.sh $(BUILD)/deb

# husk, runc, crun and the kernel floor side by side (contrib/bench/bench.sh):
# the table, CSV and chart in contrib/bench/results/.  Not part of check, which
# runs it once with --quick (tests/integration/bench.bats) to prove it works.
bench: deps
	@$(MAKE) --no-print-directory $(HUSK_BIN)
	HUSK=$(abspath $(HUSK_BIN)) BUILD=$(abspath $(BUILD)) contrib/bench/bench.sh $(BENCH_ARGS)

clean:
	rm -rf build build-asan build-fuzz husk


.PHONY: FORCE all unit deps check check-asan check-cgroup2 check-systemd fuzz demo man install deb bench clean

-include $(DEPS)
