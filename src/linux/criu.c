/* The swrk session with CRIU: see criu.h.
 *
 *   husk                                  criu swrk 3
 *   socketpair(SEQPACKET), fork --------> joins the cgroup (restore), exec
 *   criu_req (DUMP, RESTORE, ...) ------>
 *                                 <------ criu_resp NOTIFY (script, pid[, fd])
 *   criu_req NOTIFY notify_success ----->    ... once per notification
 *                                 <------ criu_resp (the request's type)
 *   close; waitpid                        exits
 *
 * One packet is one message: SEQPACKET keeps the boundaries, so no length
 * prefix, and a message larger than our buffer is seen (MSG_TRUNC) and refused
 * rather than cut. */
#define _GNU_SOURCE
#include "linux/criu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/spawn.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

#define CRIU_NEEDED "checkpoint and restore need criu 3.0 or later (Debian: apt-get install criu)"

char *
husk_criu_find (const char *criu, struct husk_error **err)
{
  const char *path = getenv ("PATH");
  const char *name = criu ? criu : "criu";
  char *p = NULL;

  if (strchr (name, '/'))
    {
      if (access (name, X_OK) < 0)
        return husk_error_set (err, errno, "criu `%s`: " CRIU_NEEDED, name), NULL;
      if ((p = xstrdup (name)) == NULL)
        abort ();
      return p;
    }
  if (path == NULL)
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const char *d = path; *d;)
    {
      size_t n = strcspn (d, ":");
      struct stat sb;
      if (n > 0)
        {
          xasprintf (&p, "%.*s/%s", (int) n, d, name);
          if (stat (p, &sb) == 0 && S_ISREG (sb.st_mode) && access (p, X_OK) == 0)
            return p;
          free (p);
          p = NULL;
        }
      d += n + (d[n] == ':');
    }
  husk_error_set (err, ENOENT, "%s not found in PATH: " CRIU_NEEDED, name);
  return NULL;
}

/* In the child: fds to their places, the cgroup, exec.  Errors go to errfd
 * (close-on-exec: EOF there means criu runs). */
__attribute__ ((noreturn)) static void
criu_child (const struct husk_criu_call *c, const char *bin, int sock, int errfd)
{
  struct husk_error *err = NULL;
  int n = 4 + (int) c->extra_len, fds[64], devnull;
  char msg[512];

  if (c->sigmask)
    sigprocmask (SIG_SETMASK, c->sigmask, NULL);
  if (husk_cgjoin_run (&c->cgroup, false, &err) < 0)
    goto fail;
  devnull = openat (AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC);
  /* Every source above the targets first, so that no dup2 overwrites one. */
  for (int i = 0; i < n; i++)
    {
      int src = i < 3 ? (c->stdio[i] >= 0 ? c->stdio[i] : devnull)
                      : i == 3 ? sock : c->extra_fds[i - 4];
      fds[i] = fcntl (src, F_DUPFD_CLOEXEC, 64 + n);
      if (fds[i] < 0)
        {
          husk_error_set (&err, errno, "criu: fd %d for its fd %d", src, i);
          goto fail;
        }
    }
  for (int i = 0; i < n; i++)
    if (dup2 (fds[i], i) < 0)
      {
        husk_error_set (&err, errno, "criu: dup2 to fd %d", i);
        goto fail;
      }
  husk_close_fds_from (n, &errfd, 1);
  execv (bin, (char *[]){ "criu", "swrk", "3", NULL });
  husk_error_set (&err, errno, "exec `%s`", bin);
fail:
  snprintf (msg, sizeof msg, "%d %s", err->errnum, err->msg);
  if (write (errfd, msg, strlen (msg)) < 0)
    _exit (126);
  _exit (127);
}

