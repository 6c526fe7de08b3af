#define _GNU_SOURCE
#include "oci/json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "oci/names.h"
#include "oci/config.h"
#include "util/num.h"
#include "util/xalloc.h"



/* --- the JSON path ------------------------------------------------------- */

static const char *
json_document (const struct json_ctx *ctx)
{
  return ctx->document ? ctx->document : "config.json";
}

static void
path_append (struct json_ctx *ctx, const char *s, size_t n)
{
  ctx->path = xgrow (ctx->path, &ctx->cap, ctx->len + n + 1, 64);
  memcpy (ctx->path + ctx->len, s, n);
  ctx->len += n;
  ctx->path[ctx->len] = '\0';
}

static bool
plain_key (const char *key)
{
  if (*key == '\0')
    return false;
  for (const char *p = key; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
          || *p == '_' || *p == '-' || *p == '.' || *p == '/'))
      return false;
  return true;
}

size_t
json_push_key (struct json_ctx *ctx, const char *key)
{
  size_t saved = ctx->len;

  if (plain_key (key))
    {
      if (ctx->len)
        path_append (ctx, ".", 1);
      path_append (ctx, key, strlen (key));
    }
  else
    {
      /* Keys with spaces, quotes or other odd bytes are quoted: x["a b"]. */
      char *q = NULL;
      xasprintf (&q, "[\"%s\"]", key);
      path_append (ctx, q, strlen (q));
      free (q);
    }
  return saved;
}

size_t
json_push_index (struct json_ctx *ctx, size_t i)
{
  size_t saved = ctx->len;
  char buf[32], *p = buf + sizeof buf;

  /* By hand: snprintf here was a tenth of parsing a config. */
  *--p = ']';
  p = husk_utoa_end (i, p);
  *--p = '[';
  path_append (ctx, p, (size_t) (buf + sizeof buf - p));
  return saved;
}

void
json_pop (struct json_ctx *ctx, size_t saved)
{
  ctx->len = saved;
  if (ctx->path)
    ctx->path[saved] = '\0';
}

void
json_ctx_release (struct json_ctx *ctx)
{
  free (ctx->path);
  ctx->path = NULL;
  ctx->len = ctx->cap = 0;
}

/* Longest message and path an error keeps whole: a value quoted in the message
 * (a 100 kB capability name) is elided in its middle, never cut at the end,
 * where the reason may be. */
#define ERR_MAX 1024

static size_t
utf8_back (const char *s, size_t i)
{
  while (i > 0 && ((unsigned char) s[i] & 0xc0) == 0x80)
    i--;
  return i;
}

char *
json_elide (const char *s, size_t max)
{
  size_t len = strlen (s), head, tail;
  char *r = NULL;

  if (len <= max)
    r = xstrdup (s);
  else
    {
      head = utf8_back (s, max / 2);
      tail = utf8_back (s, len - max / 2);
      if (xasprintf (&r, "%.*s[... %zu bytes elided ...]%s", (int) head, s, tail - head, s + tail) < 0)
        r = NULL;
    }
  if (r == NULL)
    abort ();
  return r;
}

void
json_elide_error (struct husk_error **err)
{
  char *m;

  if (err == NULL || *err == NULL || strlen ((*err)->msg) <= 2 * ERR_MAX)
    return;
  m = json_elide ((*err)->msg, 2 * ERR_MAX);
  free ((*err)->msg);
  (*err)->msg = m;
}

static int
verror (struct json_ctx *ctx, const char *fmt, va_list ap)
{
  char *raw = NULL, *msg, *path;

  if (vasprintf (&raw, fmt, ap) < 0)
    abort ();
  msg = json_elide (raw, ERR_MAX);
  path = json_elide (ctx->path ? ctx->path : "", ERR_MAX);
  free (raw);
  /* Keys and values come from the document: keep the message on one line. */
  for (char *p = msg; *p; p++)
    if ((unsigned char) *p < 0x20)
      *p = '?';
  for (char *p = path; *p; p++)
    if ((unsigned char) *p < 0x20)
      *p = '?';
  if (*path)
    husk_error_set (ctx->err, 0, "%s: %s: %s", json_document (ctx), path, msg);
  else
    husk_error_set (ctx->err, 0, "%s: %s", json_document (ctx), msg);
  free (msg);
  free (path);
  return -1;
}

int
json_error (struct json_ctx *ctx, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  verror (ctx, fmt, ap);
  va_end (ap);
  return -1;
}

int
json_error_at (struct json_ctx *ctx, const char *key, const char *fmt, ...)
{
  va_list ap;
  size_t saved = json_push_key (ctx, key);
  va_start (ap, fmt);
  verror (ctx, fmt, ap);
  va_end (ap);
  json_pop (ctx, saved);
  return -1;
}

