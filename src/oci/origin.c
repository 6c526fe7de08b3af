/* Messages about a field of a parsed document, named the way the parser names
 * it: "<document>: <json path>: <message>", from the origin the parser kept in
 * the object (oci/config.h). */
#define _GNU_SOURCE
#include "oci/config.h"
#include "util/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* "<document>: <path>.<rest>", or "<document>: <rest>" at the top level. */
static char *
vname (const struct oci_origin *o, const char *fmt, va_list ap)
{
  const char *doc = o && o->document ? o->document : "config.json";
  const char *path = o && o->path ? o->path : "";
  char *rest = NULL, *msg = NULL;

  if (vasprintf (&rest, fmt, ap) < 0
      || xasprintf (&msg, "%s: %s%s%s", doc, path, *path ? "." : "", rest) < 0)
    abort ();
  free (rest);
  return msg;
}

int
oci_error (struct husk_error **err, int errnum, const struct oci_origin *o, const char *fmt, ...)
{
  va_list ap;
  char *msg;

  va_start (ap, fmt);
  msg = vname (o, fmt, ap);
  va_end (ap);
  husk_error_set (err, errnum, "%s", msg);
  free (msg);
  return -1;
}

int
oci_error_wrap (struct husk_error **err, const struct oci_origin *o, const char *fmt, ...)
{
  va_list ap;
  char *msg;

  va_start (ap, fmt);
  msg = vname (o, fmt, ap);
  va_end (ap);
  husk_error_wrap (err, "%s", msg);
  free (msg);
  return -1;
}
