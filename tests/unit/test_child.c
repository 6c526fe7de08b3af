/* husk_spawnp (src/util/child.c): what posix_spawnp did for ps, newuidmap and
 * newgidmap: PATH search, stdout/stderr on given fds, stdin from /dev/null,
 * the errno of a failed exec, and no child left behind then. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/child.h"
#include "tap.h"

/* Everything the child wrote on the pipe, and its exit status. */
static int
collect (pid_t pid, int rfd, char *buf, size_t len)
{
  size_t got = 0;
  ssize_t n;
  int st = -1;

  while (got < len - 1 && (n = read (rfd, buf + got, len - 1 - got)) > 0)
    got += (size_t) n;
  buf[got] = '\0';
  close (rfd);
  if (waitpid (pid, &st, 0) != pid)
    return -1;
  return WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
}

int
main (void)
{
  char buf[256];
  int p[2], rc, st;
  pid_t pid = 0;

  {
    char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
    if (pipe2 (p, O_CLOEXEC) < 0)
      return 1;
    rc = husk_spawnp (&pid, argv, true, p[1], p[1]);
    close (p[1]);
    st = rc == 0 ? collect (pid, p[0], buf, sizeof buf) : -1;
    result (rc == 0 && st == 3 && strcmp (buf, "out\nerr\n") == 0,
            "found in PATH; stdout and stderr on the fd given; exit status (got %d, %d, \"%s\")",
            rc, st, rc == 0 ? buf : "");
  }
  {
    char *argv[] = { "cat", NULL };
    if (pipe2 (p, O_CLOEXEC) < 0)
      return 1;
    rc = husk_spawnp (&pid, argv, true, p[1], -1);
    close (p[1]);
    st = rc == 0 ? collect (pid, p[0], buf, sizeof buf) : -1;
    result (rc == 0 && st == 0 && buf[0] == '\0', "stdin is /dev/null: cat ends at once, empty");
  }
  {
    char *argv[] = { "husk-no-such-program", NULL };
    rc = husk_spawnp (&pid, argv, true, -1, -1);
    errno = 0;
    result (rc == ENOENT && waitpid (-1, NULL, WNOHANG) < 0 && errno == ECHILD,
            "a program not in PATH: ENOENT, and no child left (got %d)", rc);
  }
  {
    char path[] = "/tmp/husk-test-child-XXXXXX"; /* mode 0600: not executable */
    int fd = mkstemp (path);
    char *argv[] = { path, NULL };
    if (fd < 0)
      return 1;
    close (fd);
    rc = husk_spawnp (&pid, argv, true, -1, -1);
    unlink (path);
    result (rc == EACCES, "a file that is not executable: EACCES (got %d)", rc);
  }
  {
    /* Our stdout is close-on-exec and is the fd given: it must stay open. */
    char *argv[] = { "echo", "kept", NULL };
    int saved = dup (STDOUT_FILENO);
    if (saved < 0 || pipe2 (p, O_CLOEXEC) < 0 || dup3 (p[1], STDOUT_FILENO, O_CLOEXEC) < 0)
      return 1;
    close (p[1]);
    rc = husk_spawnp (&pid, argv, true, STDOUT_FILENO, -1);
    dup2 (saved, STDOUT_FILENO);
    close (saved);
    st = rc == 0 ? collect (pid, p[0], buf, sizeof buf) : -1;
    result (rc == 0 && st == 0 && strcmp (buf, "kept\n") == 0,
            "stdout given as itself though close-on-exec: kept open for the program");
  }
  return tap_done ();
}
