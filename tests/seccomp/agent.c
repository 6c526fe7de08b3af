/* seccomp-agent: a small seccomp notify agent for husk's tests.
 *
 *   seccomp-agent [-e ERRNO | -c] SOCKET LOG
 *
 * Listens on the unix socket SOCKET (linux.seccomp.listenerPath), takes one
 * connection and receives what the runtime sends there, as runc does it: the
 * container process state JSON with the seccomp listener fd as SCM_RIGHTS.  Then
 * it answers every notified syscall:
 *
 *   (default)  success, return value 0, without running the syscall
 *   -e ERRNO   failure with ERRNO
 *   -c         SECCOMP_USER_NOTIF_FLAG_CONTINUE: the kernel runs the syscall
 *
 * It exits 0 when the listener hangs up (no process uses the filter any more).
 * LOG gets one line per event:
 *
 *   state <the JSON as received>
 *   fds <number of fds received>
 *   notify <syscall name> pid=<pid> path=<first string argument of mkdir/mkdirat>
 *   answer errno=<n> | answer val=0 | answer continue
 *   hup
 *
 * The socket is bound under a temporary name and renamed into place once it
 * listens, so a test may wait for SOCKET to exist and then connect. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdarg.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define STATE_MAX (64 * 1024)

static int log_fd = -1;

static void __attribute__ ((noreturn, format (printf, 1, 2)))
die (const char *fmt, ...)
{
  va_list ap;
  int e = errno;

  va_start (ap, fmt);
  fprintf (stderr, "seccomp-agent: ");
  vfprintf (stderr, fmt, ap);
  fprintf (stderr, ": %s\n", strerror (e));
  va_end (ap);
  exit (1);
}

static int
listen_on (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  char tmp[sizeof addr.sun_path];
  int fd;

  if (snprintf (tmp, sizeof tmp, "%s.tmp", path) >= (int) sizeof tmp)
    die ("socket path %s is too long", path);
  strcpy (addr.sun_path, tmp);
  unlink (tmp);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (fd, 4) < 0)
    die ("listen on %s", tmp);
  if (rename (tmp, path) < 0)
    die ("rename %s", tmp);
  return fd;
}

/* One message: the state JSON and the listener fd. */
static int
receive_listener (int conn)
{
  static char state[STATE_MAX];
  union
  {
    char buf[CMSG_SPACE (4 * sizeof (int))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = { state, sizeof state - 1 };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                      .msg_controllen = sizeof ctl.buf };
  struct cmsghdr *c;
  int fd = -1, nfds = 0;
  ssize_t n;

  n = recvmsg (conn, &m, MSG_CMSG_CLOEXEC);
  if (n <= 0)
    die ("receive the state");
  state[n] = '\0';
  for (c = CMSG_FIRSTHDR (&m); c; c = CMSG_NXTHDR (&m, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        nfds = (int) ((c->cmsg_len - CMSG_LEN (0)) / sizeof (int));
        if (nfds > 0)
          memcpy (&fd, CMSG_DATA (c), sizeof fd);
      }
  dprintf (log_fd, "state %s\nfds %d\n", state, nfds);
  if (fd < 0)
    {
      errno = EPROTO;
      die ("no fd with the state");
    }
  return fd;
}

/* The string at addr in the target's memory, checked still valid afterwards. */
static void
read_path (int listener, const struct seccomp_notif *req, unsigned long addr, char *out,
           size_t len)
{
  char mem[64];
  int fd;
  ssize_t n;

  snprintf (mem, sizeof mem, "/proc/%u/mem", req->pid);
  out[0] = '\0';
  fd = open (mem, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  n = pread (fd, out, len - 1, (off_t) addr);
  close (fd);
  out[n > 0 ? n : 0] = '\0';
  /* The pid may have died and been reused while we read. */
  if (ioctl (listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0)
    out[0] = '\0';
}

static void
answer (int listener, struct seccomp_notif *req, struct seccomp_notif_resp *resp, int err_ret,
        bool cont)
{
  char *name = seccomp_syscall_resolve_num_arch (req->data.arch, req->data.nr);
  char path[4096] = "";

  if (req->data.nr == SYS_mkdir)
    read_path (listener, req, req->data.args[0], path, sizeof path);
  else if (req->data.nr == SYS_mkdirat)
    read_path (listener, req, req->data.args[1], path, sizeof path);
  dprintf (log_fd, "notify %s pid=%u path=%s\n", name ? name : "?", req->pid, path);
  free (name);
  resp->id = req->id;
  resp->val = 0;
  resp->error = cont ? 0 : -err_ret;
  resp->flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
  if (cont)
    dprintf (log_fd, "answer continue\n");
  else if (err_ret)
    dprintf (log_fd, "answer errno=%d\n", err_ret);
  else
    dprintf (log_fd, "answer val=0\n");
  /* ENOENT: the target was killed meanwhile. */
  if (ioctl (listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
    die ("answer notification");
}

static void
serve (int listener, int err_ret, bool cont)
{
  struct seccomp_notif_sizes sizes;
  struct seccomp_notif *req;
  struct seccomp_notif_resp *resp;

  if (syscall (SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
    die ("SECCOMP_GET_NOTIF_SIZES");
  req = calloc (1, sizes.seccomp_notif > sizeof *req ? sizes.seccomp_notif : sizeof *req);
  resp = calloc (1, sizes.seccomp_notif_resp > sizeof *resp ? sizes.seccomp_notif_resp
                                                            : sizeof *resp);
  if (req == NULL || resp == NULL)
    die ("calloc");
  for (;;)
    {
      struct pollfd p = { .fd = listener, .events = POLLIN };
      if (poll (&p, 1, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          die ("poll");
        }
      if (!(p.revents & POLLIN) && (p.revents & (POLLHUP | POLLERR)))
        break;
      memset (req, 0, sizes.seccomp_notif);
      if (ioctl (listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
        {
          if (errno == EINTR || errno == ENOENT)
            continue;
          die ("receive notification");
        }
      answer (listener, req, resp, err_ret, cont);
    }
  dprintf (log_fd, "hup\n");
  free (req);
  free (resp);
}

int
main (int argc, char **argv)
{
  int opt, err_ret = 0, sock, conn, listener;
  bool cont = false;

  while ((opt = getopt (argc, argv, "e:c")) != -1)
    {
      if (opt == 'e')
        err_ret = atoi (optarg);
      else if (opt == 'c')
        cont = true;
      else
        return 2;
    }
  if (argc - optind != 2)
    {
      fprintf (stderr, "usage: seccomp-agent [-e ERRNO | -c] SOCKET LOG\n");
      return 2;
    }
  log_fd = open (argv[optind + 1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0)
    die ("open %s", argv[optind + 1]);
  /* A test that goes wrong must not leave us behind. */
  alarm (60);
  sock = listen_on (argv[optind]);
  conn = accept4 (sock, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    die ("accept");
  listener = receive_listener (conn);
  close (conn);
  close (sock);
  unlink (argv[optind]);
  serve (listener, err_ret, cont);
  return 0;
}
