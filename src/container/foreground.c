/* The foreground of `run` and `exec` (without --detach): forward signals to the
 * process, proxy its pty when husk holds the master (a terminal and no
 * --console-socket), reap it and return its status.  One loop on a signalfd, a
 * pidfd, our stdin and the master. */
#define _GNU_SOURCE
#include "container/foreground.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "util/cleanup.h"

struct foreground
{
  pid_t pid;
  int pidfd; /* -1 without pidfd_open (Linux < 5.3): SIGCHLD still wakes us */
  int sfd;
  int master; /* -1: no pty of ours */
  bool in_open, out_open, done;
  int status;
};

bool
husk_foreground_winsize (struct winsize *ws)
{
  return isatty (STDIN_FILENO) && ioctl (STDIN_FILENO, TIOCGWINSZ, ws) == 0 && ws->ws_row > 0
         && ws->ws_col > 0;
}

static void
copy_winsize (int master)
{
  struct winsize ws;

  if (husk_foreground_winsize (&ws))
    ioctl (master, TIOCSWINSZ, &ws);
}

/* The caller's terminal in raw mode while we proxy: every key, ^C included,
 * goes to the container's pty, whose own line discipline edits, echoes and
 * signals.  Output processing stays as it was (cfmakeraw clears OPOST only):
 * the pty we proxy adds no \r (husk_console_setup), so the caller's terminal
 * adds it once, as for any program (runc, containerd/console's SetRaw). */
static bool
make_raw (int master, struct termios *saved)
{
  struct termios raw;

  if (master < 0 || !isatty (STDIN_FILENO) || tcgetattr (STDIN_FILENO, saved) < 0)
    return false;
  raw = *saved;
  cfmakeraw (&raw);
  raw.c_oflag = saved->c_oflag;
  return tcsetattr (STDIN_FILENO, TCSANOW, &raw) == 0;
}

/* Copy what is readable from one fd to the other; false at end of input.
 * Output nobody reads any more (EPIPE) is dropped, so the process never
 * blocks on a full pty. */
static bool
pump (int from, int to)
{
  char buf[8192];
  ssize_t n = read (from, buf, sizeof buf);

  if (n <= 0)
    return n < 0 && (errno == EINTR || errno == EAGAIN);
  for (ssize_t off = 0; off < n;)
    {
      ssize_t w = write (to, buf + off, (size_t) (n - off));
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        break;
      off += w;
    }
  return true;
}

/* Every child that has exited: the process, and for `run` of a container in
 * the host's pid namespace the orphans that come to us as its subreaper. */
static void
reap_children (struct foreground *f)
{
  pid_t w;
  int st;

  while ((w = waitpid (-1, &st, WNOHANG)) > 0)
    if (w == f->pid)
      {
        f->done = true;
        f->status = WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
      }
}

static void
handle_signal (struct foreground *f)
{
  struct signalfd_siginfo si;
  int sig;

  if (read (f->sfd, &si, sizeof si) != sizeof si)
    return;
  sig = (int) si.ssi_signo;
  if (sig == SIGCHLD)
    reap_children (f);
  else if (sig == SIGWINCH && f->master >= 0)
    copy_winsize (f->master);
  /* Once reaped, its pid may be another process's: nothing more to send. */
  else if (!f->done && f->pidfd >= 0)
    syscall (SYS_pidfd_send_signal, f->pidfd, sig, NULL, 0);
  else if (!f->done)
    kill (f->pid, sig);
}

/* Until the process is gone, then until what is left of its output is read
 * (the pty hangs up, or stays quiet for 100 ms: a background process of the
 * container may keep it open). */
static int
event_loop (struct foreground *f, struct husk_error **err)
{
  while (!f->done || f->out_open)
    {
      struct pollfd p[4] = { { f->sfd, POLLIN, 0 },
                             { f->done ? -1 : f->pidfd, POLLIN, 0 },
                             { f->in_open ? STDIN_FILENO : -1, POLLIN, 0 },
                             { f->out_open ? f->master : -1, POLLIN, 0 } };
      int r = poll (p, 4, f->done ? 100 : -1);

      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return husk_error_set (err, errno, "wait for process %d", (int) f->pid);
      if (r == 0)
        break;
      if (p[0].revents & POLLIN)
        handle_signal (f);
      if (p[1].revents)
        reap_children (f);
      /* Any event (POLLNVAL for a closed stdin too) ends in a read that says. */
      if (p[2].revents)
        f->in_open = pump (STDIN_FILENO, f->master);
      if (p[3].revents)
        f->out_open = pump (f->master, STDOUT_FILENO);
    }
  return 0;
}

int
husk_foreground_wait (pid_t pid, int master, int *status, struct husk_error **err)
{
  struct foreground f = { .pid = pid, .master = master, .in_open = master >= 0,
                          .out_open = master >= 0 };
  cleanup_close int sfd = -1, pidfd = -1;
  struct termios saved;
  bool restore;
  sigset_t all;
  int r;

  sigfillset (&all);
  sfd = signalfd (-1, &all, SFD_CLOEXEC);
  if (sfd < 0)
    return husk_error_set (err, errno, "signalfd");
  /* Ours and not yet reaped, so the pid is still this process. */
  pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  f.sfd = sfd;
  f.pidfd = pidfd;
  restore = make_raw (master, &saved);
  if (master >= 0)
    copy_winsize (master);
  r = event_loop (&f, err);
  if (restore)
    tcsetattr (STDIN_FILENO, TCSANOW, &saved);
  if (r < 0)
    return -1;
  *status = f.status;
  return 0;
}
