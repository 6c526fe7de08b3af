/* What husk hands to its caller at a path the caller chose: the process's pid
 * (--pid-file of create, run, exec, restore) and its pty master (the unix
 * socket of --console-socket).  The pidfd of --pidfd-socket: pidfdsock.c. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "container/internal.h"
#include "util/fdpass.h"
#include "util/fs.h"

int
husk_write_pid_file (const char *path, pid_t pid, struct husk_error **err)
{
  char buf[32];

  if (path == NULL)
    return 0;
  snprintf (buf, sizeof buf, "%d", (int) pid);
  /* The path's directory may be someone else's: no symlink there is followed
   * (util/fs.h, tests/integration/security-pidfile.bats). */
  if (husk_write_file_atomic (path, buf, strlen (buf), 0644, err) < 0)
    return husk_error_wrap (err, "write pid file");
  return 0;
}

int
husk_console_socket_connect (const char *path, struct husk_error **err)
{
  return husk_unix_connect (path, "console socket", err);
}
