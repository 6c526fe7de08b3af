#define _GNU_SOURCE
#include "linux/sync.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
  struct iovec iov[2] = { { &h, sizeof h }, { (void *) text, tlen } };
  struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
  ssize_t n;

  if (sizeof h + tlen > SYNC_MAX)
    {
      /* Never truncate silently: shorten and say so. */
      iov[1].iov_len = SYNC_MAX - sizeof h - 32;
    }
  do
    n = sendmsg (fd, &m, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return husk_error_set (err, errno, "sync: send message %d", (int) type);
  return 0;
}

int
husk_sync_recv (int fd, struct husk_sync_msg *msg, const char *what, struct husk_error **err)
{
  struct wire_header h;
  char *buf;
  ssize_t n;
  struct iovec iov[2];
  struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };

  memset (msg, 0, sizeof *msg);
  buf = malloc (SYNC_MAX);
  if (buf == NULL)
    return husk_error_set (err, ENOMEM, "sync: allocate");
  iov[0] = (struct iovec){ &h, sizeof h };
  iov[1] = (struct iovec){ buf, SYNC_MAX - 1 };
  do
    n = recvmsg (fd, &m, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      free (buf);
      return husk_error_set (err, errno, "sync: receive (%s)", what);
    }
  if (n == 0)
    {
      free (buf);
      return husk_error_set (err, 0, "container init exited before %s", what);
    }
  if ((size_t) n < sizeof h || (m.msg_flags & MSG_TRUNC))
    {
      free (buf);
      return husk_error_set (err, EPROTO, "sync: malformed message (%s)", what);
    }
  buf[n - sizeof h] = '\0';
  msg->type = h.type;
  msg->errnum = h.errnum;
  msg->value = h.value;
  msg->text = buf;
  if (h.type == HUSK_SYNC_ERROR)
    {
      husk_error_set (err, h.errnum, "%s", buf);
      free (buf);
      msg->text = NULL;
      return -1;
    }
  return 0;
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
