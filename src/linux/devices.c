/* /dev inside the container: the default nodes every container gets (runc's
 * AllowedDevices), linux.devices, /dev/ptmx and the /proc/self/fd symlinks.
 *
 * A user namespace may not mknod (the kernel only lets the initial user ns create
 * device nodes), so there each node is a bind mount of the host's node instead,
 * onto an empty file created in its place. */
#define _GNU_SOURCE
#include "linux/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux/rootfs-internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

struct node
{
  const char *path;
  mode_t type; /* S_IFCHR ... */
  unsigned major, minor;
  mode_t mode;
  uid_t uid;
  gid_t gid;
};

static const struct node default_nodes[] = {
  { "/dev/null", S_IFCHR, 1, 3, 0666, 0, 0 },
  { "/dev/zero", S_IFCHR, 1, 5, 0666, 0, 0 },
  { "/dev/full", S_IFCHR, 1, 7, 0666, 0, 0 },
  { "/dev/random", S_IFCHR, 1, 8, 0666, 0, 0 },
  { "/dev/urandom", S_IFCHR, 1, 9, 0666, 0, 0 },
  { "/dev/tty", S_IFCHR, 5, 0, 0666, 0, 0 },
};

bool
husk_devices_needed (const struct oci_config *c)
{
  for (size_t i = 0; i < c->mounts_len; i++)
    {
      cleanup_free char *dest = NULL;

      if (!c->mounts[i].destination || !husk_mount_is_bind (&c->mounts[i]))
        continue;
      dest = husk_path_clean (c->mounts[i].destination);
      if (strcmp (dest, "/dev") == 0)
        return false;
    }
  return true;
}

/* An empty file in the node's place, with the host's node bound onto it. */
static int
bind_node (int dirfd, const char *name, const struct node *n, struct husk_error **err)
{
  cleanup_close int fd = openat (dirfd, name,
                                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
  struct husk_fd_path fp;
  struct stat st;

  if (fd < 0 && errno != EEXIST)
    return husk_error_set (err, errno, "create device file `%s`", n->path);
  if (fd >= 0)
    close (fd);
  /* O_PATH: what is already there (a node from the image) must not be opened. */
  fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) < 0)
    return husk_error_set (err, errno, "open device file `%s`", n->path);
  if (S_ISLNK (st.st_mode) || S_ISDIR (st.st_mode))
    return husk_error_set (err, EEXIST, "device path `%s` exists and is not a file",
                           n->path);
  fp = husk_fd_path (fd);
  husk_debug ("bind device `%s`", n->path);
  if (mount (n->path, fp.s, NULL, MS_BIND, NULL) < 0)
    return husk_error_set (err, errno, "mount `%s` to `%s`", n->path, n->path);
  return 0;
}

/* mknod (the caller has cleared the umask, so that the mode is the config's),
 * then check that what we open is what we made; its mode and owner are fixed
 * only where they differ (setuid bits a filesystem drops, a uid or gid other
 * than ours). */
static int
mknod_node (int dirfd, const char *name, const struct node *n, struct husk_error **err)
{
  dev_t dev = makedev (n->major, n->minor);
  cleanup_close int fd = -1;
  struct stat st;

  if (mknodat (dirfd, name, n->type | n->mode, dev) < 0)
    return husk_error_set (err, errno, "mknod `%s`", n->path);
  fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) < 0)
    return husk_error_set (err, errno, "open new device `%s`", n->path);
  if ((st.st_mode & S_IFMT) != n->type || (n->type != S_IFIFO && st.st_rdev != dev))
    return husk_error_set (err, 0, "new device `%s` is not the node created", n->path);
  /* fchmod does not take an O_PATH fd; its /proc/self/fd name does. */
  if ((st.st_mode & 07777) != n->mode && chmod (husk_fd_path (fd).s, n->mode) < 0)
    return husk_error_set (err, errno, "chmod `%s`", n->path);
  if ((st.st_uid != n->uid || st.st_gid != n->gid)
      && fchownat (fd, "", n->uid, n->gid, AT_EMPTY_PATH) < 0)
    return husk_error_set (err, errno, "chown `%s`", n->path);
  return 0;
}

/* The directory of the node last made, opened once for the nodes that share
 * it (the default ones all live in /dev). */
struct parent
{
  char *dir; /* cleaned path inside the rootfs */
  int fd;
};

static int
node_parent (const struct husk_mount_ctx *ctx, const char *path, struct parent *p, char **name,
             struct husk_error **err)
{
  cleanup_free char *clean = husk_path_clean (path);
  char *slash = strrchr (clean, '/');

  if (p->dir && slash != clean && slash[1] != '\0'
      && strncmp (clean, p->dir, (size_t) (slash - clean)) == 0
      && p->dir[slash - clean] == '\0')
    {
      *name = xstrdup (slash + 1);
      return p->fd;
    }
  if (p->fd >= 0)
    close (p->fd);
  free (p->dir);
  p->dir = NULL;
  p->fd = husk_open_parent_in_root (ctx->rootfd, path, name, err);
  if (p->fd >= 0 && slash != clean)
    p->dir = xstrndup (clean, (size_t) (slash - clean));
  return p->fd;
}

