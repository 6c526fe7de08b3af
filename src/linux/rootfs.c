/* The container's filesystem: the three steps of rootfs.h.
 *
 * prepare   runs before pivot_root with the host's / still visible: propagation,
 *           the rootfs bound onto itself, the config mounts, /dev.
 * pivot     makes the rootfs "/" and drops the old root.
 * finalize  runs inside: readonlyPaths, maskedPaths, the read-only remounts that
 *           had to wait until everything was written, root.readonly.
 *
 * After the pivot there may be no /proc in the container, so finalize works on
 * fds with the new mount API (open_tree, fsopen, move_mount, mount_setattr), which
 * needs no /proc/self/fd path. */
#define _GNU_SOURCE
#include "linux/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux/exeseal.h"
#include "linux/sys.h"
#include "linux/rootfs-internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xalloc.h"

bool
husk_config_has_ns (const struct oci_config *c, enum oci_ns_type t)
{
  if (c->linux_ == NULL)
    return false;
  for (size_t i = 0; i < c->linux_->namespaces_len; i++)
    if (c->linux_->namespaces[i].type == t)
      return true;
  return false;
}

/* linux.rootfsPropagation as MS_* flags; 0 when absent. */
static int
root_propagation (const struct oci_config *c, unsigned long *flags, struct husk_error **err)
{
  const char *name = c->linux_ ? c->linux_->rootfs_propagation : NULL;

  *flags = 0;
  if (name == NULL || *name == '\0')
    return 0;
  if (husk_propagation_from_name (name, flags) < 0)
    return husk_error_set (err, EINVAL, "rootfsPropagation `%s` is not supported", name);
  return 0;
}

/* What husk_rootfs_prepare sets on "/" first: the configured propagation, or
 * runc's default rslave (host mounts still reach us, nothing goes back). */
static unsigned long
root_flags (unsigned long prop)
{
  return prop ? prop : MS_SLAVE | MS_REC;
}

/* runc's rootfsParentMountPropagation: the mount holding the rootfs must not be
 * shared, or pivot_root fails (EINVAL) and the bind of the rootfs onto itself
 * would propagate to the host.  Walk up to the first mount point. */
static int
make_parent_private (const char *rootfs, unsigned long prop, struct husk_error **err)
{
  unsigned long flags = (prop & MS_SLAVE) ? MS_SLAVE : MS_PRIVATE;
  cleanup_free char *path = xstrdup (rootfs);
  for (;;)
    {
      if (mount (NULL, path, NULL, flags, NULL) == 0)
        return 0;
      /* EINVAL: not a mount point; try its parent. */
      if (errno != EINVAL || strcmp (path, "/") == 0)
        return husk_error_set (err, errno, "make the parent mount `%s` of the rootfs %s",
                               path, flags == MS_SLAVE ? "slave" : "private");
      {
        char *d = dirname (path);
        memmove (path, d, strlen (d) + 1);
      }
    }
}

int
husk_rootfs_prepare (const struct oci_config *c, const char *rootfs, const int *idmap_fds,
                     int sync_fd, int *procfd, struct husk_error **err)
{
  struct husk_mount_ctx ctx = { .c = c, .rootfs = rootfs, .rootfd = -1, .idmap_fds = idmap_fds,
                                .sync_fd = sync_fd, .procfd = procfd };
  unsigned long prop, flags;
  int r = 0;

  if (root_propagation (c, &prop, err) < 0)
    return -1;
  /* First, before any mount is made: our new mount ns still shares peer groups
   * with the host, so every mount below would appear on the host too. */
  flags = root_flags (prop);
  if (mount (NULL, "/", NULL, flags, NULL) < 0)
    return husk_error_set (err, errno, "set the propagation of `/` to %#lx", flags);
  if (make_parent_private (rootfs, prop, err) < 0)
    return -1;
  /* pivot_root needs the new root to be a mount point; MS_REC keeps the mounts
   * that are already below it (an image on overlay with its own submounts). */
  if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return husk_error_set (err, errno, "bind mount the rootfs `%s` onto itself", rootfs);
  /* Opened after the bind: the fd must be of the new mount, or the config mounts
   * would land in the directory underneath it. */
  ctx.rootfd = openat (AT_FDCWD, rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ctx.rootfd < 0)
    return husk_error_set (err, errno, "open the rootfs `%s`", rootfs);
  ctx.userns = husk_config_has_ns (c, OCI_NS_USER) || husk_running_in_userns ();
  ctx.cgroupns = husk_config_has_ns (c, OCI_NS_CGROUP);
  for (size_t i = 0; i < c->mounts_len && r == 0; i++)
    r = husk_mount_entry (&ctx, &c->mounts[i], err);
  /* Devices after the mounts (runc's order): /dev is usually a config tmpfs. */
  if (r == 0)
    r = husk_devices_setup (&ctx, err);
  close (ctx.rootfd);
  return r;
}

