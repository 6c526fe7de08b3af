/* JSON output (jsongen.h).
 *
 * The layout is the one husk has always printed (yajl_gen's, which state.json,
 * `state`, `features` and `spec` were written with, and which clients may
 * compare byte for byte): compact, or beautified with a newline after every
 * '{', '[' and ',', ": " between a key and its value, the indent string once per
 * level, and a newline after the top-level value.  So an empty container spans
 * lines ("[\n\n  ]").
 *
 * Each open level has a state; a call that does not fit it (a value where a key
 * is due, anything after the top-level value is complete) writes nothing.
 */
#define _GNU_SOURCE
#include "util/jsongen.h"
#include "util/xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum gen_state
{
  GEN_START, /* nothing written yet at this level */
  GEN_MAP_START, /* an object just opened: a key is due */
  GEN_MAP_KEY, /* a member written: ',' and a key are due */
  GEN_MAP_VAL, /* a key written: ':' and its value are due */
  GEN_ARRAY_START,
  GEN_IN_ARRAY, /* an element written: ',' and another are due */
  GEN_COMPLETE, /* the top-level value is written */
};

struct json_gen
{
  char *buf;
  size_t len, cap;
  const char *indent; /* NULL: compact */
  enum gen_state *state; /* state[depth] is the innermost level's */
  size_t depth, state_cap;
};

static void
put (struct json_gen *g, const char *s, size_t n)
{
  g->buf = xgrow (g->buf, &g->cap, g->len + n + 1, 256);
  memcpy (g->buf + g->len, s, n);
  g->len += n;
  g->buf[g->len] = '\0';
}

static void
put_str (struct json_gen *g, const char *s)
{
  put (g, s, strlen (s));
}

struct json_gen *
json_gen_new (const char *indent)
{
  struct json_gen *g = xcalloc (1, sizeof *g);

  g->indent = indent;
  g->state_cap = 8;
  g->state = xcalloc (g->state_cap, sizeof *g->state);
  g->state[0] = GEN_START;
  return g;
}

void
json_gen_free (struct json_gen *g)
{
  if (g == NULL)
    return;
  free (g->buf);
  free (g->state);
  free (g);
}

char *
json_gen_finish (struct json_gen *g, size_t *len)
{
  char *out = g->buf ? g->buf : xstrdup ("");

  if (len)
    *len = g->len;
  g->buf = NULL;
  json_gen_free (g);
  return out;
}

/* Whether anything may be written now; a value (not a key) also needs a level
 * that does not wait for a key. */
static bool
can_write (struct json_gen *g, bool is_key_or_string)
{
  enum gen_state s = g->state[g->depth];

  if (s == GEN_COMPLETE)
    return false;
  return is_key_or_string || (s != GEN_MAP_START && s != GEN_MAP_KEY);
}

/* What goes before an item: the separator from the previous one, then the
 * indent (not after a key, whose value follows on its line). */
static void
before_item (struct json_gen *g)
{
  enum gen_state s = g->state[g->depth];

  if (s == GEN_MAP_KEY || s == GEN_IN_ARRAY)
    put_str (g, g->indent ? ",\n" : ",");
  else if (s == GEN_MAP_VAL)
    put_str (g, g->indent ? ": " : ":");
  if (g->indent && s != GEN_MAP_VAL)
    for (size_t i = 0; i < g->depth; i++)
      put_str (g, g->indent);
}

/* The current level has one more item. */
static void
advance (struct json_gen *g)
{
  enum gen_state *s = &g->state[g->depth];

  switch (*s)
    {
    case GEN_START:
      *s = GEN_COMPLETE;
      break;
    case GEN_MAP_START:
    case GEN_MAP_KEY:
      *s = GEN_MAP_VAL;
      break;
    case GEN_ARRAY_START:
      *s = GEN_IN_ARRAY;
      break;
    case GEN_MAP_VAL:
      *s = GEN_MAP_KEY;
      break;
    default:
      break;
    }
}

/* Beautified, the document ends with a newline. */
static void
final_newline (struct json_gen *g)
{
  if (g->indent && g->state[g->depth] == GEN_COMPLETE)
    put_str (g, "\n");
}

