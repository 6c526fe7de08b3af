/* --pidfd-socket (create, run, exec; runc 1.2): a pidfd of the container's init
 * (or of the exec'd process) goes over SCM_RIGHTS to the unix socket a manager
 * listens on, with runc's payload ("standard" for an init, "setns" for an exec),
 * so that it can signal and wait for exactly that process whatever its pid is
 * reused for later.  husk opens the pidfd from the host: a pidfd names the
 * process whatever pid namespace it is in, and no host socket has to reach the
 * container for it. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container/internal.h"
#include "util/cleanup.h"
#include "util/fdpass.h"

int
husk_pidfd_socket_connect (const char *path, struct husk_error **err)
{
  if (path == NULL)
    return -1;
  return husk_unix_connect (path, "pidfd socket", err);
}

int
husk_pidfd_socket_send (int sock, pid_t pid, const char *kind, struct husk_error **err)
{
  cleanup_close int pidfd = -1;

  if (sock < 0)
    return 0;
#ifdef SYS_pidfd_open
  pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
#else
  errno = ENOSYS;
#endif
  if (pidfd < 0)
    return husk_error_set (err, errno, "pidfd_open %d (--pidfd-socket needs Linux 5.3)", (int) pid);
  return husk_send_fd (sock, pidfd, kind, strlen (kind), "send pidfd to the pidfd socket", err);
}

int
husk_pidfd_socket_send_to (const char *path, pid_t pid, const char *kind, struct husk_error **err)
{
  cleanup_close int sock = -1;

  if (path == NULL)
    return 0;
  sock = husk_pidfd_socket_connect (path, err);
  if (sock < 0)
    return -1;
  return husk_pidfd_socket_send (sock, pid, kind, err);
}
