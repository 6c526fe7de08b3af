/* Joining the container's cgroup from linux/: stage 1 of create, the joiner of
 * exec, criu before a restore.  linux/ knows no cgroup (the arrows point down
 * from container/ to both linux/ and cgroup/), so the caller passes the
 * function that moves the calling process in, and its argument
 * (container/internal.h binds them to cgroup/). */
#ifndef HUSK_LINUX_CGJOIN_H
#define HUSK_LINUX_CGJOIN_H

#include "util/error.h"

struct husk_cgjoin
{
  /* Moves the calling process into the cgroup; NULL: no cgroup to join. */
  int (*fn) (const void *arg, struct husk_error **err);
  const void *arg;
};

/* 0 when there is nothing to join. */
static inline int
husk_cgjoin_run (const struct husk_cgjoin *j, struct husk_error **err)
{
  return j->fn ? j->fn (j->arg, err) : 0;
}

#endif
