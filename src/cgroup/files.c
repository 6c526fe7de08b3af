/* Reading and writing cgroup control files. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

char *
cg_path (const char *dir, const char *file)
{
  return xconcat (dir, "/", file, NULL);
}

int
cg_write (const char *dir, const char *file, const char *value, struct husk_error **err)
{
  cleanup_free char *p = cg_path (dir, file);
  struct husk_error *inner = NULL;

  if (husk_write_file (p, value, strlen (value), &inner) == 0)
    return 0;
  int e = inner->errnum;
  husk_error_free (inner);
  return husk_error_set (err, e, "write `%s` to `%s`", value, p);
}

int
cg_writef (const char *dir, const char *file, struct husk_error **err, const char *fmt, ...)
{
  cleanup_free char *v = NULL;
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = vasprintf (&v, fmt, ap);
  va_end (ap);
  if (r < 0)
    abort ();
  return cg_write (dir, file, v, err);
}

char *
cg_read (const char *dir, const char *file)
{
  cleanup_free char *p = cg_path (dir, file);
  char *data = NULL;
  size_t len;

  if (husk_read_file (p, &data, &len, NULL) < 0)
    return NULL;
  while (len > 0 && data[len - 1] == '\n')
    data[--len] = '\0';
  return data;
}

uint64_t
cg_read_u64 (const char *dir, const char *file, uint64_t def)
{
  cleanup_free char *v = cg_read (dir, file);
  char *end;

  if (v == NULL)
    return def;
  if (strncmp (v, "max", 3) == 0)
    return UINT64_MAX;
  errno = 0;
  unsigned long long n = strtoull (v, &end, 10);
  if (errno || end == v)
    return def;
  return n;
}

bool
cg_key_value (const char *text, const char *key, uint64_t *out)
{
  size_t kl = strlen (key);

  for (const char *line = text; line && *line;)
    {
      const char *nl = strchr (line, '\n');
      if (strncmp (line, key, kl) == 0 && line[kl] == ' ')
        {
          *out = strtoull (line + kl + 1, NULL, 10);
          return true;
        }
      line = nl ? nl + 1 : NULL;
    }
  return false;
}

bool
cg_read_key (const char *dir, const char *file, const char *key, uint64_t *out)
{
  cleanup_free char *v = cg_read (dir, file);

  return v && cg_key_value (v, key, out);
}

bool
cg_exists (const char *dir, const char *file)
{
  cleanup_free char *p = cg_path (dir, file);
  return access (p, F_OK) == 0;
}