static pid_t
criu_start (const struct husk_criu_call *c, int *sock, struct husk_error **err)
{
  cleanup_free char *bin = husk_criu_find (c->criu, err);
  int sv[2], ep[2];
  char msg[512];
  ssize_t k;
  pid_t pid;

  if (bin == NULL)
    return -1;
  if (c->extra_len > 32)
    return husk_error_set (err, EINVAL, "criu: too many fds to pass (%zu)", c->extra_len);
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return husk_error_set (err, errno, "socketpair for criu");
  if (pipe2 (ep, O_CLOEXEC) < 0)
    {
      close (sv[0]);
      close (sv[1]);
      return husk_error_set (err, errno, "pipe for criu");
    }
  pid = fork ();
  if (pid == 0)
    {
      close (sv[0]);
      close (ep[0]);
      criu_child (c, bin, sv[1], ep[1]);
    }
  close (sv[1]);
  close (ep[1]);
  if (pid < 0)
    {
      close (sv[0]);
      close (ep[0]);
      return husk_error_set (err, errno, "fork criu");
    }
  do
    k = read (ep[0], msg, sizeof msg - 1);
  while (k < 0 && errno == EINTR);
  close (ep[0]);
  if (k > 0)
    {
      char *text;
      int e = (int) strtol ((msg[k] = '\0', msg), &text, 10);
      close (sv[0]);
      waitpid (pid, NULL, 0);
      return husk_error_set (err, e, "start criu: %s", *text ? text + 1 : text);
    }
  *sock = sv[0];
  return pid;
}

static int
send_req (int sock, const struct husk_criu_req *req, struct husk_error **err)
{
  struct husk_pb_buf b = { 0 };
  ssize_t k;

  husk_criu_req_encode (req, &b);
  k = send (sock, b.data, b.len, MSG_NOSIGNAL);
  husk_pb_buf_free (&b);
  if (k < 0)
    return husk_error_set (err, errno, "send the %s request to criu", husk_criu_type_name (req->type));
  return 0;
}

/* One message, and the fd that came with it (or -1).  0 at EOF. */
static ssize_t
recv_resp (int sock, unsigned char *buf, size_t len, int *fd, struct husk_error **err)
{
  char cbuf[CMSG_SPACE (sizeof (int) * 4)];
  struct iovec iov = { .iov_base = buf, .iov_len = len };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                       .msg_controllen = sizeof cbuf };
  ssize_t n;

  *fd = -1;
  do
    n = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return husk_error_set (err, errno, "receive from criu");
  for (struct cmsghdr *cm = CMSG_FIRSTHDR (&mh); cm; cm = CMSG_NXTHDR (&mh, cm))
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
      {
        size_t k = (cm->cmsg_len - CMSG_LEN (0)) / sizeof (int);
        int *p = (int *) CMSG_DATA (cm);
        for (size_t i = 0; i < k; i++)
          if (*fd < 0)
            *fd = p[i];
          else
            close (p[i]);
      }
  if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
    {
      if (*fd >= 0)
        close (*fd);
      return husk_error_set (err, EMSGSIZE, "a message of criu was larger than %zu bytes", len);
    }
  return n;
}

static int
resp_error (const struct husk_criu_call *c, const struct husk_criu_req *req,
            const struct husk_criu_resp *r, struct husk_error **err)
{
  return husk_error_set (err, r->cr_errno, "criu %s failed%s%s%s%s%s",
                         husk_criu_type_name (req->type), r->cr_errmsg ? ": " : "",
                         r->cr_errmsg ? r->cr_errmsg : "", c->log_path ? " (see its log `" : "",
                         c->log_path ? c->log_path : "", c->log_path ? "`)" : "");
}

/* The exchange after the request: notifications until the answer. */
static int
converse (const struct husk_criu_call *c, int sock, const struct husk_criu_req *req,
          struct husk_criu_resp *resp, struct husk_error **err)
{
  static unsigned char buf[65536];

  for (;;)
    {
      struct husk_criu_req ack = { .type = HUSK_CRIU_NOTIFY, .notify_success = true };
      int fd, r = 0;
      ssize_t n = recv_resp (sock, buf, sizeof buf, &fd, err);

      if (n < 0)
        return -1;
      if (n == 0)
        return husk_error_set (err, EPIPE, "criu %s: criu ended without an answer%s%s%s",
                               husk_criu_type_name (req->type), c->log_path ? " (see its log `" : "",
                               c->log_path ? c->log_path : "", c->log_path ? "`)" : "");
      if (husk_criu_resp_decode (buf, (size_t) n, resp) < 0)
        {
          if (fd >= 0)
            close (fd);
          return husk_error_set (err, EPROTO, "criu %s: a malformed answer (%zd bytes)",
                                 husk_criu_type_name (req->type), n);
        }
      if (!resp->success && resp->type != HUSK_CRIU_NOTIFY)
        {
          if (fd >= 0)
            close (fd);
          return resp_error (c, req, resp, err);
        }
      if (resp->type != HUSK_CRIU_NOTIFY)
        {
          if (fd >= 0)
            close (fd);
          if (resp->type != req->type)
            return husk_error_set (err, EPROTO, "criu answered %s to a %s request",
                                   husk_criu_type_name (resp->type),
                                   husk_criu_type_name (req->type));
          return 0;
        }
      husk_debug ("criu: notify %s (pid %d)", resp->notify_script ? resp->notify_script : "?",
                  resp->notify_pid);
      if (c->notify)
        r = c->notify (resp, fd, c->data, err);
      else if (fd >= 0)
        close (fd);
      husk_criu_resp_free (resp);
      /* A failed step is told to CRIU, which then undoes what it did. */
      ack.notify_success = r == 0;
      if (send_req (sock, &ack, r < 0 ? NULL : err) < 0 && r == 0)
        return -1;
      if (r < 0)
        return -1;
    }
}

