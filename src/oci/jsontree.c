/* JSON text -> a tree (jsontree.h), strictly: RFC 8259 and nothing more.
 *
 * A recursive descent over the text, one value at a time; the recursion is
 * bounded by JSON_MAX_DEPTH, checked before a container is built.  Each open
 * container has a frame (the container and, for an object, the key being
 * read), so that a problem in a key or a string is reported with its JSON
 * path ("annotations.x: invalid UTF-8 ..."); a syntax error is reported with
 * its line and column.
 *
 * Every string is decoded into one allocation of at most its raw length (an
 * escape never grows), then checked: no NUL (the strings become C strings),
 * strict UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF), and
 * each \u escape of a surrogate paired with the other half.  Members and
 * elements are appended to arrays that double, so a huge object or array
 * costs linear time.
 */
#define _GNU_SOURCE
#include "oci/jsontree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/json.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define DOCUMENT(d) ((d) ? (d) : "config.json")

struct frame
{
  json_val v; /* the object or array being filled */
  const char *key; /* objects: the key of the member being read, or NULL */
};

struct parser
{
  const char *s;
  size_t len, pos;
  const char *document;
  struct husk_error **err;
  size_t depth, stack_bytes;
  struct frame *stack; /* grown by doubling from 16 frames: configs nest ~6 deep */
};

void
json_tree_free (json_val v)
{
  if (v == NULL)
    return;
  switch (v->type)
    {
    case JSON_T_STRING:
      free (v->u.string);
      break;
    case JSON_T_NUMBER:
      free (v->u.number.r);
      break;
    case JSON_T_OBJECT:
      for (size_t i = 0; i < v->u.object.len; i++)
        {
          free ((char *) v->u.object.keys[i]);
          json_tree_free (v->u.object.values[i]);
        }
      free (v->u.object.keys);
      free (v->u.object.values);
      break;
    case JSON_T_ARRAY:
      for (size_t i = 0; i < v->u.array.len; i++)
        json_tree_free (v->u.array.values[i]);
      free (v->u.array.values);
      break;
    default:
      break;
    }
  free (v);
}

json_val
json_object_get (json_val v, const char *key)
{
  if (!json_is_object (v))
    return NULL;
  for (size_t i = 0; i < v->u.object.len; i++)
    if (strcmp (v->u.object.keys[i], key) == 0)
      return v->u.object.values[i];
  return NULL;
}

/* --- errors ---------------------------------------------------------------- */

