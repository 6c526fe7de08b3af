/* Paths inside the container rootfs.
 *
 * The rootfs is hostile: any component may be a symlink pointing at "/" or "..".
 * Everything here works from a dirfd of the rootfs, and the kernel resolves with
 * RESOLVE_IN_ROOT, which treats the dirfd as "/" for absolute symlinks and for
 * "..", so nothing resolves outside it.  Where openat2 is missing (ENOSYS), and for
 * creating missing components, walk_in_root() does the same walk in user space one
 * component at a time with O_NOFOLLOW, expanding symlinks itself. */
#define _GNU_SOURCE
#include "linux/rootfs.h"
#include "linux/sys.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/rootfs-internal.h"
#include "util/cleanup.h"
#include "util/num.h"
#include "util/str.h"
#include "util/xalloc.h"

#define MAX_SYMLINKS 40 /* the kernel's MAXSYMLINKS */

struct husk_fd_path
husk_fd_path (int fd)
{
  static const char prefix[] = "/proc/self/fd/";
  struct husk_fd_path p;
  char buf[24];
  const char *digits = husk_itoa (fd, buf);

  memcpy (p.s, prefix, sizeof prefix - 1);
  memcpy (p.s + sizeof prefix - 1, digits, strlen (digits) + 1);
  return p;
}

char *
husk_path_clean (const char *path)
{
  size_t n = strlen (path);
  char *out = xmalloc (n + 2);
  size_t len = 0;
  const char *p = path;

  if (out == NULL)
    abort ();
  while (*p)
    {
      size_t c;
      while (*p == '/')
        p++;
      c = strcspn (p, "/");
      if (c == 0 || (c == 1 && p[0] == '.'))
        ;
      else if (c == 2 && p[0] == '.' && p[1] == '.')
        {
          /* ".." above the top stays at the top, as it does inside a root. */
          while (len > 0 && out[len - 1] != '/')
            len--;
          if (len > 0)
            len--;
        }
      else
        {
          out[len++] = '/';
          memcpy (out + len, p, c);
          len += c;
        }
      p += c;
    }
  if (len == 0)
    out[len++] = '/';
  out[len] = '\0';
  return out;
}

static long
sys_openat2 (int dirfd, const char *path, struct open_how *how)
{
  return syscall (SYS_openat2, dirfd, path, how, sizeof *how);
}

/* Re-open a root-relative path that walk_in_root() already resolved to real
 * directories: no symlink may appear now (one swapped in meanwhile is refused). */
