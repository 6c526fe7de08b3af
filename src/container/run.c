/* husk run: create + start, then (unless detached) stay as the init's reaper:
 * forward signals to it, proxy its pty when it has one, and exit with its status. */
#define _GNU_SOURCE
#include "container/container.h"

#include <errno.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "container/foreground.h"
#include "util/fdpass.h"

int
husk_container_run (const struct husk_run_opts *o, int *status, struct husk_error **err)
{
  struct husk_create_opts co = o->create;
  int sv[2] = { -1, -1 }, master = -1, r = 0, start_fd = -1;
  sigset_t set, old;
  pid_t pid;

  /* In the foreground without a console socket, husk itself holds the pty. */
  if (!o->detach && co.console_socket == NULL)
    {
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return husk_error_set (err, errno, "socketpair");
      co.console_fd = sv[1];
    }
  co.start_fd = &start_fd;
  if (husk_container_create (&co, &pid, err) < 0)
    goto fail;
  if (sv[0] >= 0)
    {
      /* The process sent it (with its pts path) before it reported ready. */
      char name[256];
      struct winsize ws;
      master = husk_recv_fd (sv[0], name, sizeof name, NULL, MSG_DONTWAIT);
      /* The caller's size before the process can ask for it. */
      if (master >= 0 && husk_foreground_winsize (&ws))
        ioctl (master, TIOCSWINSZ, &ws);
    }
  /* Blocked before start so that no signal (SIGCHLD included) is lost; the
   * container's processes start with an empty mask (stage 1 resets it). */
  sigfillset (&set);
  sigprocmask (SIG_BLOCK, &set, &old);
  if ((start_fd >= 0 ? husk_container_start_run (start_fd, err)
                     : husk_container_start (co.root, co.id, err))
      < 0)
    {
      husk_container_delete (co.root, co.id, true, NULL);
      sigprocmask (SIG_SETMASK, &old, NULL);
      goto fail;
    }
  *status = 0;
  if (!o->detach)
    {
      r = husk_foreground_wait (pid, master, status, err);
      if (!o->keep)
        husk_container_delete (co.root, co.id, true, NULL);
    }
  sigprocmask (SIG_SETMASK, &old, NULL);
  if (master >= 0)
    close (master);
  if (sv[0] >= 0)
    close (sv[0]);
  if (sv[1] >= 0)
    close (sv[1]);
  return r;
fail:
  if (sv[0] >= 0)
    close (sv[0]);
  if (sv[1] >= 0)
    close (sv[1]);
  return -1;
}
