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
#include <yajl/yajl_gen.h>

#include "util/cleanup.h"

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
  log_fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
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

static void
rfc3339_now (char *buf, size_t len)
{
  struct timespec ts;
  struct tm tm;
  char base[32];

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf, len, "%s.%09ldZ", base, ts.tv_nsec);
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

static void
log_file_line (const char *level, const char *msg)
{
  char now[64];

  if (log_fd < 0)
    return;
  rfc3339_now (now, sizeof now);
  if (log_format == HUSK_LOG_JSON)
    {
      const unsigned char *buf;
      size_t len;
      yajl_gen g = yajl_gen_alloc (NULL);
      if (g == NULL)
        return;
      yajl_gen_map_open (g);
      yajl_gen_string (g, (const unsigned char *) "level", 5);
      yajl_gen_string (g, (const unsigned char *) level, strlen (level));
      yajl_gen_string (g, (const unsigned char *) "msg", 3);
      yajl_gen_string (g, (const unsigned char *) msg, strlen (msg));
      yajl_gen_string (g, (const unsigned char *) "time", 4);
      yajl_gen_string (g, (const unsigned char *) now, strlen (now));
      yajl_gen_map_close (g);
      if (yajl_gen_get_buf (g, &buf, &len) == yajl_gen_status_ok)
        {
          cleanup_free char *line = NULL;
          if (asprintf (&line, "%.*s\n", (int) len, buf) >= 0)
            write_all (log_fd, line, strlen (line));
        }
      yajl_gen_free (g);
    }
  else
    {
      cleanup_free char *line = NULL;
      if (asprintf (&line, "%s %s: %s\n", now, level, msg) >= 0)
        write_all (log_fd, line, strlen (line));
    }
}

static void
vlog (const char *level, bool to_stderr, const char *fmt, va_list ap)
{
  cleanup_free char *msg = NULL;

  if (vasprintf (&msg, fmt, ap) < 0)
    return;
  log_file_line (level, msg);
  if (to_stderr)
    {
      if (strcmp (level, "error") == 0)
        fprintf (stderr, "husk: %s\n", msg);
      else
        fprintf (stderr, "husk: %s: %s\n", level, msg);
    }
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
    vlog ("debug", log_fd < 0, fmt, ap);
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
    vlog ("warning", log_fd < 0, fmt, ap);
  va_end (ap);
}

void
husk_log_error (const struct husk_error *e)
{
  cleanup_free char *text = husk_error_text (e);

  log_file_line ("error", text);
  /* Without --log, --log-format json puts the JSON line on stderr (as runc does,
   * and as a shim reading our stderr expects); otherwise stderr gets the text. */
  if (log_fd < 0 && log_format == HUSK_LOG_JSON)
    {
      log_fd = STDERR_FILENO;
      log_file_line ("error", text);
      log_fd = -1;
      return;
    }
  fprintf (stderr, "husk: %s\n", text);
}
