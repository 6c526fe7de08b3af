/* OCI hooks: fork, feed the state on stdin, wait with a deadline, reap.
 *
 * The parent multiplexes three things with poll(2): writing the state into the
 * hook's stdin (non-blocking, so a hook that never reads cannot wedge us on a
 * full pipe), reading the hook's stderr (copied through to our stderr, its tail
 * kept for the error message) and the hook's exit, seen through a pidfd.  The
 * hook's stdout goes to our stderr: our stdout may belong to a caller that parses
 * it.  Every path after fork() reaps the child. */
#define _GNU_SOURCE
#include "linux/hooks.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux/sys.h"
#include "util/cleanup.h"
#include "util/log.h"

/* How much of the hook's stderr we keep to quote its last line. */
#define HOOK_TAIL_MAX 4096

struct hook_run
{
  pid_t pid;
  int pidfd; /* -1 when the kernel has no pidfd_open: poll with a tick then */
  int stdin_fd;
  int stderr_fd;
  const char *input;
  size_t input_left;
  char tail[HOOK_TAIL_MAX + 1]; /* + the terminator tail_last_line() writes */
  size_t tail_len;
  bool exited;
  int status;
};

static int
move_above_stdio (int fd)
{
  /* In the child: a pipe end that landed on 0..2 (husk started with closed
   * stdio) would be clobbered by the dup2() calls below. */
  if (fd > 2)
    return fd;
  return fcntl (fd, F_DUPFD_CLOEXEC, 3);
}

static void __attribute__ ((noreturn))
hook_child (const struct oci_hook *h, char *const *default_env, int in_fd, int err_fd, int errpipe)
{
  char *default_args[2] = { h->path, NULL };
  char *empty_env[1] = { NULL };
  char **args = (h->args && h->args[0]) ? h->args : default_args;
  char *const *env = (h->env && h->env[0]) ? h->env : default_env ? default_env : empty_env;
  sigset_t none;
  int e;

  in_fd = move_above_stdio (in_fd);
  err_fd = move_above_stdio (err_fd);
  errpipe = move_above_stdio (errpipe);
  if (in_fd < 0 || err_fd < 0 || errpipe < 0)
    goto fail;
  /* stdout first, while fd 2 is still husk's stderr. */
  if (dup2 (STDERR_FILENO, STDOUT_FILENO) < 0)
    {
      int null = openat (AT_FDCWD, "/dev/null", O_WRONLY | O_CLOEXEC);
      if (null < 0 || dup2 (null, STDOUT_FILENO) < 0)
        goto fail;
    }
  if (dup2 (in_fd, STDIN_FILENO) < 0 || dup2 (err_fd, STDERR_FILENO) < 0)
    goto fail;
  /* Nothing of husk's survives into the hook: no stray fd, no signal mask
   * (the parent may block SIGPIPE), no ignored SIGPIPE. */
  close_range (3, ~0U, CLOSE_RANGE_CLOEXEC);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  signal (SIGPIPE, SIG_DFL);
  execve (h->path, args, env);
fail:
  e = errno;
  if (errpipe >= 0)
    (void) !write (errpipe, &e, sizeof e);
  _exit (127);
}

static int
open_pidfd (pid_t pid)
{
#ifdef SYS_pidfd_open
  int fd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (fd >= 0)
    fcntl (fd, F_SETFD, FD_CLOEXEC);
  return fd;
#else
  (void) pid;
  errno = ENOSYS;
  return -1;
#endif
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
write_all_fd (int fd, const char *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      buf += n;
      len -= (size_t) n;
    }
}

static void
keep_tail (struct hook_run *r, const char *buf, size_t len)
{
  if (len >= HOOK_TAIL_MAX)
    {
      memcpy (r->tail, buf + len - HOOK_TAIL_MAX, HOOK_TAIL_MAX);
      r->tail_len = HOOK_TAIL_MAX;
      return;
    }
  if (r->tail_len + len > HOOK_TAIL_MAX)
    {
      size_t drop = r->tail_len + len - HOOK_TAIL_MAX;
      memmove (r->tail, r->tail + drop, r->tail_len - drop);
      r->tail_len -= drop;
    }
  memcpy (r->tail + r->tail_len, buf, len);
  r->tail_len += len;
}

/* Read what the hook wrote on stderr, pass it on, keep the tail.  Closes the fd
 * at EOF or on error. */
