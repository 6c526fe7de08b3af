/* A read-only /proc/self/exe for every husk process that enters a container.
 *
 * The init and the processes of `husk exec` are forks of husk that run inside
 * the container until their final execve.  Their /proc/PID/exe is whatever file
 * husk was executed from: if that is the host's binary, a process of the
 * container can get a handle on it (a script starting `#!/proc/self/exe` has
 * the kernel run it inside the container; CAP_SYS_PTRACE opens another task's
 * /proc/PID/exe even when it is non-dumpable) and, once no husk runs, reopen
 * it for writing through /proc/self/fd: the next `husk` on the host runs the
 * container's code as root (CVE-2019-5736).
 *
 * So the commands that enter a container first execute themselves again from
 * a copy that no handle can write:
 *
 *  1. a detached read-only bind mount of the binary (open_tree + mount_setattr,
 *     then execveat on the mount's fd).  It is attached nowhere: no mount table
 *     shows it, nothing can remount it, and the kernel frees it with the last
 *     process that runs from it.  It costs a mount clone and one more start of
 *     husk, and copies nothing.  Its fd goes across the execution, named in
 *     _HUSK_EXE_CLONE_FD.  Closing the last fd of a detached mount dissolves it,
 *     which waits for an RCU grace period: the init first parks the mount in
 *     its old root, which goes after pivot_root under a grace period of its own
 *     anyway (husk_exe_seal_park); otherwise the second image closes it when it
 *     waits anyway (husk_exe_seal_release);
 *  2. where that is refused (no CAP_SYS_ADMIN over our mount namespace, kernels
 *     before 5.12), a memfd copy of the binary sealed against writes, growing
 *     and shrinking; it costs a copy of the binary;
 *  3. otherwise, fail: never run unprotected.
 *
 * Whether we are protected is read from the binary itself (its mount is read-
 * only, or it is sealed), not from anything the caller could set, so a copy
 * already made is used as it is and the re-execution happens at most once.
 * argv, the environment, the pid, every fd (none is opened for the new image but
 * the mount's), the cwd, the signal mask and the parent-death signal are all
 * kept by execve. */
#define _GNU_SOURCE
#include "linux/exeseal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "linux/sys.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

extern char **environ;

/* The mount's fd, handed from the first image to the second (exeseal.h). */
#define CLONE_FD_ENV "_HUSK_EXE_CLONE_FD"
static int clone_fd = -1;

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/* No write, and no size change either (truncating would change the code too). */
#define EXE_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* fd: the binary, opened in any mode (the mount check works on O_PATH). */
static bool
fd_is_sealed (int fd)
{
  struct statvfs sv;
  int seals;

  /* ST_RDONLY: the mount or the whole filesystem; either way, opening the file
   * for writing through this path fails with EROFS. */
  if (fstatvfs (fd, &sv) == 0 && (sv.f_flag & ST_RDONLY))
    return true;
  seals = fcntl (fd, F_GET_SEALS);
  return seals >= 0 && (seals & EXE_SEALS) == EXE_SEALS;
}

/* The binary, opened in a mode its permissions allow. */
static int
open_exe (void)
{
  int fd = openat (AT_FDCWD, "/proc/self/exe", O_RDONLY | O_CLOEXEC);

  /* An execute-only binary: the mount check needs no read permission. */
  if (fd < 0)
    fd = openat (AT_FDCWD, "/proc/self/exe", O_PATH | O_CLOEXEC);
  return fd;
}

bool
husk_exe_is_sealed (void)
{
  cleanup_close int fd = open_exe ();

  return fd >= 0 && fd_is_sealed (fd);
}

/* In the second image: the fd the first one named, if it is what it says (our
 * own binary on a read-only mount); any other value is left alone. */
static void
adopt_clone_fd (int exe)
{
  const char *v = getenv (CLONE_FD_ENV);
  struct stat a, b;
  char *end;
  long fd;

  if (v == NULL)
    return;
  errno = 0;
  fd = strtol (v, &end, 10);
  unsetenv (CLONE_FD_ENV);
  if (errno || *end || fd < 3 || fd > 1 << 20 || fstat ((int) fd, &a) < 0 || fstat (exe, &b) < 0
      || a.st_dev != b.st_dev || a.st_ino != b.st_ino || !fd_is_sealed ((int) fd)
      || fcntl ((int) fd, F_SETFD, FD_CLOEXEC) < 0)
    return;
  clone_fd = (int) fd;
}

