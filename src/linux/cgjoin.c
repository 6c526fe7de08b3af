/* husk_cgjoin_fork: see linux/cgjoin.h. */
#include "linux/cgjoin.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* clone3's arguments (as in the kernel's linux/sched.h; kept here to need no
 * newer kernel headers than Debian's). */
struct clone3_args
{
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
      set_tid_size, cgroup;
};
#define HUSK_CLONE_INTO_CGROUP 0x200000000ULL

/* clone3 with no stack has fork's semantics. */
pid_t
husk_cgjoin_clone (const char *dir)
{
  struct clone3_args a = { .flags = HUSK_CLONE_INTO_CGROUP, .exit_signal = SIGCHLD };
  int fd, e;
  long r;

  fd = openat (AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  a.cgroup = (uint64_t) fd;
  r = syscall (SYS_clone3, &a, sizeof a);
  e = errno;
  close (fd);
  errno = e;
  return (pid_t) r;
}

pid_t
husk_cgjoin_fork (const struct husk_cgjoin *j, bool *cloned)
{
  pid_t pid = j->fn && j->clone_dir ? husk_cgjoin_clone (j->clone_dir) : -1;

  /* ENOSYS/E2BIG: an older kernel; ENOENT: a cgroup systemd has yet to make;
   * others (EACCES, EBUSY for a cgroup with controllers in subtree_control...):
   * the join after the fork explains. */
  *cloned = pid >= 0;
  return pid >= 0 ? pid : fork ();
}