const char *
json_type_name (json_val v)
{
  if (v == NULL)
    return "nothing";
  switch (v->type)
    {
    case JSON_T_STRING:
      return "string";
    case JSON_T_NUMBER:
      return "number";
    case JSON_T_OBJECT:
      return "object";
    case JSON_T_ARRAY:
      return "array";
    case JSON_T_TRUE:
    case JSON_T_FALSE:
      return "boolean";
    case JSON_T_NULL:
      return "null";
    default:
      return "unknown value";
    }
}

json_val
json_get (json_val v, const char *key)
{
  json_val found = NULL;

  if (!json_is_object (v))
    return NULL;
  /* As Go's encoding/json, which runc's users write for: a key matches its
   * field case-insensitively ("pagesize" is pageSize), and the last of repeated
   * keys wins. */
  for (size_t i = 0; i < v->u.object.len; i++)
    {
      const char *k = v->u.object.keys[i];
      /* First letters that differ even with case folded (| 0x20 folds ASCII
       * letters; for other bytes it only lets more through to strcasecmp):
       * most keys of an object go no further. */
      if ((k[0] | 0x20) != (key[0] | 0x20))
        continue;
      if (strcasecmp (k, key) == 0)
        found = v->u.object.values[i];
    }
  return found;
}

/* --- leaves -------------------------------------------------------------- */

static int
check_string_value (struct json_ctx *ctx, const char *s, const struct json_type *t)
{
  if (t->values || t->names)
    {
      for (const char *const *p = t->values; p && *p; p++)
        if (strcmp (*p, s) == 0)
          return 0;
      if (t->names && oci_name_find (t->names, s))
        return 0;
      return json_error (ctx, "unknown %s \"%s\"", t->what ? t->what : "value", s);
    }
  if (t->str_check)
    return t->str_check (ctx, s, t);
  return 0;
}

int
json_check_abspath (struct json_ctx *ctx, const char *s, const struct json_type *t)
{
  if (s[0] != '/')
    return json_error (ctx, "expected an absolute path, got \"%s\"", s);
  return 0;
}

int
json_parse_string (struct json_ctx *ctx, json_val v, void *dest, const struct json_type *t)
{
  char **out = dest;

  if (!json_is_string (v))
    return json_error (ctx, "expected a string, got %s", json_type_name (v));
  if (check_string_value (ctx, v->u.string, t) < 0)
    return -1;
  free (*out);
  *out = xstrdup (v->u.string);
  return 0;
}

void
json_free_string (void *dest)
{
  char **s = dest;
  free (*s);
  *s = NULL;
}

int
json_parse_strv (struct json_ctx *ctx, json_val v, void *dest, const struct json_type *t)
{
  char ***out = dest;
  char **vec;
  size_t n;

  if (!json_is_array (v))
    return json_error (ctx, "expected an array of strings, got %s", json_type_name (v));
  n = v->u.array.len;
  json_free_strv (dest);
  vec = *out = xcalloc (n + 1, sizeof (char *));
  for (size_t i = 0; i < n; i++)
    {
      json_val e = v->u.array.values[i];
      size_t saved = json_push_index (ctx, i);
      if (!json_is_string (e))
        return json_error (ctx, "expected a string, got %s", json_type_name (e));
      if (check_string_value (ctx, e->u.string, t) < 0)
        return -1;
      json_pop (ctx, saved);
      vec[i] = xstrdup (e->u.string);
    }
  return 0;
}

void
json_free_strv (void *dest)
{
  char ***v = dest;
  if (*v)
    for (char **p = *v; *p; p++)
      free (*p);
  free (*v);
  *v = NULL;
}

static bool
is_fraction (const char *r)
{
  return strpbrk (r, ".eE") != NULL;
}

static bool
is_bool (json_val v)
{
  return v && (v->type == JSON_T_TRUE || v->type == JSON_T_FALSE);
}

static int
parse_bool (struct json_ctx *ctx, json_val v, void *dest, const struct json_type *t)
{
  if (!is_bool (v))
    return json_error (ctx, "expected a boolean, got %s", json_type_name (v));
  *(bool *) dest = json_is_true (v);
  return 0;
}

/* Numbers are read from their text: an int64 cannot hold the
 * uint64 values the spec allows (rlimits up to 18446744073709551615). */
