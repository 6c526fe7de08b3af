#define _GNU_SOURCE
#include "util/child.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the child: fd becomes target, open across the exec. */
static int
place_fd (int fd, int target)
{
  if (fd == target)
    return fcntl (fd, F_SETFD, 0);
  return dup2 (fd, target) < 0 ? -1 : 0;
}

int
husk_spawnp (pid_t *pid, char *const argv[], bool null_stdin, int out_fd, int err_fd)
{
  int report[2], e = 0;
  ssize_t n;
  pid_t child;

  /* The child writes its errno here when it cannot exec; a successful exec
   * closes it (close-on-exec), and the parent reads end of file. */
  if (pipe2 (report, O_CLOEXEC) < 0)
    return errno;
  child = fork ();
  if (child < 0)
    {
      e = errno;
      close (report[0]);
      close (report[1]);
      return e;
    }
  if (child == 0)
    {
      int devnull = null_stdin ? openat (AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC) : -1;

      close (report[0]);
      if ((null_stdin && (devnull < 0 || place_fd (devnull, STDIN_FILENO) < 0))
          || (out_fd >= 0 && place_fd (out_fd, STDOUT_FILENO) < 0)
          || (err_fd >= 0 && place_fd (err_fd, STDERR_FILENO) < 0))
        e = errno;
      else
        {
          execvp (argv[0], argv);
          e = errno;
        }
      if (write (report[1], &e, sizeof e) < 0)
        _exit (127);
      _exit (127);
    }
  close (report[1]);
  do
    n = read (report[0], &e, sizeof e);
  while (n < 0 && errno == EINTR);
  close (report[0]);
  if (n == (ssize_t) sizeof e)
    {
      while (waitpid (child, NULL, 0) < 0 && errno == EINTR)
        ;
      return e ? e : ECHILD;
    }
  *pid = child;
  return 0;
}