int
husk_criu_call (const struct husk_criu_call *c, const struct husk_criu_req *req,
                struct husk_criu_resp *resp, struct husk_error **err)
{
  int sock = -1, status = 0, r;
  pid_t pid = criu_start (c, &sock, err);

  memset (resp, 0, sizeof *resp);
  if (pid < 0)
    return -1;
  r = send_req (sock, req, err);
  if (r == 0)
    r = converse (c, sock, req, resp, err);
  /* EOF on its socket ends swrk, whether it answered or not. */
  close (sock);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (r < 0)
    {
      husk_criu_resp_free (resp);
      return -1;
    }
  /* A pre-dump's criu may exit non-zero after a good answer (runc ignores it). */
  if (req->type != HUSK_CRIU_PRE_DUMP && !(WIFEXITED (status) && WEXITSTATUS (status) == 0))
    {
      husk_criu_resp_free (resp);
      if (WIFSIGNALED (status))
        return husk_error_set (err, 0, "criu %s: criu was killed by signal %d",
                               husk_criu_type_name (req->type), WTERMSIG (status));
      return husk_error_set (err, 0, "criu %s: criu exited with status %d",
                             husk_criu_type_name (req->type), WEXITSTATUS (status));
    }
  return 0;
}

int
husk_criu_version (const char *criu, int *version, struct husk_error **err)
{
  struct husk_criu_call c = { .criu = criu, .stdio = { -1, -1, -1 } };
  struct husk_criu_req req = { .type = HUSK_CRIU_VERSION };
  struct husk_criu_resp resp;
  struct husk_error *tmp = NULL;

  if (husk_criu_call (&c, &req, &resp, &tmp) < 0)
    {
      /* A criu older than 3.0 has no VERSION request. */
      if (tmp->errnum == ENOENT || tmp->errnum == EACCES)
        return husk_error_propagate (err, &tmp);
      husk_error_wrap (&tmp, "criu is too old or broken: " CRIU_NEEDED);
      return husk_error_propagate (err, &tmp);
    }
  if (!resp.has_version)
    {
      husk_criu_resp_free (&resp);
      return husk_error_set (err, EPROTO, "criu sent no version: " CRIU_NEEDED);
    }
  *version = resp.major * 10000 + resp.minor * 100 + resp.sublevel;
  husk_criu_resp_free (&resp);
  return 0;
}

int
husk_criu_require (const char *criu, int min, struct husk_error **err)
{
  int v;

  if (husk_criu_version (criu, &v, err) < 0)
    return -1;
  if (v < min)
    return husk_error_set (err, 0, "criu %d.%d.%d is too old: this needs criu %d.%d.%d or later",
                           v / 10000, v / 100 % 100, v % 100, min / 10000, min / 100 % 100,
                           min % 100);
  return 0;
}

int
husk_criu_check (const char *criu, struct husk_error **err)
{
  /* `criu check` itself, judged by its exit status alone (its output is
   * discarded): CRIU's RPC CHECK does not run the same checks as the
   * command, and it is the command that says whether dump and restore
   * will work here. */
  cleanup_free char *bin = husk_criu_find (criu, err);
  int status = 0;
  pid_t pid;

  if (bin == NULL)
    return -1;
  pid = fork ();
  if (pid < 0)
    return husk_error_set (err, errno, "fork criu check");
  if (pid == 0)
    {
      int fd = openat (AT_FDCWD, "/dev/null", O_RDWR);
      if (fd >= 0)
        {
          dup2 (fd, 0);
          dup2 (fd, 1);
          dup2 (fd, 2);
        }
      execv (bin, (char *[]){ "criu", "check", NULL });
      _exit (127);
    }
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return husk_error_set (err, 0, "`criu check` fails on this kernel");
  return 0;
}
