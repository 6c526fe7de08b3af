/* One config.json "mounts" entry, mounted inside the rootfs.
 *
 * The destination is resolved inside the rootfs (resolve.c) to an O_PATH fd, and
 * mount(2) is given "/proc/self/fd/N" as the target: the kernel mounts on what the
 * fd refers to, so a symlink swapped into the path after the check changes
 * nothing.  Operations on the new mount (bind remount, propagation, recursive
 * attributes) need a handle of the mount itself, not of the directory under it,
 * so the destination is re-opened after the mount and checked to be a new mount
 * root.
 *
 * The option words (oci/names.h) and what they mean follow runc
 * (libcontainer/specconv). */
#define _GNU_SOURCE
#include "linux/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/magic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/sys.h"
#include "linux/lsm.h"
#include "linux/procfs.h"
#include "linux/rootfs-internal.h"
#include "linux/sync.h"
#include "oci/names.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xalloc.h"

/* ---- the options (oci/names.h) ---- */

int
husk_propagation_from_name (const char *name, unsigned long *flags)
{
  const struct oci_mount_option *o = oci_mount_option_find (name);
  if (o == NULL || o->kind != OCI_MOUNT_PROPAGATION)
    return -1;
  *flags = o->value;
  return 0;
}

static void
apply_rec_opt (struct husk_mount_opts *o, const struct oci_mount_option *opt)
{
  uint64_t v = opt->value;

  if (opt->kind == OCI_MOUNT_REC_SET)
    {
      o->rec_set |= v;
      o->rec_clr &= ~v;
    }
  else
    {
      o->rec_clr |= v;
      o->rec_set &= ~v;
    }
  /* mount_setattr(2): an atime setting in attr_set must come with
   * MOUNT_ATTR__ATIME in attr_clr (the atime values are an enum, not bits). */
  if ((v & MOUNT_ATTR__ATIME) == v)
    o->rec_clr |= MOUNT_ATTR__ATIME;
}

static void
append_data (char **data, size_t *len, const char *word)
{
  size_t n = strlen (word);
  char *d = xrealloc (*data, *len + n + 2);
  if (*len)
    d[(*len)++] = ',';
  memcpy (d + *len, word, n + 1);
  *len += n;
  *data = d;
}

int
husk_mount_opts_parse (char *const *options, struct husk_mount_opts *o,
                       struct husk_error **err)
{
  size_t data_len = 0;

  memset (o, 0, sizeof *o);
  o->data = xstrdup ("");
  for (size_t i = 0; options && options[i]; i++)
    {
      const struct oci_mount_option *opt = oci_mount_option_find (options[i]);
      unsigned long v = opt ? opt->value : 0;

      if (opt == NULL)
        {
          /* Not a flag: filesystem data ("mode=755", "size=65536k", "newinstance"). */
          append_data (&o->data, &data_len, options[i]);
          continue;
        }
      switch (opt->kind)
        {
        case OCI_MOUNT_SET:
          o->flags |= v;
          o->cleared &= ~v;
          break;
        case OCI_MOUNT_CLEAR:
          o->flags &= ~v;
          o->cleared |= v;
          break;
        case OCI_MOUNT_PROPAGATION:
          if (o->n_propagation == HUSK_MAX_PROPAGATION)
            {
              husk_mount_opts_free (o);
              return husk_error_set (err, EINVAL, "too many propagation options");
            }
          o->propagation[o->n_propagation++] = v;
          break;
        case OCI_MOUNT_REC_SET:
        case OCI_MOUNT_REC_CLEAR:
          apply_rec_opt (o, opt);
          break;
        case OCI_MOUNT_COPYUP:
          o->copyup = true;
          break;
        case OCI_MOUNT_IDMAP:
          o->idmap = true;
          break;
        case OCI_MOUNT_RIDMAP:
          o->ridmap = true;
          break;
        }
    }
  return 0;
}

void
husk_mount_opts_free (struct husk_mount_opts *o)
{
  free (o->data);
  o->data = NULL;
}

unsigned long
husk_statfs_to_ms (unsigned long f)
{
  static const struct
  {
    unsigned long st, ms;
  } map[] = {
    /* See calculate_f_flags() in fs/statfs.c. */
    { ST_RDONLY, MS_RDONLY },
    { ST_NOSUID, MS_NOSUID },
    { ST_NODEV, MS_NODEV },
    { ST_NOEXEC, MS_NOEXEC },
    { ST_MANDLOCK, MS_MANDLOCK },
    { ST_SYNCHRONOUS, MS_SYNCHRONOUS },
    { ST_NOATIME, MS_NOATIME },
    { ST_NODIRATIME, MS_NODIRATIME },
    { ST_RELATIME, MS_RELATIME },
    { 0x2000 /* ST_NOSYMFOLLOW */, MS_NOSYMFOLLOW },
  };
  unsigned long ms = 0;

  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (f & map[i].st)
      ms |= map[i].ms;
  /* MS_STRICTATIME is not stored in mnt_flags, so statfs cannot show it: a mount
   * with none of the other atime modes is strictatime. */
  if (!(ms & (MS_NOATIME | MS_RELATIME)))
    ms |= MS_STRICTATIME;
  return ms;
}

