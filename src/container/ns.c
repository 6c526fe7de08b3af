/* `husk ns`: what a container is made of, seen from the host.  For each of the
 * eight namespace types, the init's namespace (/proc/PID/ns/NAME: device and
 * inode), whether it is the host's (PID 1's), which other containers of the same
 * state root have the very same one, and how the config asked for it (created,
 * joined by path, or not asked: inherited from the host).  Nothing here changes
 * anything: it only reads /proc and the saved config. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/container.h"
#include "container/state.h"
#include "linux/namespaces.h"
#include "oci/config.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* Order of the report: alphabetical by /proc name, as lsns and /proc/PID/ns. */
static const enum oci_ns_type report_order[OCI_NS_COUNT] = {
  OCI_NS_CGROUP, OCI_NS_IPC, OCI_NS_MOUNT, OCI_NS_NETWORK,
  OCI_NS_PID,    OCI_NS_TIME, OCI_NS_USER, OCI_NS_UTS,
};

enum oci_ns_type
husk_ns_report_type (int i)
{
  return report_order[i];
}

/* /proc/PID/ns/NAME of pid; pid 0: the host's, PID 1's, or husk's own where
 * PID 1's cannot be read (a hardened /proc, or husk in a container of its own).
 * False when unreadable. */
static bool
ns_id (pid_t pid, enum oci_ns_type t, unsigned long long *ino, unsigned long long *dev)
{
  char path[64];
  struct stat sb;

  snprintf (path, sizeof path, "/proc/%d/ns/%s", pid > 0 ? (int) pid : 1, husk_ns_proc_name (t));
  if (stat (path, &sb) < 0 && pid == 0)
    snprintf (path, sizeof path, "/proc/self/ns/%s", husk_ns_proc_name (t));
  if (stat (path, &sb) < 0)
    return false;
  *ino = (unsigned long long) sb.st_ino;
  *dev = (unsigned long long) sb.st_dev;
  return true;
}

/* A /proc/PID file as text, trailing newline dropped; NULL when unreadable. */
static char *
proc_text (pid_t pid, const char *name)
{
  char path[64];
  char *data = NULL;
  size_t len = 0;

  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, name);
  if (husk_read_file (path, &data, &len, NULL) < 0)
    return NULL;
  if (len > 0 && data[len - 1] == '\n')
    data[len - 1] = '\0';
  return data;
}

/* The cgroup the init is in (its cgroup namespace's root, when it made one at
 * the start): the unified line, else the first controller's. */
static char *
cgroup_path (pid_t pid)
{
  cleanup_free char *data = proc_text (pid, "cgroup");
  char *first = NULL;

  if (data == NULL)
    return NULL;
  for (char *s = data, *save = NULL, *line; (line = strtok_r (s, "\n", &save)); s = NULL)
    {
      char *path = strchr (line, ':');
      path = path ? strchr (path + 1, ':') : NULL;
      if (path == NULL)
        continue;
      if (strncmp (line, "0::", 3) == 0)
        {
          free (first);
          return xstrdup (path + 1);
        }
      if (first == NULL)
        first = xstrdup (path + 1);
    }
  return first;
}

static char *
made_text (const struct oci_config *c, enum oci_ns_type t)
{
  const struct oci_namespace *ns = c ? oci_config_namespace (c, t) : NULL;
  char *s;

  if (ns == NULL)
    return xstrdup ("inherited");
  if (ns->path == NULL || *ns->path == '\0')
    return xstrdup ("created");
  xasprintf (&s, "joined %s", ns->path);
  return s;
}

/* The eight ids of a live container's init; false when it is not running. */
static bool
init_ids (const char *root, const char *id, pid_t *pid, unsigned long long ino[OCI_NS_COUNT],
          unsigned long long dev[OCI_NS_COUNT])
{
  struct husk_state *st = NULL;
  enum husk_status status;
  bool ok;

  if (husk_container_load (root, id, &st, &status, NULL) < 0)
    return false;
  ok = status != HUSK_STATUS_STOPPED && st->pid > 0;
  *pid = st->pid;
  husk_state_free (st);
  for (int t = 0; ok && t < OCI_NS_COUNT; t++)
    if (!ns_id (*pid, (enum oci_ns_type) t, &ino[t], &dev[t]))
      ino[t] = dev[t] = 0;
  return ok;
}

static void
add_shared (struct husk_ns_entry *e, const char *id)
{
  size_t n = 0;

  while (e->shared_with && e->shared_with[n])
    n++;
  e->shared_with = xrealloc (e->shared_with, (n + 2) * sizeof *e->shared_with);
  if (e->shared_with == NULL || (e->shared_with[n] = xstrdup (id)) == NULL)
    abort ();
  e->shared_with[n + 1] = NULL;
}