int
json_parse_uint (struct json_ctx *ctx, json_val v, void *dest, const struct json_type *t)
{
  const char *r;
  char *end;
  unsigned long long n;
  uint64_t max = t->max ? t->max : UINT64_MAX;

  if (!json_is_number (v))
    return json_error (ctx, "expected a non-negative integer, got %s", json_type_name (v));
  r = v->u.number.r;
  if (is_fraction (r))
    return json_error (ctx, "expected a non-negative integer, got fractional number %s", r);
  if (r[0] == '-')
    return json_error (ctx, "expected a non-negative integer, got negative number %s", r);
  errno = 0;
  n = strtoull (r, &end, 10);
  if (errno == ERANGE || *end != '\0' || n > max || (t->min > 0 && n < (uint64_t) t->min))
    {
      if (t->min > 0)
        return json_error (ctx, "%s out of range [%" PRId64 ", %" PRIu64 "]", r, t->min, max);
      return json_error (ctx, "%s out of range (maximum %" PRIu64 ")", r, max);
    }
  switch (t->size)
    {
    case 2:
      *(uint16_t *) dest = (uint16_t) n;
      break;
    case 4:
      *(uint32_t *) dest = (uint32_t) n;
      break;
    default:
      *(uint64_t *) dest = (uint64_t) n;
      break;
    }
  return 0;
}

int
json_parse_int (struct json_ctx *ctx, json_val v, void *dest, const struct json_type *t)
{
  const char *r;
  char *end;
  long long n;
  int64_t max = (int64_t) t->max;

  if (!json_is_number (v))
    return json_error (ctx, "expected an integer, got %s", json_type_name (v));
  r = v->u.number.r;
  if (is_fraction (r))
    return json_error (ctx, "expected an integer, got fractional number %s", r);
  errno = 0;
  n = strtoll (r, &end, 10);
  if (errno == ERANGE || *end != '\0' || n < t->min || n > max)
    return json_error (ctx, "%s out of range [%" PRId64 ", %" PRId64 "]", r, t->min, max);
  if (t->size == 4)
    *(int32_t *) dest = (int32_t) n;
  else
    *(int64_t *) dest = (int64_t) n;
  return 0;
}

const struct json_type json_string = { .size = sizeof (char *), .parse = json_parse_string,
                                       .free = json_free_string };
const struct json_type json_abspath = { .size = sizeof (char *), .parse = json_parse_string,
                                        .free = json_free_string,
                                        .str_check = json_check_abspath };
const struct json_type json_strv = { .size = sizeof (char **), .parse = json_parse_strv,
                                     .free = json_free_strv };
const struct json_type json_abspath_v = { .size = sizeof (char **), .parse = json_parse_strv,
                                          .free = json_free_strv,
                                          .str_check = json_check_abspath };
const struct json_type json_bool = { .size = sizeof (bool), .parse = parse_bool };
const struct json_type json_u16 = { .size = 2, .parse = json_parse_uint, .max = UINT16_MAX };
const struct json_type json_u32 = { .size = 4, .parse = json_parse_uint, .max = UINT32_MAX };
const struct json_type json_u32_positive = { .size = 4, .parse = json_parse_uint, .min = 1,
                                             .max = UINT32_MAX };
const struct json_type json_u64 = { .size = 8, .parse = json_parse_uint, .max = UINT64_MAX };
const struct json_type json_i32 = { .size = 4, .parse = json_parse_int, .min = INT32_MIN,
                                    .max = INT32_MAX };
const struct json_type json_int = { .size = sizeof (int), .parse = json_parse_int,
                                    .min = INT32_MIN, .max = INT32_MAX };
const struct json_type json_int_positive = { .size = sizeof (int), .parse = json_parse_int,
                                             .min = 1, .max = INT32_MAX };
const struct json_type json_i64 = { .size = 8, .parse = json_parse_int, .min = INT64_MIN,
                                    .max = INT64_MAX };

_Static_assert (sizeof (int) == 4, "json_int stores 4 bytes");

/* --- objects, arrays and maps -------------------------------------------- */

static int parse_field (struct json_ctx *ctx, const struct json_field *f, json_val v,
                        char *base);

static int
parse_object (struct json_ctx *ctx, json_val v, void *dest, const struct json_type *t)
{
  if (!json_is_object (v))
    return json_error (ctx, "expected an object, got %s", json_type_name (v));
  for (const struct json_field *f = t->fields; f->name; f++)
    {
      json_val fv = json_get (v, f->name);
      size_t saved;
      int r;

      if (fv == NULL || json_is_null (fv))
        {
          if (f->required)
            return json_error_at (ctx, f->name, "required");
          continue;
        }
      saved = json_push_key (ctx, f->name);
      r = parse_field (ctx, f, fv, dest);
      if (r < 0)
        return r;
      json_pop (ctx, saved);
    }
  return 0;
}

