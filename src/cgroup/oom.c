/* OOM notification for `events`.
 *
 * v1: an eventfd registered through cgroup.event_control on memory.oom_control
 * fires on every OOM of the cgroup.  v2: memory.events changes (inotify
 * IN_MODIFY) when any of its counters moves; the oom_kill counter tells. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"

int
husk_cgroup_oom_fd (const struct husk_cgroup *cg, struct husk_error **err)
{
  const char *d = cg_v1_dir (cg, "memory");

  if (d)
    {
      cleanup_free char *oc = cg_path (d, "memory.oom_control");
      cleanup_close int ofd = openat (AT_FDCWD, oc, O_RDONLY | O_CLOEXEC);
      int efd;
      if (ofd < 0)
        return husk_error_set (err, errno, "open `%s`", oc);
      efd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
      if (efd < 0)
        return husk_error_set (err, errno, "eventfd");
      if (cg_writef (d, "cgroup.event_control", err, "%d %d", efd, ofd) < 0)
        {
          close (efd);
          return -1;
        }
      /* The registration holds its own reference to memory.oom_control. */
      return efd;
    }
  if (cg->unified_dir && cg_v2_has (cg, "memory"))
    {
      cleanup_free char *ev = cg_path (cg->unified_dir, "memory.events");
      int ifd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
      if (ifd < 0)
        return husk_error_set (err, errno, "inotify_init1");
      if (inotify_add_watch (ifd, ev, IN_MODIFY) < 0)
        {
          int e = errno;
          close (ifd);
          return husk_error_set (err, e, "watch `%s`", ev);
        }
      return ifd;
    }
  return husk_error_set (err, ENODEV, "no memory cgroup controller to watch for OOM");
}

uint64_t
husk_cgroup_oom_kills (const struct husk_cgroup *cg)
{
  const char *d = cg_v1_dir (cg, "memory");
  uint64_t v = 0;

  if (d)
    cg_read_key (d, "memory.oom_control", "oom_kill", &v);
  else if (cg->unified_dir)
    cg_read_key (cg->unified_dir, "memory.events", "oom_kill", &v);
  return v;
}