void
husk_exe_seal_release (void)
{
  if (clone_fd >= 0)
    close (clone_fd);
  clone_fd = -1;
}

int
husk_exe_seal_fd (void)
{
  return clone_fd;
}

void
husk_exe_seal_park (const char *at)
{
  if (clone_fd >= 0 && at != NULL)
    move_mount (clone_fd, "", AT_FDCWD, at, MOVE_MOUNT_F_EMPTY_PATH);
  husk_exe_seal_release ();
}

/* environ, plus CLONE_FD_ENV=fd in place of any value it had. */
static char **
env_with_clone_fd (int fd)
{
  size_t n = 0, m = 0, len = strlen (CLONE_FD_ENV);
  char **env;

  while (environ[n])
    n++;
  env = xcalloc (n + 2, sizeof *env);
  for (size_t i = 0; i < n; i++)
    if (strncmp (environ[i], CLONE_FD_ENV, len) != 0 || environ[i][len] != '=')
      env[m++] = environ[i];
  xasprintf (&env[m], CLONE_FD_ENV "=%d", fd);
  return env;
}

/* Kernels that name a process after the path it was executed from name an
 * execveat(fd, "") after the fd ("3") or the memfd ("memfd:husk"): give the
 * process the name it had (ps, pgrep, pidof). */
static void
restore_comm (const char *argv0)
{
  char comm[17] = "";
  const char *base;

  if (argv0 == NULL || prctl (PR_GET_NAME, comm) < 0)
    return;
  if (comm[strspn (comm, "0123456789")] != '\0' && strncmp (comm, "memfd:", 6) != 0)
    return;
  base = strrchr (argv0, '/');
  prctl (PR_SET_NAME, base ? base + 1 : argv0);
}

/* 1: execute from a detached read-only bind mount of the binary.  Returns -1
 * with errno set when it cannot. */
static int
exec_ro_bind (char **argv)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
  /* Not close-on-exec: the second image closes it when it suits (exeseal.h). */
  cleanup_close int fd = open_tree (AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE);

  if (fd < 0 || mount_setattr (fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return -1;
  /* The check the new image makes: if it could fail there, we would loop. */
  if (!fd_is_sealed (fd))
    {
      errno = EROFS;
      return -1;
    }
  /* The new image adopts the fd (and makes it close-on-exec at once); after
   * it is closed, the mount lives on only as the exe of the processes that run
   * from it. */
  execveat (fd, "", argv, env_with_clone_fd (fd), AT_EMPTY_PATH);
  return -1;
}

/* 2: execute from a sealed memfd copy of the binary. */
static int
exec_memfd (char **argv)
{
  cleanup_close int src = openat (AT_FDCWD, "/proc/self/exe", O_RDONLY | O_CLOEXEC);
  cleanup_close int mfd = -1;
  struct stat st;
  off_t off = 0;

  if (src < 0 || fstat (src, &st) < 0)
    return -1;
  /* MFD_EXEC: executable even where vm.memfd_noexec makes memfds noexec by
   * default (Linux 6.3); older kernels refuse the flag. */
  mfd = memfd_create ("husk", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL)
    mfd = memfd_create ("husk", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return -1;
  while (off < st.st_size)
    {
      ssize_t n = sendfile (mfd, src, &off, st.st_size - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          if (n == 0)
            errno = EIO;
          return -1;
        }
    }
  if (fcntl (mfd, F_ADD_SEALS, EXE_SEALS | F_SEAL_SEAL) < 0)
    return -1;
  if (!fd_is_sealed (mfd))
    {
      errno = EPERM;
      return -1;
    }
  fexecve (mfd, argv, environ);
  return -1;
}

int
husk_exe_seal (char **argv, struct husk_error **err)
{
  int bind_errno;

  cleanup_close int exe = open_exe ();

  if (exe >= 0 && fd_is_sealed (exe))
    {
      adopt_clone_fd (exe);
      restore_comm (argv[0]);
      return 0;
    }
  exec_ro_bind (argv);
  bind_errno = errno;
  exec_memfd (argv);
  return husk_error_set (err, errno,
                         "run husk from a sealed copy of its binary (read-only bind mount: "
                         "errno %d; sealed memfd)",
                         bind_errno);
}
