/* The TAP printer every unit test uses: result() per check, tap_done() at the
 * end of main (the plan line, a summary, the exit status). */
#ifndef HUSK_TESTS_TAP_H
#define HUSK_TESTS_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int n_tests, n_failed;

static void result (bool ok, const char *fmt, ...) __attribute__ ((format (printf, 2, 3), unused));

static void
result (bool ok, const char *fmt, ...)
{
  va_list ap;

  n_tests++;
  if (!ok)
    n_failed++;
  printf ("%s %d - ", ok ? "ok" : "not ok", n_tests);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  putchar ('\n');
  fflush (stdout);
}

static int __attribute__ ((unused))
tap_done (void)
{
  printf ("1..%d\n", n_tests);
  if (n_failed)
    printf ("# %d of %d failed\n", n_failed, n_tests);
  return n_failed ? 1 : 0;
}

#endif
