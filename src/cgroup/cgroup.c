#define _GNU_SOURCE
#include "cgroup/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

struct hierarchy
{
  char *mountpoint;
  char *root; /* the mount's root inside the hierarchy (mountinfo field 4) */
  char *controllers; /* super options ("cpu", "name=systemd") or "" for cgroup2 */
  bool v2;
};

static void
hierarchies_free (struct hierarchy *h, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (h[i].mountpoint);
      free (h[i].root);
      free (h[i].controllers);
    }
  free (h);
}

/* Parse /proc/self/mountinfo for cgroup and cgroup2 mounts. */
static int
read_hierarchies (struct hierarchy **out, size_t *nout, struct husk_error **err)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/mountinfo", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0, n = 0;
  struct hierarchy *h = NULL;

  if (f == NULL)
    return husk_error_set (err, errno, "open `/proc/self/mountinfo`");
  while (getline (&line, &cap, f) > 0)
    {
      char root[4096], mnt[4096], fstype[64], source[256], super[1024];
      const char *sep = strstr (line, " - ");
      if (sep == NULL || sscanf (line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2)
        continue;
      if (sscanf (sep + 3, "%63s %255s %1023s", fstype, source, super) != 3)
        continue;
      bool v2 = strcmp (fstype, "cgroup2") == 0;
      if (!v2 && strcmp (fstype, "cgroup") != 0)
        continue;
      struct hierarchy *nh = realloc (h, (n + 1) * sizeof *h);
      if (nh == NULL)
        abort ();
      h = nh;
      h[n].mountpoint = strdup (mnt);
      h[n].root = strdup (root);
      h[n].v2 = v2;
      if (v2)
        h[n].controllers = strdup ("");
      else
        {
          /* Keep only controller names from the super options. */
          cleanup_free char *ctrls = calloc (1, strlen (super) + 1);
          char *save = NULL;
          for (char *t = strtok_r (super, ",", &save); t; t = strtok_r (NULL, ",", &save))
            {
              if (strcmp (t, "rw") == 0 || strcmp (t, "ro") == 0 || strncmp (t, "release_agent", 13) == 0
                  || strcmp (t, "clone_children") == 0 || strcmp (t, "noprefix") == 0
                  || strncmp (t, "xattr", 5) == 0)
                continue;
              if (*ctrls)
                strcat (ctrls, ",");
              strcat (ctrls, t);
            }
          h[n].controllers = steal_ptr (ctrls);
        }
      n++;
    }
  *out = h;
  *nout = n;
  return 0;
}

enum husk_cgroup_layout
husk_cgroup_detect (void)
{
  struct hierarchy *h = NULL;
  size_t n = 0;
  bool v1 = false, v2 = false;

  if (read_hierarchies (&h, &n, NULL) < 0)
    return HUSK_CGROUP_V1;
  for (size_t i = 0; i < n; i++)
    {
      if (h[i].v2)
        v2 = true;
      else
        v1 = true;
    }
  hierarchies_free (h, n);
  if (v2 && !v1)
    return HUSK_CGROUP_V2;
  return v2 ? HUSK_CGROUP_HYBRID : HUSK_CGROUP_V1;
}

/* The caller's own cgroup in a hierarchy, from /proc/self/cgroup. */
static char *
own_cgroup (const struct hierarchy *h)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/cgroup", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;

  if (f == NULL)
    return strdup ("/");
  while (getline (&line, &cap, f) > 0)
    {
      char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c2 = '\0';
      char *path = c2 + 1;
      path[strcspn (path, "\n")] = '\0';
      const char *ctrls = c1 + 1;
      if (h->v2 ? strcmp (ctrls, "") == 0 : strcmp (ctrls, h->controllers) == 0)
        return strdup (path);
    }
  return strdup ("/");
}

/* Join mountpoint + (path relative to the mount's root). */
static char *
hierarchy_dir (const struct hierarchy *h, const char *cgpath)
{
  char *dir = NULL;
  const char *rel = cgpath;
  size_t rl = strlen (h->root);

  if (strcmp (h->root, "/") != 0 && strncmp (cgpath, h->root, rl) == 0
      && (cgpath[rl] == '/' || cgpath[rl] == '\0'))
    rel = cgpath + rl;
  if (asprintf (&dir, "%s%s%s", h->mountpoint, *rel == '/' ? "" : "/", rel) < 0)
    abort ();
  return dir;
}

