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
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "linux/sys.h"
#include "util/cleanup.h"
#include "util/fdpass.h"

/* Bind the pty slave (the open fd, never its path, which the container could
 * swap for a symlink to /proc/sysrq-trigger: CVE-2025-52565) onto /dev/console.
 * The target is opened without following any link: /dev must be a directory,
 * and console in it a file or a device node, created as an empty file when
 * missing; the mount goes onto that fd, so a swap after the check changes
 * nothing. */
static int
bind_console (int slave, struct husk_error **err)
{
  cleanup_close int dev = openat (AT_FDCWD, "/dev", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_close int target = -1, tree = -1;
  struct stat st;

  if (dev < 0)
    return husk_error_set (err, errno, "open /dev for /dev/console (a symlink is refused)");
  target = openat (dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0 && errno == ENOENT)
    {
      int fd = openat (dev, "console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd >= 0)
        close (fd);
      target = openat (dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    }
  if (target < 0 || fstat (target, &st) < 0)
    return husk_error_set (err, errno, "open /dev/console");
  if (!S_ISREG (st.st_mode) && !S_ISCHR (st.st_mode))
    return husk_error_set (err, EINVAL, "/dev/console is not a file or a device node");
  tree = open_tree (slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0)
    return husk_error_set (err, errno, "open_tree the pty");
  if (move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return husk_error_set (err, errno, "bind the pty to /dev/console");
  return 0;
}

/* The slave of master: through TIOCGPTPEER (Linux 4.13), which needs no path;
 * else by its /dev/pts name, checked to be that pty. */
static int
open_slave (int master, const char *pts, int n, struct husk_error **err)
{
  struct stat st;
  int fd = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);

  if (fd >= 0)
    return fd;
  fd = openat (AT_FDCWD, pts, O_RDWR | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return husk_error_set (err, errno, "open `%s`", pts);
  /* Unix98 pty slaves: majors 136-143. */
  if (fstat (fd, &st) < 0 || !S_ISCHR (st.st_mode) || major (st.st_rdev) < 136
      || major (st.st_rdev) > 143 || (int) ((major (st.st_rdev) - 136) * 256 + minor (st.st_rdev)) != n)
    {
      close (fd);
      return husk_error_set (err, EXDEV, "`%s` is not the pty allocated", pts);
    }
  return fd;
}

/* The pty adds no \r before each \n when husk itself copies it to its caller
 * (run or exec in the foreground): a pipe then gets the bytes the process
 * wrote, and a terminal adds the \r once, with the output processing husk
 * leaves it (container/foreground.c); runc clears ONLCR likewise.  Done here,
 * before the process can write anything: husk gets the master of an exec'd
 * process only after its execve.  A console socket's receiver (docker,
 * containerd) gets the pty's defaults, which it expects. */
static int
clear_onlcr (int slave, struct husk_error **err)
{
  struct termios t;

  if (tcgetattr (slave, &t) < 0)
    return husk_error_set (err, errno, "get the pty's attributes");
  t.c_oflag &= ~(tcflag_t) ONLCR;
  if (tcsetattr (slave, TCSANOW, &t) < 0)
    return husk_error_set (err, errno, "clear ONLCR on the pty");
  return 0;
}

/* The pty slave owned by the process's user, so that it can use its terminal
 * (chmod it, hand it to a program that checks its owner); the group stays the
 * one devpts gave it (its gid= option, the tty group in the usual config), as
 * in runc.  A slave whose owner our user namespace cannot change (EPERM) or a
 * read-only /dev (EROFS) is left as it is rather than failing the process. */
static int
own_slave (int slave, uid_t uid, struct husk_error **err)
{
  struct stat st;

  if (fstat (slave, &st) < 0)
    return husk_error_set (err, errno, "stat the pty");
  if (st.st_uid == uid || fchown (slave, uid, (gid_t) -1) == 0 || errno == EPERM
      || errno == EROFS)
    return 0;
  return husk_error_set (err, errno, "chown the pty to uid %u", (unsigned) uid);
}

static int
console_setup (const struct oci_process *p, int console_fd, int ptmx, bool is_init, bool bind,
               bool proxied, struct husk_error **err)
{
  cleanup_close int master = ptmx, slave = -1;
  char pts[64];
  int n, unlock = 0;

  if (console_fd < 0)
    return husk_error_set (err, EINVAL, "terminal requested without a console socket");
  if (master < 0)
    master = openat (AT_FDCWD, "/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return husk_error_set (err, errno, "open /dev/ptmx");
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0 || ioctl (master, TIOCGPTN, &n) < 0)
    return husk_error_set (err, errno, "unlock pty");
  snprintf (pts, sizeof pts, "/dev/pts/%d", n);
  slave = open_slave (master, pts, n, err);
  if (slave < 0)
    return -1;
  if (p->has_console_size)
    {
      struct winsize ws = { .ws_row = (unsigned short) p->console_size.height,
                            .ws_col = (unsigned short) p->console_size.width };
      ioctl (slave, TIOCSWINSZ, &ws);
    }
  if (proxied && clear_onlcr (slave, err) < 0)
    return -1;
  if (own_slave (slave, p->user.uid, err) < 0)
    return -1;
  /* The init's /dev/console is its pty, as on a real system (created if the
   * rootfs lacks it); an exec'd process's pty is its own and leaves it alone. */
  if (bind && bind_console (slave, err) < 0)
    return -1;
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

int
husk_console_setup (const struct oci_process *p, int console_fd, bool is_init, bool proxied,
                    struct husk_error **err)
{
  return console_setup (p, console_fd, -1, is_init, is_init, proxied, err);
}

int
husk_console_setup_unbound (const struct oci_process *p, int console_fd, int ptmx, bool proxied,
                            struct husk_error **err)
{
  return console_setup (p, console_fd, ptmx, true, false, proxied, err);
}
