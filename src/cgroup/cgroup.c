#define _GNU_SOURCE
#include "cgroup/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "cgroup/systemd.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/sort.h"
#include "util/str.h"
#include "util/xalloc.h"

static int remove_tree (const char *dir, int depth, bool wait_busy);

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

/* The next line of *p (its newline replaced by a NUL), or NULL at the end. */
static char *
next_line (char **p)
{
  char *line = *p, *nl;

  if (line == NULL || *line == '\0')
    return NULL;
  nl = strchr (line, '\n');
  if (nl)
    {
      *nl = '\0';
      *p = nl + 1;
    }
  else
    *p = NULL;
  return line;
}

/* Parse /proc/self/mountinfo for cgroup and cgroup2 mounts.  The file is read
 * whole, in one or two reads (stdio would read it a BUFSIZ at a time, and the
 * kernel generates the text again from the start of each chunk's line). */
static int
read_hierarchies (struct hierarchy **out, size_t *nout, struct husk_error **err)
{
  /* One read per process (create asks for the layout and then for the plan);
   * a fork may have gone on to other namespaces and reads its own. */
  cleanup_free char *data = NULL;
  char *cur, *line;
  size_t n = 0;
  struct hierarchy *h = NULL;

  if (husk_read_mountinfo (&data, false, err) < 0)
    return -1;
  cur = data;
  while ((line = next_line (&cur)))
    {
      char root[4096], mnt[4096], fstype[64], super[1024];
      const char *sep = husk_strstr (line, " - ");
      /* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... - FSTYPE SOURCE SUPER (the kernel
       * escapes spaces in paths as \040).  (sscanf cost more than the rest of
       * `delete`.)  The type first: most lines are not cgroups. */
      if (sep == NULL || !husk_word (sep + 3, 0, fstype, sizeof fstype))
        continue;
      bool v2 = strcmp (fstype, "cgroup2") == 0;
      if ((!v2 && strcmp (fstype, "cgroup") != 0) || !husk_word (line, 3, root, sizeof root)
          || !husk_word (line, 4, mnt, sizeof mnt) || !husk_word (sep + 3, 2, super, sizeof super))
        continue;
      struct hierarchy *nh = xrealloc (h, (n + 1) * sizeof *h);
      h = nh;
      h[n].mountpoint = xstrdup (mnt);
      h[n].root = xstrdup (root);
      h[n].v2 = v2;
      if (v2)
        h[n].controllers = xstrdup ("");
      else
        {
          /* Keep only controller names from the super options. */
          cleanup_free char *ctrls = xcalloc (1, strlen (super) + 1);
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
  cleanup_free char *data = NULL;
  char *cur, *line;

  if (husk_read_file ("/proc/self/cgroup", &data, NULL, NULL) < 0)
    return xstrdup ("/");
  cur = data;
  while ((line = next_line (&cur)))
    {
      char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c2 = '\0';
      char *path = c2 + 1;
      const char *ctrls = c1 + 1;
      if (h->v2 ? strcmp (ctrls, "") == 0 : strcmp (ctrls, h->controllers) == 0)
        return xstrdup (path);
    }
  return xstrdup ("/");
}

/* p resolved lexically as an absolute path: empty and "." components go, ".."
 * drops the component before it.  NULL when a ".." would climb above "/". */
static char *
clean_path (const char *p)
{
  char *out = xmalloc (strlen (p) + 2);
  size_t n = 0;

  if (out == NULL)
    abort ();
  for (const char *s = p; *s;)
    {
      size_t l = strcspn (s, "/");
      if (l == 2 && s[0] == '.' && s[1] == '.')
        {
          if (n == 0)
            {
              free (out);
              return NULL;
            }
          while (out[--n] != '/')
            ;
        }
      else if (l > 0 && !(l == 1 && s[0] == '.'))
        {
          out[n++] = '/';
          memcpy (out + n, s, l);
          n += l;
        }
      s += l;
      s += *s == '/';
    }
  if (n == 0)
    out[n++] = '/';
  out[n] = '\0';
  return out;
}

/* The directory of cgroup path cgpath (clean, absolute) in hierarchy h: the
 * mount point joined with the path relative to the mount's root.  NULL when that
 * is the mount point itself: a container never owns a hierarchy's root. */
static char *
hierarchy_dir (const struct hierarchy *h, const char *cgpath)
{
  const char *rel = cgpath;
  size_t rl = strlen (h->root);

  if (strcmp (h->root, "/") != 0 && strncmp (cgpath, h->root, rl) == 0
      && (cgpath[rl] == '/' || cgpath[rl] == '\0'))
    rel = cgpath + rl;
  if (rel[0] == '\0' || strcmp (rel, "/") == 0)
    return NULL;
  return xconcat (h->mountpoint, rel, NULL);
}

/* The container's cgroup path in hierarchy h, resolved lexically (no ".." is
 * left for the kernel to follow): absolute under the hierarchy's root, relative
 * under the caller's own cgroup (runc's rule), empty as /husk/<id>.  A path
 * that climbs out of the hierarchy, or a relative one that climbs out of the
 * caller's cgroup, is refused: runc clamps such a path at the root, but a
 * config asking for it is wrong, and saying so is safer than guessing. */
static char *
container_cgpath (const struct oci_config *c, const struct hierarchy *h, const char *id,
                  struct husk_error **err)
{
  const char *p = c->linux_ ? c->linux_->cgroups_path : NULL;
  cleanup_free char *joined = NULL;
  char *out;

  if (p == NULL || *p == '\0')
    {
      return xconcat ("/husk/", id, NULL);
    }
  if (*p == '/')
    joined = xstrdup (p);
  else
    {
      cleanup_free char *own = own_cgroup (h), *rel = NULL, *crel = NULL;
      rel = xconcat ("/", p, NULL);
      crel = clean_path (rel);
      if (crel == NULL || strcmp (crel, "/") == 0)
        {
          husk_error_set (err, 0, "linux.cgroupsPath `%s`: a relative path must stay below "
                          "the caller's cgroup", p);
          return NULL;
        }
      joined = xconcat (strcmp (own, "/") == 0 ? "" : own, crel, NULL);
    }
  out = clean_path (joined);
  if (out == NULL)
    husk_error_set (err, 0, "linux.cgroupsPath `%s`: leaves the cgroup hierarchy", p);
  else if (strcmp (out, "/") == 0)
    {
      husk_error_set (err, 0, "linux.cgroupsPath `%s`: is the root of the cgroup hierarchy", p);
      free (out);
      out = NULL;
    }
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
  cleanup_free char *path = xstrdup (dir);

  for (char *s = path + ml; s && *s;)
    {
      char *next = strchr (s + 1, '/');
      if (next)
        *next = '\0';
      for (int i = 0; i < 2; i++)
        {
          char *slash = strrchr (path, '/');
          cleanup_free char *mine = xconcat (path, "/", files[i], NULL), *val = NULL;
          cleanup_free char *parent = NULL;
          size_t len;

          *slash = '\0';
          parent = xconcat (path, "/", files[i], NULL);
          *slash = '/';
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

/* Whether controller `name` is one of the comma-separated list `ctrls`. */
static bool
has_token (const char *ctrls, const char *name)
{
  size_t nl = strlen (name);

  for (const char *p = ctrls; p && *p;)
    {
      const char *c = strchr (p, ',');
      size_t l = c ? (size_t) (c - p) : strlen (p);
      if (l == nl && strncmp (p, name, nl) == 0)
        return true;
      p = c ? c + 1 : NULL;
    }
  return false;
}

const char *
cg_v1_dir (const struct husk_cgroup *cg, const char *name)
{
  for (size_t i = 0; cg->dirs[i]; i++)
    if (cg->controllers[i][0] && has_token (cg->controllers[i], name))
      return cg->dirs[i];
  return NULL;
}

bool
cg_v2_has (const struct husk_cgroup *cg, const char *name)
{
  cleanup_free char *ctrls = NULL;

  if (cg->unified_dir == NULL || (ctrls = cg_read (cg->unified_dir, "cgroup.controllers")) == NULL)
    return false;
  for (char *s = ctrls, *save = NULL, *t; (t = strtok_r (s, " \n", &save)); s = NULL)
    if (strcmp (t, name) == 0)
      return true;
  return false;
}

/* In the unified hierarchy a controller is usable in a cgroup only once every
 * ancestor lists it in cgroup.subtree_control: enable, from the mount root down
 * to the container's parent, each controller the level offers.  One write per
 * controller, and failures only logged: a level with processes of its own (the
 * caller's cgroup, for a relative cgroupsPath) refuses, and a controller the
 * config then asks for fails with a clear error when it is applied. */
static void
enable_v2_controllers (const char *mountpoint, const char *dir)
{
  size_t ml = strlen (mountpoint);
  cleanup_free char *path = xstrdup (dir);
  char *last = strrchr (path, '/');

  if (path == NULL || last == NULL || (size_t) (last - path) < ml)
    return;
  *last = '\0'; /* the parent */
  for (char *s = path + ml;;)
    {
      char saved = *s;
      *s = '\0';
      const char *level = *path ? path : "/";
      cleanup_free char *ctrls = cg_read (level, "cgroup.controllers");
      for (char *c = ctrls, *save = NULL, *t; ctrls && (t = strtok_r (c, " ", &save)); c = NULL)
        {
          struct husk_error *e = NULL;
          if (cg_writef (level, "cgroup.subtree_control", &e, "+%s", t) < 0)
            {
              cleanup_free char *txt = husk_error_text (e);
              husk_debug ("%s", txt);
              husk_error_free (e);
            }
        }
      *s = saved;
      if (saved == '\0')
        break;
      char *next = strchr (s + 1, '/');
      s = next ? next : s + strlen (s);
    }
}

static struct husk_cgroup *
cgroup_alloc (size_t n)
{
  struct husk_cgroup *cg = xcalloc (1, sizeof *cg);

  if (cg == NULL || (cg->dirs = xcalloc (n + 1, sizeof (char *))) == NULL
      || (cg->controllers = xcalloc (n + 1, sizeof (char *))) == NULL
      || (cg->mountpoints = xcalloc (n + 1, sizeof (char *))) == NULL)
    abort ();
  return cg;
}

/* Fill slot i with dir in hierarchy h and keep the layout up to date. */
static void
cgroup_set (struct husk_cgroup *cg, size_t i, char *dir, const struct hierarchy *h)
{
  cg->dirs[i] = dir;
  cg->controllers[i] = xstrdup (h->controllers);
  cg->mountpoints[i] = xstrdup (h->mountpoint);
  if (h->v2)
    cg->unified_dir = dir;
  else if (has_token (h->controllers, "freezer"))
    cg->freezer_dir = dir;
  bool v1 = false;
  for (size_t j = 0; j <= i; j++)
    if (cg->controllers[j][0])
      v1 = true;
  cg->layout = !v1 ? HUSK_CGROUP_V2 : (cg->unified_dir ? HUSK_CGROUP_HYBRID : HUSK_CGROUP_V1);
}

/* The systemd driver's plan: the scope's cgroup, <slice expanded>/<unit>, in
 * every hierarchy (on v1 systemd makes it in those it manages, we in the rest);
 * user: below the cgroup of the caller's systemd --user, which it tells. */
static struct husk_cgroup *
plan_systemd (const struct oci_config *c, const char *id, bool user, const struct hierarchy *h,
              size_t n, struct husk_error **err)
{
  const char *p = c->linux_ ? c->linux_->cgroups_path : NULL;
  cleanup_free char *slice = NULL, *unit = NULL, *expanded = NULL, *cgpath = NULL;
  cleanup_free char *manager = NULL, *check = NULL;
  struct husk_cgroup *cg;
  bool in_user = false;

  if (cg_sd_parse_path (p, id, user, &slice, &unit, err) < 0
      || (expanded = cg_sd_expand_slice (slice, err)) == NULL
      || (user && cg_sd_user_manager_cgroup (&manager, err) < 0))
    return NULL;
  xasprintf (&cgpath, "%s%s/%s", manager ? manager : "",
                strcmp (expanded, "/") == 0 ? "" : expanded, unit);
  /* update and delete know the unit, and its manager, by this shape alone. */
  check = cg_sd_unit_of_path (cgpath, &in_user);
  if (check == NULL || strcmp (check, unit) != 0 || in_user != user)
    {
      husk_error_set (err, 0, "systemd: cgroup `%s` of unit `%s` is not shaped as a%s unit's",
                      cgpath, unit, user ? " user@UID.service manager's" : " system");
      return NULL;
    }
  cg = cgroup_alloc (n);
  for (size_t i = 0; i < n; i++)
    {
      char *dir = hierarchy_dir (&h[i], cgpath);
      if (dir == NULL)
        {
          husk_error_set (err, 0, "linux.cgroupsPath `%s`: unit `%s` is outside the cgroup "
                          "hierarchy at `%s`", p ? p : "", unit, h[i].mountpoint);
          husk_cgroup_free (cg);
          return NULL;
        }
      cgroup_set (cg, i, dir, &h[i]);
    }
  cg->unit = steal_ptr (unit);
  cg->slice = steal_ptr (slice);
  cg->user_manager = user;
  return cg;
}

/* Without --systemd-cgroup a path "a:b:c" is a cgroupfs path like any other,
 * a relative one (runc's rule: only the flag selects the systemd driver). */
struct husk_cgroup *
husk_cgroup_plan (const struct oci_config *c, const char *id, bool systemd, bool rootless,
                  struct husk_error **err)
{
  struct hierarchy *h = NULL;
  size_t n = 0;
  struct husk_cgroup *cg;
  const char *p = c->linux_ ? c->linux_->cgroups_path : NULL;

  if (read_hierarchies (&h, &n, err) < 0)
    return NULL;
  if (systemd)
    {
      cg = plan_systemd (c, id, rootless, h, n, err);
      hierarchies_free (h, n);
      return cg;
    }
  cg = cgroup_alloc (n);
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *cgpath = container_cgpath (c, &h[i], id, err);
      char *dir = cgpath ? hierarchy_dir (&h[i], cgpath) : NULL;
      if (dir == NULL)
        {
          if (cgpath)
            husk_error_set (err, 0, "linux.cgroupsPath `%s`: is the root of the cgroup "
                            "hierarchy at `%s`", p ? p : "", h[i].mountpoint);
          husk_cgroup_free (cg);
          hierarchies_free (h, n);
          return NULL;
        }
      cgroup_set (cg, i, dir, &h[i]);
    }
  hierarchies_free (h, n);
  return cg;
}

/* systemd makes the scope's cgroup when stage 1 starts the unit.  A directory
 * there without the unit is a leftover: empty, it goes (it would otherwise
 * take the clone into the cgroup of spawn.c, and the unit never start). */
static int
make_systemd (struct husk_cgroup *cg, struct husk_error **err)
{
  struct stat st;

  if (cg_sd_check_new (cg, &cg->unit_foreign, err) < 0)
    return -1;
  if (cg->unified_dir && stat (cg->unified_dir, &st) == 0 && remove_tree (cg->unified_dir, 0, true) < 0)
    return husk_error_set (err, errno, "cgroup `%s` of unit `%s` exists and is in use",
                           cg->unified_dir, cg->unit);
  return 0;
}

/* Make the directories of the v1 hierarchies (v1) or the others: the cgroup2
 * one, with its controllers enabled, unless systemd's unit makes it.  On
 * failure nothing created is left. */
static int
make_dirs (struct husk_cgroup *cg, bool v1_wanted, struct husk_error **err)
{
  for (size_t i = 0; cg->dirs[i]; i++)
    {
      bool v1 = cg->controllers[i][0] != '\0';
      if (v1 != v1_wanted || (!v1 && cg->unit))
        continue;
      if (husk_mkdir_p (cg->dirs[i], 0755, err) < 0
          || (v1 && has_token (cg->controllers[i], "cpuset")
              && cpuset_init (cg->mountpoints[i], cg->dirs[i], err) < 0))
        {
          husk_error_wrap (err, "create cgroup");
          husk_cgroup_destroy (cg, NULL);
          return -1;
        }
      if (!v1)
        enable_v2_controllers (cg->mountpoints[i], cg->dirs[i]);
    }
  return 0;
}

int
husk_cgroup_make (struct husk_cgroup *cg, struct husk_error **err)
{
  if (cg->unit && make_systemd (cg, err) < 0)
    return -1;
  if (make_dirs (cg, false, err) < 0)
    return -1;
  return cg->v1_late ? 0 : make_dirs (cg, true, err);
}

int
husk_cgroup_make_late (struct husk_cgroup *cg, struct husk_error **err)
{
  return make_dirs (cg, true, err);
}

/* runc's checks before a container takes its cgroup: a cgroup some process
 * already uses would mix two containers' processes (and their limits, kill and
 * pause); one left frozen would freeze the container's init before it can
 * report, so create would hang.  Both are refused. */
int
husk_cgroup_check_unused (const struct husk_cgroup *cg, struct husk_error **err)
{
  pid_t *pids = NULL;
  size_t n = 0;

  /* The systemd driver: starting the scope refuses a unit of that name that
   * is already there, with a clearer message (systemd.c); a new scope's
   * cgroup is fresh. */
  if (cg->unit)
    return 0;
  /* An error here is a cgroup that does not exist yet: nothing in it. */
  if (husk_cgroup_pids (cg, &pids, &n, NULL) == 0)
    free (pids);
  if (n > 0)
    return husk_error_set (err, EBUSY, "container's cgroup is not empty: %zu process(es) found", n);
  if (husk_cgroup_is_frozen (cg))
    return husk_error_set (err, EBUSY, "container's cgroup unexpectedly frozen");
  return 0;
}

/* Whether dir is a directory strictly below mount point m, named without "."
 * or ".." components, as husk_cgroup_plan() names them. */
static bool
clean_dir_below (const char *dir, const char *m)
{
  size_t ml = strlen (m);
  cleanup_free char *c = NULL;

  if (strncmp (dir, m, ml) != 0 || dir[ml] != '/' || dir[ml + 1] == '\0')
    return false;
  c = clean_path (dir + ml);
  return c && strcmp (c, dir + ml) == 0;
}

struct husk_cgroup *
husk_cgroup_from_dirs (char *const *dirs)
{
  struct hierarchy *h = NULL;
  size_t nh = 0, n = 0, k = 0;
  struct husk_cgroup *cg;

  while (dirs && dirs[n])
    n++;
  read_hierarchies (&h, &nh, NULL);
  cg = cgroup_alloc (n);
  for (size_t i = 0; i < n; i++)
    {
      /* The hierarchy whose mount point is the longest prefix of the directory;
       * a directory that is not strictly inside one is ignored. */
      const struct hierarchy *best = NULL;
      for (size_t j = 0; j < nh; j++)
        {
          size_t ml = strlen (h[j].mountpoint);
          if (strncmp (dirs[i], h[j].mountpoint, ml) == 0 && (dirs[i][ml] == '/' || dirs[i][ml] == '\0')
              && (best == NULL || ml > strlen (best->mountpoint)))
            best = &h[j];
        }
      if (best && clean_dir_below (dirs[i], best->mountpoint))
        cgroup_set (cg, k++, xstrdup (dirs[i]), best);
    }
  hierarchies_free (h, nh);
  /* The systemd driver's cgroup is known by its shape (systemd.h). */
  if (k > 0)
    cg->unit = cg_sd_unit_of_path (cg->dirs[0] + strlen (cg->mountpoints[0]), &cg->user_manager);
  return cg;
}

/* With systemd, stage 1 starts the scope with itself in it: systemd refuses a
 * scope without a process, and stage 1 runs before any other of the
 * container's.  (Its cgroup did not exist when spawn.c tried to clone into it,
 * so stage 1 was forked, and comes here.)  The controllers systemd does not
 * manage (hugetlb, rdma, misc) are enabled along the path as for cgroupfs. */
int
husk_cgroup_enter_self (const struct husk_cgroup *cg, bool in_unified, struct husk_error **err)
{
  if (cg->unit)
    {
      /* Our pid as systemd knows it: a direct init (linux/spawn.c) is 1 in its
       * own pid namespace already, and still finds its pid in the host's /proc. */
      pid_t self = husk_proc_self_pid ();
      if (cg_sd_start (cg, self > 0 ? self : getpid (), err) < 0)
        return husk_error_wrap (err, "join cgroup");
      for (size_t i = 0; cg->dirs[i]; i++)
        if (cg->dirs[i] == cg->unified_dir)
          enable_v2_controllers (cg->mountpoints[i], cg->dirs[i]);
    }
  /* Stage 1 is a fresh fork: one thread.  Checked all the same, since `tasks`
   * would leave any other thread behind. */
  bool single = husk_single_threaded ();
  for (size_t i = 0; cg->dirs[i]; i++)
    {
      bool v1 = cg->dirs[i] != cg->unified_dir;
      if (!((cg->unit || in_unified) && !v1)
          && cg_write (cg->dirs[i], husk_cgroup_self_file (v1, single), "0", err) < 0)
        return husk_error_wrap (err, "join cgroup");
    }
  return 0;
}

int
husk_cgroup_join_files (char *const *files, const char *skip_dir, struct husk_error **err)
{
  /* We are a fresh fork, one thread; `tasks` would leave any other behind. */
  bool single = husk_single_threaded ();

  for (; files && *files; files++)
    {
      struct husk_error *e = NULL, *e2 = NULL;
      const char *slash = strrchr (*files, '/');
      cleanup_free char *dir = xstrndup (*files, (size_t) (slash - *files));
      cleanup_free char *file = NULL;
      int r;

      if (skip_dir && strcmp (dir, skip_dir) == 0)
        continue;
      file = xconcat (dir, "/", husk_cgroup_self_file (strcmp (slash, "/tasks") == 0, single),
                      NULL);
      if (husk_write_file (file, "0", 1, &e) == 0)
        continue;
      /* Rootless, a scope of the user's systemd --user: the kernel lets us
       * move only within the delegated subtree we come from; the managers
       * move us instead (cgroup/systemd.h). */
      if (e->errnum == EACCES || e->errnum == EPERM)
        {
          r = cg_sd_attach_self (dir, &e2);
          if (r > 0)
            {
              husk_error_release (&e);
              continue;
            }
          if (r < 0)
            {
              husk_error_release (&e);
              e = e2;
            }
        }
      husk_error_propagate (err, &e);
      return husk_error_wrap (err, "join the container's cgroup");
    }
  return 0;
}

const char *
husk_cgroup_self_file (bool v1, bool single_thread)
{
  return v1 && single_thread ? "tasks" : "cgroup.procs";
}

bool
husk_single_threaded (void)
{
  struct stat sb;

  return stat ("/proc/self/task", &sb) == 0 && sb.st_nlink == 3;
}

static void
pids_append (pid_t **pids, size_t *n, size_t *cap, pid_t pid)
{
  if (*n == *cap)
    {
      *cap = *cap ? *cap * 2 : 16;
      pid_t *np = xrealloc (*pids, *cap * sizeof (pid_t));
      *pids = np;
    }
  (*pids)[(*n)++] = pid;
}

/* Whether a cgroup directory may have sub-cgroups: cgroupfs (kernfs) gives a
 * directory 2 + its number of subdirectories as link count.  When unsure, yes. */
static bool
may_have_subdirs (const char *dir)
{
  struct stat sb;

  return stat (dir, &sb) < 0 || sb.st_nlink != 2;
}

/* cgroup.procs of dir and, depth first, of every sub-cgroup the container made. */
static int
pids_walk (const char *dir, pid_t **pids, size_t *n, size_t *cap, int depth)
{
  cleanup_free char *data = cg_read (dir, "cgroup.procs");
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (data == NULL)
    return -1;
  for (char *s = data, *save = NULL, *t; (t = strtok_r (s, "\n", &save)); s = NULL)
    if (atoi (t) > 0)
      pids_append (pids, n, cap, (pid_t) atoi (t));
  if (depth > 32 || !may_have_subdirs (dir) || (d = opendir (dir)) == NULL)
    return 0;
  while ((de = readdir (d)))
    if (de->d_type == DT_DIR && de->d_name[0] != '.')
      {
        cleanup_free char *sub = cg_path (dir, de->d_name);
        pids_walk (sub, pids, n, cap, depth + 1);
      }
  return 0;
}

static int
pid_cmp (const void *a, const void *b)
{
  pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;
  return (x > y) - (x < y);
}

/* The union over every hierarchy: on v1 a process may have been moved out of the
 * container's cgroup in one hierarchy and stay in the others (a container that
 * can write its cgroupfs, `exec --cgroup`); it is the container's as long as
 * one hierarchy says so. */
int
husk_cgroup_pids (const struct husk_cgroup *cg, pid_t **pids, size_t *n, struct husk_error **err)
{
  size_t cap = 0, u = 0;
  bool found = false;

  *pids = NULL;
  *n = 0;
  for (size_t i = 0; cg->dirs[i]; i++)
    if (pids_walk (cg->dirs[i], pids, n, &cap, 0) == 0)
      found = true;
  if (!found)
    return husk_error_set (err, ENOENT, "read cgroup.procs: no cgroup directory");
  if (*n == 0)
    return 0;
  husk_sort (*pids, *n, sizeof (pid_t), pid_cmp);
  for (size_t i = 0; i < *n; i++)
    if (u == 0 || (*pids)[u - 1] != (*pids)[i])
      (*pids)[u++] = (*pids)[i];
  *n = u;
  return 0;
}

/* rmdir dir after its sub-cgroups (a container may make its own).  Only on a
 * cgroup file system, and only downwards: nothing above dir is touched. */
static int
remove_tree (const char *dir, int depth, bool wait_busy)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  struct statfs sf;

  if (statfs (dir, &sf) < 0)
    return errno == ENOENT ? 0 : -1;
  if ((unsigned long) sf.f_type != CGROUP_SUPER_MAGIC
      && (unsigned long) sf.f_type != CGROUP2_SUPER_MAGIC)
    {
      errno = EXDEV; /* not a cgroup: never removed */
      return -1;
    }
  /* Nearly always an empty leaf: one rmdir.  Else its sub-cgroups first. */
  if (rmdir (dir) == 0 || errno == ENOENT)
    return 0;
  d = depth < 32 && may_have_subdirs (dir) ? opendir (dir) : NULL;
  while (d && (de = readdir (d)))
    if (de->d_type == DT_DIR && de->d_name[0] != '.')
      {
        cleanup_free char *sub = cg_path (dir, de->d_name);
        remove_tree (sub, depth + 1, wait_busy);
      }
  /* A cgroup whose last process just exited can still be busy for a moment. */
  for (int attempt = 0; attempt < (wait_busy ? 100 : 1); attempt++)
    {
      if (rmdir (dir) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY)
        return -1;
      struct timespec ts = { 0, 5 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
  return -1;
}

int
husk_cgroup_destroy (const struct husk_cgroup *cg, struct husk_error **err)
{
  int ret = 0;

  /* Another container's unit of the same name: not ours to stop. */
  if (cg->unit_foreign)
    return 0;
  if (cg->unit)
    ret = cg_sd_stop (cg, err);
  for (size_t i = 0; cg->dirs[i]; i++)
    if (remove_tree (cg->dirs[i], 0, true) < 0 && ret == 0)
      ret = husk_error_set (err, errno, "remove cgroup `%s`", cg->dirs[i]);
  return ret;
}

int
husk_cgroup_remove_if_empty (const struct husk_cgroup *cg)
{
  int ret = 0;

  if (cg->unit || cg->unit_foreign)
    return -1;
  for (size_t i = 0; cg->dirs[i]; i++)
    if (remove_tree (cg->dirs[i], 0, false) < 0)
      ret = -1;
  return ret;
}

void
husk_cgroup_free (struct husk_cgroup *cg)
{
  if (cg == NULL)
    return;
  for (size_t i = 0; cg->dirs && cg->dirs[i]; i++)
    {
      free (cg->dirs[i]);
      free (cg->controllers[i]);
      free (cg->mountpoints[i]);
    }
  free (cg->dirs);
  free (cg->controllers);
  free (cg->mountpoints);
  free (cg->unit);
  free (cg->slice);
  free (cg);
}

/* ------------------------------------------------------------------------
 * Rootless (issue 15): an unprivileged caller uses only the hierarchies where
 * it may create the container's directory (a delegated cgroup v2 subtree, or
 * a directory an administrator chowned to it). */

/* Whether we may create dir, or join it if it exists: the nearest existing
 * directory on its way (not above the hierarchy's mount point) is writable by
 * us, and for an existing dir its cgroup.procs too. */
static bool
cg_dir_usable (const char *dir, const char *mountpoint)
{
  cleanup_free char *p = xstrdup (dir);
  size_t ml = strlen (mountpoint);
  char *slash;

  if (p == NULL)
    abort ();
  if (access (p, F_OK) == 0)
    {
      cleanup_free char *procs = cg_path (p, "cgroup.procs");
      return access (p, W_OK | X_OK) == 0 && access (procs, W_OK) == 0;
    }
  while ((slash = strrchr (p, '/')) != NULL && (size_t) (slash - p) >= ml)
    {
      *slash = '\0';
      if (access (p, F_OK) == 0)
        return access (p, W_OK | X_OK) == 0;
    }
  return false;
}

void
husk_cgroup_keep_usable (struct husk_cgroup *cg)
{
  size_t k = 0;

  cg->unified_dir = cg->freezer_dir = NULL;
  for (size_t i = 0; cg->dirs[i]; i++)
    {
      if (!cg_dir_usable (cg->dirs[i], cg->mountpoints[i]))
        {
          husk_debug ("rootless: cgroup `%s` is not writable by us: left out", cg->dirs[i]);
          free (cg->dirs[i]);
          free (cg->controllers[i]);
          free (cg->mountpoints[i]);
          continue;
        }
      cg->dirs[k] = cg->dirs[i];
      cg->controllers[k] = cg->controllers[i];
      cg->mountpoints[k] = cg->mountpoints[i];
      if (cg->controllers[k][0] == '\0')
        cg->unified_dir = cg->dirs[k];
      else if (has_token (cg->controllers[k], "freezer"))
        cg->freezer_dir = cg->dirs[k];
      k++;
    }
  cg->dirs[k] = cg->controllers[k] = cg->mountpoints[k] = NULL;
  bool v1 = false;
  for (size_t j = 0; j < k; j++)
    v1 = v1 || cg->controllers[j][0] != '\0';
  cg->layout = !v1 ? HUSK_CGROUP_V2 : (cg->unified_dir ? HUSK_CGROUP_HYBRID : HUSK_CGROUP_V1);
}

const char *
husk_cgroup_limit_key (const struct oci_resources *r)
{
  static const struct
  {
    const struct cg_controller *ctl;
    const char *key;
  } keys[] = {
    { &cg_memory, "memory" },   { &cg_cpu, "cpu" },           { &cg_cpuset, "cpu" },
    { &cg_pids, "pids" },       { &cg_blkio, "blockIO" },     { &cg_hugetlb, "hugepageLimits" },
    { &cg_net_cls, "network" }, { &cg_net_prio, "network" }, { &cg_rdma, "rdma" },
  };

  if (r == NULL)
    return NULL;
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (keys[i].ctl->wanted (r))
      return keys[i].key;
  return r->unified_len ? "unified" : NULL;
}