static char *
container_cgpath (const struct oci_config *c, const struct hierarchy *h, const char *id)
{
  const char *p = c->linux_ ? c->linux_->cgroups_path : NULL;
  char *out = NULL;

  if (p == NULL || *p == '\0')
    {
      if (asprintf (&out, "/husk/%s", id) < 0)
        abort ();
      return out;
    }
  if (*p == '/')
    return strdup (p);
  /* A relative path is relative to the caller's cgroup (runc's rule). */
  cleanup_free char *own = own_cgroup (h);
  if (asprintf (&out, "%s/%s", strcmp (own, "/") == 0 ? "" : own, p) < 0)
    abort ();
  return out;
}

/* A new v1 cpuset cgroup starts with empty cpuset.cpus and cpuset.mems, and no
 * task can join it until they are set: copy them down from the parent, level by
 * level, from the hierarchy's mount point to dir. */
static int
cpuset_init (const char *mountpoint, const char *dir, struct husk_error **err)
{
  static const char *files[] = { "cpuset.cpus", "cpuset.mems" };
  size_t ml = strlen (mountpoint);
  cleanup_free char *path = strdup (dir);

  for (char *s = path + ml; s && *s;)
    {
      char *next = strchr (s + 1, '/');
      if (next)
        *next = '\0';
      for (int i = 0; i < 2; i++)
        {
          cleanup_free char *mine = NULL, *parent = NULL, *val = NULL;
          char *slash = strrchr (path, '/');
          size_t len;
          if (asprintf (&mine, "%s/%s", path, files[i]) < 0
              || asprintf (&parent, "%.*s/%s", (int) (slash - path), path, files[i]) < 0)
            abort ();
          if (husk_read_file (mine, &val, &len, NULL) == 0 && len > 1)
            continue;
          free (val);
          val = NULL;
          if (husk_read_file (parent, &val, &len, err) < 0
              || husk_write_file (mine, val, len, err) < 0)
            return husk_error_wrap (err, "initialise cpuset of `%s`", path);
        }
      if (next)
        *next = '/';
      s = next;
    }
  return 0;
}

struct husk_cgroup *
husk_cgroup_create (const struct oci_config *c, const char *id, bool systemd,
                    struct husk_error **err)
{
  struct hierarchy *h = NULL;
  size_t n = 0;
  struct husk_cgroup *cg;
  bool v1 = false, v2 = false;
  const char *p = c->linux_ ? c->linux_->cgroups_path : NULL;

  if (systemd || (p && strchr (p, ':') && *p != '/'))
    {
      husk_error_set (err, 0,
                      "cgroupsPath `%s`: the systemd cgroup driver is not supported yet "
                      "(use a path, without --systemd-cgroup)",
                      p ? p : "");
      return NULL;
    }
  if (read_hierarchies (&h, &n, err) < 0)
    return NULL;
  cg = calloc (1, sizeof *cg);
  cg->dirs = calloc (n + 1, sizeof (char *));
  if (cg == NULL || cg->dirs == NULL)
    abort ();
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *cgpath = container_cgpath (c, &h[i], id);
      char *dir = hierarchy_dir (&h[i], cgpath);
      cg->dirs[i] = dir;
      if (h[i].v2)
        {
          v2 = true;
          cg->unified_dir = dir;
        }
      else
        {
          v1 = true;
          if (strstr (h[i].controllers, "freezer"))
            cg->freezer_dir = dir;
        }
      if (husk_mkdir_p (dir, 0755, err) < 0
          || (!h[i].v2 && strstr (h[i].controllers, "cpuset")
              && cpuset_init (h[i].mountpoint, dir, err) < 0))
        {
          husk_error_wrap (err, "create cgroup");
          cg->dirs[i + 1] = NULL;
          husk_cgroup_destroy (cg, NULL);
          husk_cgroup_free (cg);
          hierarchies_free (h, n);
          return NULL;
        }
    }
  cg->layout = v2 && !v1 ? HUSK_CGROUP_V2 : (v2 ? HUSK_CGROUP_HYBRID : HUSK_CGROUP_V1);
  hierarchies_free (h, n);
  return cg;
}

