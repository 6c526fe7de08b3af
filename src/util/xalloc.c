#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/xalloc.h"

static __attribute__ ((noreturn)) void
oom (void)
{
  static const char msg[] = "husk: out of memory\n";

  /* write(2), not stdio: stdio may need memory itself. */
  if (write (STDERR_FILENO, msg, sizeof msg - 1) < 0)
    abort ();
  abort ();
}

void *
xmalloc (size_t size)
{
  void *p = malloc (size ? size : 1);

  if (p == NULL)
    oom ();
  return p;
}

void *
xcalloc (size_t n, size_t size)
{
  void *p = calloc (n ? n : 1, size ? size : 1);

  if (p == NULL)
    oom ();
  return p;
}

void *
xrealloc (void *p, size_t size)
{
  void *q = realloc (p, size ? size : 1);

  if (q == NULL)
    oom ();
  return q;
}

void *
xgrow (void *p, size_t *cap, size_t need, size_t first)
{
  size_t c = *cap ? *cap : first;

  if (need <= *cap && p != NULL)
    return p;
  while (c < need)
    {
      if (c > (size_t) -1 / 2)
        oom ();
      c *= 2;
    }
  *cap = c;
  return xrealloc (p, c);
}

char *
xstrdup (const char *s)
{
  char *r;

  if (s == NULL)
    return NULL;
  r = strdup (s);
  if (r == NULL)
    oom ();
  return r;
}

char *
xstrndup (const char *s, size_t n)
{
  char *r;

  if (s == NULL)
    return NULL;
  r = strndup (s, n);
  if (r == NULL)
    oom ();
  return r;
}

char *
xconcat (const char *first, ...)
{
  va_list ap;
  size_t len = 0, at = 0;
  char *out;

  va_start (ap, first);
  for (const char *s = first; s; s = va_arg (ap, const char *))
    len += strlen (s);
  va_end (ap);
  out = xmalloc (len + 1);
  va_start (ap, first);
  for (const char *s = first; s; s = va_arg (ap, const char *))
    {
      size_t n = strlen (s);
      memcpy (out + at, s, n);
      at += n;
    }
  va_end (ap);
  out[at] = '\0';
  return out;
}

char *
xmemdupz (const void *p, size_t n)
{
  char *r = xmalloc (n + 1);

  memcpy (r, p, n);
  r[n] = '\0';
  return r;
}

int
xasprintf (char **out, const char *fmt, ...)
{
  va_list ap, again;
  char buf[512];
  int n;

  /* One formatting pass for what fits in buf (nearly every path and message):
   * vasprintf formats twice, to measure and then to write, and musl's printf
   * is slow enough for that to show in `run`. */
  va_start (ap, fmt);
  va_copy (again, ap);
  n = vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  if (n < 0)
    oom ();
  *out = xmalloc ((size_t) n + 1);
  if ((size_t) n < sizeof buf)
    memcpy (*out, buf, (size_t) n + 1);
  else
    vsnprintf (*out, (size_t) n + 1, fmt, again);
  va_end (again);
  return n;
}
