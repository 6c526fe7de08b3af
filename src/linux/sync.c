#define _GNU_SOURCE
#include "linux/sync.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/log.h"
#include "util/xalloc.h"

/* Wire format: a fixed header followed by the text bytes (no NUL). */
struct wire_header
{
  uint32_t type;
  int32_t errnum;
  int64_t value;
};

#define SYNC_MAX (64 * 1024)

int
husk_sync_send (int fd, enum husk_sync_type type, int errnum, int64_t value,
                const char *text, struct husk_error **err)
{
  struct wire_header h = { .type = type, .errnum = errnum, .value = value };
  size_t tlen = text ? strlen (text) : 0;
  struct iovec iov[4] = { { &h, sizeof h }, { (void *) text, tlen } };
  struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
  char marker[64];
  ssize_t n;

  if (sizeof h + tlen > SYNC_MAX)
    {
      /* Never truncate silently: keep the head (what failed) and the tail (often
       * the reason), and say how much of the middle is gone. */
      size_t keep = (SYNC_MAX - sizeof h - sizeof marker) / 2;
      int ml = snprintf (marker, sizeof marker, " [... %zu bytes elided ...] ", tlen - 2 * keep);

      iov[1].iov_len = keep;
      iov[2] = (struct iovec){ marker, (size_t) ml };
      iov[3] = (struct iovec){ (void *) (text + tlen - keep), keep };
      m.msg_iovlen = 4;
    }
  do
    n = sendmsg (fd, &m, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return husk_error_set (err, errno, "sync: send message %d", (int) type);
  return 0;
}

int
husk_sync_send_fd (int fd, enum husk_sync_type type, int pass_fd, struct husk_error **err)
{
  struct wire_header h = { .type = type };
  struct iovec iov = { &h, sizeof h };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                      .msg_controllen = sizeof ctl.buf };
  struct cmsghdr *c = CMSG_FIRSTHDR (&m);
  ssize_t n;

  memset (&ctl, 0, sizeof ctl);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &pass_fd, sizeof (int));
  do
    n = sendmsg (fd, &m, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return husk_error_set (err, errno, "sync: send message %d with fd", (int) type);
  return 0;
}

/* The fd of an SCM_RIGHTS message, or -1.  Only one fd is ever sent; should a
 * peer send more, the others are closed rather than leaked. */
static int
take_passed_fd (struct msghdr *m)
{
  int fd = -1;

  for (struct cmsghdr *c = CMSG_FIRSTHDR (m); c; c = CMSG_NXTHDR (m, c))
    {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        continue;
      size_t nfds = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
      for (size_t i = 0; i < nfds; i++)
        {
          int f;
          memcpy (&f, CMSG_DATA (c) + i * sizeof (int), sizeof (int));
          if (fd < 0)
            fd = f;
          else
            close (f);
        }
    }
  return fd;
}

static int
recv_one (int fd, struct husk_sync_msg *msg, const char *what, struct husk_error **err)
{
  /* One receive buffer for the process (husk is single-threaded): a 64 KiB
   * malloc per message would be an mmap and a munmap each time. */
  static char buf[SYNC_MAX];
  struct wire_header h;
  ssize_t n;
  struct iovec iov[2];
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2, .msg_control = ctl.buf,
                      .msg_controllen = sizeof ctl.buf };
  /* A child that exited with a message of ours unread leaves ECONNRESET on
   * our end, reported once by the next receive; what it sent before it
   * exited (its ERROR) is still queued behind it. */
  int reset_seen = 0;

  memset (msg, 0, sizeof *msg);
  msg->fd = -1;
  iov[0] = (struct iovec){ &h, sizeof h };
  iov[1] = (struct iovec){ buf, SYNC_MAX - 1 };
  do
    n = recvmsg (fd, &m, MSG_CMSG_CLOEXEC);
  while (n < 0 && (errno == EINTR || (errno == ECONNRESET && !reset_seen++)));
  if (n < 0)
    return husk_error_set (err, errno, "sync: receive (%s)", what);
  if (n == 0)
    return husk_error_set (err, 0, "container init exited before %s", what);
  msg->fd = take_passed_fd (&m);
  if ((size_t) n < sizeof h || (m.msg_flags & MSG_TRUNC))
    {
      if (msg->fd >= 0)
        close (msg->fd);
      msg->fd = -1;
      return husk_error_set (err, EPROTO, "sync: malformed message (%s)", what);
    }
  bool carries_fd = h.type == HUSK_SYNC_SECCOMP_FD || h.type == HUSK_SYNC_MOUNT_FD;
  if (carries_fd && msg->fd < 0)
    return husk_error_set (err, EPROTO, "sync: message %d without its fd (%s)", (int) h.type, what);
  if (!carries_fd && msg->fd >= 0)
    {
      close (msg->fd);
      msg->fd = -1;
    }
  buf[n - sizeof h] = '\0';
  msg->type = h.type;
  msg->errnum = h.errnum;
  msg->value = h.value;
  if (h.type == HUSK_SYNC_ERROR)
    return husk_error_set (err, h.errnum, "%s", buf);
  msg->text = xmalloc ((size_t) n - sizeof h + 1);
  memcpy (msg->text, buf, (size_t) n - sizeof h + 1);
  return 0;
}

