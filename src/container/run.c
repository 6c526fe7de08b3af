/* husk run: create + start, then (unless detached) stay as the init's reaper:
 * forward signals to it, proxy its pty when it has one, and exit with its status. */
#define _GNU_SOURCE
#include "container/container.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/log.h"

struct run_loop
{
  pid_t pid;
  int sfd;
  int master; /* pty master or -1 */
  bool done;
  int status;
};

static void
copy_winsize (int master)
{
  struct winsize ws;

  if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
    ioctl (master, TIOCSWINSZ, &ws);
}

static void
pump (int from, int to, int *from_open)
{
  char buf[8192];
  ssize_t n = read (from, buf, sizeof buf);

  if (n <= 0)
    {
      *from_open = 0;
      return;
    }
  for (ssize_t off = 0; off < n;)
    {
      ssize_t w = write (to, buf + off, (size_t) (n - off));
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return;
      off += w;
    }
}

static void
handle_signal (struct run_loop *l)
{
  struct signalfd_siginfo si;
  int st;
  pid_t w;

  if (read (l->sfd, &si, sizeof si) != sizeof si)
    return;
  if (si.ssi_signo != SIGCHLD)
    {
      if (si.ssi_signo == SIGWINCH && l->master >= 0)
        copy_winsize (l->master);
      else
        kill (l->pid, (int) si.ssi_signo);
      return;
    }
  /* We are the subreaper: reap everything, note the init. */
  while ((w = waitpid (-1, &st, WNOHANG)) > 0)
    if (w == l->pid)
      {
        l->done = true;
        l->status = WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
      }
}

static void
event_loop (struct run_loop *l)
{
  int in_open = l->master >= 0, out_open = l->master >= 0;

  while (!l->done || out_open)
    {
      struct pollfd p[3] = { { l->sfd, POLLIN, 0 }, { in_open ? 0 : -1, POLLIN, 0 },
                             { out_open ? l->master : -1, POLLIN, 0 } };
      /* Once the init is gone, drain what is left of its output, then stop. */
      if (poll (p, 3, l->done ? 100 : -1) <= 0)
        {
          if (l->done)
            break;
          continue;
        }
      if (p[0].revents & POLLIN)
        handle_signal (l);
      if (p[1].revents & (POLLIN | POLLHUP))
        pump (0, l->master, &in_open);
      if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
        pump (l->master, 1, &out_open);
    }
}

static int
wait_foreground (pid_t pid, int master, int *status)
{
  sigset_t set;
  struct run_loop l = { .pid = pid, .master = master };
  struct termios saved, raw;
  bool restore = false;

  sigfillset (&set);
  l.sfd = signalfd (-1, &set, SFD_CLOEXEC);
  if (master >= 0 && isatty (0) && tcgetattr (0, &saved) == 0)
    {
      raw = saved;
      cfmakeraw (&raw);
      restore = tcsetattr (0, TCSANOW, &raw) == 0;
      copy_winsize (master);
    }
  event_loop (&l);
  if (restore)
    tcsetattr (0, TCSANOW, &saved);
  close (l.sfd);
  *status = l.status;
  return 0;
}

int
husk_container_run (const struct husk_run_opts *o, int *status, struct husk_error **err)
{
  struct husk_create_opts co = o->create;
  int sv[2] = { -1, -1 }, master = -1;
  sigset_t set, old;
  pid_t pid;

  /* In the foreground without a console socket, husk itself holds the pty. */
  if (!o->detach && co.console_socket == NULL)
    {
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return husk_error_set (err, errno, "socketpair");
      co.console_fd = sv[1];
    }
  if (husk_container_create (&co, &pid, err) < 0)
    goto fail;
  if (sv[0] >= 0)
    {
      /* The process sent it (with its pts path) before it reported ready. */
      char name[256];
      master = husk_recv_fd (sv[0], name, sizeof name, NULL, MSG_DONTWAIT);
    }
  /* Blocked before start so that no signal (SIGCHLD included) is lost; the
   * container's processes start with an empty mask (stage 1 resets it). */
  sigfillset (&set);
  sigprocmask (SIG_BLOCK, &set, &old);
  if (husk_container_start (co.root, co.id, err) < 0)
    {
      husk_container_delete (co.root, co.id, true, NULL);
      sigprocmask (SIG_SETMASK, &old, NULL);
      goto fail;
    }
  *status = 0;
  if (!o->detach)
    {
      wait_foreground (pid, master, status);
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
  return 0;
fail:
  if (sv[0] >= 0)
    close (sv[0]);
  if (sv[1] >= 0)
    close (sv[1]);
  return -1;
}