static int
create_node (const struct husk_mount_ctx *ctx, const struct node *n, struct parent *p,
             struct husk_error **err)
{
  cleanup_free char *name = NULL;
  int dirfd = node_parent (ctx, n->path, p, &name, err);
  struct husk_error *tmp = NULL;

  if (dirfd < 0)
    return husk_error_wrap (err, "create device `%s`", n->path);
  if (ctx->userns)
    return bind_node (dirfd, name, n, err);
  if (mknod_node (dirfd, name, n, &tmp) == 0)
    return 0;
  if (tmp->errnum == EEXIST)
    {
      /* runc: a node the image already has stays. */
      husk_error_release (&tmp);
      return 0;
    }
  if (tmp->errnum != EPERM)
    return husk_error_propagate (err, &tmp);
  /* Not allowed to mknod (a user ns we did not create, or a device cgroup). */
  husk_error_release (&tmp);
  return bind_node (dirfd, name, n, err);
}

static int
node_from_config (const struct oci_device *d, struct node *n, struct husk_error **err)
{
  memset (n, 0, sizeof *n);
  n->path = d->path;
  if (d->path == NULL)
    return husk_error_set (err, EINVAL, "device without a path");
  if (d->type && (strcmp (d->type, "c") == 0 || strcmp (d->type, "u") == 0))
    n->type = S_IFCHR;
  else if (d->type && strcmp (d->type, "b") == 0)
    n->type = S_IFBLK;
  else if (d->type && strcmp (d->type, "p") == 0)
    n->type = S_IFIFO;
  else
    return husk_error_set (err, EINVAL, "device `%s`: type `%s` is not c, b, u or p",
                           d->path, d->type ? d->type : "");
  if (n->type != S_IFIFO)
    {
      n->major = (unsigned) d->major;
      n->minor = (unsigned) d->minor;
    }
  n->mode = d->has_file_mode ? (d->file_mode & 07777) : 0666;
  n->uid = d->has_uid ? d->uid : 0;
  n->gid = d->has_gid ? d->gid : 0;
  return 0;
}

static bool
is_ptmx (const char *path)
{
  cleanup_free char *clean = husk_path_clean (path);
  return strcmp (clean, "/dev/ptmx") == 0;
}

static int
create_nodes (const struct husk_mount_ctx *ctx, struct husk_error **err)
{
  const struct oci_linux *l = ctx->c->linux_;
  size_t n_cfg = l ? l->devices_len : 0;
  struct parent p = { .fd = -1 };
  /* No umask, for every node: the mode is the config's. */
  mode_t umask_was = umask (0);
  int r = 0;

  for (size_t i = 0; i < sizeof default_nodes / sizeof default_nodes[0] && r == 0; i++)
    {
      bool overridden = false;
      /* A config entry for the same path replaces the default (runc). */
      for (size_t j = 0; j < n_cfg && !overridden; j++)
        overridden = l->devices[j].path
                     && strcmp (l->devices[j].path, default_nodes[i].path) == 0;
      if (!overridden)
        r = create_node (ctx, &default_nodes[i], &p, err);
    }
  for (size_t j = 0; j < n_cfg && r == 0; j++)
    {
      struct node n;

      if (l->devices[j].path && is_ptmx (l->devices[j].path))
        continue; /* /dev/ptmx is the link to pts/ptmx below */
      r = node_from_config (&l->devices[j], &n, err);
      if (r == 0)
        r = create_node (ctx, &n, &p, err);
    }
  umask (umask_was);
  if (p.fd >= 0)
    close (p.fd);
  free (p.dir);
  return r;
}

/* The symlinks of a usual /dev.  /dev/ptmx goes to the devpts instance of the
 * container (newinstance), replacing any node there. */
static int
create_links (const struct husk_mount_ctx *ctx, struct husk_error **err)
{
  static const char *const links[][2] = {
    { "/proc/self/fd", "fd" },      { "/proc/self/fd/0", "stdin" },
    { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
    { "pts/ptmx", "ptmx" },         { "/proc/kcore", "core" },
  };
  cleanup_close int dev = husk_mkpath_in_root (ctx->rootfd, "/dev", HUSK_MKPATH_DIR, 0755, err);
  struct stat st;

  if (dev < 0)
    return -1;
  if (unlinkat (dev, "ptmx", 0) < 0 && errno != ENOENT)
    return husk_error_set (err, errno, "remove `/dev/ptmx`");
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
    {
      /* The kernel may be built without /proc/kcore; link it only when it is there
       * (this is the host's /proc, the container's has the same kernel). */
      if (strcmp (links[i][1], "core") == 0 && stat ("/proc/kcore", &st) < 0)
        continue;
      if (symlinkat (links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
        return husk_error_set (err, errno, "symlink `/dev/%s`", links[i][1]);
    }
  return 0;
}

int
husk_devices_setup (const struct husk_mount_ctx *ctx, struct husk_error **err)
{
  if (!husk_devices_needed (ctx->c))
    return 0;
  if (create_nodes (ctx, err) < 0 || create_links (ctx, err) < 0)
    return husk_error_wrap (err, "configure the container /dev");
  return 0;
}
