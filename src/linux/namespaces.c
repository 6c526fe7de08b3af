#define _GNU_SOURCE
#include "linux/namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux/sys.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* The order of the joins within each pass below; every path is opened before the
 * first setns, since after the mount or user namespace a path given as a host
 * path may no longer resolve. */
static const enum oci_ns_type join_order[] = {
  OCI_NS_IPC, OCI_NS_UTS, OCI_NS_NETWORK, OCI_NS_PID, OCI_NS_CGROUP, OCI_NS_TIME, OCI_NS_MOUNT,
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

/* setns into each namespace of `fds` in join_order, closing what it joined.  With
 * tolerate_eperm, one we may not join yet stays open for a later pass. */
static int
join_pass (const struct oci_config *c, int *fds, bool tolerate_eperm, struct husk_error **err)
{
  for (size_t i = 0; i < sizeof join_order / sizeof join_order[0]; i++)
    {
      enum oci_ns_type t = join_order[i];
      if (fds[t] < 0)
        continue;
      if (setns (fds[t], husk_ns_clone_flag (t)) < 0)
        {
          const struct oci_namespace *ns = oci_config_namespace (c, t);
          if (errno == EPERM && tolerate_eperm)
            continue;
          return husk_error_set (err, errno, "join %s namespace `%s`", oci_ns_type_name (t),
                                 ns ? ns->path : "?");
        }
      close (fds[t]);
      fds[t] = -1;
    }
  return 0;
}

/* The user namespace, then root in it: the process keeps its host ids across
 * setns, which the namespace may not map (files it creates while building the
 * rootfs would fail with EOVERFLOW); a new user namespace does the same
 * (stage1_userns). */
static int
join_userns (const struct oci_config *c, int fd, struct husk_error **err)
{
  const struct oci_namespace *ns = oci_config_namespace (c, OCI_NS_USER);

  if (setns (fd, CLONE_NEWUSER) < 0)
    return husk_error_set (err, errno, "join user namespace `%s`", ns ? ns->path : "?");
  if (husk_setresgid (0, 0, 0) < 0 || husk_setresuid (0, 0, 0) < 0)
    return husk_error_set (err, errno, "setresuid to root in the user namespace `%s`",
                           ns ? ns->path : "?");
  return 0;
}

/* Three passes (as runc's nsexec, and nsenter in effect): first every namespace
 * we may join with the host's privileges, which may include one not owned by
 * the user namespace we are to join and that we could no longer join from
 * inside it; then the user namespace; then the rest, those owned by it, which a
 * rootless caller may join only once inside it. */
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
      fds[ns->type] = openat (AT_FDCWD, ns->path, O_RDONLY | O_CLOEXEC);
      if (fds[ns->type] < 0)
        {
          ret = husk_error_set (err, errno, "open %s namespace `%s`",
                                oci_ns_type_name (ns->type), ns->path);
          goto out;
        }
    }
  if (join_pass (c, fds, fds[OCI_NS_USER] >= 0, err) < 0
      || (fds[OCI_NS_USER] >= 0 && join_userns (c, fds[OCI_NS_USER], err) < 0)
      || join_pass (c, fds, false, err) < 0)
    ret = -1;
out:
  for (int i = 0; i < OCI_NS_COUNT; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  return ret;
}

static bool
wants_time_offsets (const struct oci_config *c)
{
  const struct oci_namespace *ns = oci_config_namespace (c, OCI_NS_TIME);
  const struct oci_linux *l = c->linux_;

  return ns && ns->path == NULL && l
         && (l->has_time_offsets_monotonic || l->has_time_offsets_boottime);
}

/* The kernel checks the privilege to set the offsets against the credentials of
 * whoever opened the file (CAP_SYS_TIME over the time namespace's owner), and
 * the file's owner, for a non-dumpable process like us, is the host's root:
 * opened now, before we enter a user namespace, both hold; opened inside it,
 * neither does. */
int
husk_open_time_offsets (const struct oci_config *c, struct husk_error **err)
{
  int fd;

  if (!wants_time_offsets (c))
    return -1;
  fd = openat (AT_FDCWD, "/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    husk_error_set (err, errno, "set time namespace offsets: open `/proc/self/timens_offsets`");
  return fd;
}

int
husk_write_time_offsets (const struct oci_config *c, int fd, struct husk_error **err)
{
  char buf[128];
  int n = 0;
  const struct oci_linux *l = c->linux_;

  if (!wants_time_offsets (c))
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
      size_t len;
      nl = strchr (line, '\n');
      len = (size_t) (nl - line + 1);
      if (write (fd, line, len) != (ssize_t) len)
        return husk_error_set (err, errno, "set time namespace offsets: write `%.*s`",
                               (int) len - 1, line);
    }
  return 0;
}
