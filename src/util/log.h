/* Logging, in runc's shapes.  Errors: stderr always ("husk: msg"), and the
 * --log file.  Warnings and debug lines (only with --debug): the --log file, or
 * stderr when there is none.  Every line that is not the stderr error is in the
 * --log-format: logrus's text, time="RFC3339" level=debug msg="...", or one JSON
 * object per line, {"level":"error","msg":"...","time":"RFC3339"}; without
 * --log, json also puts the error line on stderr in JSON. */
#ifndef HUSK_UTIL_LOG_H
#define HUSK_UTIL_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/error.h"

enum husk_log_format
{
  HUSK_LOG_TEXT,
  HUSK_LOG_JSON,
};

/* path may be NULL (no log file). */
int husk_log_init (const char *path, enum husk_log_format format, bool debug,
                   struct husk_error **err);
bool husk_log_debug_enabled (void);
void husk_debug (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void husk_warn (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
/* In a child about to enter a container: close the log file (a host file the
 * container must not reach through our fds).  Later warnings and debug lines go
 * to fn (the sync channel to the parent, which logs them), or nowhere when fn is
 * NULL: never to the child's stderr, which is the container's. */
void husk_log_detach (void (*fn) (bool warning, const char *msg));
/* The current time, UTC, in RFC 3339 with nanoseconds (the log lines' "time"
 * and state.json's "created"): len 40 is enough. */
void husk_rfc3339_now (char *buf, size_t len);
/* The same for the time ts. */
void husk_rfc3339 (const struct timespec *ts, char *buf, size_t len);
/* Print the error to stderr and to the log file. */
void husk_log_error (const struct husk_error *e);

#endif