struct husk_cgroup *
husk_cgroup_from_dirs (char *const *dirs)
{
  struct husk_cgroup *cg = calloc (1, sizeof *cg);
  size_t n = 0;
  bool v1 = false, v2 = false;

  if (cg == NULL)
    abort ();
  while (dirs && dirs[n])
    n++;
  cg->dirs = calloc (n + 1, sizeof (char *));
  for (size_t i = 0; i < n; i++)
    {
      cg->dirs[i] = strdup (dirs[i]);
      if (strncmp (dirs[i], "/sys/fs/cgroup/unified/", 23) == 0
          || (strncmp (dirs[i], "/sys/fs/cgroup/", 15) == 0 && husk_cgroup_detect () == HUSK_CGROUP_V2))
        {
          cg->unified_dir = cg->dirs[i];
          v2 = true;
        }
      else
        {
          v1 = true;
          if (strncmp (dirs[i], "/sys/fs/cgroup/freezer/", 23) == 0)
            cg->freezer_dir = cg->dirs[i];
        }
    }
  cg->layout = v2 && !v1 ? HUSK_CGROUP_V2 : (v2 ? HUSK_CGROUP_HYBRID : HUSK_CGROUP_V1);
  return cg;
}

int
husk_cgroup_enter_self (const struct husk_cgroup *cg, struct husk_error **err)
{
  for (size_t i = 0; cg->dirs[i]; i++)
    {
      cleanup_free char *procs = NULL;
      if (asprintf (&procs, "%s/cgroup.procs", cg->dirs[i]) < 0)
        abort ();
      if (husk_write_file (procs, "0", 1, err) < 0)
        return husk_error_wrap (err, "join cgroup");
    }
  return 0;
}

int
husk_cgroup_pids (const struct husk_cgroup *cg, pid_t **pids, size_t *n, struct husk_error **err)
{
  *pids = NULL;
  *n = 0;
  for (size_t i = 0; cg->dirs[i]; i++)
    {
      cleanup_free char *procs = NULL, *data = NULL;
      size_t len;
      if (asprintf (&procs, "%s/cgroup.procs", cg->dirs[i]) < 0)
        abort ();
      if (husk_read_file (procs, &data, &len, NULL) < 0)
        continue;
      size_t cap = 0;
      for (char *s = data, *save = NULL, *t; (t = strtok_r (s, "\n", &save)); s = NULL)
        {
          if (*n == cap)
            {
              cap = cap ? cap * 2 : 16;
              pid_t *np = realloc (*pids, cap * sizeof (pid_t));
              if (np == NULL)
                abort ();
              *pids = np;
            }
          (*pids)[(*n)++] = (pid_t) atoi (t);
        }
      return 0;
    }
  return husk_error_set (err, ENOENT, "read cgroup.procs: no cgroup directory");
}

int
husk_cgroup_kill_all (const struct husk_cgroup *cg, int sig, struct husk_error **err)
{
  pid_t *pids = NULL;
  size_t n = 0;

  if (husk_cgroup_pids (cg, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      {
        int e = errno;
        free (pids);
        return husk_error_set (err, e, "kill %d", (int) pids[i]);
      }
  free (pids);
  return 0;
}

bool
husk_cgroup_is_frozen (const struct husk_cgroup *cg)
{
  cleanup_free char *path = NULL, *data = NULL;
  size_t len;

  if (cg->freezer_dir)
    {
      if (asprintf (&path, "%s/freezer.state", cg->freezer_dir) < 0)
        abort ();
      if (husk_read_file (path, &data, &len, NULL) < 0)
        return false;
      return strncmp (data, "FROZEN", 6) == 0;
    }
  if (cg->unified_dir && cg->layout == HUSK_CGROUP_V2)
    {
      if (asprintf (&path, "%s/cgroup.freeze", cg->unified_dir) < 0)
        abort ();
      if (husk_read_file (path, &data, &len, NULL) < 0)
        return false;
      return data[0] == '1';
    }
  return false;
}

int
husk_cgroup_destroy (const struct husk_cgroup *cg, struct husk_error **err)
{
  int ret = 0;

  for (size_t i = 0; cg->dirs[i]; i++)
    {
      /* A cgroup whose last process just exited can still be busy for a moment. */
      for (int attempt = 0; attempt < 100; attempt++)
        {
          if (rmdir (cg->dirs[i]) == 0 || errno == ENOENT)
            break;
          if (errno != EBUSY || attempt == 99)
            {
              ret = husk_error_set (err, errno, "remove cgroup `%s`", cg->dirs[i]);
              break;
            }
          struct timespec ts = { 0, 5 * 1000 * 1000 };
          nanosleep (&ts, NULL);
        }
    }
  return ret;
}

void
husk_cgroup_free (struct husk_cgroup *cg)
{
  if (cg == NULL)
    return;
  for (size_t i = 0; cg->dirs && cg->dirs[i]; i++)
    free (cg->dirs[i]);
  free (cg->dirs);
  free (cg);
}
