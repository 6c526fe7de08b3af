/* A D-Bus connection over a unix socket (dbus.h): connect, authenticate,
 * call, wait for signals.  One thread, poll with a deadline for every wait. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/dbus.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

/* An authentication reply longer than this is no server's. */
#define AUTH_MAX 1024

struct husk_dbus
{
  int fd;
  bool bus;
  uint32_t serial;
  uint8_t *in; /* bytes read and not yet consumed */
  size_t in_n, in_cap;
  void (*on_signal) (void *data, const struct dbus_msg *m);
  void *signal_data;
  /* The call husk_dbus_close sends (a serial of its own then, as sd-bus). */
  struct dbus_call close_call;
  struct dbus_buf close_body;
  bool has_close;
  char *addr; /* the address connected to, for errors */
};

uint64_t
dbus_now_usec (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* --- addresses -------------------------------------------------------- */

char *
husk_dbus_unix_address (const char *path)
{
  static const char hex[] = "0123456789abcdef";
  char *out = xmalloc (strlen ("unix:path=") + strlen (path) * 3 + 1), *o;

  o = stpcpy (out, "unix:path=");
  /* Bytes other than [-0-9A-Za-z_/.\\] as %xx (the specification's
   * "optionally escaped" set). */
  for (const unsigned char *p = (const unsigned char *) path; *p; p++)
    if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
        || strchr ("-_/.\\", *p))
      *o++ = (char) *p;
    else
      {
        *o++ = '%';
        *o++ = hex[*p >> 4];
        *o++ = hex[*p & 15];
      }
  *o = '\0';
  return out;
}

char *
husk_dbus_system_address (void)
{
  const char *e = secure_getenv ("DBUS_SYSTEM_BUS_ADDRESS");
  return xstrdup (e ? e : "unix:path=/run/dbus/system_bus_socket");
}

char *
husk_dbus_session_address (struct husk_error **err)
{
  const char *e = secure_getenv ("DBUS_SESSION_BUS_ADDRESS"), *xdg;
  cleanup_free char *bus = NULL;

  if (e)
    return xstrdup (e);
  xdg = secure_getenv ("XDG_RUNTIME_DIR");
  if (xdg == NULL)
    {
      husk_error_set (err, ENOMEDIUM, "d-bus: no session bus: XDG_RUNTIME_DIR is not set");
      return NULL;
    }
  bus = xconcat (xdg, "/bus", NULL);
  return husk_dbus_unix_address (bus);
}

