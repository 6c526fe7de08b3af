#define _GNU_SOURCE
#include "linux/namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Join order, as nsenter orders it: the user namespace first, because joining it
 * grants the capabilities needed to setns into the namespaces it owns; the mount
 * namespace last among the others, because after it the paths of the remaining
 * namespace files (given as host paths) may no longer resolve; that is also why
 * every path is opened before the first setns. */
static const enum oci_ns_type join_order[] = {
  OCI_NS_USER, OCI_NS_IPC, OCI_NS_UTS, OCI_NS_NETWORK, OCI_NS_PID,
  OCI_NS_CGROUP, OCI_NS_TIME, OCI_NS_MOUNT,
};

int
husk_ns_clone_flag (enum oci_ns_type t)
{
  switch (t)
    {
    case OCI_NS_PID:
      return CLONE_NEWPID;
    case OCI_NS_NETWORK:
      return CLONE_NEWNET;
    case OCI_NS_MOUNT:
      return CLONE_NEWNS;
    case OCI_NS_IPC:
      return CLONE_NEWIPC;
    case OCI_NS_UTS:
      return CLONE_NEWUTS;
    case OCI_NS_USER:
      return CLONE_NEWUSER;
    case OCI_NS_CGROUP:
      return CLONE_NEWCGROUP;
    case OCI_NS_TIME:
      return CLONE_NEWTIME;
    case OCI_NS_COUNT:
      break;
    }
  return 0;
}

const char *
husk_ns_proc_name (enum oci_ns_type t)
{
  static const char *names[] = {
    [OCI_NS_PID] = "pid", [OCI_NS_NETWORK] = "net", [OCI_NS_MOUNT] = "mnt",
    [OCI_NS_IPC] = "ipc", [OCI_NS_UTS] = "uts", [OCI_NS_USER] = "user",
    [OCI_NS_CGROUP] = "cgroup", [OCI_NS_TIME] = "time",
  };
  return t < OCI_NS_COUNT ? names[t] : "?";
}

int
husk_ns_join (const struct oci_config *c, int *unshare_flags, struct husk_error **err)
{
  int fds[OCI_NS_COUNT];
  int ret = 0;

  *unshare_flags = 0;
  for (int i = 0; i < OCI_NS_COUNT; i++)
    fds[i] = -1;
  for (size_t i = 0; c->linux_ && i < c->linux_->namespaces_len; i++)
    {
      const struct oci_namespace *ns = &c->linux_->namespaces[i];
      if (ns->path == NULL)
        {
          *unshare_flags |= husk_ns_clone_flag (ns->type);
          continue;
        }
      fds[ns->type] = open (ns->path, O_RDONLY | O_CLOEXEC);
      if (fds[ns->type] < 0)
        {
          ret = husk_error_set (err, errno, "open %s namespace `%s`",
                                oci_ns_type_name (ns->type), ns->path);
          goto out;
        }
    }
  for (size_t i = 0; i < sizeof join_order / sizeof join_order[0]; i++)
    {
      enum oci_ns_type t = join_order[i];
      if (fds[t] < 0)
        continue;
      if (setns (fds[t], husk_ns_clone_flag (t)) < 0)
        {
          const struct oci_namespace *ns = oci_config_namespace (c, t);
          ret = husk_error_set (err, errno, "join %s namespace `%s`", oci_ns_type_name (t),
                                ns ? ns->path : "?");
          goto out;
        }
    }
out:
  for (int i = 0; i < OCI_NS_COUNT; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  return ret;
}

int
husk_write_time_offsets (const struct oci_config *c, struct husk_error **err)
{
  char buf[128];
  int n = 0;
  const struct oci_linux *l = c->linux_;

  if (l == NULL || (!l->has_time_offsets_monotonic && !l->has_time_offsets_boottime))
    return 0;
  if (l->has_time_offsets_monotonic)
    n += snprintf (buf + n, sizeof buf - (size_t) n, "monotonic %lld %u\n",
                   (long long) l->time_offset_monotonic.secs, l->time_offset_monotonic.nanosecs);
  if (l->has_time_offsets_boottime)
    n += snprintf (buf + n, sizeof buf - (size_t) n, "boottime %lld %u\n",
                   (long long) l->time_offset_boottime.secs, l->time_offset_boottime.nanosecs);
  /* One write per clock: the kernel parses one line per write. */
  for (char *line = buf, *nl; *line; line = nl + 1)
    {
      nl = strchr (line, '\n');
      if (husk_write_file ("/proc/self/timens_offsets", line, (size_t) (nl - line + 1), err) < 0)
        return husk_error_wrap (err, "set time namespace offsets");
    }
  return 0;
}