static void
pump_stderr (struct hook_run *r)
{
  char buf[4096];

  for (;;)
    {
      ssize_t n = read (r->stderr_fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return;
      if (n <= 0)
        {
          close (r->stderr_fd);
          r->stderr_fd = -1;
          return;
        }
      write_all_fd (STDERR_FILENO, buf, (size_t) n);
      keep_tail (r, buf, (size_t) n);
    }
}

/* Write as much of the state as the pipe takes.  EPIPE (the hook closed its
 * stdin or exited without reading) is not an error: runc ignores it too.  The
 * caller blocks SIGPIPE around this. */
static void
pump_stdin (struct hook_run *r)
{
  while (r->input_left > 0)
    {
      ssize_t n = write (r->stdin_fd, r->input, r->input_left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return;
      if (n <= 0)
        break;
      r->input += n;
      r->input_left -= (size_t) n;
    }
  close (r->stdin_fd);
  r->stdin_fd = -1;
}

static int
try_reap (struct hook_run *r, int flags)
{
  pid_t got;

  do
    got = waitpid (r->pid, &r->status, flags);
  while (got < 0 && errno == EINTR);
  if (got < 0)
    return -1;
  if (got == r->pid)
    r->exited = true;
  return 0;
}

static void
kill_and_reap (struct hook_run *r)
{
  if (r->exited)
    return;
  kill (r->pid, SIGKILL);
  try_reap (r, 0);
  r->exited = true;
}

/* Drive the hook until it exits or the deadline (ms on CLOCK_MONOTONIC, or -1)
 * passes.  Returns 1 when it timed out (killed and reaped), 0 when it exited,
 * -1 with errno on a failure of ours (the child is killed and reaped). */
static int
hook_wait (struct hook_run *r, int64_t deadline)
{
  while (!r->exited)
    {
      struct pollfd fds[3];
      nfds_t nfds = 0;
      int timeout = -1, ret;
      int i_pid = -1, i_in = -1, i_err = -1;

      if (r->pidfd >= 0)
        {
          i_pid = (int) nfds;
          fds[nfds++] = (struct pollfd){ .fd = r->pidfd, .events = POLLIN };
        }
      else
        timeout = 20; /* no pidfd: tick and waitpid(WNOHANG) */
      if (r->stdin_fd >= 0)
        {
          i_in = (int) nfds;
          fds[nfds++] = (struct pollfd){ .fd = r->stdin_fd, .events = POLLOUT };
        }
      if (r->stderr_fd >= 0)
        {
          i_err = (int) nfds;
          fds[nfds++] = (struct pollfd){ .fd = r->stderr_fd, .events = POLLIN };
        }
      if (deadline >= 0)
        {
          int64_t left = deadline - now_ms ();
          if (left <= 0)
            {
              kill_and_reap (r);
              return 1;
            }
          if (timeout < 0 || left < timeout)
            timeout = (int) (left > INT32_MAX ? INT32_MAX : left);
        }

      ret = poll (fds, nfds, timeout);
      if (ret < 0 && errno == EINTR)
        continue;
      if (ret < 0)
        {
          int saved = errno;
          kill_and_reap (r);
          errno = saved;
          return -1;
        }
      if (i_in >= 0 && fds[i_in].revents)
        pump_stdin (r);
      if (i_err >= 0 && fds[i_err].revents)
        pump_stderr (r);
      if (i_pid < 0 || fds[i_pid].revents)
        if (try_reap (r, WNOHANG) < 0)
          {
            int saved = errno;
            kill_and_reap (r);
            errno = saved;
            return -1;
          }
    }
  return 0;
}

/* The last non-empty line of the hook's stderr, in place in r->tail. */
static const char *
tail_last_line (struct hook_run *r)
{
  size_t end = r->tail_len, start;

  while (end > 0 && (r->tail[end - 1] == '\n' || r->tail[end - 1] == '\r'))
    end--;
  if (end == 0)
    return NULL;
  start = end;
  while (start > 0 && r->tail[start - 1] != '\n')
    start--;
  r->tail[end] = '\0';
  return r->tail + start;
}

/* The failure in the words of runc's (Go's) messages, which callers match on:
 * "exit status N", "signal: bad system call", "exec PATH: REASON"; prefixed by
 * the hook's path, and followed by the last line of its stderr. */
static int
hook_result (struct hook_run *r, int exec_errno, bool timed_out, const struct oci_hook *h,
             struct husk_error **err)
{
  const char *line;
  char status[80];

  if (exec_errno)
    return husk_error_set (err, exec_errno, "exec %s", h->path);
  if (timed_out)
    return husk_error_set (err, 0, "%s: hook ran past specified timeout of %d.0s", h->path,
                           h->timeout);
  if (WIFEXITED (r->status) && WEXITSTATUS (r->status) == 0)
    return 0;
  if (WIFSIGNALED (r->status))
    {
      /* Go's names are strsignal's in lower case: "bad system call". */
      size_t at = sizeof "signal: " - 1;
      snprintf (status, sizeof status, "signal: %s", strsignal (WTERMSIG (r->status)));
      status[at] = (char) tolower ((unsigned char) status[at]);
    }
  else
    snprintf (status, sizeof status, "exit status %d", WEXITSTATUS (r->status));
  line = tail_last_line (r);
  if (line)
    return husk_error_set (err, 0, "%s: %s, stderr: %s", h->path, status, line);
  return husk_error_set (err, 0, "%s: %s", h->path, status);
}

/* stdin, stderr, and the exec-error channel of the child; all close-on-exec. */
static int
open_pipes (int pipes[3][2])
{
  int i, j, saved;

  for (i = 0; i < 3; i++)
    if (pipe2 (pipes[i], O_CLOEXEC) < 0)
      {
        saved = errno;
        for (j = 0; j < i; j++)
          {
            close (pipes[j][0]);
            close (pipes[j][1]);
          }
        errno = saved;
        return -1;
      }
  return 0;
}

static int
run_hook (const struct oci_hook *h, char *const *default_env, const char *state_json,
          struct husk_error **err)
{
  int pipes[3][2], *in_pipe = pipes[0], *err_pipe = pipes[1], *exec_pipe = pipes[2];
  cleanup_close int exec_r = -1;
  struct hook_run r = { .pidfd = -1, .stdin_fd = -1, .stderr_fd = -1 };
  sigset_t pipe_set, old_mask, pending;
  bool pipe_was_pending;
  int64_t deadline = -1;
  int exec_errno = 0, ret;
  ssize_t n;

  if (open_pipes (pipes) < 0)
    return husk_error_set (err, errno, "pipe");
  r.pid = fork ();
  if (r.pid == 0)
    hook_child (h, default_env, in_pipe[0], err_pipe[1], exec_pipe[1]);
  ret = errno;
  close (in_pipe[0]);
  close (err_pipe[1]);
  close (exec_pipe[1]);
  exec_r = exec_pipe[0];
  r.stdin_fd = in_pipe[1];
  r.stderr_fd = err_pipe[0];
  if (r.pid < 0)
    {
      close (r.stdin_fd);
      close (r.stderr_fd);
      return husk_error_set (err, ret, "fork");
    }

  r.pidfd = open_pidfd (r.pid);
  r.input = state_json ? state_json : "";
  r.input_left = strlen (r.input);
  fcntl (r.stdin_fd, F_SETFL, O_NONBLOCK);
  fcntl (r.stderr_fd, F_SETFL, O_NONBLOCK);
  if (h->has_timeout && h->timeout > 0)
    deadline = now_ms () + (int64_t) h->timeout * 1000;

  /* A hook that exits without reading its stdin makes our write fail with
   * EPIPE; block SIGPIPE meanwhile and swallow the one we caused, so that it is
   * not delivered when the mask is restored. */
  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  sigprocmask (SIG_BLOCK, &pipe_set, &old_mask);
  sigpending (&pending);
  pipe_was_pending = sigismember (&pending, SIGPIPE);

  ret = hook_wait (&r, deadline);
  if (ret < 0)
    ret = -errno;

  sigpending (&pending);
  if (!pipe_was_pending && sigismember (&pending, SIGPIPE))
    {
      struct timespec zero = { 0, 0 };
      sigtimedwait (&pipe_set, NULL, &zero);
    }
  sigprocmask (SIG_SETMASK, &old_mask, NULL);

  /* The hook is gone: take what its stderr still holds, without waiting for a
   * grandchild that may keep the pipe open. */
  if (r.stderr_fd >= 0)
    {
      pump_stderr (&r);
      if (r.stderr_fd >= 0)
        close (r.stderr_fd);
    }
  if (r.stdin_fd >= 0)
    close (r.stdin_fd);
  if (r.pidfd >= 0)
    close (r.pidfd);
  if (ret < 0)
    return husk_error_set (err, -ret, "wait for hook");

  /* Both write ends are closed now (exec or exit closed the child's copy). */
  do
    n = read (exec_r, &exec_errno, sizeof exec_errno);
  while (n < 0 && errno == EINTR);
  if (n != (ssize_t) sizeof exec_errno)
    exec_errno = 0;
  return hook_result (&r, exec_errno, ret == 1, h, err);
}

int
husk_hooks_run_env (const struct oci_hook *hooks, size_t n, const char *kind,
                    const char *state_json, char *const *default_env, struct husk_error **err)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      husk_debug ("running %s hook #%zu (%s)", kind, i, hooks[i].path);
      if (run_hook (&hooks[i], default_env, state_json, err) < 0)
        return husk_error_wrap (err, "error running %s hook #%zu", kind, i);
    }
  return 0;
}

int
husk_hooks_run (const struct oci_hook *hooks, size_t n, const char *kind,
                const char *state_json, struct husk_error **err)
{
  return husk_hooks_run_env (hooks, n, kind, state_json, NULL, err);
}