bool
husk_mount_is_bind (const struct oci_mount *m)
{
  if (m->type && strcmp (m->type, "bind") == 0)
    return true;
  for (size_t i = 0; m->options && m->options[i]; i++)
    if (strcmp (m->options[i], "bind") == 0 || strcmp (m->options[i], "rbind") == 0)
      return true;
  return false;
}

bool
husk_mount_is_idmapped (const struct oci_mount *m)
{
  if (m->uid_mappings_len || m->gid_mappings_len)
    return true;
  for (size_t k = 0; m->options && m->options[k]; k++)
    if (strcmp (m->options[k], "idmap") == 0 || strcmp (m->options[k], "ridmap") == 0)
      return true;
  return false;
}

/* ---- one entry ---- */

#define ATIME_FLAGS (MS_NOATIME | MS_RELATIME | MS_STRICTATIME | MS_NODIRATIME)
/* The flags the kernel locks (MNT_LOCK_*) on mounts inherited by a less
 * privileged user namespace: a remount may not clear them. */
#define LOCKED_FLAGS (MS_RDONLY | MS_NODEV | MS_NOEXEC | MS_NOSUID | ATIME_FLAGS)

struct entry
{
  const struct husk_mount_ctx *ctx;
  const struct oci_mount *m;
  struct husk_mount_opts o;
  const char *type; /* "bind" for bind mounts */
  const char *source; /* for binds: a host path, relative to the cwd */
  char *dest; /* cleaned, absolute inside the container */
  const char *real; /* the destination below the rootfs after resolution */
  char *real_buf;
  bool is_dev; /* dest is /dev: stays writable until finalize */
  bool existed; /* the destination was there before we created it */
  int dstfd; /* O_PATH of the mountpoint, before the mount */
  int mntfd; /* O_PATH of the new mount's root, after it */
  int tree; /* the tree the parent made at our request (sync 4a), or -1 */
  bool named; /* the error already names the mount: do not wrap it */
};

static void
entry_release (struct entry *e)
{
  husk_mount_opts_free (&e->o);
  free (e->dest);
  free (e->real_buf);
  if (e->dstfd >= 0)
    close (e->dstfd);
  if (e->mntfd >= 0)
    close (e->mntfd);
  if (e->tree >= 0)
    close (e->tree);
}

/* runc's checkProcMount: nothing but a procfs goes onto /proc, and under /proc only
 * the files lxcfs emulates may be covered (a bind over /proc/sys/kernel/... would
 * hand the container host knobs). */
static int
check_proc_mount (struct entry *e, struct husk_error **err)
{
  static const char *const allowed[] = {
    "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
    "/proc/swaps", "/proc/uptime", "/proc/loadavg", "/proc/slabinfo",
    "/proc/sys/kernel/ns_last_pid", "/proc/sys/crypto/fips_enabled",
  };
  struct statfs sfs;

  if (strcmp (e->real, "/proc") == 0)
    {
      if (strcmp (e->type, "proc") == 0)
        return 0;
      if (strcmp (e->type, "bind") == 0 && statfs (e->source, &sfs) == 0
          && sfs.f_type == PROC_SUPER_MAGIC)
        return 0;
      e->named = true;
      return husk_error_set (err, EINVAL,
                             "mount destination `%s` cannot be mounted because it is "
                             "not of type proc", e->dest);
    }
  if (strncmp (e->real, "/proc/", 6) != 0)
    return 0;
  for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
    if (strcmp (e->real, allowed[i]) == 0)
      return 0;
  e->named = true;
  return husk_error_set (err, EINVAL,
                         "mount destination `%s` cannot be mounted because it is inside "
                         "/proc", e->dest);
}

/* Where the destination fd really is: it must be below the rootfs and not the
 * rootfs itself.  The kernel already promised this (RESOLVE_IN_ROOT); the check is
 * cheap and catches a bug in the fallback walk. */
static int
locate_dest (struct entry *e, struct husk_error **err)
{
  const char *rootfs = e->ctx->rootfs;
  size_t n = strcmp (rootfs, "/") == 0 ? 0 : strlen (rootfs);

  e->real_buf = husk_fd_real_path (e->dstfd, err);
  if (e->real_buf == NULL)
    return -1;
  if (strcmp (e->real_buf, rootfs) == 0 || strcmp (e->real_buf + n, "/") == 0)
    return husk_error_set (err, EINVAL, "mountpoint is the root of the rootfs");
  if (strncmp (e->real_buf, rootfs, n) != 0 || e->real_buf[n] != '/')
    return husk_error_set (err, EXDEV, "mountpoint `%s` is outside of the rootfs",
                           e->real_buf);
  e->real = e->real_buf + n;
  return check_proc_mount (e, err);
}

