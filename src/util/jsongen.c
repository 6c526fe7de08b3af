/* JSON output over yajl_gen (jsongen.h). */
#define _GNU_SOURCE
#include "util/jsongen.h"
#include "util/xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

struct json_gen
{
  yajl_gen y;
};

struct json_gen *
json_gen_new (const char *indent)
{
  struct json_gen *g = xmalloc (sizeof *g);

  if (g == NULL || (g->y = yajl_gen_alloc (NULL)) == NULL)
    abort ();
  if (indent)
    {
      yajl_gen_config (g->y, yajl_gen_beautify, 1);
      yajl_gen_config (g->y, yajl_gen_indent_string, indent);
    }
  return g;
}

void
json_gen_free (struct json_gen *g)
{
  if (g == NULL)
    return;
  yajl_gen_free (g->y);
  free (g);
}

char *
json_gen_finish (struct json_gen *g, size_t *len)
{
  const unsigned char *buf = NULL;
  size_t n = 0;
  char *out;

  yajl_gen_get_buf (g->y, &buf, &n);
  out = xstrndup (buf ? (const char *) buf : "", n);
  if (len)
    *len = n;
  json_gen_free (g);
  return out;
}

void
json_gen_map_open (struct json_gen *g)
{
  yajl_gen_map_open (g->y);
}

void
json_gen_map_close (struct json_gen *g)
{
  yajl_gen_map_close (g->y);
}

void
json_gen_array_open (struct json_gen *g)
{
  yajl_gen_array_open (g->y);
}

void
json_gen_array_close (struct json_gen *g)
{
  yajl_gen_array_close (g->y);
}

void
json_gen_str (struct json_gen *g, const char *s)
{
  if (s == NULL)
    yajl_gen_null (g->y);
  else
    yajl_gen_string (g->y, (const unsigned char *) s, strlen (s));
}

void
json_gen_key (struct json_gen *g, const char *key)
{
  yajl_gen_string (g->y, (const unsigned char *) key, strlen (key));
}

void
json_gen_int (struct json_gen *g, long long v)
{
  yajl_gen_integer (g->y, v);
}

void
json_gen_u64 (struct json_gen *g, uint64_t v)
{
  char s[24];

  /* yajl's integers are signed: a larger one goes out as the number's text. */
  if (v <= INT64_MAX)
    {
      yajl_gen_integer (g->y, (long long) v);
      return;
    }
  snprintf (s, sizeof s, "%" PRIu64, v);
  yajl_gen_number (g->y, s, strlen (s));
}

void
json_gen_bool (struct json_gen *g, bool v)
{
  yajl_gen_bool (g->y, v);
}

void
json_gen_null (struct json_gen *g)
{
  yajl_gen_null (g->y);
}

void
json_gen_strv (struct json_gen *g, const char *const *v)
{
  yajl_gen_array_open (g->y);
  for (; v && *v; v++)
    json_gen_str (g, *v);
  yajl_gen_array_close (g->y);
}

void
json_gen_kv_str (struct json_gen *g, const char *key, const char *v)
{
  json_gen_key (g, key);
  json_gen_str (g, v);
}

void
json_gen_kv_int (struct json_gen *g, const char *key, long long v)
{
  json_gen_key (g, key);
  json_gen_int (g, v);
}

void
json_gen_kv_u64 (struct json_gen *g, const char *key, uint64_t v)
{
  json_gen_key (g, key);
  json_gen_u64 (g, v);
}

void
json_gen_kv_bool (struct json_gen *g, const char *key, bool v)
{
  json_gen_key (g, key);
  json_gen_bool (g, v);
}

void
json_gen_kv_strv (struct json_gen *g, const char *key, const char *const *v)
{
  json_gen_key (g, key);
  json_gen_strv (g, v);
}
