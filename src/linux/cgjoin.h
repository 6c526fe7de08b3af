/* Joining the container's cgroup from linux/: stage 1 of create, the joiner of
 * exec, criu before a restore.  linux/ knows no cgroup (the arrows point down
 * from container/ to both linux/ and cgroup/), so the caller passes the
 * function that moves the calling process in, and its argument
 * (container/internal.h binds them to cgroup/). */
#ifndef HUSK_LINUX_CGJOIN_H
#define HUSK_LINUX_CGJOIN_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

struct husk_cgjoin
{
  /* Moves the calling process into the cgroup (arg); NULL: no cgroup to
   * join.  cloned: the process was forked straight into clone_dir
   * (husk_cgjoin_fork), which is then not written again. */
  int (*fn) (const struct husk_cgjoin *j, bool cloned, struct husk_error **err);
  const void *arg;
  /* The container's cgroup2 directory, pure v2 or beside v1 (hybrid), or NULL. */
  const char *clone_dir;
  /* fn hands the caller's pid to another process (systemd's unit start moves
   * the PIDs it is given), as /proc names it (husk_proc_self_pid): a caller in
   * a pid namespace of its own is fine only while /proc is its parent's. */
  bool names_pid;
  /* Some directories are made by the parent after the fork: the child
   * joins only once the parent's CGROUP_MADE (linux/sync.h) says so. */
  bool made_late;
};

/* 0 when there is nothing to join. */
static inline int
husk_cgjoin_run (const struct husk_cgjoin *j, bool cloned, struct husk_error **err)
{
  return j->fn ? j->fn (j, cloned, err) : 0;
}

/* fork(), but straight into j's cgroup2 directory when there is one (clone3
 * with CLONE_INTO_CGROUP, Linux 5.7): a move into a cgroup2 by cgroup.procs
 * takes the threadgroup lock and waits for an RCU grace period (ms), a birth
 * in it costs nothing.  *cloned tells which happened; where the kernel cannot
 * (older kernel, no directory yet, a rootless caller), a plain fork.  As fork:
 * the pid, 0 in the child, -1 with errno.  glibc's cached thread id stays the
 * parent's in a cloned child, which only raise() would notice: the callers
 * fork their own children with fork(), which sets it right. */
pid_t husk_cgjoin_fork (const struct husk_cgjoin *j, bool *cloned);
/* Its first half: clone3 into dir, -1 with errno where the kernel refuses. */
pid_t husk_cgjoin_clone (const char *dir);

#endif