/* ---- pivot ---- */

/* With chroot instead of pivot_root the host's full procfs and sysfs mounts stay
 * reachable in our mount ns, and the kernel allows a new procfs mount only when a
 * full one is visible: take them away (runc's msMoveRoot). */
static int
hide_host_proc_sys (const char *rootfs, struct husk_error **err)
{
  cleanup_free char *info = NULL;
  size_t len, rl = strlen (rootfs);

  if (husk_read_file ("/proc/self/mountinfo", &info, &len, err) < 0)
    return -1;
  for (char *save = NULL, *line = strtok_r (info, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    {
      char root[4096], mp[4096], type[64];
      char *sep = husk_strstr (line, " - ");

      if (sep == NULL || !husk_word (line, 3, root, sizeof root) || !husk_word (line, 4, mp, sizeof mp)
          || !husk_word (sep + 3, 0, type, sizeof type))
        continue;
      if (strcmp (root, "/") != 0 || (strcmp (type, "proc") != 0 && strcmp (type, "sysfs") != 0)
          || (strncmp (mp, rootfs, rl) == 0 && (mp[rl] == '/' || mp[rl] == '\0')))
        continue;
      /* Slave first, so that the unmount does not propagate to the host. */
      if (mount (NULL, mp, NULL, MS_SLAVE | MS_REC, NULL) < 0)
        {
          if (errno == ENOENT)
            continue; /* under something already unmounted */
          return husk_error_set (err, errno, "make `%s` rslave", mp);
        }
      if (umount2 (mp, MNT_DETACH) == 0)
        continue;
      if (errno != EINVAL && errno != EPERM)
        return husk_error_set (err, errno, "umount `%s`", mp);
      /* Locked (a user ns): cover it instead. */
      if (mount ("tmpfs", mp, "tmpfs", 0, NULL) < 0)
        return husk_error_set (err, errno, "mount `tmpfs` over `%s`", mp);
    }
  return 0;
}

static int
move_root (const char *rootfs, struct husk_error **err)
{
  if (hide_host_proc_sys (rootfs, err) < 0)
    return -1;
  if (chdir (rootfs) < 0)
    return husk_error_set (err, errno, "chdir `%s`", rootfs);
  /* The cwd keeps a reference to the rootfs mount, which after the move is "/". */
  if (mount (rootfs, "/", NULL, MS_MOVE, NULL) < 0)
    return husk_error_set (err, errno, "move the rootfs `%s` to `/`", rootfs);
  if (chroot (".") < 0)
    return husk_error_set (err, errno, "chroot `%s`", rootfs);
  if (chdir ("/") < 0)
    return husk_error_set (err, errno, "chdir `/`");
  return 0;
}

int
husk_rootfs_pivot (const struct oci_config *c, const char *rootfs, bool no_pivot,
                   struct husk_error **err)
{
  cleanup_close int oldroot = -1, newroot = -1;
  unsigned long prop;

  /* The read-only copy's mount (linux/exeseal.h) goes down with the old root, if
   * "/" is recursively slave or private (nothing attached below it reaches the
   * host) and the old root is unmounted below.  Parked only now: no config
   * mount, hook or device setup can meet it over /dev/null. */
  if (root_propagation (c, &prop, err) < 0)
    return -1;
  prop = root_flags (prop);
  husk_exe_seal_park (!no_pivot && (prop & MS_REC) && (prop & (MS_SLAVE | MS_PRIVATE))
                      ? "/dev/null" : NULL);
  if (no_pivot)
    return move_root (rootfs, err);
  oldroot = openat (AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  newroot = openat (AT_FDCWD, rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (oldroot < 0 || newroot < 0)
    return husk_error_set (err, errno, "open `%s`", oldroot < 0 ? "/" : rootfs);
  if (fchdir (newroot) < 0)
    return husk_error_set (err, errno, "chdir `%s`", rootfs);
  /* pivot_root(".", "."): the old root ends up stacked on top of the new one, and
   * so needs no directory of its own in the rootfs (the trick of LXC). */
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return husk_error_set (err, errno, "pivot_root `%s`", rootfs);
  /* The kernel does not promise where the cwd is after pivot_root: go to the old
   * root explicitly before unmounting it. */
  if (fchdir (oldroot) < 0)
    return husk_error_set (err, errno, "chdir to the old root");
  /* rslave, not rprivate: the unmount must not propagate to the host, but the host
   * may still have references to these mounts (runc: devicemapper races). */
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return husk_error_set (err, errno, "make the old root rslave");
  /* MNT_DETACH: the old root is busy as our cwd until we leave it. */
  if (umount2 (".", MNT_DETACH) < 0)
    return husk_error_set (err, errno, "unmount the old root");
  if (chdir ("/") < 0)
    return husk_error_set (err, errno, "chdir `/`");
  return 0;
}

/* ---- finalize ---- */

/* Attach the detached mount `tree` onto what fd refers to. */
static int
attach (int tree, int fd, const char *path, struct husk_error **err)
{
  if (move_mount (tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return husk_error_set (err, errno, "move_mount onto `%s`", path);
  return 0;
}

/* readonlyPaths: a recursive bind of the path onto itself, read-only at its top
 * (like runc, submounts keep their own flags); the other flags of the path stay. */
static int
readonly_path (int rootfd, const char *path, struct husk_error **err)
{
  struct mount_attr attr = {
    .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
  };
  struct husk_error *tmp = NULL;
  cleanup_close int fd = husk_open_in_root (rootfd, path, O_PATH, 0, &tmp);
  cleanup_close int tree = -1;

  if (fd < 0)
    {
      if (tmp->errnum != ENOENT)
        return husk_error_propagate (err, &tmp);
      husk_error_release (&tmp); /* a missing path needs no protection */
      return 0;
    }
  tree = open_tree (fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
  if (tree < 0)
    return husk_error_set (err, errno, "open_tree `%s`", path);
  if (mount_setattr (tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return husk_error_set (err, errno, "make `%s` read-only", path);
  return attach (tree, fd, path, err);
}

/* An empty read-only tmpfs to hide a directory.  nr_inodes=2 for the Ubuntu 5.4
 * kernels that refuse 1 (runc).  One tmpfs for every masked directory, as runc:
 * the first is made and attached, *shared keeps it, and the next ones are clones
 * of it (same file system, so they share its device number). */
static int
mask_dir (int fd, const char *path, int *shared, struct husk_error **err)
{
  if (*shared >= 0)
    {
      cleanup_close int tree = open_tree (*shared, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
      if (tree < 0)
        return husk_error_set (err, errno, "clone the tmpfs masking directories onto `%s`", path);
      return attach (tree, fd, path, err);
    }
  for (int inodes = 1; inodes <= 2; inodes++)
    {
      cleanup_close int fs = fsopen ("tmpfs", FSOPEN_CLOEXEC);
      int mnt;
      char n[2] = { (char) ('0' + inodes), '\0' };

      if (fs < 0)
        return husk_error_set (err, errno, "fsopen tmpfs");
      if (fsconfig (fs, FSCONFIG_SET_STRING, "nr_blocks", "1", 0) < 0
          || fsconfig (fs, FSCONFIG_SET_STRING, "nr_inodes", n, 0) < 0
          || fsconfig (fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0
          || fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        {
          if (inodes == 1)
            continue;
          return husk_error_set (err, errno, "create the tmpfs masking `%s`", path);
        }
      mnt = fsmount (fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
      if (mnt < 0)
        return husk_error_set (err, errno, "fsmount the tmpfs masking `%s`", path);
      /* Attached, the fd names the mount at `path`: the clones come from there. */
      *shared = mnt;
      return attach (mnt, fd, path, err);
    }
  return 0;
}

/* /dev/null of the container, checked to be the real one (1:3) before it hides
 * anything. */
static int
open_dev_null (int rootfd, struct husk_error **err)
{
  int fd = husk_open_in_root (rootfd, "/dev/null", O_PATH, 0, err);
  struct stat st;

  if (fd < 0)
    return husk_error_wrap (err, "mask paths");
  if (fstat (fd, &st) < 0 || !S_ISCHR (st.st_mode) || st.st_rdev != makedev (1, 3))
    {
      close (fd);
      return husk_error_set (err, 0, "mask paths: the container's /dev/null is not 1:3");
    }
  return fd;
}

static int
mask_path (int rootfd, const char *path, int *devnull, int *shared, struct husk_error **err)
{
  struct husk_error *tmp = NULL;
  cleanup_close int fd = husk_open_in_root (rootfd, path, O_PATH, 0, &tmp);
  cleanup_close int tree = -1;
  struct stat st;

  if (fd < 0)
    {
      if (tmp->errnum != ENOENT)
        return husk_error_propagate (err, &tmp);
      husk_error_release (&tmp); /* nothing to hide */
      return 0;
    }
  if (fstat (fd, &st) < 0)
    return husk_error_set (err, errno, "stat `%s`", path);
  if (S_ISDIR (st.st_mode))
    return mask_dir (fd, path, shared, err);
  if (*devnull < 0 && (*devnull = open_dev_null (rootfd, err)) < 0)
    return -1;
  tree = open_tree (*devnull, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0)
    return husk_error_set (err, errno, "open_tree `/dev/null`");
  return attach (tree, fd, path, err);
}

static bool
seen_before (char *const *paths, size_t i)
{
  cleanup_free char *a = husk_path_clean (paths[i]);
  for (size_t j = 0; j < i; j++)
    {
      cleanup_free char *b = husk_path_clean (paths[j]);
      if (strcmp (a, b) == 0)
        return true;
    }
  return false;
}

static int
protect_paths (const struct oci_linux *l, int rootfd, struct husk_error **err)
{
  cleanup_close int devnull = -1, shared = -1;

  for (size_t i = 0; l->readonly_paths && l->readonly_paths[i]; i++)
    if (readonly_path (rootfd, l->readonly_paths[i], err) < 0)
      return husk_error_wrap (err, "make `%s` read-only", l->readonly_paths[i]);
  for (size_t i = 0; l->masked_paths && l->masked_paths[i]; i++)
    {
      /* Masking twice would stack a second mount for nothing. */
      if (seen_before (l->masked_paths, i))
        continue;
      if (mask_path (rootfd, l->masked_paths[i], &devnull, &shared, err) < 0)
        return husk_error_wrap (err, "mask `%s`", l->masked_paths[i]);
    }
  return 0;
}

/* tmpfs mounts and /dev were mounted writable so that prepare could fill them;
 * make the read-only ones so now (ro on the mount, rro on its whole tree). */
static int
late_readonly (const struct oci_config *c, int rootfd, struct husk_error **err)
{
  for (size_t i = 0; i < c->mounts_len; i++)
    {
      const struct oci_mount *m = &c->mounts[i];
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
      struct husk_mount_opts o;
      cleanup_free char *dest = NULL;
      cleanup_close int fd = -1;
      bool tmpfs, ro, rro;

      if (m->destination == NULL || husk_mount_opts_parse (m->options, &o, err) < 0)
        continue;
      ro = (o.flags & MS_RDONLY) != 0;
      rro = (o.rec_set & MOUNT_ATTR_RDONLY) != 0;
      husk_mount_opts_free (&o);
      dest = husk_path_clean (m->destination);
      tmpfs = !husk_mount_is_bind (m) && m->type && strcmp (m->type, "tmpfs") == 0;
      if (!(ro || rro) || !(tmpfs || strcmp (dest, "/dev") == 0))
        continue;
      fd = husk_open_in_root (rootfd, dest, O_PATH, 0, err);
      if (fd < 0)
        return husk_error_wrap (err, "remount `%s` read-only", dest);
      if (mount_setattr (fd, "", AT_EMPTY_PATH | (rro ? AT_RECURSIVE : 0), &attr, sizeof attr)
          < 0)
        return husk_error_set (err, errno, "remount `%s` read-only", dest);
    }
  return 0;
}

/* root.readonly: a bind remount changes only this mount's flags, which a user ns
 * may do; flags the kernel locked must be passed again (runc's setReadonly). */
static int
readonly_root (struct husk_error **err)
{
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;
  struct statfs sfs;

  if (mount (NULL, "/", NULL, flags, NULL) == 0)
    return 0;
  if (statfs ("/", &sfs) < 0)
    return husk_error_set (err, errno, "statfs `/`");
  flags |= husk_statfs_to_ms ((unsigned long) sfs.f_flags);
  if (mount (NULL, "/", NULL, flags, NULL) < 0)
    return husk_error_set (err, errno, "remount `/` read-only");
  return 0;
}

int
husk_rootfs_finalize (const struct oci_config *c, struct husk_error **err)
{
  cleanup_close int rootfd = openat (AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  unsigned long prop;

  if (rootfd < 0)
    return husk_error_set (err, errno, "open `/`");
  if (root_propagation (c, &prop, err) < 0)
    return -1;
  /* Only now, on the new "/": made shared before the pivot it would have been the
   * host's root mount.  private and slave were done by prepare (runc). */
  if (prop && !(prop & (MS_PRIVATE | MS_SLAVE))
      && mount (NULL, "/", NULL, prop, NULL) < 0)
    return husk_error_set (err, errno, "set the propagation of `/` to %#lx", prop);
  if (c->linux_ && protect_paths (c->linux_, rootfd, err) < 0)
    return -1;
  if (late_readonly (c, rootfd, err) < 0)
    return -1;
  if (c->root && c->root->readonly && readonly_root (err) < 0)
    return husk_error_wrap (err, "make the rootfs read-only");
  return 0;
}
