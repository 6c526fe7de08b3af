/* A procfs handle that the container cannot redirect.  See linux/procfs.h. */
#define _GNU_SOURCE
#include "linux/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/sys.h"
#include "util/cleanup.h"

#define PROC_SUPER_MAGIC 0x9fa0
#define PROC_ROOT_INO 1

bool
husk_is_procfs (int fd)
{
  struct statfs sfs;
  return fstatfs (fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

static bool
is_procfs_root (int fd)
{
  struct stat st;
  return husk_is_procfs (fd) && fstat (fd, &st) == 0 && st.st_ino == PROC_ROOT_INO;
}

/* A new procfs instance for the caller's pid namespace, as a detached mount. */
static int
private_procfs (enum husk_procfs_kind kind)
{
  cleanup_close int fs = fsopen ("proc", FSOPEN_CLOEXEC);
  int mnt;

  if (fs < 0)
    return -1;
  /* subset=pid (Linux 5.8) hides /proc/sys and the other global files: the fifo
   * wait keeps this handle while container processes may exist. */
  if (kind == HUSK_PROCFS_PIDS && fsconfig (fs, FSCONFIG_SET_STRING, "subset", "pid", 0) < 0)
    return -1;
  if (fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return -1;
  mnt = fsmount (fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  return mnt;
}

int
husk_procfs_open (enum husk_procfs_kind kind, struct husk_error **err)
{
  int fd = private_procfs (kind);

  /* ENOSYS, EINVAL (no subset=pid), EPERM (a user namespace where no procfs is
   * fully visible): the /proc we see, if it is one. */
  if (fd < 0)
    fd = openat (AT_FDCWD, "/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return husk_error_set (err, errno, "open a procfs");
  if (!is_procfs_root (fd))
    {
      close (fd);
      return husk_error_set (err, EXDEV, "/proc is not the root of a procfs");
    }
  return fd;
}

/* Before openat2 (Linux 5.6): one component at a time, none a symlink, each on
 * procfs. */
static int
walk_nofollow (int procfd, const char *path, int flags)
{
  cleanup_close int cur = fcntl (procfd, F_DUPFD_CLOEXEC, 3);
  const char *p = path;

  while (cur >= 0)
    {
      char name[NAME_MAX + 1];
      size_t c;
      int next;

      p += strspn (p, "/");
      c = strcspn (p, "/");
      if (c == 0 || c > NAME_MAX || (c <= 2 && strncmp (p, "..", c) == 0))
        return errno = EINVAL, -1;
      memcpy (name, p, c);
      name[c] = '\0';
      p += c;
      if (p[strspn (p, "/")] == '\0')
        return openat (cur, name, flags | O_NOFOLLOW | O_CLOEXEC);
      next = openat (cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next >= 0 && !husk_is_procfs (next))
        {
          close (next);
          return errno = EXDEV, -1;
        }
      close (cur);
      cur = next;
    }
  return -1;
}

int
husk_procfs_openat (int procfd, const char *path, int flags, bool allow_symlinks,
                    struct husk_error **err)
{
  struct open_how how = {
    .flags = (unsigned) (flags | O_NOFOLLOW | O_CLOEXEC),
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS
               | (allow_symlinks ? 0 : RESOLVE_NO_SYMLINKS),
  };
  int fd = (int) syscall (SYS_openat2, procfd, path, &how, sizeof how);

  if (fd < 0 && errno == ENOSYS)
    fd = allow_symlinks ? openat (procfd, path, flags | O_NOFOLLOW | O_CLOEXEC)
                        : walk_nofollow (procfd, path, flags);
  if (fd < 0)
    return husk_error_set (err, errno, "open /proc/%s", path);
  if (!husk_is_procfs (fd))
    {
      close (fd);
      return husk_error_set (err, EXDEV, "/proc/%s is not on procfs", path);
    }
  return fd;
}

int
husk_procfs_write (int procfd, const char *path, bool allow_symlinks, const char *value,
                   struct husk_error **err)
{
  cleanup_close int fd = husk_procfs_openat (procfd, path, O_WRONLY, allow_symlinks, err);
  size_t len = strlen (value);
  ssize_t n;

  if (fd < 0)
    return -1;
  do
    n = write (fd, value, len);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return husk_error_set (err, errno, "write \"%s\" to /proc/%s", value, path);
  if ((size_t) n != len)
    return husk_error_set (err, EIO, "short write to /proc/%s", path);
  return 0;
}
