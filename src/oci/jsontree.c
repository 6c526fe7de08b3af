/* JSON text -> a yajl_val tree, strictly.
 *
 * yajl_tree_parse() cannot be configured: it turns comments on, and its tree
 * keeps strings as C strings, so "a\u0000b" silently became "a".  This builds
 * the same tree from yajl's callbacks with comments off, and checks every key
 * and string while the JSON path is known:
 *
 *   - no NUL character (the strings become C strings);
 *   - strict UTF-8: yajl checks only the shape of multi-byte sequences, so
 *     overlong forms (C0 AF for '/'), UTF-16 surrogates and code points past
 *     U+10FFFF got through;
 *   - \u escapes: yajl decodes an unpaired high surrogate to '?' and pairs a
 *     high surrogate with any following escape; a lexical pre-scan finds those
 *     (the callbacks only see decoded bytes) and the callback of that string
 *     reports it with its path.
 *
 * Nesting is limited before anything deep is built or freed.
 */
#define _GNU_SOURCE
#include "oci/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

/* Deeper than anything a config needs; also bounds the recursion of tree_free. */
#define MAX_DEPTH 256
#define DOCUMENT(d) ((d) ? (d) : "config.json")

struct frame
{
  yajl_val v; /* an object or an array being filled */
  size_t cap;
  char *key; /* objects: the key whose value is being read */
};

struct builder
{
  struct frame *stack;
  size_t depth, cap;
  yajl_val root;
  struct husk_error **err;
  const char *document; /* for messages; NULL: "config.json" */
  bool failed; /* *err holds our own error */
  size_t n_strings; /* keys and strings seen, in text order */
  size_t bad_escape; /* ordinal of the first string with a bad \u escape, or SIZE_MAX */
  char bad_escape_text[16];
};


void
json_tree_free (yajl_val v)
{
  if (v == NULL)
    return;
  switch (v->type)
    {
    case yajl_t_string:
      free (v->u.string);
      break;
    case yajl_t_number:
      free (v->u.number.r);
      break;
    case yajl_t_object:
      for (size_t i = 0; i < v->u.object.len; i++)
        {
          free ((char *) v->u.object.keys[i]);
          json_tree_free (v->u.object.values[i]);
        }
      free (v->u.object.keys);
      free (v->u.object.values);
      break;
    case yajl_t_array:
      for (size_t i = 0; i < v->u.array.len; i++)
        json_tree_free (v->u.array.values[i]);
      free (v->u.array.values);
      break;
    default:
      break;
    }
  free (v);
}

/* --- checks on strings --------------------------------------------------- */

/* What is wrong with s as UTF-8 (RFC 3629), or NULL; *at is the byte offset. */
static const char *
utf8_problem (const unsigned char *s, size_t len, size_t *at)
{
  for (size_t i = 0; i < len;)
    {
      unsigned c = s[i], cp, min;
      size_t n;

      *at = i;
      if (c < 0x80)
        {
          i++;
          continue;
        }
      if (c == 0xc0 || c == 0xc1)
        return "an overlong encoding";
      if (c >= 0xc2 && c <= 0xdf)
        n = 1, cp = c & 0x1f, min = 0x80;
      else if ((c & 0xf0) == 0xe0)
        n = 2, cp = c & 0x0f, min = 0x800;
      else if (c >= 0xf0 && c <= 0xf4)
        n = 3, cp = c & 0x07, min = 0x10000;
      else
        return "an invalid byte";
      for (size_t k = 1; k <= n; k++)
        {
          if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
            return "a truncated sequence";
          cp = (cp << 6) | (s[i + k] & 0x3f);
        }
      if (cp < min)
        return "an overlong encoding";
      if (cp >= 0xd800 && cp <= 0xdfff)
        return "a UTF-16 surrogate";
      if (cp > 0x10ffff)
        return "a code point beyond U+10FFFF";
      i += n + 1;
    }
  return NULL;
}

static int
hex4 (const char *p)
{
  int v = 0;
  for (int i = 0; i < 4; i++)
    {
      char c = p[i];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        return -1;
    }
  return v;
}

/* The first string (keys count) with an unpaired surrogate escape: its ordinal
 * in text order, and the escape.  A malformed escape is left to yajl's lexer. */