/* Where this object is: kept in it for the messages of later stages. */
static void
record_origin (struct json_ctx *ctx, void *dest, const struct json_type *t)
{
  struct oci_origin *o = (struct oci_origin *) ((char *) dest + t->origin_offset);

  o->document = xstrdup (json_document (ctx));
  o->path = xstrdup (ctx->path ? ctx->path : "");
}

int
json_parse (struct json_ctx *ctx, json_val v, void *dest, const struct json_type *t)
{
  int r;

  if (t->has_origin)
    record_origin (ctx, dest, t);
  if (t->fields)
    r = parse_object (ctx, v, dest, t);
  else
    r = t->parse (ctx, v, dest, t);
  if (r < 0)
    return r;
  if (t->check)
    return t->check (ctx, v, dest);
  return 0;
}

static int
parse_array (struct json_ctx *ctx, const struct json_field *f, json_val v, char *base)
{
  const struct json_type *t = f->type;
  size_t n;
  char *arr;

  if (!json_is_array (v))
    return json_error (ctx, "expected an array, got %s", json_type_name (v));
  n = v->u.array.len;
  /* Store the storage first: a failure below leaves a struct json_free() can walk. */
  arr = xcalloc (n, t->size);
  *(void **) (base + f->offset) = arr;
  *(size_t *) (base + f->aux) = n;
  for (size_t i = 0; i < n; i++)
    {
      size_t saved = json_push_index (ctx, i);
      if (json_parse (ctx, v->u.array.values[i], arr + i * t->size, t) < 0)
        return -1;
      json_pop (ctx, saved);
    }
  return 0;
}

static int
parse_map (struct json_ctx *ctx, const struct json_field *f, json_val v, char *base)
{
  const struct json_type *t = f->type;
  size_t n;
  char *arr;

  if (!json_is_object (v))
    return json_error (ctx, "expected an object, got %s", json_type_name (v));
  n = v->u.object.len;
  arr = xcalloc (n, t->size);
  *(void **) (base + f->offset) = arr;
  *(size_t *) (base + f->aux) = n;
  for (size_t i = 0; i < n; i++)
    {
      const char *key = v->u.object.keys[i];
      char *elem = arr + i * t->size;
      size_t saved = json_push_key (ctx, key);

      *(char **) (elem + t->key_offset) = xstrdup (key);
      ctx->map_key = key;
      if (json_parse (ctx, v->u.object.values[i], elem, t) < 0)
        return -1;
      ctx->map_key = NULL;
      json_pop (ctx, saved);
    }
  return 0;
}

static int
parse_field (struct json_ctx *ctx, const struct json_field *f, json_val v, char *base)
{
  void *p;

  switch (f->kind)
    {
    case JSON_INLINE:
      if (json_parse (ctx, v, base + f->offset, f->type) < 0)
        return -1;
      if (f->aux != JSON_NONE)
        *(bool *) (base + f->aux) = true;
      return 0;
    case JSON_PTR:
      p = xcalloc (1, f->type->size);
      *(void **) (base + f->offset) = p;
      return json_parse (ctx, v, p, f->type);
    case JSON_ARRAY:
      return parse_array (ctx, f, v, base);
    case JSON_MAP:
      return parse_map (ctx, f, v, base);
    }
  return json_error (ctx, "internal error: bad field kind");
}

/* --- releasing ------------------------------------------------------------ */

static void
free_fields (char *base, const struct json_field *fields)
{
  for (const struct json_field *f = fields; f->name; f++)
    {
      const struct json_type *t = f->type;
      char *dest = base + f->offset;
      char *arr;
      size_t n;

      switch (f->kind)
        {
        case JSON_INLINE:
          json_free (dest, t);
          break;
        case JSON_PTR:
          arr = *(char **) dest;
          if (arr)
            json_free (arr, t);
          free (arr);
          *(char **) dest = NULL;
          break;
        case JSON_ARRAY:
        case JSON_MAP:
          arr = *(char **) dest;
          n = *(size_t *) (base + f->aux);
          for (size_t i = 0; arr && i < n; i++)
            {
              json_free (arr + i * t->size, t);
              if (f->kind == JSON_MAP)
                free (*(char **) (arr + i * t->size + t->key_offset));
            }
          free (arr);
          *(char **) dest = NULL;
          *(size_t *) (base + f->aux) = 0;
          break;
        }
    }
}

void
json_free (void *dest, const struct json_type *t)
{
  if (t->fields)
    free_fields (dest, t->fields);
  if (t->has_origin)
    {
      struct oci_origin *o = (struct oci_origin *) ((char *) dest + t->origin_offset);
      free (o->document);
      free (o->path);
      *o = (struct oci_origin){ NULL, NULL };
    }
  if (t->free)
    t->free (dest);
}
