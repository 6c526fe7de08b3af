/* The husk binary must never be writable through a husk process's /proc/PID/exe
 * (CVE-2019-5736).  Every husk process that enters a container is a fork of a
 * command that first made a read-only copy of its binary its exe: in place
 * where the kernel lets it, else by executing itself again from the copy. */
#ifndef HUSK_LINUX_EXESEAL_H
#define HUSK_LINUX_EXESEAL_H

#include <stdbool.h>

#include "util/error.h"

/* True when /proc/self/exe cannot be opened for writing: it is on a read-only
 * mount, or a memfd sealed against writes. */
bool husk_exe_is_sealed (void);

/* Return 0 when husk_exe_is_sealed(), or once a detached read-only bind mount
 * of the binary has replaced every mapping of it and become the exe in place
 * (PR_SET_MM_MAP: CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE);
 * otherwise execute argv again (same pid, environment, fds and cwd) from that
 * mount, or from a sealed memfd copy where mounting is refused: on success it
 * does not return.  Returns -1 with *err set when nothing works (the caller
 * must stop). */
int husk_exe_seal (char **argv, struct husk_error **err);

/* After the swap to the read-only bind mount or a re-execution from it, husk
 * still holds that mount's fd (close-on-exec): the kernel dissolves a detached mount when its
 * last fd closes, and waits for an RCU grace period to do it.  Closing it while
 * husk waits anyway (on its child) takes the wait off the command's path.  Each
 * fork of husk calls this first (the fork's copy must not outlive the parent's,
 * nor reach a container), but for a direct init, which parks the mount
 * (husk_exe_seal_park) before anything of the container's runs; the parent,
 * once its child has; exit does it otherwise.  The mount lives on as the
 * process's exe. */
void husk_exe_seal_release (void);

/* The mount's fd, or -1: a direct init keeps its copy (closing it at the start
 * would only leave the parent's close to dissolve the mount) until it can park
 * the mount. */
int husk_exe_seal_fd (void);

/* In the init, once its mount namespace is its own and propagates nothing to
 * the host's, and when it will unmount the old root after pivot_root: the mount
 * is attached in that namespace over `at` (the host's /dev/null, a file there
 * is sure to be), so that the old root's lazy unmount takes it down with the
 * rest, under the one RCU grace period that unmount waits for anyway; no close
 * then dissolves it, which would wait for one of its own.  The fd is closed
 * either way (at NULL: only closed). */
void husk_exe_seal_park (const char *at);

#endif
