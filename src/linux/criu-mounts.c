/* External mounts and namespaces for CRIU: see criu-mounts.h. */
#define _GNU_SOURCE
#include "linux/criu-mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/namespaces.h"
#include "linux/rootfs-internal.h"
#include "linux/rootfs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* The source of a bind mount as a host path. */
static char *
bind_source (const struct oci_mount *m, const char *bundle)
{
  return m->source ? husk_path_at (bundle, m->source) : NULL;
}

static bool
has_ns (const struct oci_config *c, enum oci_ns_type t)
{
  return oci_config_namespace (c, t) != NULL;
}

/* A "cgroup" mount on cgroup v1 without a cgroup namespace binds each host
 * hierarchy (linux/mounts.c): <dest>/<hierarchy's directory name>. */
static void
cgroup_v1_binds (const struct oci_mount *m, const struct husk_criu_cgroup_v1 *v1, size_t n_v1,
                 bool restore, struct husk_criu_opts *o)
{
  for (size_t i = 0; i < n_v1; i++)
    {
      cleanup_free char *key = NULL, *dest = husk_path_clean (m->destination);
      const char *base = strrchr (v1[i].mountpoint, '/');

      key = xconcat (strcmp (dest, "/") == 0 ? "" : dest, "/", base ? base + 1 : "", NULL);
      husk_criu_kv_add (&o->ext_mnt, &o->ext_mnt_len, key, restore ? v1[i].dir : key);
    }
}

static int
masked_files (const struct oci_config *c, pid_t pid, bool restore, struct husk_criu_opts *o)
{
  char *const *paths = c->linux_ ? c->linux_->masked_paths : NULL;

  if (paths == NULL || paths[0] == NULL)
    return 0;
  if (restore)
    {
      husk_criu_kv_add (&o->ext_mnt, &o->ext_mnt_len, "/dev/null", "/dev/null");
      return 0;
    }
  for (size_t i = 0; paths[i]; i++)
    {
      cleanup_free char *clean = husk_path_clean (paths[i]), *p = NULL;
      struct stat sb;

      xasprintf (&p, "/proc/%d/root%s", (int) pid, clean);
      /* A missing path was not masked; a directory is masked by a tmpfs,
       * which CRIU dumps as the container's own. */
      if (stat (p, &sb) < 0 || S_ISDIR (sb.st_mode))
        continue;
      husk_criu_kv_add (&o->ext_mnt, &o->ext_mnt_len, clean, "/dev/null");
    }
  return 0;
}

int
husk_criu_ext_mounts (const struct oci_config *c, const struct husk_criu_cgroup_v1 *v1,
                      size_t n_v1, pid_t pid, bool restore, const char *bundle,
                      struct husk_criu_opts *o, struct husk_error **err)
{
  /* Bound from the host when husk cannot mknod them (user namespaces). */
  static const char *default_devices[] = { "/dev/null", "/dev/zero", "/dev/full",
                                           "/dev/random", "/dev/urandom", "/dev/tty", NULL };
  bool cgroupns = has_ns (c, OCI_NS_CGROUP);

  for (size_t i = 0; i < c->mounts_len; i++)
    {
      const struct oci_mount *m = &c->mounts[i];
      cleanup_free char *dest = NULL, *src = NULL;

      if (m->destination == NULL)
        continue;
      if (m->type && strcmp (m->type, "cgroup") == 0)
        {
          if (!cgroupns)
            cgroup_v1_binds (m, v1, n_v1, restore, o);
          continue;
        }
      if (!husk_mount_is_bind (m))
        continue;
      dest = husk_path_clean (m->destination);
      src = bind_source (m, bundle);
      husk_criu_kv_add (&o->ext_mnt, &o->ext_mnt_len, dest, restore && src ? src : dest);
    }
  if (masked_files (c, pid, restore, o) < 0)
    return -1;
  for (size_t i = 0; default_devices[i]; i++)
    husk_criu_kv_add (&o->ext_mnt, &o->ext_mnt_len, default_devices[i], default_devices[i]);
  for (size_t i = 0; c->linux_ && i < c->linux_->devices_len; i++)
    {
      cleanup_free char *p = husk_path_clean (c->linux_->devices[i].path);
      bool dup = false;
      for (size_t j = 0; j < o->ext_mnt_len && !dup; j++)
        dup = strcmp (o->ext_mnt[j].key, p) == 0;
      if (!dup)
        husk_criu_kv_add (&o->ext_mnt, &o->ext_mnt_len, p, p);
    }
  (void) err;
  return 0;
}

