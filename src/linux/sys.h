/* The kernel interfaces husk uses that a C library may not declare yet.
 *
 * glibc declares the new mount API (open_tree, move_mount, mount_setattr,
 * fsopen, fsconfig, fsmount) from 2.36, execveat from 2.34, close_range from
 * 2.34 and statx from 2.28; musl (1.2.3, Debian 12) declares none of them.
 * husk builds against either: where the library has no declaration, these
 * inline wrappers make the system call themselves, with the kernel's own
 * constants.  Include this instead of <sys/mount.h> where those are used. */
#ifndef HUSK_LINUX_SYS_H
#define HUSK_LINUX_SYS_H

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 36))
#define HUSK_LIBC_MOUNT_API 1
#endif

#ifndef HUSK_LIBC_MOUNT_API
/* <linux/mount.h> repeats the MS_* flags that <sys/mount.h> defined: keep the
 * library's (the same values). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#include <linux/mount.h>
#pragma GCC diagnostic pop

static inline int
open_tree (int dfd, const char *path, unsigned int flags)
{
  return (int) syscall (SYS_open_tree, dfd, path, flags);
}

static inline int
move_mount (int from_dfd, const char *from_path, int to_dfd, const char *to_path, unsigned int flags)
{
  return (int) syscall (SYS_move_mount, from_dfd, from_path, to_dfd, to_path, flags);
}

static inline int
mount_setattr (int dfd, const char *path, unsigned int flags, struct mount_attr *attr, size_t size)
{
  return (int) syscall (SYS_mount_setattr, dfd, path, flags, attr, size);
}

static inline int
fsopen (const char *fsname, unsigned int flags)
{
  return (int) syscall (SYS_fsopen, fsname, flags);
}

static inline int
fsconfig (int fd, unsigned int cmd, const char *key, const void *value, int aux)
{
  return (int) syscall (SYS_fsconfig, fd, cmd, key, value, aux);
}

static inline int
fsmount (int fd, unsigned int flags, unsigned int attr_flags)
{
  return (int) syscall (SYS_fsmount, fd, flags, attr_flags);
}

static inline int
fspick (int dfd, const char *path, unsigned int flags)
{
  return (int) syscall (SYS_fspick, dfd, path, flags);
}
#endif

#if !defined(__GLIBC__) || __GLIBC__ < 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ < 34)
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
static inline int
husk_sys_close_range (unsigned int first, unsigned int last, int flags)
{
  return (int) syscall (SYS_close_range, first, last, flags);
}
#define close_range husk_sys_close_range

static inline int
husk_sys_execveat (int dfd, const char *path, char *const argv[], char *const envp[], int flags)
{
  return (int) syscall (SYS_execveat, dfd, path, argv, envp, flags);
}
#define execveat husk_sys_execveat
#endif

/* The credential calls as the system calls themselves.  The C library's run
 * them on every thread of the process (musl's __synccall, with its semaphores,
 * is 2 KB of the binary); husk has one thread, where the two are the same. */
static inline int
husk_setresuid (uid_t r, uid_t e, uid_t s)
{
  return (int) syscall (SYS_setresuid, r, e, s);
}

static inline int
husk_setresgid (gid_t r, gid_t e, gid_t s)
{
  return (int) syscall (SYS_setresgid, r, e, s);
}

static inline int
husk_setgroups (size_t n, const gid_t *groups)
{
  return (int) syscall (SYS_setgroups, n, groups);
}

#ifndef STATX_TYPE
#include <linux/stat.h>

static inline int
statx (int dfd, const char *path, int flags, unsigned int mask, struct statx *buf)
{
  return (int) syscall (SYS_statx, dfd, path, flags, mask, buf);
}
#endif

#endif
