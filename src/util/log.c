#define _GNU_SOURCE
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/jsongen.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static int log_fd = -1;
static enum husk_log_format log_format = HUSK_LOG_TEXT;
static bool log_debug;
static bool log_detached;
static void (*log_forward) (bool warning, const char *msg);

int
husk_log_init (const char *path, enum husk_log_format format, bool debug,
               struct husk_error **err)
{
  log_format = format;
  log_debug = debug;
  if (path == NULL || *path == '\0')
    return 0;
  /* O_NOFOLLOW: whoever can write the log's directory could otherwise plant a
   * symlink there and have root append to any file. */
  log_fd = openat (AT_FDCWD, path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (log_fd < 0 && errno == ELOOP)
    return husk_error_set (err, 0, "log file `%s` is a symbolic link", path);
  if (log_fd < 0)
    return husk_error_set (err, errno, "open log file `%s`", path);
  return 0;
}

bool
husk_log_debug_enabled (void)
{
  return log_debug;
}

void
husk_rfc3339 (const struct timespec *ts, char *buf, size_t len)
{
  /* By hand, not strftime (it would bring musl's time zone code, 5 KiB) nor
   * gmtime_r (0.8 KiB).  The date of a day count, 1970-01-01 being day 0: days
   * from 0000-03-01, in eras of 400 years (146097 days), years of the era
   * starting in March, so that a leap day is the last of its year. */
  long long secs = ts->tv_sec, days = secs / 86400 - (secs % 86400 < 0);
  long sod = (long) (secs - days * 86400);
  long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned) (z - era * 146097); /* day of the era, 0..146096 */
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* from March 1, 0..365 */
  unsigned mp = (5 * doy + 2) / 153; /* month from March, 0..11 */
  unsigned mon = mp < 10 ? mp + 3 : mp - 9;

  snprintf (buf, len, "%04lld-%02u-%02uT%02ld:%02ld:%02ld.%09ldZ", yoe + era * 400 + (mon <= 2), mon,
            doy - (153 * mp + 2) / 5 + 1, sod / 3600, sod / 60 % 60, sod % 60, ts->tv_nsec);
}

void
husk_rfc3339_now (char *buf, size_t len)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  husk_rfc3339 (&ts, buf, len);
}

static void
write_all (int fd, const char *buf, size_t len)
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

/* A logrus text value (caller frees): bare when it is made of
 * [A-Za-z0-9-._/@^+] only, else quoted with Go's %q escapes (what
 * `level=debug msg="..."` readers expect). */
static char *
text_value (const char *s)
{
  static const char hex[] = "0123456789abcdef";
  char *out, *o;

  if (*s && strspn (s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._/@^+")
                == strlen (s))
    return xstrdup (s);
  o = out = xmalloc (4 * strlen (s) + 3); /* "\xNN" at most for a byte, the quotes */
  *o++ = '"';
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    switch (*p)
      {
      case '"': *o++ = '\\'; *o++ = '"'; break;
      case '\\': *o++ = '\\'; *o++ = '\\'; break;
      case '\n': *o++ = '\\'; *o++ = 'n'; break;
      case '\t': *o++ = '\\'; *o++ = 't'; break;
      case '\r': *o++ = '\\'; *o++ = 'r'; break;
      default:
        if (*p < 0x20 || *p == 0x7f)
          {
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
          }
        else
          *o++ = (char) *p;
      }
  *o++ = '"';
  *o = '\0';
  return out;
}

/* One line of the log, newline included, in the --log-format: logrus's text
 * (time="..." level=debug msg="...") or JSON ({"level","msg","time"}, the keys
 * in logrus's order).  NULL when out of memory. */
static char *
format_line (const char *level, const char *msg)
{
  char now[64], *line = NULL, *value;

  husk_rfc3339_now (now, sizeof now);
  if (log_format == HUSK_LOG_JSON)
    {
      struct json_gen *g = json_gen_new (NULL);
      char *json;

      json_gen_map_open (g);
      json_gen_kv_str (g, "level", level);
      json_gen_kv_str (g, "msg", msg);
      json_gen_kv_str (g, "time", now);
      json_gen_map_close (g);
      json = json_gen_finish (g, NULL);
      if (xasprintf (&line, "%s\n", json) < 0)
        line = NULL;
      free (json);
      return line;
    }
  value = text_value (msg);
  xasprintf (&line, "time=\"%s\" level=%s msg=%s\n", now, level, value);
  free (value);
  return line;
}

static void
log_line (int fd, const char *level, const char *msg)
{
  cleanup_free char *line = NULL;

  if (fd < 0)
    return;
  line = format_line (level, msg);
  if (line)
    write_all (fd, line, strlen (line));
}

/* Debug and warning lines: the --log file, or stderr without one (as runc's
 * logrus does), in the same format either way. */
static void
vlog (const char *level, const char *fmt, va_list ap)
{
  cleanup_free char *msg = NULL;

  if (vasprintf (&msg, fmt, ap) < 0)
    return;
  log_line (log_fd >= 0 ? log_fd : STDERR_FILENO, level, msg);
}

void
husk_log_detach (void (*fn) (bool warning, const char *msg))
{
  if (log_fd > STDERR_FILENO)
    close (log_fd);
  log_fd = -1;
  log_forward = fn;
  log_detached = true;
}

/* A detached child's stderr is the container's: its lines go to the parent (or
 * nowhere), never there. */
static void
forward (bool warning, const char *fmt, va_list ap)
{
  cleanup_free char *msg = NULL;

  if (log_forward && vasprintf (&msg, fmt, ap) >= 0)
    log_forward (warning, msg);
}

void
husk_debug (const char *fmt, ...)
{
  va_list ap;

  if (!log_debug)
    return;
  va_start (ap, fmt);
  if (log_detached)
    forward (false, fmt, ap);
  else
    vlog ("debug", fmt, ap);
  va_end (ap);
}

/* Like runc's logrus: the --log file when there is one, else stderr.  husk's
 * stderr is often the container's own (a shim hands its stdio to create), where
 * a warning would read as the program's output. */
void
husk_warn (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  if (log_detached)
    forward (true, fmt, ap);
  else
    vlog ("warning", fmt, ap);
  va_end (ap);
}

void
husk_log_error (const struct husk_error *e)
{
  cleanup_free char *text = husk_error_text (e);

  log_line (log_fd, "error", text);
  /* Without --log, --log-format json puts the JSON line on stderr (as runc does,
   * and as a shim reading our stderr expects); otherwise stderr gets the text. */
  if (log_fd < 0 && log_format == HUSK_LOG_JSON)
    {
      log_line (STDERR_FILENO, "error", text);
      return;
    }
  fprintf (stderr, "husk: %s\n", text);
}