int
husk_criu_restore_mountpoints (const struct oci_config *c, const char *rootfs, const char *bundle,
                               struct husk_error **err)
{
  cleanup_close int rootfd = openat (AT_FDCWD, rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);

  if (rootfd < 0)
    return husk_error_set (err, errno, "open rootfs `%s`", rootfs);
  for (size_t i = 0; i < c->mounts_len; i++)
    {
      const struct oci_mount *m = &c->mounts[i];
      enum husk_mkpath how = HUSK_MKPATH_DIR;
      cleanup_free char *src = NULL;
      struct stat sb;
      int fd;

      if (m->destination == NULL || (m->type && strcmp (m->type, "cgroup") == 0))
        continue;
      if (husk_mount_is_bind (m))
        {
          src = bind_source (m, bundle);
          if (src && stat (src, &sb) == 0 && !S_ISDIR (sb.st_mode))
            how = HUSK_MKPATH_FILE;
        }
      fd = husk_mkpath_in_root (rootfd, m->destination, how, 0755, err);
      if (fd < 0)
        {
          /* Read-only rootfs, or under a mount the rootfs does not have: CRIU
           * says what it misses, if anything. */
          if ((*err)->errnum != EROFS && (*err)->errnum != EACCES)
            return husk_error_wrap (err, "restore: mount point");
          husk_error_release (err);
          continue;
        }
      close (fd);
    }
  return 0;
}

/* CRIU's key for a namespace that is outside the container's image. */
static const char *
ext_key (enum oci_ns_type t)
{
  return t == OCI_NS_NETWORK ? "extRootNetNS" : "extRootPidNS";
}

int
husk_criu_namespaces (const struct oci_config *c, bool restore, struct husk_criu_opts *o,
                      int *fds, size_t *n_fds, size_t max_fds, struct husk_error **err)
{
  for (size_t i = 0; c->linux_ && i < c->linux_->namespaces_len; i++)
    {
      const struct oci_namespace *ns = &c->linux_->namespaces[i];
      const char *name = husk_ns_proc_name (ns->type);
      char buf[128];
      struct stat sb;
      int fd;

      if (ns->path == NULL || ns->path[0] == '\0')
        continue;
      if (ns->type != OCI_NS_NETWORK && ns->type != OCI_NS_PID)
        {
          if (!restore)
            continue;
          if (ns->type == OCI_NS_CGROUP)
            return husk_error_set (err, EOPNOTSUPP,
                                   "restore: linux.namespaces: a cgroup namespace given by path "
                                   "cannot be joined by criu");
          husk_criu_kv_add (&o->join_ns, &o->join_ns_len, name, ns->path);
          continue;
        }
      if (!restore)
        {
          if (stat (ns->path, &sb) < 0)
            return husk_error_set (err, errno, "%s namespace `%s`", name, ns->path);
          snprintf (buf, sizeof buf, "%s[%llu]:%s", name, (unsigned long long) sb.st_ino,
                    ext_key (ns->type));
          husk_criu_external_add (o, buf);
          continue;
        }
      if (*n_fds >= max_fds)
        return husk_error_set (err, E2BIG, "restore: too many namespaces to pass to criu");
      fd = openat (AT_FDCWD, ns->path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return husk_error_set (err, errno, "restore: %s namespace `%s` must exist", name, ns->path);
      fds[(*n_fds)++] = fd;
      snprintf (buf, sizeof buf, "%zu", 4 + *n_fds - 1);
      husk_criu_kv_add (&o->inherit_fd, &o->inherit_fd_len, ext_key (ns->type), buf);
    }
  return 0;
}
