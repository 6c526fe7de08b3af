#define _GNU_SOURCE
#include "util/error.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
vformat (const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf (&s, fmt, ap) < 0)
    return NULL;
  return s;
}

int
husk_error_set (struct husk_error **err, int errnum, const char *fmt, ...)
{
  va_list ap;
  struct husk_error *e;

  if (err == NULL)
    return -1;
  e = xcalloc (1, sizeof *e);
  va_start (ap, fmt);
  e->msg = vformat (fmt, ap);
  va_end (ap);
  if (e->msg == NULL)
    abort ();
  e->errnum = errnum;
  if (*err)
    husk_error_free (*err);
  *err = e;
  return -1;
}

int
husk_error_wrap (struct husk_error **err, const char *fmt, ...)
{
  va_list ap;
  char *prefix, *joined = NULL;

  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  prefix = vformat (fmt, ap);
  va_end (ap);
  if (prefix == NULL || xasprintf (&joined, "%s: %s", prefix, (*err)->msg) < 0)
    abort ();
  free (prefix);
  free ((*err)->msg);
  (*err)->msg = joined;
  return -1;
}

char *
husk_error_text (const struct husk_error *e)
{
  char *s = NULL;
  int r;

  /* strerror() in lower case ("no such file or directory"): the words runc
   * prints, which the clients calling us match on. */
  if (e->errnum)
    {
      char lower[128];
      snprintf (lower, sizeof lower, "%s", strerror (e->errnum));
      lower[0] = (char) tolower ((unsigned char) lower[0]);
      r = xasprintf (&s, "%s: %s", e->msg, lower);
    }
  else
    r = xasprintf (&s, "%s", e->msg);
  if (r < 0)
    abort ();
  return s;
}

void
husk_error_free (struct husk_error *e)
{
  if (e == NULL)
    return;
  free (e->msg);
  free (e);
}

int
husk_error_set_exit_status (struct husk_error **err, int status)
{
  if (err && *err)
    (*err)->exit_status = status;
  return -1;
}

void
husk_error_release (struct husk_error **err)
{
  if (err == NULL)
    return;
  husk_error_free (*err);
  *err = NULL;
}

int
husk_error_propagate (struct husk_error **dst, struct husk_error **src)
{
  if (src == NULL)
    return -1;
  if (dst == NULL)
    husk_error_release (src);
  else
    {
      if (*dst && *dst != *src)
        husk_error_free (*dst);
      *dst = *src;
      *src = NULL;
    }
  return -1;
}