static void
scan_escapes (const char *s, size_t len, struct builder *b)
{
  bool in_string = false;
  size_t ordinal = 0;

  b->bad_escape = SIZE_MAX;
  for (size_t i = 0; i < len; i++)
    {
      if (!in_string)
        {
          if (s[i] == '"')
            in_string = true;
          continue;
        }
      if (s[i] == '"')
        {
          in_string = false;
          ordinal++;
          continue;
        }
      if (s[i] != '\\' || i + 1 >= len)
        continue;
      i++;
      if (s[i] != 'u' || i + 4 >= len)
        continue;
      int u = hex4 (s + i + 1), low = -1;
      if (u < 0)
        continue;
      if (u >= 0xd800 && u <= 0xdbff && i + 10 < len && s[i + 5] == '\\' && s[i + 6] == 'u')
        low = hex4 (s + i + 7);
      if ((u >= 0xd800 && u <= 0xdbff && (low < 0xdc00 || low > 0xdfff))
          || (u >= 0xdc00 && u <= 0xdfff))
        {
          b->bad_escape = ordinal;
          snprintf (b->bad_escape_text, sizeof b->bad_escape_text, "\\u%.4s", s + i + 1);
          return;
        }
      i += low >= 0 ? 10 : 4;
    }
}

/* The JSON path of what is being read: each open container adds the key or
 * index of its member under construction; for a key, the innermost does not. */
static void
build_path (struct builder *b, struct json_ctx *ctx, bool for_key)
{
  for (size_t i = 0; i < b->depth; i++)
    {
      struct frame *f = &b->stack[i];
      if (for_key && i + 1 == b->depth)
        break;
      if (f->v->type == yajl_t_array)
        json_push_index (ctx, f->v->u.array.len);
      else if (f->key)
        json_push_key (ctx, f->key);
    }
}