/* proc and sysfs must go onto a real directory: a symlink there (pointing at a
 * volume the container controls) is how CVE-2019-19921 replaced the procfs the
 * runtime later wrote to. */
static int
open_strict_dir (struct entry *e, struct husk_error **err)
{
  cleanup_free char *name = NULL;
  cleanup_close int parent = husk_open_parent_in_root (e->ctx->rootfd, e->dest, &name, err);
  struct stat st;

  if (parent < 0)
    return -1;
  if (fstatat (parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      e->existed = true;
      e->named = true;
      /* runc's words, which its tests and callers look for. */
      if (!S_ISDIR (st.st_mode))
        return husk_error_set (err, 0,
                               "mount destination `%s`: filesystem %s must be mounted on "
                               "ordinary directory, not a %s",
                               e->dest, e->type, S_ISLNK (st.st_mode) ? "symlink" : "file");
      e->named = false;
    }
  else if (errno != ENOENT || (mkdirat (parent, name, 0755) < 0 && errno != EEXIST))
    return husk_error_set (err, errno, "create mountpoint `%s`", e->dest);
  e->dstfd = openat (parent, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
  if (e->dstfd < 0)
    return husk_error_set (err, errno, "open mountpoint `%s`", e->dest);
  return 0;
}

/* The entry's index in the config's mounts; -1 for one of husk's own. */
static ptrdiff_t
config_index (const struct entry *e)
{
  const struct oci_config *c = e->ctx->c;

  return e->m >= c->mounts && e->m < c->mounts + c->mounts_len ? e->m - c->mounts : -1;
}

/* The parent's tree for this entry: only config mounts have one (the cgroup v1
 * binds, for one, are entries of our own). */
static int
parent_tree (const struct entry *e)
{
  ptrdiff_t i = config_index (e);

  if (e->tree >= 0)
    return e->tree;
  return e->ctx->idmap_fds && i >= 0 ? e->ctx->idmap_fds[i] : -1;
}

/* sync 4a, 4b: the tree of an idmapped bind the parent could not make before we
 * existed (its source lies inside the rootfs, and an earlier mount of ours may
 * be what put it there): the parent makes it now, from inside our mount
 * namespace, where it still holds the host's privilege to idmap it. */
static int
ask_parent_tree (struct entry *e, struct husk_error **err)
{
  const struct husk_mount_ctx *ctx = e->ctx;
  struct husk_sync_msg msg;

  if (strcmp (e->type, "bind") != 0 || !husk_mount_is_idmapped (e->m) || parent_tree (e) >= 0
      || config_index (e) < 0)
    return 0;
  if (husk_sync_send (ctx->sync_fd, HUSK_SYNC_MOUNT_PLS, 0, config_index (e), NULL, err) < 0
      || husk_sync_expect (ctx->sync_fd, HUSK_SYNC_MOUNT_FD, &msg, "the idmapped mount's tree",
                           err) < 0)
    return -1;
  free (msg.text);
  e->tree = msg.fd;
  return 0;
}

/* Open the destination, creating it when missing: an empty file when a bind
 * mount's source is not a directory, else a directory (runc). */
static int
open_dest (struct entry *e, struct husk_error **err)
{
  struct husk_error *tmp = NULL;
  enum husk_mkpath how = HUSK_MKPATH_DIR;
  mode_t mode = 0755;
  struct stat st;

  if (strcmp (e->type, "proc") == 0 || strcmp (e->type, "sysfs") == 0)
    return open_strict_dir (e, err);
  e->dstfd = husk_open_in_root (e->ctx->rootfd, e->dest, O_PATH, 0, &tmp);
  if (e->dstfd >= 0)
    {
      e->existed = true;
      return 0;
    }
  if (tmp->errnum != ENOENT)
    return husk_error_propagate (err, &tmp);
  husk_error_release (&tmp);
  if (strcmp (e->type, "bind") == 0)
    {
      /* A missing source is an error: there would be nothing to bind.  One
       * we cannot reach may still have a tree from the parent (mount_bind);
       * an idmapped one is its tree, whatever its path names here. */
      int tree = parent_tree (e);
      if ((husk_mount_is_idmapped (e->m) && tree >= 0)
              ? fstat (tree, &st) < 0
              : (stat (e->source, &st) < 0 && (tree < 0 || fstat (tree, &st) < 0)))
        return husk_error_set (err, errno, "stat bind source `%s`", e->source);
      if (!S_ISDIR (st.st_mode))
        {
          how = HUSK_MKPATH_FILE;
          mode = 0644;
        }
    }
  e->dstfd = husk_create_in_root (e->ctx->rootfd, e->dest, how, mode, err);
  return e->dstfd < 0 ? -1 : 0;
}

/* After mount(2) on dstfd, open the mount that now sits at the same place, and
 * make sure it is a new mount root (not the old directory, not something swapped
 * in). */
static int
reopen_mount (struct entry *e, uint64_t old_mnt_id, struct husk_error **err)
{
  uint64_t id;
  bool is_root;

  e->mntfd = husk_open_in_root (e->ctx->rootfd, e->real, O_PATH | O_NOFOLLOW, 0, err);
  if (e->mntfd < 0)
    return husk_error_wrap (err, "reopen mountpoint");
  if (husk_fd_mount_id (e->mntfd, &id, &is_root, err) < 0)
    return -1;
  if (!is_root || id == old_mnt_id)
    return husk_error_set (err, EXDEV, "mountpoint `%s` changed while mounting", e->dest);
  return 0;
}

/* mount(2) onto the destination fd, then reopen the new mount.  The error of the
 * mount call itself is the one the user reads: "mount `proc` to `/proc`". */
static int
mount_at_dest (struct entry *e, const char *src, const char *type, unsigned long flags,
               const char *data, struct husk_error **err)
{
  struct husk_fd_path fp = husk_fd_path (e->dstfd);
  uint64_t old_id;
  bool is_root;

  if (husk_fd_mount_id (e->dstfd, &old_id, &is_root, err) < 0)
    return -1;
  husk_debug ("mount `%s` to `%s` type=%s flags=%#lx data=%s", src ? src : "", e->dest,
              type ? type : "", flags, data ? data : "");
  if (mount (src, fp.s, type, flags, data) < 0)
    {
      e->named = true;
      return husk_error_set (err, errno, "mount `%s` to `%s`", src ? src : type, e->dest);
    }
  if (flags & MS_REMOUNT)
    {
      /* A remount makes no new mount: keep operating on the old one. */
      e->mntfd = fcntl (e->dstfd, F_DUPFD_CLOEXEC, 3);
      return e->mntfd < 0 ? husk_error_set (err, errno, "dup mountpoint") : 0;
    }
  return reopen_mount (e, old_id, err);
}

/* A bind ignores every flag but MS_REC: apply them with a remount.  When that
 * fails with EPERM the source has locked flags (it came from a more privileged
 * user namespace): add the source's own locked flags, as runc does, unless the
 * user explicitly asked to clear one of them. */
static int
bind_remount (struct entry *e, struct husk_error **err)
{
  struct husk_fd_path fp = husk_fd_path (e->mntfd);
  unsigned long flags = (e->o.flags & ~MS_REC) | MS_BIND | MS_REMOUNT;
  unsigned long src_flags;
  struct statfs sfs;

  if (!(e->o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT)) && !e->o.cleared)
    return 0;
  if (mount (NULL, fp.s, NULL, flags, NULL) == 0)
    return 0;
  if (errno != EPERM)
    return husk_error_set (err, errno, "remount bind with flags %#lx", flags);
  if (fstatfs (e->mntfd, &sfs) < 0)
    return husk_error_set (err, errno, "statfs bind mount");
  src_flags = husk_statfs_to_ms ((unsigned long) sfs.f_flags);
  if (src_flags & e->o.cleared & LOCKED_FLAGS)
    return husk_error_set (err, EPERM, "cannot clear locked mount flags %#lx",
                           src_flags & e->o.cleared & LOCKED_FLAGS);
  /* A locked atime mode cannot change either, and the kernel would not say so:
   * with MS_NOATIME inherited, MS_RELATIME is silently ignored. */
  if ((e->o.flags & ATIME_FLAGS) && (e->o.flags & ATIME_FLAGS) != (src_flags & ATIME_FLAGS))
    return husk_error_set (err, EPERM, "cannot change locked atime flags %#lx",
                           src_flags & ATIME_FLAGS);
  flags |= src_flags & LOCKED_FLAGS;
  if (mount (NULL, fp.s, NULL, flags, NULL) < 0)
    return husk_error_set (err, errno, "remount bind with locked flags %#lx re-applied",
                           src_flags & LOCKED_FLAGS);
  return 0;
}

/* Propagation is its own mount(2) call per option: the kernel refuses it combined
 * with anything else. */
static int
apply_propagation (struct entry *e, struct husk_error **err)
{
  struct husk_fd_path fp = husk_fd_path (e->mntfd);

  for (size_t i = 0; i < e->o.n_propagation; i++)
    if (mount (NULL, fp.s, NULL, e->o.propagation[i], NULL) < 0)
      return husk_error_set (err, errno, "set propagation %#lx", e->o.propagation[i]);
  return 0;
}

static int
apply_rec_attrs (struct entry *e, struct husk_error **err)
{
  struct mount_attr attr = { .attr_set = e->o.rec_set, .attr_clr = e->o.rec_clr };

  /* A tmpfs and /dev stay writable until finalize (devices, copy-up, the console
   * go in first); husk_rootfs_finalize() applies rro to them. */
  if (strcmp (e->type, "tmpfs") == 0 || e->is_dev)
    attr.attr_set &= ~(uint64_t) MOUNT_ATTR_RDONLY;
  if (!attr.attr_set && !attr.attr_clr)
    return 0;
  if (mount_setattr (e->mntfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
    return husk_error_set (err, errno, "mount_setattr recursive attributes");
  return 0;
}

/* ---- binds from the parent's trees (made in idmap.c) ---- */

/* Attach the detached tree the parent made for this mount (husk_idmap_trees_make:
 * idmapped there, where the privilege over the source's filesystem lies). */
static int
mount_parent_tree (struct entry *e, int tree, struct husk_error **err)
{
  uint64_t old_id;
  bool is_root;

  if (husk_fd_mount_id (e->dstfd, &old_id, &is_root, err) < 0)
    return -1;
  if (move_mount (tree, "", e->dstfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    {
      e->named = true;
      return husk_error_set (err, errno, "mount `%s` to `%s`", e->source, e->dest);
    }
  return reopen_mount (e, old_id, err);
}

/* ---- by type ---- */

static int
mount_bind (struct entry *e, struct husk_error **err)
{
  int tree = parent_tree (e);
  bool idmap = husk_mount_is_idmapped (e->m);
  struct stat st;
  int r;

  if (idmap && tree < 0)
    return husk_error_set (err, EINVAL, "idmapped bind `%s`: no tree was made for it",
                           e->source);
  /* A plain bind in a user namespace: the parent's copy only when we cannot
   * reach the source ourselves (runc's rule), so a source that an earlier mount
   * of the container provides is still the container's. */
  if (idmap || (tree >= 0 && stat (e->source, &st) < 0))
    r = mount_parent_tree (e, tree, err);
  else
    r = mount_at_dest (e, e->source, NULL, MS_BIND | (e->o.flags & MS_REC), NULL, err);
  if (r < 0)
    return -1;
  return bind_remount (e, err);
}

/* tmpcopyup: the new tmpfs starts with what the image had in that directory.  The
 * fd of the directory taken before the mount still reads the covered directory,
 * so no scratch mount is needed: copy from it into the new mount. */
static int
copy_up (struct entry *e, struct husk_error **err)
{
  cleanup_close int from = -1, to = -1;
  struct stat st;

  from = openat (e->dstfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  to = openat (e->mntfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (from < 0 || to < 0)
    return husk_error_set (err, errno, "tmpcopyup: open `%s`", e->dest);
  if (fstat (from, &st) < 0)
    return husk_error_set (err, errno, "tmpcopyup: stat `%s`", e->dest);
  /* The root of the tmpfs gets the directory's owner (mode came as mode=). */
  if (!husk_strstr (e->o.data, "uid=") && !husk_strstr (e->o.data, "gid=")
      && fchown (to, st.st_uid, st.st_gid) < 0)
    return husk_error_set (err, errno, "tmpcopyup: chown `%s`", e->dest);
  if (husk_copy_tree (from, to, err) < 0)
    return husk_error_wrap (err, "tmpcopyup");
  return 0;
}

static int
mount_tmpfs (struct entry *e, const char *src, struct husk_error **err)
{
  cleanup_free char *data = NULL;
  struct stat st;

  /* runc: an existing directory gives the tmpfs its mode (else tmpfs's 1777). */
  if (e->existed && fstat (e->dstfd, &st) == 0)
    {
      if (xasprintf (&data, "mode=%04o%s%s", (unsigned) (st.st_mode & 07777),
                    e->o.data[0] ? "," : "", e->o.data)
          < 0)
        abort ();
    }
  /* linux.mountLabel: SELinux's context= (runc labels tmpfs mounts this way). */
  cleanup_free char *labelled = husk_lsm_mount_data (e->ctx->c, data ? data : e->o.data);
  /* ro waits for finalize: the copy-up (and for /dev the devices) write first. */
  if (mount_at_dest (e, src, "tmpfs", e->o.flags & ~MS_RDONLY,
                     labelled ? labelled : data ? data : e->o.data, err)
      < 0)
    return -1;
  if (e->o.copyup)
    return copy_up (e, err);
  return 0;
}

/* ---- cgroup ---- */

/* Undo the octal escapes of /proc/self/mountinfo ("\040" is a space). */
static void
unescape_octal (char *s)
{
  char *w = s;
  for (char *r = s; *r; r++)
    {
      if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7'
          && r[3] >= '0' && r[3] <= '7')
        {
          *w++ = (char) ((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
          r += 3;
        }
      else
        *w++ = *r;
    }
  *w = '\0';
}

static bool
list_has (const char *list, const char *word, size_t wlen)
{
  for (const char *p = list; *p;)
    {
      size_t n = strcspn (p, ",");
      if (n == wlen && strncmp (p, word, n) == 0)
        return true;
      p += n;
      if (*p == ',')
        p++;
    }
  return false;
}

/* Our own cgroup in the hierarchy whose super options are `opts`, from the
 * "N:controllers:/path" lines of /proc/self/cgroup.  Points into `cgroups`. */
static char *
own_cgroup (char *cgroups, const char *opts, size_t *len)
{
  for (char *line = cgroups; line && *line;)
    {
      char *nl = strchr (line, '\n');
      char *ctrl = strchr (line, ':');
      char *path = ctrl ? strchr (ctrl + 1, ':') : NULL;

      if (path && (!nl || path < nl))
        for (const char *c = ctrl + 1; c < path;)
          {
            size_t n = strcspn (c, ",:");
            if (n && list_has (opts, c, n))
              {
                *len = nl ? (size_t) (nl - path - 1) : strlen (path + 1);
                return path + 1;
              }
            c += n + (c[n] == ',');
          }
      line = nl ? nl + 1 : NULL;
    }
  return NULL;
}

/* The bind of a v1 hierarchy (source, a host path) at `base` in the cgroup tmpfs
 * this entry has just mounted (e->mntfd): nothing but us has been in that tmpfs,
 * so there is no path to resolve or check there.  The clone gets its flags before
 * it is attached (a new mount API tree, like readonlyPaths), in 6 calls where the
 * general path of husk_mount_entry takes 15.  Returns 1, having done nothing, for
 * what only the general path does: a user namespace (flags the kernel locks),
 * options that clear a flag or set propagation or recursive attributes. */
static int
bind_cgroup_v1 (struct entry *e, const char *base, const char *source, struct husk_error **err)
{
  const unsigned long simple = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | ATIME_FLAGS
                               | MS_BIND | MS_REC;
  unsigned long f = e->o.flags;
  struct mount_attr attr = { 0 };
  cleanup_close int dir = -1, tree = -1;

  if (e->ctx->userns || e->mntfd < 0 || (f & ~simple) || e->o.cleared || e->o.n_propagation
      || e->o.rec_set || e->o.rec_clr || e->o.idmap || e->o.ridmap
      || strcmp (base, ".") == 0 || strcmp (base, "..") == 0 || *base == '\0')
    return 1;
  attr.attr_set = (f & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0) | (f & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0)
                  | (f & MS_NODEV ? MOUNT_ATTR_NODEV : 0) | (f & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0)
                  | (f & MS_NODIRATIME ? MOUNT_ATTR_NODIRATIME : 0);
  if (f & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME))
    {
      attr.attr_clr = MOUNT_ATTR__ATIME;
      attr.attr_set |= f & MS_NOATIME       ? MOUNT_ATTR_NOATIME
                       : f & MS_STRICTATIME ? MOUNT_ATTR_STRICTATIME
                                            : MOUNT_ATTR_RELATIME;
    }
  husk_debug ("mount `%s` to `%s/%s` type=bind flags=%#lx", source, e->dest, base, f);
  if (mkdirat (e->mntfd, base, 0755) < 0 && errno != EEXIST)
    return husk_error_set (err, errno, "create mountpoint `%s/%s`", e->dest, base);
  dir = openat (e->mntfd, base, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0)
    return husk_error_set (err, errno, "open mountpoint `%s/%s`", e->dest, base);
  tree = open_tree (AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (tree < 0)
    return husk_error_set (err, errno, "mount `%s` to `%s/%s`", source, e->dest, base);
  if (mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
    return husk_error_set (err, errno, "mount `%s` to `%s/%s`: flags %#lx", source, e->dest,
                           base, f);
  if (move_mount (tree, "", dir, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return husk_error_set (err, errno, "mount `%s` to `%s/%s`", source, e->dest, base);
  return 0;
}

/* One v1 hierarchy under the cgroup tmpfs.  Without a cgroup ns it is a bind of
 * our own cgroup (so the container sees its cgroup as the root, like runc); with
 * one, the kernel already roots a fresh cgroup mount at our cgroup. */
static int
mount_cgroup_v1_one (struct entry *e, const char *mountpoint, const char *root,
                     const char *opts, char *cgroups, struct husk_error **err)
{
  const char *base = strrchr (mountpoint, '/') + 1;
  cleanup_free char *dest = NULL, *source = NULL;
  size_t n = 0;
  const char *own = own_cgroup (cgroups, opts, &n);
  size_t rl = strcmp (root, "/") == 0 ? 0 : strlen (root);
  int r;

  dest = xconcat (e->dest, "/", base, NULL);
  if (e->ctx->cgroupns)
    {
      cleanup_close int fd = husk_mkpath_in_root (e->ctx->rootfd, dest, HUSK_MKPATH_DIR,
                                                  0755, err);
      struct husk_fd_path fp;
      bool named = strcmp (base, "systemd") == 0; /* name=systemd */
      cleanup_free char *data = NULL;

      if (fd < 0)
        return -1;
      fp = husk_fd_path (fd);
      xasprintf (&data, "%s%s", named ? "name=" : "", base);
      if (mount (named ? "systemd" : "cgroup", fp.s, "cgroup",
                 MS_NOSUID | MS_NODEV | MS_NOEXEC | (e->o.flags & MS_RDONLY), data)
          < 0)
        return husk_error_set (err, errno, "mount `cgroup` to `%s`", dest);
      return 0;
    }
  /* Our cgroup below the root of that mount ("../" would leave it: use the root). */
  if (own && n == rl + 1 && own[rl] == '/')
    n = rl; /* our cgroup is the root of that mount */
  if (own && n >= rl && strncmp (own, root, rl) == 0 && (own[rl] == '/' || n == rl))
    {
      xasprintf (&source, "%s%.*s", mountpoint, (int) (n - rl), own + rl);
    }
  else if ((source = xstrdup (mountpoint)) == NULL)
    abort ();
  if ((r = bind_cgroup_v1 (e, base, source, err)) <= 0)
    return r;
  {
    size_t k = 0;
    char *opt_buf[64];
    struct oci_mount sub = { .destination = dest, .type = (char *) "bind", .source = source };

    for (size_t i = 0; e->m->options && e->m->options[i] && k < 62; i++)
      opt_buf[k++] = e->m->options[i];
    opt_buf[k++] = (char *) "rbind";
    opt_buf[k] = NULL;
    sub.options = opt_buf;
    return husk_mount_entry (e->ctx, &sub, err);
  }
}

/* "cpu,cpuacct" gets the links cpu -> cpu,cpuacct and cpuacct -> cpu,cpuacct. */
static int
cgroup_v1_links (struct entry *e, const char *base, struct husk_error **err)
{
  cleanup_close int dir = husk_open_in_root (e->ctx->rootfd, e->dest,
                                             O_PATH | O_DIRECTORY, 0, err);
  if (dir < 0)
    return -1;
  for (const char *p = base; *p;)
    {
      char name[256];
      size_t n = strcspn (p, ",");
      if (n > 0 && n < sizeof name)
        {
          memcpy (name, p, n);
          name[n] = '\0';
          if (symlinkat (base, dir, name) < 0 && errno != EEXIST)
            return husk_error_set (err, errno, "symlink `%s/%s`", e->dest, name);
        }
      p += n + (p[n] == ',');
    }
  return 0;
}

/* cgroup v1 like runc: a tmpfs at the destination, then each v1 hierarchy of the
 * host under it. */
static int
mount_cgroup_v1 (struct entry *e, struct husk_error **err)
{
  cleanup_free char *info = NULL, *cgroups = NULL;
  size_t len, rl = strlen (e->ctx->rootfs);
  const struct oci_namespace *mntns = oci_config_namespace (e->ctx->c, OCI_NS_MOUNT);

  /* The host's hierarchies, from the table husk create read for the cgroup
   * layout before it forked us: our mount namespace is a copy of its own,
   * unless we joined another by path.  (Our own mounts in the rootfs, which it
   * does not list, are skipped below either way.) */
  if (husk_read_mountinfo (&info, mntns == NULL || mntns->path == NULL, err) < 0
      || husk_read_file ("/proc/self/cgroup", &cgroups, &len, err) < 0)
    return -1;
  if (mount_at_dest (e, "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755", err)
      < 0)
    return -1;
  for (char *save = NULL, *line = strtok_r (info, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    {
      char *f[6] = { 0 }, *sep = husk_strstr (line, " - "), *fstype, *opts, *s2 = NULL;
      size_t i = 0;

      if (sep == NULL)
        continue;
      *sep = '\0';
      for (char *s1 = NULL, *t = strtok_r (line, " ", &s1); t && i < 6;
           t = strtok_r (NULL, " ", &s1))
        f[i++] = t;
      fstype = strtok_r (sep + 3, " ", &s2);
      (void) strtok_r (NULL, " ", &s2); /* source */
      opts = strtok_r (NULL, " ", &s2);
      if (i < 5 || !fstype || !opts || strcmp (fstype, "cgroup") != 0)
        continue;
      unescape_octal (f[3]);
      unescape_octal (f[4]);
      /* Our own mounts inside the rootfs are not host hierarchies. */
      if (strncmp (f[4], e->ctx->rootfs, rl) == 0 && (f[4][rl] == '/' || !f[4][rl]))
        continue;
      if (mount_cgroup_v1_one (e, f[4], f[3], opts, cgroups, err) < 0)
        return -1;
      if (strchr (strrchr (f[4], '/'), ',') && cgroup_v1_links (e, strrchr (f[4], '/') + 1, err) < 0)
        return -1;
    }
  /* "ro" covers the tmpfs too (runc remounts it last): only after the
   * hierarchies' mount points and links were made in it. */
  if (e->o.flags & MS_RDONLY)
    {
      struct husk_fd_path fp = husk_fd_path (e->mntfd);
      if (mount (NULL, fp.s, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return husk_error_set (err, errno, "remount `%s` read-only", e->dest);
    }
  return 0;
}

static int
mount_cgroup (struct entry *e, struct husk_error **err)
{
  const char *src = e->m->source ? e->m->source : "cgroup";
  struct husk_error *tmp = NULL;
  struct statfs sfs;

  if (statfs ("/sys/fs/cgroup", &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC)
    return mount_cgroup_v1 (e, err);
  if (mount_at_dest (e, src, "cgroup2", e->o.flags, e->o.data, &tmp) == 0)
    return 0;
  if (tmp->errnum != EPERM && tmp->errnum != EBUSY)
    return husk_error_propagate (err, &tmp);
  /* In a user ns without a cgroup ns the kernel refuses a cgroup2 mount (runc
   * #2158): bind the host's instead. */
  husk_error_release (&tmp);
  e->named = false;
  e->type = "bind";
  e->source = "/sys/fs/cgroup";
  e->o.flags |= MS_BIND;
  return mount_bind (e, err);
}

static int
mount_by_type (struct entry *e, struct husk_error **err)
{
  const char *src = e->m->source ? e->m->source : e->type;
  unsigned long flags = e->o.flags;

  if (strcmp (e->type, "bind") == 0)
    return mount_bind (e, err);
  if (e->o.idmap || e->o.ridmap)
    return husk_error_set (err, EINVAL, "idmap mounts must be bind mounts");
  if (strcmp (e->type, "tmpfs") == 0)
    return mount_tmpfs (e, src, err);
  if (strcmp (e->type, "cgroup") == 0)
    return mount_cgroup (e, err);
  if (e->is_dev)
    flags &= ~MS_RDONLY;
  return mount_at_dest (e, src, e->type, flags, e->o.data, err);
}

int
husk_mount_entry (const struct husk_mount_ctx *ctx, const struct oci_mount *m,
                  struct husk_error **err)
{
  struct entry e = { .ctx = ctx, .m = m, .dstfd = -1, .mntfd = -1, .tree = -1 };
  int r;

  if (m->destination == NULL)
    return husk_error_set (err, EINVAL, "mount without a destination");
  if (husk_mount_opts_parse (m->options, &e.o, err) < 0)
    return husk_error_wrap (err, "mount `%s`", m->destination);
  e.dest = husk_path_clean (m->destination);
  e.is_dev = strcmp (e.dest, "/dev") == 0;
  e.type = husk_mount_is_bind (m) ? "bind" : (m->type ? m->type : "");
  e.source = m->source ? m->source : "";
  if (e.o.copyup && strcmp (e.type, "tmpfs") != 0)
    r = husk_error_set (err, EINVAL, "tmpcopyup is only for tmpfs mounts");
  else
    r = ask_parent_tree (&e, err);
  if (r == 0)
    r = open_dest (&e, err);
  if (r == 0)
    r = locate_dest (&e, err);
  if (r == 0)
    r = mount_by_type (&e, err);
  if (r == 0 && e.mntfd >= 0)
    r = apply_propagation (&e, err);
  if (r == 0 && e.mntfd >= 0)
    r = apply_rec_attrs (&e, err);
  if (r < 0 && !e.named)
    husk_error_wrap (err, "mount `%s` to `%s`", m->source ? m->source : e.type, e.dest);
  /* The procfs we just made at /proc (reopen_mount checked it is the new mount's
   * root): the init's own lookups in /proc go through it, with no mount crossed
   * (linux/procfs.h), instead of a private procfs instance of their own, which
   * would cost a superblock and, when its last fd closes, an RCU grace period. */
  if (r == 0 && e.mntfd >= 0 && ctx->procfd && *ctx->procfd < 0 && strcmp (e.type, "proc") == 0
      && strcmp (e.real, "/proc") == 0 && husk_is_procfs (e.mntfd))
    {
      *ctx->procfd = e.mntfd;
      e.mntfd = -1;
    }
  entry_release (&e);
  return r;
}
