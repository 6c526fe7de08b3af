/* Writes into /proc that nothing in the container can redirect (CVE-2025-52881
 * class).  husk writes sysctls, LSM labels and reopens the exec fifo through
 * procfs; the container's /proc is the container's to fake (a symlink, a bind
 * mount over /proc/self/attr/exec, a tmpfs with files named like sysctls), and
 * the host's /proc must not be held by a process the container can see
 * (CVE-2016-9962, CVE-2024-21626).  So each of these goes through a procfs
 * handle made for the purpose and checked, and every lookup below it crosses no
 * mount, follows no magic link and lands on procfs, or fails. */
#ifndef HUSK_LINUX_PROCFS_H
#define HUSK_LINUX_PROCFS_H

#include <stdbool.h>

#include "util/error.h"

enum husk_procfs_kind
{
  HUSK_PROCFS_FULL, /* everything, /proc/sys included */
  HUSK_PROCFS_PIDS, /* the process directories only (subset=pid) where the kernel can */
};

/* An O_PATH|O_DIRECTORY fd of the root of a procfs of the caller's pid namespace:
 * a private instance (fsopen, not attached anywhere, so nothing can be mounted
 * over its files), or where the kernel refuses one (before 5.2, or a user
 * namespace without a fully visible procfs) the caller's /proc, checked to be
 * the root of a procfs. */
int husk_procfs_open (enum husk_procfs_kind kind, struct husk_error **err);

/* Open `path` below procfd (from husk_procfs_open): RESOLVE_BENEATH, no mount
 * crossed, no magic link, no symlink at all unless allow_symlinks (for
 * "self" and "thread-self"), and what is opened must be on procfs. */
int husk_procfs_openat (int procfd, const char *path, int flags, bool allow_symlinks,
                        struct husk_error **err);

/* Write value into the procfs file `path` below procfd (opened as above). */
int husk_procfs_write (int procfd, const char *path, bool allow_symlinks, const char *value,
                       struct husk_error **err);

/* Is fd on procfs (fstatfs == PROC_SUPER_MAGIC)? */
bool husk_is_procfs (int fd);

#endif
