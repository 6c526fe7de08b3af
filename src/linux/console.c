/* The console: a pty allocated in the container's own devpts (after pivot_root,
 * through /dev/ptmx -> pts/ptmx), its slave made the init's controlling terminal
 * and stdio and bind-mounted on /dev/console, its master sent to the caller over
 * the console socket with SCM_RIGHTS (what containerd and podman expect). */
#define _GNU_SOURCE
#include "linux/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fdpass.h"

int
husk_console_setup (const struct oci_process *p, int console_fd, bool is_init,
                    struct husk_error **err)
{
  cleanup_close int master = -1, slave = -1;
  char pts[64];
  int n, unlock = 0;

  if (console_fd < 0)
    return husk_error_set (err, EINVAL, "terminal requested without a console socket");
  master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return husk_error_set (err, errno, "open /dev/ptmx");
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0 || ioctl (master, TIOCGPTN, &n) < 0)
    return husk_error_set (err, errno, "unlock pty");
  snprintf (pts, sizeof pts, "/dev/pts/%d", n);
  slave = open (pts, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return husk_error_set (err, errno, "open `%s`", pts);
  if (p->has_console_size)
    {
      struct winsize ws = { .ws_row = (unsigned short) p->console_size.height,
                            .ws_col = (unsigned short) p->console_size.width };
      ioctl (slave, TIOCSWINSZ, &ws);
    }
  /* The init's /dev/console is its pty, as on a real system (created if the
   * rootfs lacks it); an exec'd process's pty is its own and leaves it alone. */
  if (is_init)
  {
    int cfd = open ("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (cfd >= 0)
      close (cfd);
    if (mount (pts, "/dev/console", NULL, MS_BIND, NULL) < 0)
      return husk_error_set (err, errno, "bind `%s` to /dev/console", pts);
  }
  if (husk_send_fd (console_fd, master, pts, strlen (pts),
                    "send pty master to the console socket", err) < 0)
    return -1;
  close (console_fd);
  /* A controlling terminal needs a session of its own: the init made one when it
   * started; an exec'd process makes it here. */
  if (!is_init && setsid () < 0)
    return husk_error_set (err, errno, "setsid");
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return husk_error_set (err, errno, "set controlling terminal");
  for (int i = 0; i < 3; i++)
    if (dup2 (slave, i) < 0)
      return husk_error_set (err, errno, "dup2 pty to fd %d", i);
  return 0;
}