static int
unhex (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* One address "unix:key=value,...": 1 with *sa for path= or abstract=, 0
 * for another transport or key set (skipped, as sd-bus skips what it cannot
 * use), -1 for a malformed one. */
static int
parse_unix (const char *a, size_t n, struct sockaddr_un *sa, socklen_t *len)
{
  size_t i = 5, o = 0;
  bool abstract = false, found = false;

  if (n < 5 || memcmp (a, "unix:", 5) != 0)
    return 0;
  *sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
  while (i < n)
    {
      const char *eq = memchr (a + i, '=', n - i);
      size_t klen, end;
      bool want;

      if (eq == NULL)
        return -1;
      klen = (size_t) (eq - (a + i));
      want = (klen == 4 && memcmp (a + i, "path", 4) == 0)
             || (klen == 8 && memcmp (a + i, "abstract", 8) == 0);
      if (want && found)
        return -1;
      if (want)
        {
          found = true;
          abstract = klen == 8;
          o = abstract ? 1 : 0; /* an abstract name starts with a NUL */
        }
      for (end = klen + i + 1; end < n && a[end] != ','; end++)
        {
          char c = a[end];
          if (c == '%')
            {
              int h, l;
              if (end + 2 >= n || (h = unhex (a[end + 1])) < 0 || (l = unhex (a[end + 2])) < 0)
                return -1;
              c = (char) (h << 4 | l);
              end += 2;
            }
          if (want)
            {
              if (o >= sizeof sa->sun_path - 1 || (c == '\0' && !abstract))
                return -1;
              sa->sun_path[o++] = c;
            }
        }
      i = end + 1;
    }
  if (!found || o == (abstract ? 1u : 0u))
    return found ? -1 : 0;
  *len = (socklen_t) (offsetof (struct sockaddr_un, sun_path) + o + (abstract ? 0 : 1));
  return 1;
}

/* --- the socket ------------------------------------------------------- */

static int
wait_fd (struct husk_dbus *b, short events, uint64_t deadline, struct husk_error **err)
{
  for (;;)
    {
      uint64_t now = dbus_now_usec ();
      struct pollfd p = { .fd = b->fd, .events = events };
      int r;

      if (now >= deadline)
        return husk_error_set (err, ETIMEDOUT, "d-bus: `%s` did not answer in time", b->addr);
      r = poll (&p, 1, (int) ((deadline - now + 999) / 1000));
      if (r > 0)
        return 0;
      if (r < 0 && errno != EINTR)
        return husk_error_set (err, errno, "d-bus: poll `%s`", b->addr);
    }
}

static int
write_all (struct husk_dbus *b, const uint8_t *p, size_t n, uint64_t deadline,
           struct husk_error **err)
{
  while (n > 0)
    {
      ssize_t w = send (b->fd, p, n, MSG_NOSIGNAL);
      if (w > 0)
        {
          p += w;
          n -= (size_t) w;
        }
      else if (w < 0 && (errno == EAGAIN || errno == EINTR))
        {
          if (wait_fd (b, POLLOUT, deadline, err) < 0)
            return -1;
        }
      else
        return husk_error_set (err, w < 0 ? errno : EPIPE, "d-bus: write to `%s`", b->addr);
    }
  return 0;
}

/* Read until b->in holds at least want bytes. */
static int
fill (struct husk_dbus *b, size_t want, uint64_t deadline, struct husk_error **err)
{
  if (want > b->in_cap)
    {
      b->in_cap = want < 4096 ? 4096 : want;
      b->in = xrealloc (b->in, b->in_cap);
    }
  while (b->in_n < want)
    {
      ssize_t r = recv (b->fd, b->in + b->in_n, b->in_cap - b->in_n, 0);
      if (r > 0)
        b->in_n += (size_t) r;
      else if (r == 0)
        return husk_error_set (err, ECONNRESET, "d-bus: `%s` closed the connection", b->addr);
      else if (errno == EAGAIN || errno == EINTR)
        {
          if (wait_fd (b, POLLIN, deadline, err) < 0)
            return -1;
        }
      else
        return husk_error_set (err, errno, "d-bus: read from `%s`", b->addr);
    }
  return 0;
}

static void
consume (struct husk_dbus *b, size_t n)
{
  memmove (b->in, b->in + n, b->in_n - n);
  b->in_n -= n;
}

/* The next message, validated (dbus_msg_parse). */
static int
read_message (struct husk_dbus *b, uint64_t deadline, struct dbus_msg *m, struct husk_error **err)
{
  size_t len;
  uint8_t *data;

  if (fill (b, 16, deadline, err) < 0 || dbus_msg_length (b->in, &len, err) < 0
      || fill (b, len, deadline, err) < 0)
    return -1;
  data = xmalloc (len);
  memcpy (data, b->in, len);
  consume (b, len);
  return dbus_msg_parse (data, len, m, err);
}

/* "DATA" (the server's empty challenge to the empty AUTH) lines, then "OK
 * <guid>"; BEGIN went with the AUTH. */
static int
auth_reply (struct husk_dbus *b, uint64_t deadline, struct husk_error **err)
{
  for (;;)
    {
      uint8_t *eol = b->in_n ? husk_memmem (b->in, b->in_n, "\r\n", 2) : NULL;
      size_t l;

      if (eol == NULL)
        {
          if (b->in_n >= AUTH_MAX)
            return husk_error_set (err, EPROTO, "d-bus: `%s` answered no authentication",
                                   b->addr);
          if (fill (b, b->in_n + 1, deadline, err) < 0)
            return -1;
          continue;
        }
      l = (size_t) (eol - b->in);
      if (l >= 4 && memcmp (b->in, "DATA", 4) == 0 && (l == 4 || b->in[4] == ' '))
        {
          consume (b, l + 2);
          continue;
        }
      if (l == 35 && memcmp (b->in, "OK ", 3) == 0)
        {
          for (size_t i = 3; i < l; i++)
            if (unhex ((char) b->in[i]) < 0)
              goto refused;
          consume (b, l + 2);
          return 0;
        }
    refused:
      return husk_error_set (err, EACCES, "d-bus: `%s` refused the authentication (EXTERNAL)",
                             b->addr);
    }
}

static int
connect_one (struct husk_dbus *b, const struct sockaddr_un *sa, socklen_t len,
             struct husk_error **err)
{
  struct timeval tv = { .tv_sec = DBUS_CALL_TIMEOUT_USEC / 1000000 };

  b->fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (b->fd < 0)
    return husk_error_set (err, errno, "d-bus: socket for `%s`", b->addr);
  /* connect waits while the listener's backlog is full: not forever. */
  setsockopt (b->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect (b->fd, (const struct sockaddr *) sa, len) < 0
      || fcntl (b->fd, F_SETFL, O_NONBLOCK) < 0)
    {
      int e = errno;
      close (b->fd);
      b->fd = -1;
      return husk_error_set (err, e, "d-bus: connect to `%s`", b->addr);
    }
  return 0;
}

static const struct dbus_call hello = {
  .dest = "org.freedesktop.DBus",
  .path = "/org/freedesktop/DBus",
  .iface = "org.freedesktop.DBus",
  .member = "Hello",
};

static int wait_reply (struct husk_dbus *b, uint32_t serial, const char *member, uint64_t deadline,
                       struct dbus_msg *reply, struct dbus_error *e, struct husk_error **err);

/* Authenticate and, on a bus, say Hello: all written at once (as sd-bus
 * pipelines BEGIN), one round trip. */
static int
handshake (struct husk_dbus *b, struct husk_error **err)
{
  static const char auth[] = "\0AUTH EXTERNAL\r\nDATA\r\nBEGIN\r\n";
  uint64_t deadline = dbus_now_usec () + DBUS_CALL_TIMEOUT_USEC;
  struct dbus_buf out = { 0 };
  int r;

  for (size_t i = 0; i < sizeof auth - 1; i++)
    dbus_put_y (&out, (uint8_t) auth[i]);
  if (b->bus)
    {
      struct dbus_buf m;
      if (dbus_message_build (&hello, ++b->serial, NULL, &m, err) < 0)
        abort ();
      for (size_t i = 0; i < m.n; i++)
        dbus_put_y (&out, m.p[i]);
      dbus_buf_free (&m);
    }
  r = write_all (b, out.p, out.n, deadline, err);
  dbus_buf_free (&out);
  if (r < 0 || auth_reply (b, deadline, err) < 0)
    return -1;
  return b->bus ? wait_reply (b, 1, "Hello", deadline, NULL, NULL, err) : 0;
}

int
husk_dbus_connect (const char *address, bool bus, struct husk_dbus **out,
                   struct husk_error **err)
{
  struct husk_error *last = NULL;
  const char *a = address;

  *out = NULL;
  while (*a)
    {
      size_t n = strcspn (a, ";");
      struct sockaddr_un sa;
      socklen_t len = 0;
      int r = parse_unix (a, n, &sa, &len);

      if (r < 0)
        {
          husk_error_release (&last);
          return husk_error_set (err, EINVAL, "d-bus: malformed address `%s`", address);
        }
      if (r > 0)
        {
          struct husk_dbus *b = xcalloc (1, sizeof *b);
          b->bus = bus;
          b->addr = xstrndup (a, n);
          husk_error_release (&last);
          if (connect_one (b, &sa, len, &last) == 0 && handshake (b, &last) == 0)
            {
              *out = b;
              return 0;
            }
          husk_dbus_close (b);
        }
      a += n;
      if (*a == ';')
        a++;
    }
  if (last)
    return husk_error_propagate (err, &last);
  return husk_error_set (err, EAFNOSUPPORT, "d-bus: no unix socket in the address `%s`", address);
}

bool
husk_dbus_is_bus (const struct husk_dbus *b)
{
  return b->bus;
}

void
husk_dbus_on_signal (struct husk_dbus *b, void (*fn) (void *data, const struct dbus_msg *m),
                     void *data)
{
  b->on_signal = fn;
  b->signal_data = data;
}

void
husk_dbus_on_close (struct husk_dbus *b, const struct dbus_call *c, const struct dbus_buf *body)
{
  b->close_call = *c;
  dbus_buf_free (&b->close_body);
  for (size_t i = 0; body && i < body->n; i++)
    dbus_put_y (&b->close_body, body->p[i]);
  b->has_close = true;
}

static int send_call (struct husk_dbus *b, const struct dbus_call *c, const struct dbus_buf *body,
                      uint64_t deadline, struct husk_error **err);

void
husk_dbus_close (struct husk_dbus *b)
{
  if (b == NULL)
    return;
  if (b->fd >= 0 && b->has_close)
    send_call (b, &b->close_call, &b->close_body, dbus_now_usec () + DBUS_CALL_TIMEOUT_USEC, NULL);
  if (b->fd >= 0)
    close (b->fd);
  dbus_buf_free (&b->close_body);
  free (b->in);
  free (b->addr);
  free (b);
}

/* --- calls ------------------------------------------------------------ */

void
dbus_error_free (struct dbus_error *e)
{
  free (e->name);
  free (e->message);
  *e = (struct dbus_error){ 0 };
}

bool
dbus_error_is (const struct dbus_error *e, const char *name)
{
  return e->name && strcmp (e->name, name) == 0;
}

/* D-Bus error names and the errno each stands for (sd-bus's table, by name:
 * the bus's own errors, systemd's, and sd-bus's "System.Error.E..." for a
 * plain errno), each table under its name's prefix.  A table is its names
 * one after the other ("Failed\0NoMemory\0...") and their errnos in the same
 * order: no pointer (8 bytes and a relocation) per name. */
#define DBUS_ERRORS(X)                                                                  \
  X (Failed, EACCES)                                                                    \
  X (NoMemory, ENOMEM)                                                                  \
  X (ServiceUnknown, EHOSTUNREACH)                                                      \
  X (NameHasNoOwner, ENXIO)                                                             \
  X (NoReply, ETIMEDOUT)                                                                \
  X (IOError, EIO)                                                                      \
  X (BadAddress, EADDRNOTAVAIL)                                                         \
  X (NotSupported, EOPNOTSUPP)                                                          \
  X (LimitsExceeded, ENOBUFS)                                                           \
  X (AccessDenied, EACCES)                                                              \
  X (AuthFailed, EACCES)                                                                \
  X (InteractiveAuthorizationRequired, EACCES)                                          \
  X (NoServer, EHOSTDOWN)                                                               \
  X (Timeout, ETIMEDOUT)                                                                \
  X (NoNetwork, ENONET)                                                                 \
  X (AddressInUse, EADDRINUSE)                                                          \
  X (Disconnected, ECONNRESET)                                                          \
  X (InvalidArgs, EINVAL)                                                               \
  X (FileNotFound, ENOENT)                                                              \
  X (FileExists, EEXIST)                                                                \
  X (UnknownMethod, EBADR)                                                              \
  X (UnknownObject, EBADR)                                                              \
  X (UnknownInterface, EBADR)                                                           \
  X (UnknownProperty, EBADR)                                                            \
  X (PropertyReadOnly, EROFS)                                                           \
  X (UnixProcessIdUnknown, ESRCH)                                                       \
  X (InvalidSignature, EINVAL)                                                          \
  X (InconsistentMessage, EBADMSG)                                                      \
  X (TimedOut, ETIMEDOUT)                                                               \
  X (MatchRuleInvalid, EINVAL)                                                          \
  X (InvalidFileContent, EINVAL)                                                        \
  X (MatchRuleNotFound, ENOENT)                                                         \
  X (SELinuxSecurityContextUnknown, ESRCH)                                              \
  X (ObjectPathInUse, EBUSY)

#define SYSTEMD_ERRORS(X)                                                               \
  X (NoSuchUnit, ENOENT)                                                                \
  X (NoUnitForPID, ESRCH)                                                               \
  X (UnitExists, EEXIST)                                                                \
  X (LoadFailed, EIO)                                                                   \
  X (JobFailed, EREMOTEIO)                                                              \
  X (NoSuchJob, ENOENT)                                                                 \
  X (NotSubscribed, EINVAL)                                                             \
  X (AlreadySubscribed, EINVAL)                                                         \
  X (OnlyByDependency, EINVAL)                                                          \
  X (TransactionJobsConflicting, EDEADLK)                                               \
  X (TransactionOrderIsCyclic, EDEADLK)                                                 \
  X (TransactionIsDestructive, EDEADLK)                                                 \
  X (UnitMasked, ERFKILL)                                                               \
  X (UnitGenerated, EADDRNOTAVAIL)                                                      \
  X (UnitLinked, ELOOP)                                                                 \
  X (JobTypeNotApplicable, EBADR)                                                       \
  X (NoIsolation, EPERM)                                                                \
  X (ShuttingDown, ECANCELED)                                                           \
  X (ScopeNotRunning, EHOSTDOWN)                                                        \
  X (NoSuchDynamicUser, ESRCH)                                                          \
  X (NotReferenced, EUNATCH)                                                            \
  X (DiskFull, ENOSPC)                                                                  \
  X (UnitInactive, ENOLINK)

#define SYSTEM_ERRORS(X)                                                                \
  X (EPERM, EPERM)                                                                      \
  X (ENOENT, ENOENT)                                                                    \
  X (ESRCH, ESRCH)                                                                      \
  X (EIO, EIO)                                                                          \
  X (ENOMEM, ENOMEM)                                                                    \
  X (EACCES, EACCES)                                                                    \
  X (EBUSY, EBUSY)                                                                      \
  X (EEXIST, EEXIST)                                                                    \
  X (EINVAL, EINVAL)                                                                    \
  X (ENOSPC, ENOSPC)                                                                    \
  X (EROFS, EROFS)                                                                      \
  X (EOPNOTSUPP, EOPNOTSUPP)

#define ERROR_NAME(name, errnum) #name "\0"
#define ERROR_ERRNO(name, errnum) errnum,

static const struct
{
  const char *prefix;
  const char *names; /* NUL-separated, an empty one last */
  const unsigned char *errnos;
} error_tables[] = {
  { "org.freedesktop.DBus.Error.", DBUS_ERRORS (ERROR_NAME),
    (const unsigned char[]){ DBUS_ERRORS (ERROR_ERRNO) } },
  { "org.freedesktop.systemd1.", SYSTEMD_ERRORS (ERROR_NAME),
    (const unsigned char[]){ SYSTEMD_ERRORS (ERROR_ERRNO) } },
  { "System.Error.", SYSTEM_ERRORS (ERROR_NAME), (const unsigned char[]){ SYSTEM_ERRORS (ERROR_ERRNO) } },
};

int
dbus_error_errno (const char *name)
{
  for (size_t t = 0; name && t < sizeof error_tables / sizeof error_tables[0]; t++)
    {
      size_t pl = strlen (error_tables[t].prefix), i = 0;

      if (strncmp (name, error_tables[t].prefix, pl) != 0)
        continue;
      for (const char *n = error_tables[t].names; *n; n += strlen (n) + 1, i++)
        if (strcmp (name + pl, n) == 0)
          return error_tables[t].errnos[i];
    }
  return EIO;
}

/* Read until the reply to serial; signals go to the handler meanwhile. */
static int
wait_reply (struct husk_dbus *b, uint32_t serial, const char *member, uint64_t deadline,
            struct dbus_msg *reply, struct dbus_error *e, struct husk_error **err)
{
  for (;;)
    {
      struct dbus_msg m;
      if (read_message (b, deadline, &m, err) < 0)
        return husk_error_wrap (err, "d-bus: wait for the reply to %s", member);
      if (m.type == DBUS_SIGNAL && b->on_signal)
        b->on_signal (b->signal_data, &m);
      if ((m.type != DBUS_METHOD_RETURN && m.type != DBUS_ERROR) || m.reply_serial != serial)
        {
          dbus_msg_free (&m);
          continue;
        }
      if (m.type == DBUS_ERROR)
        {
          struct dbus_iter it;
          const char *text = "";
          dbus_iter_init (&it, &m);
          if (dbus_read_str (&it, 's', &text) < 0)
            text = "";
          husk_error_set (err, dbus_error_errno (m.error_name), "%s: %s", m.error_name, text);
          if (e)
            {
              e->name = xstrdup (m.error_name);
              e->message = xstrdup (text);
            }
          dbus_msg_free (&m);
          return -1;
        }
      if (reply)
        *reply = m;
      else
        dbus_msg_free (&m);
      return 0;
    }
}

static int
send_call (struct husk_dbus *b, const struct dbus_call *c, const struct dbus_buf *body,
           uint64_t deadline, struct husk_error **err)
{
  struct dbus_buf m;
  int r;

  if (dbus_message_build (c, ++b->serial, body, &m, err) < 0)
    return -1;
  r = write_all (b, m.p, m.n, deadline, err);
  dbus_buf_free (&m);
  return r;
}

int
husk_dbus_send (struct husk_dbus *b, const struct dbus_call *c, const struct dbus_buf *body,
                struct husk_error **err)
{
  return send_call (b, c, body, dbus_now_usec () + DBUS_CALL_TIMEOUT_USEC, err);
}

int
husk_dbus_call (struct husk_dbus *b, const struct dbus_call *c, const struct dbus_buf *body,
                struct dbus_msg *reply, struct dbus_error *e, struct husk_error **err)
{
  uint64_t deadline = dbus_now_usec () + DBUS_CALL_TIMEOUT_USEC;

  if (reply)
    *reply = (struct dbus_msg){ 0 };
  if (send_call (b, c, body, deadline, err) < 0)
    return -1;
  return wait_reply (b, b->serial, c->member, deadline, reply, e, err);
}

int
husk_dbus_wait (struct husk_dbus *b, uint64_t deadline, bool (*done) (void *data), void *data,
                struct husk_error **err)
{
  while (!done (data))
    {
      struct dbus_msg m;
      if (read_message (b, deadline, &m, err) < 0)
        return -1;
      if (m.type == DBUS_SIGNAL && b->on_signal)
        b->on_signal (b->signal_data, &m);
      dbus_msg_free (&m);
    }
  return 0;
}