static void
after_item (struct json_gen *g)
{
  advance (g);
  final_newline (g);
}

/* A scalar already formatted. */
static void
atom (struct json_gen *g, const char *text, size_t n)
{
  if (!can_write (g, false))
    return;
  before_item (g);
  put (g, text, n);
  after_item (g);
}

static void
open_level (struct json_gen *g, enum gen_state state, const char *bracket)
{
  if (!can_write (g, false))
    return;
  before_item (g);
  if (++g->depth == g->state_cap)
    {
      g->state_cap *= 2;
      g->state = xrealloc (g->state, g->state_cap * sizeof *g->state);
    }
  g->state[g->depth] = state;
  put_str (g, bracket);
  if (g->indent)
    put_str (g, "\n");
}

static void
close_level (struct json_gen *g, const char *bracket)
{
  if (g->depth == 0)
    return;
  g->depth--;
  if (g->indent)
    put_str (g, "\n");
  advance (g);
  if (g->indent && g->state[g->depth] != GEN_MAP_VAL)
    for (size_t i = 0; i < g->depth; i++)
      put_str (g, g->indent);
  put_str (g, bracket);
  final_newline (g);
}

void
json_gen_map_open (struct json_gen *g)
{
  open_level (g, GEN_MAP_START, "{");
}

void
json_gen_map_close (struct json_gen *g)
{
  close_level (g, "}");
}

void
json_gen_array_open (struct json_gen *g)
{
  open_level (g, GEN_ARRAY_START, "[");
}

void
json_gen_array_close (struct json_gen *g)
{
  close_level (g, "]");
}

/* s between quotes: '"', '\\' and the control characters escaped (the short
 * forms where JSON has one, else \u00XX); every other byte as it is. */
static void
put_quoted (struct json_gen *g, const char *s)
{
  static const char hex[] = "0123456789ABCDEF";
  const char *run = s;

  put_str (g, "\"");
  for (; *s; s++)
    {
      unsigned char c = (unsigned char) *s;
      const char *esc = NULL;
      char u[7];

      switch (c)
        {
        case '"':
          esc = "\\\"";
          break;
        case '\\':
          esc = "\\\\";
          break;
        case '\b':
          esc = "\\b";
          break;
        case '\f':
          esc = "\\f";
          break;
        case '\n':
          esc = "\\n";
          break;
        case '\r':
          esc = "\\r";
          break;
        case '\t':
          esc = "\\t";
          break;
        default:
          if (c < 0x20)
            {
              memcpy (u, "\\u00", 4);
              u[4] = hex[c >> 4];
              u[5] = hex[c & 0xf];
              u[6] = '\0';
              esc = u;
            }
          break;
        }
      if (esc)
        {
          put (g, run, (size_t) (s - run));
          put_str (g, esc);
          run = s + 1;
        }
    }
  put (g, run, (size_t) (s - run));
  put_str (g, "\"");
}

static void
string (struct json_gen *g, const char *s)
{
  if (!can_write (g, true))
    return;
  before_item (g);
  put_quoted (g, s);
  after_item (g);
}

void
json_gen_str (struct json_gen *g, const char *s)
{
  if (s == NULL)
    json_gen_null (g);
  else
    string (g, s);
}

void
json_gen_key (struct json_gen *g, const char *key)
{
  string (g, key);
}

void
json_gen_int (struct json_gen *g, long long v)
{
  char s[24];
  int n = snprintf (s, sizeof s, "%lld", v);

  atom (g, s, (size_t) n);
}

void
json_gen_u64 (struct json_gen *g, uint64_t v)
{
  char s[24];
  int n = snprintf (s, sizeof s, "%" PRIu64, v);

  atom (g, s, (size_t) n);
}

void
json_gen_bool (struct json_gen *g, bool v)
{
  atom (g, v ? "true" : "false", v ? 4 : 5);
}

void
json_gen_null (struct json_gen *g)
{
  atom (g, "null", 4);
}

void
json_gen_strv (struct json_gen *g, const char *const *v)
{
  json_gen_array_open (g);
  for (; v && *v; v++)
    json_gen_str (g, *v);
  json_gen_array_close (g);
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