static int syntax_error (struct parser *p, size_t at, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* "<document>: parse error: <what> at line L, column C".  Returns -1. */
static int
syntax_error (struct parser *p, size_t at, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  size_t line = 1, line_start = 0;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  for (const char *nl = p->s; (nl = memchr (nl, '\n', at - (size_t) (nl - p->s))); nl++)
    {
      line++;
      line_start = (size_t) (nl - p->s) + 1;
    }
  return husk_error_set (p->err, 0, "%s: parse error: %s at line %zu, column %zu",
                         DOCUMENT (p->document), msg, line, at - line_start + 1);
}

/* A byte for a message: `x`, or byte 0xNN. */
static const char *
describe_byte (unsigned char c, char buf[16])
{
  if (c > 0x20 && c < 0x7f)
    snprintf (buf, 16, "`%c`", c);
  else
    snprintf (buf, 16, "byte 0x%02x", c);
  return buf;
}

/* Not what the grammar allows at p->pos, where `expected` was. */
static int
unexpected (struct parser *p, const char *expected)
{
  char buf[16];

  if (p->pos >= p->len)
    return syntax_error (p, p->len, "premature EOF");
  if (p->s[p->pos] == '/')
    return syntax_error (p, p->pos, "found a comment (comments are not enabled)");
  return syntax_error (p, p->pos, "expected %s, got %s", expected,
                       describe_byte ((unsigned char) p->s[p->pos], buf));
}

static int path_error (struct parser *p, bool for_key, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* "<document>: <path>: <what>" for a problem in a string: the path of the value
 * being read; for a key, of the object that holds it. */
static int
path_error (struct parser *p, bool for_key, const char *fmt, ...)
{
  struct json_ctx ctx = { .err = p->err, .document = p->document };
  cleanup_free char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  for (size_t i = 0; i < p->depth; i++)
    {
      struct frame *f = &p->stack[i];
      if (for_key && i + 1 == p->depth)
        break;
      if (f->v->type == JSON_T_ARRAY)
        json_push_index (&ctx, f->v->u.array.len);
      else if (f->key)
        json_push_key (&ctx, f->key);
    }
  json_error (&ctx, "%s", msg);
  json_ctx_release (&ctx);
  return -1;
}

/* --- strings --------------------------------------------------------------- */

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

/* The value of the 4 hex digits at s, or -1. */
static long
hex4 (const char *s)
{
  long v = 0;

  for (int i = 0; i < 4; i++)
    {
      char c = s[i];
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

static size_t
put_utf8 (char *out, unsigned long cp)
{
  if (cp < 0x80)
    return out[0] = (char) cp, 1;
  if (cp < 0x800)
    {
      out[0] = (char) (0xc0 | (cp >> 6));
      out[1] = (char) (0x80 | (cp & 0x3f));
      return 2;
    }
  if (cp < 0x10000)
    {
      out[0] = (char) (0xe0 | (cp >> 12));
      out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
      out[2] = (char) (0x80 | (cp & 0x3f));
      return 3;
    }
  out[0] = (char) (0xf0 | (cp >> 18));
  out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
  out[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
  out[3] = (char) (0x80 | (cp & 0x3f));
  return 4;
}

/* The escape at s[i] ('\\'; the string's closing quote is at end): its bytes
 * appended at out + *n, i moved past it.  Returns -1 with the error. */
static int
decode_escape (struct parser *p, size_t *i, size_t end, char *out, size_t *n, bool is_key)
{
  const char *s = p->s;
  const char *what = is_key ? "a key: " : "";
  char c = s[*i + 1], buf[16];
  long cp, low;

  switch (c)
    {
    case '"':
    case '\\':
    case '/':
      out[(*n)++] = c;
      break;
    case 'b':
      out[(*n)++] = '\b';
      break;
    case 'f':
      out[(*n)++] = '\f';
      break;
    case 'n':
      out[(*n)++] = '\n';
      break;
    case 'r':
      out[(*n)++] = '\r';
      break;
    case 't':
      out[(*n)++] = '\t';
      break;
    case 'u':
      if (*i + 5 >= end || (cp = hex4 (s + *i + 2)) < 0)
        return syntax_error (p, *i, "invalid escape: \\u takes 4 hexadecimal digits");
      if (cp >= 0xd800 && cp <= 0xdbff && *i + 11 < end && s[*i + 6] == '\\'
          && s[*i + 7] == 'u' && (low = hex4 (s + *i + 8)) >= 0xdc00 && low <= 0xdfff)
        {
          *n += put_utf8 (out + *n, 0x10000 + ((unsigned long) (cp - 0xd800) << 10)
                                        + (unsigned long) (low - 0xdc00));
          *i += 12;
          return 0;
        }
      if (cp >= 0xd800 && cp <= 0xdfff)
        return path_error (p, is_key, "%sinvalid escape \\u%.4s: an unpaired UTF-16 surrogate",
                           what, s + *i + 2);
      *n += put_utf8 (out + *n, (unsigned long) cp);
      *i += 6;
      return 0;
    default:
      return syntax_error (p, *i, "invalid escape \\ followed by %s",
                           describe_byte ((unsigned char) c, buf));
    }
  *i += 2;
  return 0;
}

/* The string at p->pos (its opening quote), decoded and checked, into *out. */
static int
parse_string (struct parser *p, char **out, bool is_key)
{
  const char *s = p->s;
  const char *what = is_key ? "a key: " : "";
  const char *problem;
  size_t start = p->pos + 1, end, n = 0, at;
  cleanup_free char *buf = NULL;

  /* Where it ends; raw control characters are not allowed (RFC 8259 7). */
  for (end = start; end < p->len && s[end] != '"'; end++)
    if (s[end] == '\\')
      end++;
    else if ((unsigned char) s[end] < 0x20)
      return syntax_error (p, end, "unescaped control character 0x%02x in a string",
                           (unsigned char) s[end]);
  if (end >= p->len)
    return syntax_error (p, p->len, "premature EOF");
  buf = xmalloc (end - start + 1);
  for (size_t i = start; i < end;)
    {
      const char *bs = memchr (s + i, '\\', end - i);
      size_t run = bs ? (size_t) (bs - (s + i)) : end - i;

      memcpy (buf + n, s + i, run);
      n += run;
      i += run;
      if (i < end && decode_escape (p, &i, end, buf, &n, is_key) < 0)
        return -1;
    }
  buf[n] = '\0';
  if (memchr (buf, '\0', n))
    return path_error (p, is_key, "%scontains \\u0000: a NUL character cannot be passed on", what);
  if ((problem = utf8_problem ((const unsigned char *) buf, n, &at)))
    return path_error (p, is_key, "%sinvalid UTF-8: %s at byte %zu", what, problem, at);
  p->pos = end + 1;
  *out = buf;
  buf = NULL;
  return 0;
}

/* --- numbers and literals -------------------------------------------------- */

static bool
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

/* Skips the digits at p->pos; at least one is required, else an error on what. */
static int
digits (struct parser *p, const char *what)
{
  if (p->pos >= p->len || !is_digit (p->s[p->pos]))
    return unexpected (p, what);
  while (p->pos < p->len && is_digit (p->s[p->pos]))
    p->pos++;
  return 0;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
parse_number (struct parser *p, json_val *out)
{
  size_t start = p->pos;
  bool integer = true;
  json_val v;
  char *end;

  if (p->s[p->pos] == '-')
    p->pos++;
  if (p->pos < p->len && p->s[p->pos] == '0')
    {
      p->pos++;
      if (p->pos < p->len && is_digit (p->s[p->pos]))
        return syntax_error (p, p->pos - 1, "invalid number: a leading zero");
    }
  else if (digits (p, "a digit in a number") < 0)
    return -1;
  if (p->pos < p->len && p->s[p->pos] == '.')
    {
      p->pos++;
      integer = false;
      if (digits (p, "a digit after the decimal point") < 0)
        return -1;
    }
  if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
    {
      p->pos++;
      integer = false;
      if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
        p->pos++;
      if (digits (p, "a digit in the exponent") < 0)
        return -1;
    }
  v = xcalloc (1, sizeof *v);
  v->type = JSON_T_NUMBER;
  v->u.number.r = xstrndup (p->s + start, p->pos - start);
  if (integer)
    {
      errno = 0;
      v->u.number.i = strtoll (v->u.number.r, &end, 10);
      if (errno == 0 && *end == '\0')
        v->u.number.flags |= JSON_NUMBER_INT_VALID;
      errno = 0;
      if (v->u.number.r[0] != '-')
        {
          v->u.number.u = strtoull (v->u.number.r, &end, 10);
          if (errno == 0 && *end == '\0')
            v->u.number.flags |= JSON_NUMBER_UINT_VALID;
        }
    }
  *out = v;
  return 0;
}

static int
parse_literal (struct parser *p, json_val *out)
{
  static const struct
  {
    const char *text;
    enum json_value_type type;
  } literals[] = { { "true", JSON_T_TRUE }, { "false", JSON_T_FALSE }, { "null", JSON_T_NULL } };

  for (size_t k = 0; k < sizeof literals / sizeof literals[0]; k++)
    {
      size_t n = strlen (literals[k].text), have = p->len - p->pos;

      if (literals[k].text[0] != p->s[p->pos])
        continue;
      if (have < n && memcmp (p->s + p->pos, literals[k].text, have) == 0)
        return syntax_error (p, p->len, "premature EOF");
      if (have < n || memcmp (p->s + p->pos, literals[k].text, n) != 0)
        return syntax_error (p, p->pos, "invalid literal (expected %s)", literals[k].text);
      p->pos += n;
      *out = xcalloc (1, sizeof **out);
      (*out)->type = literals[k].type;
      return 0;
    }
  return unexpected (p, "a value");
}

/* --- containers ------------------------------------------------------------ */

static void
skip_space (struct parser *p)
{
  while (p->pos < p->len
         && (p->s[p->pos] == ' ' || p->s[p->pos] == '\n' || p->s[p->pos] == '\t'
             || p->s[p->pos] == '\r'))
    p->pos++;
}

static int parse_value (struct parser *p, json_val *out);

/* The next capacity of a growing array: doubling keeps a huge object or array
 * linear.  (No overflow: each element takes at least 2 bytes of the text.) */
static size_t
next_cap (size_t cap)
{
  return cap ? 2 * cap : 4;
}

/* A new container of type at p->pos ('{' or '['), as the innermost frame. */
static int
push_container (struct parser *p, enum json_value_type type, json_val *out)
{
  if (p->depth == JSON_MAX_DEPTH)
    return syntax_error (p, p->pos, "nested deeper than %d levels", JSON_MAX_DEPTH);
  p->stack = xgrow (p->stack, &p->stack_bytes, (p->depth + 1) * sizeof *p->stack,
                    16 * sizeof *p->stack);
  *out = xcalloc (1, sizeof **out);
  (*out)->type = type;
  p->stack[p->depth++] = (struct frame){ .v = *out };
  p->pos++;
  skip_space (p);
  return 0;
}

static int
parse_members (struct parser *p, json_val obj)
{
  struct frame *f = &p->stack[p->depth - 1];
  size_t cap = 0;

  if (p->pos < p->len && p->s[p->pos] == '}')
    return p->pos++, 0;
  for (;;)
    {
      char *key = NULL;
      json_val value = NULL;
      size_t n = obj->u.object.len;

      skip_space (p);
      if (p->pos >= p->len || p->s[p->pos] != '"')
        return unexpected (p, "a string (an object key)");
      if (parse_string (p, &key, true) < 0)
        return -1;
      f->key = key;
      skip_space (p);
      if (p->pos >= p->len || p->s[p->pos] != ':')
        {
          free (key);
          return unexpected (p, "`:` after an object key");
        }
      p->pos++;
      if (parse_value (p, &value) < 0)
        {
          free (key);
          return -1;
        }
      if (n == cap)
        {
          cap = next_cap (cap);
          obj->u.object.keys = xrealloc (obj->u.object.keys, cap * sizeof (char *));
          obj->u.object.values = xrealloc (obj->u.object.values, cap * sizeof (json_val));
        }
      obj->u.object.keys[n] = key;
      obj->u.object.values[n] = value;
      obj->u.object.len = n + 1;
      f->key = NULL;
      skip_space (p);
      if (p->pos < p->len && p->s[p->pos] == ',')
        {
          p->pos++;
          continue;
        }
      if (p->pos < p->len && p->s[p->pos] == '}')
        return p->pos++, 0;
      return unexpected (p, "`,` or `}` after an object member");
    }
}

static int
parse_elements (struct parser *p, json_val arr)
{
  size_t cap = 0;

  if (p->pos < p->len && p->s[p->pos] == ']')
    return p->pos++, 0;
  for (;;)
    {
      json_val value = NULL;
      size_t n = arr->u.array.len;

      if (parse_value (p, &value) < 0)
        return -1;
      if (n == cap)
        {
          cap = next_cap (cap);
          arr->u.array.values = xrealloc (arr->u.array.values, cap * sizeof (json_val));
        }
      arr->u.array.values[n] = value;
      arr->u.array.len = n + 1;
      skip_space (p);
      if (p->pos < p->len && p->s[p->pos] == ',')
        {
          p->pos++;
          continue;
        }
      if (p->pos < p->len && p->s[p->pos] == ']')
        return p->pos++, 0;
      return unexpected (p, "`,` or `]` after an array element");
    }
}

static int
parse_value (struct parser *p, json_val *out)
{
  int r;

  skip_space (p);
  if (p->pos >= p->len)
    return unexpected (p, "a value");
  switch (p->s[p->pos])
    {
    case '{':
    case '[':
      if (push_container (p, p->s[p->pos] == '{' ? JSON_T_OBJECT : JSON_T_ARRAY, out) < 0)
        return -1;
      r = (*out)->type == JSON_T_OBJECT ? parse_members (p, *out) : parse_elements (p, *out);
      p->depth--;
      if (r < 0)
        {
          json_tree_free (*out);
          *out = NULL;
        }
      return r;
    case '"':
      *out = xcalloc (1, sizeof **out);
      (*out)->type = JSON_T_STRING;
      if (parse_string (p, &(*out)->u.string, false) < 0)
        {
          free (*out);
          *out = NULL;
          return -1;
        }
      return 0;
    case '-':
    case '0' ... '9':
      return parse_number (p, out);
    default:
      return parse_literal (p, out);
    }
}

json_val
json_tree_parse (const char *document, const char *data, size_t len, struct husk_error **err)
{
  struct parser parser = { .s = data ? data : "", .len = data ? len : 0, .document = document,
                           .err = err };
  struct parser *p = &parser;
  const char *nul;
  json_val root = NULL;

  if ((nul = memchr (p->s, '\0', p->len)))
    syntax_error (p, (size_t) (nul - p->s), "the document contains a NUL byte");
  else if (parse_value (p, &root) == 0)
    {
      skip_space (p);
      if (p->pos < p->len)
        {
          if (p->s[p->pos] == '/')
            unexpected (p, "");
          else
            syntax_error (p, p->pos, "trailing garbage after the value");
          json_tree_free (root);
          root = NULL;
        }
    }
  free (p->stack);
  return root;
}