/* Which other containers of the state root have the same namespaces. */
static void
find_sharing (const char *root, struct husk_ns_report *r)
{
  char **ids = husk_container_list (root, NULL);

  for (size_t i = 0; ids && ids[i]; i++)
    {
      unsigned long long ino[OCI_NS_COUNT], dev[OCI_NS_COUNT];
      pid_t pid;

      if (strcmp (ids[i], r->id) != 0 && init_ids (root, ids[i], &pid, ino, dev))
        for (int t = 0; t < OCI_NS_COUNT; t++)
          {
            struct husk_ns_entry *e = &r->ns[t];
            if (e->present && ino[t] == e->ino && dev[t] == e->dev)
              add_shared (e, ids[i]);
          }
      free (ids[i]);
    }
  free (ids);
}

int
husk_container_ns (const char *root, const char *id, struct husk_ns_report **out,
                   struct husk_error **err)
{
  struct husk_ns_report *r;
  struct husk_state *st = NULL;
  struct oci_config *c = NULL;
  cleanup_free char *cfg = NULL;
  enum husk_status status;

  *out = NULL;
  if (husk_container_load (root, id, &st, &status, err) < 0)
    return -1;
  if (status == HUSK_STATUS_STOPPED || st->pid <= 0)
    {
      husk_state_free (st);
      return husk_error_set (err, 0, "container %s is stopped: it has no namespaces left", id);
    }
  r = xcalloc (1, sizeof *r);
  if (r == NULL || (r->id = xstrdup (id)) == NULL)
    abort ();
  r->pid = st->pid;
  r->status = status;
  husk_state_free (st);
  xasprintf (&cfg, "%s/%s/config.json", root, id);
  c = oci_config_load (cfg, NULL); /* the made-by column only: best effort */
  for (int t = 0; t < OCI_NS_COUNT; t++)
    {
      struct husk_ns_entry *e = &r->ns[t];
      unsigned long long hino, hdev;

      e->type = (enum oci_ns_type) t;
      e->present = ns_id (r->pid, e->type, &e->ino, &e->dev);
      e->host = e->present && ns_id (0, e->type, &hino, &hdev) && hino == e->ino && hdev == e->dev;
      e->made = made_text (c, e->type);
    }
  oci_config_free (c);
  r->uid_map = proc_text (r->pid, "uid_map");
  r->gid_map = proc_text (r->pid, "gid_map");
  r->time_offsets = proc_text (r->pid, "timens_offsets");
  r->cgroup_root = cgroup_path (r->pid);
  find_sharing (root, r);
  /* Still the same process?  The pid may have been reused while we read. */
  if (husk_container_load (root, id, &st, &status, NULL) == 0)
    {
      bool same = st->pid == r->pid && status != HUSK_STATUS_STOPPED;
      husk_state_free (st);
      if (same)
        {
          *out = r;
          return 0;
        }
    }
  husk_ns_report_free (r);
  return husk_error_set (err, 0, "container %s stopped while its namespaces were read", id);
}

int
husk_host_ns (unsigned long long ino[OCI_NS_COUNT], unsigned long long dev[OCI_NS_COUNT])
{
  return husk_pid_ns (0, ino, dev);
}

int
husk_pid_ns (pid_t pid, unsigned long long ino[OCI_NS_COUNT], unsigned long long dev[OCI_NS_COUNT])
{
  for (int t = 0; t < OCI_NS_COUNT; t++)
    if (!ns_id (pid, (enum oci_ns_type) t, &ino[t], &dev[t]))
      ino[t] = dev[t] = 0;
  return 0;
}

void
husk_ns_report_free (struct husk_ns_report *r)
{
  if (r == NULL)
    return;
  for (int t = 0; t < OCI_NS_COUNT; t++)
    {
      free (r->ns[t].made);
      for (size_t i = 0; r->ns[t].shared_with && r->ns[t].shared_with[i]; i++)
        free (r->ns[t].shared_with[i]);
      free (r->ns[t].shared_with);
    }
  free (r->uid_map);
  free (r->gid_map);
  free (r->time_offsets);
  free (r->cgroup_root);
  free (r->id);
  free (r);
}

int
husk_parse_ns_list (const char *list, unsigned *mask, struct husk_error **err)
{
  cleanup_free char *copy = xstrdup (list);
  unsigned m = 0;

  if (copy == NULL)
    abort ();
  for (char *s = copy, *save = NULL, *name; (name = strtok_r (s, ",", &save)); s = NULL)
    {
      int t = -1;

      if (strcmp (name, "all") == 0)
        {
          m |= ((1u << OCI_NS_COUNT) - 1) & ~(1u << OCI_NS_USER);
          continue;
        }
      for (int i = 0; i < OCI_NS_COUNT && t < 0; i++)
        if (strcmp (name, husk_ns_proc_name ((enum oci_ns_type) i)) == 0)
          t = i;
      if (t < 0)
        t = oci_ns_type_from_name (name);
      if (t < 0)
        return husk_error_set (err, 0, "--ns: unknown namespace `%s` (cgroup, ipc, mnt, net, "
                                       "pid, time, user, uts or all)", name);
      m |= 1u << t;
    }
  if (m == 0)
    return husk_error_set (err, 0, "--ns: no namespace named in `%s`", list);
  *mask |= m;
  return 0;
}