static int
reopen_resolved (int rootfd, const char *resolved)
{
  int cur = openat (rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  const char *p = resolved;

  while (cur >= 0 && *p)
    {
      char name[NAME_MAX + 1];
      size_t c;
      int next;

      while (*p == '/')
        p++;
      c = strcspn (p, "/");
      if (c == 0)
        break;
      memcpy (name, p, c);
      name[c] = '\0';
      p += c;
      next = openat (cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      close (cur);
      cur = next;
    }
  return cur;
}

/* Create the missing component `name` in cur (a directory, or for the last one of a
 * HUSK_MKPATH_FILE walk an empty file) and open it without following it.  `mode`
 * is for the last component; the parents get 0755 like mkdir -p. */
static int
create_component (int cur, const char *name, bool last, int create, mode_t mode)
{
  if (create == HUSK_MKPATH_FILE && last)
    {
      int fd = openat (cur, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       mode);
      if (fd < 0 && errno != EEXIST)
        return -1;
      if (fd >= 0)
        close (fd);
    }
  else if (mkdirat (cur, name, last ? mode : 0755) < 0 && errno != EEXIST)
    return -1;
  return openat (cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
}

/* Replace the walked symlink by its target: rest = target + "/" + rest[pos..]. */
static char *
expand_link (int linkfd, const char *rest)
{
  char target[PATH_MAX];
  ssize_t n = readlinkat (linkfd, "", target, sizeof target - 1);
  char *out = NULL;

  if (n < 0)
    return NULL;
  target[n] = '\0';
  out = xconcat (target, "/", rest, NULL);
  return out;
}

struct walk
{
  int rootfd;
  int cur; /* O_PATH of the directory resolved so far */
  char resolved[PATH_MAX]; /* its path below the root, for ".." */
  size_t resolved_len;
  char *rest; /* what is left to walk, from pos */
  size_t pos;
  int links;
};

static int
walk_restart (struct walk *w, bool at_root)
{
  if (at_root)
    w->resolved_len = 0;
  else
    {
      /* "..": drop the last resolved component; at the root it stays there. */
      while (w->resolved_len > 0 && w->resolved[w->resolved_len - 1] != '/')
        w->resolved_len--;
      if (w->resolved_len > 0)
        w->resolved_len--;
    }
  w->resolved[w->resolved_len] = '\0';
  close (w->cur);
  w->cur = reopen_resolved (w->rootfd, w->resolved);
  return w->cur;
}

/* Enter the directory `name` (opened as fd, which this takes). */
static int
walk_descend (struct walk *w, const char *name, int fd)
{
  size_t n = strlen (name);
  if (w->resolved_len + n + 2 > sizeof w->resolved)
    {
      close (fd);
      errno = ENAMETOOLONG;
      return -1;
    }
  w->resolved[w->resolved_len++] = '/';
  memcpy (w->resolved + w->resolved_len, name, n + 1);
  w->resolved_len += n;
  close (w->cur);
  w->cur = fd;
  return 0;
}

/* The component just opened (fd, which this takes) is a symlink: walk its target
 * next, from the root when it is absolute, else from where we are. */
static int
walk_symlink (struct walk *w, int fd)
{
  char *expanded;

  if (++w->links > MAX_SYMLINKS)
    {
      close (fd);
      errno = ELOOP;
      return -1;
    }
  expanded = expand_link (fd, w->rest + w->pos);
  close (fd);
  if (expanded == NULL)
    return -1;
  free (w->rest);
  w->rest = expanded;
  w->pos = 0;
  if (w->rest[0] == '/' && walk_restart (w, true) < 0)
    return -1;
  return 0;
}

/* The next component of the walk into name: 1, or 0 at the end, -1 when too long. */
static int
walk_next (struct walk *w, char name[NAME_MAX + 1], bool *last)
{
  size_t c;

  while (w->rest[w->pos] == '/')
    w->pos++;
  if (w->rest[w->pos] == '\0')
    return 0;
  c = strcspn (w->rest + w->pos, "/");
  if (c > NAME_MAX)
    {
      errno = ENAMETOOLONG;
      return -1;
    }
  memcpy (name, w->rest + w->pos, c);
  name[c] = '\0';
  w->pos += c;
  *last = w->rest[w->pos + strspn (w->rest + w->pos, "/")] == '\0';
  return 1;
}

/* One step: open `name` in the current directory (creating it if asked) and move
 * on.  Returns 1 when it was the final non-directory (*out is its fd), 0 to go on,
 * -1 on error. */
static int
walk_step (struct walk *w, const char *name, bool last, int create, mode_t mode, int *out)
{
  struct stat st;
  int fd;

  if (strcmp (name, ".") == 0)
    return 0;
  if (strcmp (name, "..") == 0)
    return walk_restart (w, false) < 0 ? -1 : 0;
  fd = openat (w->cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && create >= 0)
    fd = create_component (w->cur, name, last, create, mode);
  if (fd < 0)
    return -1;
  if (fstat (fd, &st) < 0)
    {
      close (fd);
      return -1;
    }
  if (S_ISLNK (st.st_mode))
    return walk_symlink (w, fd);
  if (S_ISDIR (st.st_mode))
    return walk_descend (w, name, fd);
  if (!last)
    {
      close (fd);
      errno = ENOTDIR;
      return -1;
    }
  *out = fd;
  return 1;
}

/* The user-space RESOLVE_IN_ROOT: returns an O_PATH fd of what `path` names inside
 * rootfd, following symlinks (the last one too) as if rootfd were "/".  create is
 * -1 (fail on a missing component) or an enum husk_mkpath.  Sets errno. */
static int
walk_in_root (int rootfd, const char *path, int create, mode_t mode)
{
  struct walk w = { .rootfd = rootfd, .cur = -1, .rest = xstrdup (path) };
  char name[NAME_MAX + 1];
  bool last;
  int r = 0, fd = -1;

  if (w.rest == NULL || walk_restart (&w, true) < 0)
    {
      free (w.rest);
      return -1;
    }
  while (r == 0 && (r = walk_next (&w, name, &last)) == 1)
    r = walk_step (&w, name, last, create, mode, &fd);
  free (w.rest);
  if (r < 0)
    {
      int saved = errno;
      close (w.cur);
      errno = saved;
      return -1;
    }
  if (r == 1)
    {
      close (w.cur);
      return fd;
    }
  return w.cur;
}

/* The fallback of husk_open_in_root(): walk, then give the caller its flags. */
static int
open_in_root_walk (int rootfd, const char *path, int flags, mode_t mode)
{
  cleanup_close int fd = -1;
  struct husk_fd_path fp;

  if (flags & (O_CREAT | O_NOFOLLOW))
    {
      /* The last component must not be followed (or is created): walk the parent
       * and open the name itself in it. */
      cleanup_free char *clean = husk_path_clean (path);
      char *slash = strrchr (clean, '/');
      cleanup_close int dirfd = -1;
      int r;

      if (slash[1] == '\0')
        return walk_in_root (rootfd, "/", -1, 0);
      *slash = '\0';
      dirfd = walk_in_root (rootfd, clean[0] ? clean : "/", -1, 0);
      if (dirfd < 0)
        return -1;
      r = openat (dirfd, slash + 1, flags | O_NOFOLLOW | O_CLOEXEC, mode);
      if (r >= 0 || errno != ELOOP || (flags & O_NOFOLLOW))
        return r;
      flags &= ~(O_CREAT | O_EXCL);
    }
  fd = walk_in_root (rootfd, path, -1, 0);
  if (fd < 0)
    return -1;
  if ((flags & O_PATH) && !(flags & O_DIRECTORY))
    return steal_fd (fd);
  /* Re-open the walked object for real through its fd: no path lookup again. */
  fp = husk_fd_path (fd);
  return openat (AT_FDCWD, fp.s, (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC);
}

int
husk_open_in_root (int rootfd, const char *path, int flags, mode_t mode,
                   struct husk_error **err)
{
  struct open_how how = {
    .flags = (unsigned) (flags | O_CLOEXEC),
    .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
    /* No magic links either: /proc/self/... inside the rootfs must not be a door
     * to the host. */
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  int fd = -1;

  for (int i = 0; i < 32; i++)
    {
      fd = (int) sys_openat2 (rootfd, path, &how);
      /* EAGAIN: a rename raced with the ".." check of RESOLVE_IN_ROOT; retry. */
      if (fd >= 0 || errno != EAGAIN)
        break;
    }
  if (fd < 0 && errno == ENOSYS)
    fd = open_in_root_walk (rootfd, path, flags, mode);
  if (fd < 0)
    return husk_error_set (err, errno, "open `%s` inside the rootfs", path);
  return fd;
}

/* The common case of a missing path: only its last component is missing (a
 * mount destination in an existing directory).  Open the parent as the kernel
 * resolves it inside the root, create the name in it and open that without
 * following it: the walk's last step, without walking the parents one by one.
 * Returns -1 (the caller walks) for anything else: a path with "..", whose
 * lexical parent may not be where the kernel's walk goes; a missing parent; a
 * symlink where the name was created (a race: the walk follows it inside the
 * root). */
static int
mkpath_last (int rootfd, const char *path, enum husk_mkpath how, mode_t mode)
{
  cleanup_free char *clean = NULL;
  cleanup_close int dirfd = -1;
  struct husk_error *tmp = NULL;
  struct stat st;
  char *slash;
  int fd;

  if (strcmp (path, "..") == 0 || strncmp (path, "../", 3) == 0 || husk_strstr (path, "/..") != NULL)
    return -1;
  clean = husk_path_clean (path);
  slash = strrchr (clean, '/');
  if (slash == NULL || slash[1] == '\0')
    return -1;
  *slash = '\0';
  dirfd = husk_open_in_root (rootfd, clean[0] ? clean : "/", O_PATH | O_DIRECTORY, 0, &tmp);
  if (dirfd < 0)
    {
      husk_error_release (&tmp);
      return -1;
    }
  fd = create_component (dirfd, slash + 1, true, (int) how, mode);
  if (fd < 0)
    return -1;
  if (fstat (fd, &st) < 0 || S_ISLNK (st.st_mode))
    {
      close (fd);
      return -1;
    }
  return fd;
}

int
husk_create_in_root (int rootfd, const char *path, enum husk_mkpath how, mode_t mode,
                     struct husk_error **err)
{
  int fd = mkpath_last (rootfd, path, how, mode);

  if (fd >= 0)
    return fd;
  /* Walk it, creating each missing component in the directory fd where it
   * belongs. */
  fd = walk_in_root (rootfd, path, (int) how, mode);
  if (fd < 0)
    return husk_error_set (err, errno, "create `%s` inside the rootfs", path);
  return fd;
}

int
husk_mkpath_in_root (int rootfd, const char *path, enum husk_mkpath how, mode_t mode,
                     struct husk_error **err)
{
  struct husk_error *tmp = NULL;
  int fd = husk_open_in_root (rootfd, path, O_PATH, 0, &tmp);

  if (fd >= 0)
    return fd;
  if (tmp->errnum != ENOENT)
    return husk_error_propagate (err, &tmp);
  husk_error_release (&tmp);
  return husk_create_in_root (rootfd, path, how, mode, err);
}

int
husk_open_parent_in_root (int rootfd, const char *path, char **name,
                          struct husk_error **err)
{
  cleanup_free char *clean = husk_path_clean (path);
  char *slash = strrchr (clean, '/');
  struct stat st;
  int fd;

  if (slash[1] == '\0')
    return husk_error_set (err, EINVAL, "`%s` names the root itself", path);
  *name = xstrdup (slash + 1);
  *slash = '\0';
  fd = husk_mkpath_in_root (rootfd, clean[0] ? clean : "/", HUSK_MKPATH_DIR, 0755, err);
  if (fd < 0)
    goto fail;
  if (fstat (fd, &st) == 0)
    {
      if (S_ISDIR (st.st_mode))
        return fd;
      errno = ENOTDIR;
    }
  husk_error_set (err, errno, "parent of `%s` is not a directory", path);
  close (fd);
fail:
  free (*name);
  *name = NULL;
  return -1;
}

char *
husk_fd_real_path (int fd, struct husk_error **err)
{
  struct husk_fd_path fp = husk_fd_path (fd);
  char buf[PATH_MAX];
  ssize_t n = readlink (fp.s, buf, sizeof buf - 1);
  char *s;

  if (n < 0)
    {
      husk_error_set (err, errno, "readlink `%s`", fp.s);
      return NULL;
    }
  buf[n] = '\0';
  s = xstrdup (buf);
  return s;
}

int
husk_fd_mount_id (int fd, uint64_t *mnt_id, bool *is_root, struct husk_error **err)
{
  struct statx stx;

  if (statx (fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
    return husk_error_set (err, errno, "statx mount point");
  *mnt_id = stx.stx_mnt_id;
  *is_root = (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
             && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
  return *is_root ? 1 : 0;
}

/* ---- tmpcopyup ---- */

static int
copy_regular (int srcdir, int dstdir, const char *name, const struct stat *st,
              struct husk_error **err)
{
  cleanup_close int in = openat (srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_close int out = -1;
  char buf[65536];
  ssize_t n;

  if (in < 0)
    return husk_error_set (err, errno, "open `%s`", name);
  out = openat (dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0)
    return husk_error_set (err, errno, "create `%s`", name);
  while ((n = read (in, buf, sizeof buf)) > 0)
    for (ssize_t done = 0; done < n;)
      {
        ssize_t w = write (out, buf + done, (size_t) (n - done));
        if (w < 0)
          return husk_error_set (err, errno, "write `%s`", name);
        done += w;
      }
  if (n < 0)
    return husk_error_set (err, errno, "read `%s`", name);
  /* Owner first: chown clears the set-id bits that the chmod then restores. */
  if (fchown (out, st->st_uid, st->st_gid) < 0 || fchmod (out, st->st_mode & 07777) < 0)
    return husk_error_set (err, errno, "set owner and mode of `%s`", name);
  return 0;
}

static int
copy_dir (int srcdir, int dstdir, const char *name, const struct stat *st,
          struct husk_error **err)
{
  cleanup_close int from = -1, to = -1;

  if (mkdirat (dstdir, name, 0700) < 0)
    return husk_error_set (err, errno, "mkdir `%s`", name);
  from = openat (srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  to = openat (dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (from < 0 || to < 0)
    return husk_error_set (err, errno, "open `%s`", name);
  if (husk_copy_tree (from, to, err) < 0)
    return husk_error_wrap (err, "%s", name);
  /* The mode last: a read-only directory must be filled before it becomes so. */
  if (fchown (to, st->st_uid, st->st_gid) < 0 || fchmod (to, st->st_mode & 07777) < 0)
    return husk_error_set (err, errno, "set owner and mode of `%s`", name);
  return 0;
}

static int
copy_entry (int srcdir, int dstdir, const char *name, struct husk_error **err)
{
  struct stat st;
  char target[PATH_MAX];
  ssize_t n;

  if (fstatat (srcdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return husk_error_set (err, errno, "stat `%s`", name);
  switch (st.st_mode & S_IFMT)
    {
    case S_IFREG:
      return copy_regular (srcdir, dstdir, name, &st, err);
    case S_IFDIR:
      return copy_dir (srcdir, dstdir, name, &st, err);
    case S_IFLNK:
      n = readlinkat (srcdir, name, target, sizeof target - 1);
      if (n < 0)
        return husk_error_set (err, errno, "readlink `%s`", name);
      target[n] = '\0';
      if (symlinkat (target, dstdir, name) < 0)
        return husk_error_set (err, errno, "symlink `%s`", name);
      break;
    default: /* devices, fifos, sockets */
      if (mknodat (dstdir, name, st.st_mode & ~07777, st.st_rdev) < 0)
        return husk_error_set (err, errno, "mknod `%s`", name);
      /* fchmodat follows links, but what we just made in a fresh tmpfs is not
       * one (no container process runs yet to swap it). */
      if (fchmodat (dstdir, name, st.st_mode & 07777, 0) < 0)
        return husk_error_set (err, errno, "chmod `%s`", name);
      break;
    }
  if (fchownat (dstdir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
    return husk_error_set (err, errno, "chown `%s`", name);
  return 0;
}

int
husk_copy_tree (int srcdir, int dstdir, struct husk_error **err)
{
  int fd = fcntl (srcdir, F_DUPFD_CLOEXEC, 3);
  cleanup_dir DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  struct dirent *de;

  if (d == NULL)
    {
      if (fd >= 0)
        close (fd);
      return husk_error_set (err, errno, "read directory");
    }
  errno = 0;
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (copy_entry (srcdir, dstdir, de->d_name, err) < 0)
        return -1;
      errno = 0;
    }
  if (errno)
    return husk_error_set (err, errno, "read directory");
  return 0;
}