static int
fail (struct builder *b, bool for_key, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

static int
fail (struct builder *b, bool for_key, const char *fmt, ...)
{
  struct json_ctx ctx = { .err = b->err, .document = b->document };
  cleanup_free char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  build_path (b, &ctx, for_key);
  json_error (&ctx, "%s", msg);
  json_ctx_release (&ctx);
  b->failed = true;
  return 0; /* cancels the parse */
}

/* 1 if s (len bytes, decoded) may be a string of the document, else 0 with the error. */
static int
check_string (struct builder *b, const unsigned char *s, size_t len, bool is_key)
{
  const char *what = is_key ? "a key: " : "";
  const char *problem;
  size_t at;

  if (b->n_strings++ == b->bad_escape)
    return fail (b, is_key, "%sinvalid escape %s: an unpaired UTF-16 surrogate", what,
                 b->bad_escape_text);
  if (memchr (s, '\0', len))
    return fail (b, is_key, "%scontains \\u0000: a NUL character cannot be passed on", what);
  if ((problem = utf8_problem (s, len, &at)))
    return fail (b, is_key, "%sinvalid UTF-8: %s at byte %zu", what, problem, at);
  return 1;
}

/* --- building ------------------------------------------------------------ */

static yajl_val
new_value (yajl_type type)
{
  yajl_val v = xcalloc (1, sizeof *v);
  v->type = type;
  return v;
}

/* Put v where the innermost container expects it (or make it the root). */
static int
add_value (struct builder *b, yajl_val v)
{
  struct frame *f;

  if (b->depth == 0)
    {
      b->root = v;
      return 1;
    }
  f = &b->stack[b->depth - 1];
  if (f->v->type == yajl_t_array)
    {
      size_t n = f->v->u.array.len;
      if (n == f->cap)
        {
          f->cap = f->cap ? f->cap * 2 : 8;
          f->v->u.array.values = xrealloc (f->v->u.array.values, f->cap * sizeof (yajl_val));
        }
      f->v->u.array.values[n] = v;
      f->v->u.array.len = n + 1;
      return 1;
    }
  size_t n = f->v->u.object.len;
  if (n == f->cap)
    {
      f->cap = f->cap ? f->cap * 2 : 8;
      f->v->u.object.keys = xrealloc (f->v->u.object.keys, f->cap * sizeof (char *));
      f->v->u.object.values = xrealloc (f->v->u.object.values, f->cap * sizeof (yajl_val));
    }
  f->v->u.object.keys[n] = f->key;
  f->v->u.object.values[n] = v;
  f->v->u.object.len = n + 1;
  f->key = NULL;
  return 1;
}

static int
on_null (void *ctx)
{
  return add_value (ctx, new_value (yajl_t_null));
}

static int
on_boolean (void *ctx, int value)
{
  return add_value (ctx, new_value (value ? yajl_t_true : yajl_t_false));
}

static int
on_number (void *ctx, const char *s, size_t len)
{
  yajl_val v = new_value (yajl_t_number);
  char *end;

  v->u.number.r = xstrndup (s, len);
  /* As yajl_tree fills them, though the readers use only the text. */
  errno = 0;
  v->u.number.i = strtoll (v->u.number.r, &end, 10);
  if (errno == 0 && *end == '\0')
    v->u.number.flags |= YAJL_NUMBER_INT_VALID;
  errno = 0;
  v->u.number.d = strtod (v->u.number.r, &end);
  if (errno == 0 && *end == '\0')
    v->u.number.flags |= YAJL_NUMBER_DOUBLE_VALID;
  return add_value (ctx, v);
}

static int
on_string (void *ctx, const unsigned char *s, size_t len)
{
  yajl_val v;

  if (!check_string (ctx, s, len, false))
    return 0;
  v = new_value (yajl_t_string);
  v->u.string = xstrndup ((const char *) s, len);
  return add_value (ctx, v);
}

static int
push_container (struct builder *b, yajl_type type)
{
  yajl_val v = new_value (type);

  if (b->depth == MAX_DEPTH)
    {
      free (v);
      husk_error_set (b->err, 0, "%s: parse error: nested deeper than %d levels",
                      DOCUMENT (b->document), MAX_DEPTH);
      b->failed = true;
      return 0;
    }
  if (b->depth == b->cap)
    {
      b->cap = b->cap ? b->cap * 2 : 16;
      b->stack = xrealloc (b->stack, b->cap * sizeof *b->stack);
    }
  b->stack[b->depth++] = (struct frame){ .v = v };
  return 1;
}

static int
pop_container (struct builder *b)
{
  struct frame f = b->stack[--b->depth];

  free (f.key);
  return add_value (b, f.v);
}

static int
on_start_map (void *ctx)
{
  return push_container (ctx, yajl_t_object);
}

static int
on_map_key (void *ctx, const unsigned char *s, size_t len)
{
  struct builder *b = ctx;
  struct frame *f = &b->stack[b->depth - 1];

  if (!check_string (b, s, len, true))
    return 0;
  free (f->key);
  f->key = xstrndup ((const char *) s, len);
  return 1;
}

static int
on_end (void *ctx)
{
  return pop_container (ctx);
}

static int
on_start_array (void *ctx)
{
  return push_container (ctx, yajl_t_array);
}

static const yajl_callbacks callbacks = {
  .yajl_null = on_null,
  .yajl_boolean = on_boolean,
  .yajl_number = on_number,
  .yajl_string = on_string,
  .yajl_start_map = on_start_map,
  .yajl_map_key = on_map_key,
  .yajl_end_map = on_end,
  .yajl_start_array = on_start_array,
  .yajl_end_array = on_end,
};

/* yajl's message is several lines (an excerpt and an arrow): keep the first. */
static void
yajl_failure (yajl_handle h, const char *document, const char *data, size_t len,
              struct husk_error **err)
{
  unsigned char *text = yajl_get_error (h, 1, (const unsigned char *) data, len);
  char *msg = (char *) text, *nl;

  if (msg == NULL)
    {
      husk_error_set (err, 0, "%s: parse error: invalid document", DOCUMENT (document));
      return;
    }
  if ((nl = strchr (msg, '\n')))
    *nl = '\0';
  if (strncmp (msg, "parse error: ", 13) == 0)
    msg += 13;
  for (size_t n = strlen (msg); n && (msg[n - 1] == ' ' || msg[n - 1] == '.'); n--)
    msg[n - 1] = '\0';
  husk_error_set (err, 0, "%s: parse error: %s", DOCUMENT (document),
                  *msg ? msg : "invalid document");
  yajl_free_error (h, text);
}

yajl_val
json_tree_parse (const char *document, const char *data, size_t len, struct husk_error **err)
{
  struct builder b = { .err = err, .document = document };
  yajl_handle h;
  yajl_status st;

  if (memchr (data, '\0', len))
    return husk_error_set (err, 0, "%s: parse error: the document contains a NUL byte",
                           DOCUMENT (document)),
           NULL;
  scan_escapes (data, len, &b);
  h = yajl_alloc (&callbacks, NULL, &b);
  if (h == NULL)
    abort ();
  /* Comments stay off (yajl's default; yajl_tree_parse turns them on), and
   * yajl's own UTF-8 check stays on: check_string adds what it lets through. */
  st = yajl_parse (h, (const unsigned char *) data, len);
  if (st == yajl_status_ok)
    st = yajl_complete_parse (h);
  if (st != yajl_status_ok && !b.failed)
    yajl_failure (h, document, data, len, err);
  yajl_free (h);
  if (st == yajl_status_ok && b.depth == 0 && b.root)
    {
      free (b.stack);
      return b.root;
    }
  /* A failure leaves the open containers on the stack, each not yet linked
   * to its parent: free them innermost first (the root is the outermost). */
  while (b.depth > 0)
    {
      struct frame *f = &b.stack[--b.depth];
      free (f->key);
      json_tree_free (f->v);
    }
  json_tree_free (b.root); /* complete, but followed by trailing garbage */
  free (b.stack);
  if (st == yajl_status_ok)
    husk_error_set (err, 0, "%s: parse error: premature EOF", DOCUMENT (document));
  return NULL;
}