static void
log_forwarded (struct husk_sync_msg *msg)
{
  if (msg->value == HUSK_SYNC_LOG_WARNING)
    husk_warn ("%s", msg->text ? msg->text : "");
  else
    husk_debug ("%s", msg->text ? msg->text : "");
  free (msg->text);
  msg->text = NULL;
}

int
husk_sync_recv (int fd, struct husk_sync_msg *msg, const char *what, struct husk_error **err)
{
  for (;;)
    {
      if (recv_one (fd, msg, what, err) < 0)
        return -1;
      if (msg->type != HUSK_SYNC_LOG)
        return 0;
      log_forwarded (msg);
    }
}

int
husk_sync_recv_or_eof (int fd, struct husk_sync_msg *msg, const char *what,
                       struct husk_error **err)
{
  for (;;)
    {
      char c;
      ssize_t n;
      int reset_seen = 0; /* see recv_one */

      do
        n = recv (fd, &c, 1, MSG_PEEK);
      while (n < 0 && (errno == EINTR || (errno == ECONNRESET && !reset_seen++)));
      if (n == 0)
        return 0;
      if (n < 0)
        return husk_error_set (err, errno, "sync: receive (%s)", what);
      if (recv_one (fd, msg, what, err) < 0)
        return -1;
      if (msg->type != HUSK_SYNC_LOG)
        return 1;
      log_forwarded (msg);
    }
}

static int log_sync_fd = -1;

static void
forward_log (bool warning, const char *text)
{
  if (log_sync_fd >= 0)
    husk_sync_send (log_sync_fd, HUSK_SYNC_LOG, 0,
                    warning ? HUSK_SYNC_LOG_WARNING : HUSK_SYNC_LOG_DEBUG, text, NULL);
}

void
husk_sync_forward_log (int fd)
{
  log_sync_fd = fd;
  husk_log_detach (fd >= 0 ? forward_log : NULL);
}

int
husk_sync_expect (int fd, enum husk_sync_type type, struct husk_sync_msg *msg,
                  const char *what, struct husk_error **err)
{
  if (husk_sync_recv (fd, msg, what, err) < 0)
    return -1;
  if (msg->type != type)
    {
      int got = msg->type;
      free (msg->text);
      msg->text = NULL;
      /* A passed fd we did not ask for is not ours to keep. */
      if (msg->fd >= 0)
        close (msg->fd);
      msg->fd = -1;
      return husk_error_set (err, EPROTO, "sync: expected message %d (%s), got %d", (int) type,
                             what, got);
    }
  return 0;
}

void
husk_sync_fail (int fd, struct husk_error *err)
{
  if (err)
    husk_sync_send (fd, HUSK_SYNC_ERROR, err->errnum, 0, err->msg, NULL);
  else
    husk_sync_send (fd, HUSK_SYNC_ERROR, 0, 0, "container init failed", NULL);
  _exit (1);
}
