/* The JSON parser (src/oci/jsontree.c) and generator (src/util/jsongen.c),
 * husk's own since libyajl was dropped: what they accept and how they refuse,
 * and the generator's output byte for byte as yajl_gen wrote it (the want_*
 * texts were printed by the yajl_gen-based jsongen.c of commit f5c69a7). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/json.h"
#include "oci/jsontree.h"
#include "util/jsongen.h"
#include "tap.h"

static bool
streq (const char *a, const char *b)
{
  return a && b && strcmp (a, b) == 0;
}

/* The tree of doc (len: strlen), or NULL with the error's message in *msg. */
static json_val
parse (const char *doc, size_t len, char **msg)
{
  struct husk_error *e = NULL;
  json_val v = json_tree_parse ("test.json", doc, len, &e);

  *msg = e ? strdup (e->msg) : NULL;
  husk_error_free (e);
  return v;
}

/* --- the generator: a tree written back ---------------------------------- */

static void
gen_tree (struct json_gen *g, json_val v)
{
  switch (v->type)
    {
    case JSON_T_STRING:
      json_gen_str (g, v->u.string);
      break;
    case JSON_T_NUMBER:
      if (v->u.number.flags & JSON_NUMBER_INT_VALID)
        json_gen_int (g, v->u.number.i);
      else
        json_gen_u64 (g, v->u.number.u);
      break;
    case JSON_T_TRUE:
    case JSON_T_FALSE:
      json_gen_bool (g, v->type == JSON_T_TRUE);
      break;
    case JSON_T_NULL:
      json_gen_null (g);
      break;
    case JSON_T_OBJECT:
      json_gen_map_open (g);
      for (size_t i = 0; i < v->u.object.len; i++)
        {
          json_gen_key (g, v->u.object.keys[i]);
          gen_tree (g, v->u.object.values[i]);
        }
      json_gen_map_close (g);
      break;
    case JSON_T_ARRAY:
      json_gen_array_open (g);
      for (size_t i = 0; i < v->u.array.len; i++)
        gen_tree (g, v->u.array.values[i]);
      json_gen_array_close (g);
      break;
    }
}

/* Compact documents with integers only: parsed and written back, the same text. */
static void
test_round_trip (void)
{
  static const char *const docs[] = {
    "{}",
    "[]",
    "\"\"",
    "0",
    "-1",
    "true",
    "null",
    "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"},\"a\":2}",
    "[[[[[]]]],{},\"x\",-9223372036854775808,9223372036854775807,18446744073709551615]",
    "{\"esc\":\"q\\\"\\\\\\n\\r\\t\\b\\f\\u0001\\u001F\",\"utf8\":\"caf\xc3\xa9 \xf0\x9f\x90\xb3\"}",
    "{\"z\":1,\"y\":2,\"x\":3,\"\":4}",
  };

  for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
    {
      char *msg, *out;
      json_val v = parse (docs[i], strlen (docs[i]), &msg);
      struct json_gen *g;

      if (v == NULL)
        {
          result (false, "round trip of %s: %s", docs[i], msg);
          free (msg);
          continue;
        }
      g = json_gen_new (NULL);
      gen_tree (g, v);
      out = json_gen_finish (g, NULL);
      result (streq (out, docs[i]), "round trip of %s (got %s)", docs[i], out);
      free (out);
      json_tree_free (v);
    }
}

/* --- what is accepted, decoded ---------------------------------------------- */

static void
test_strings (void)
{
  static const char doc[]
      = " \t\r\n[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"\\u00e9\\u20AC\\ud83d\\udc33\", \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xb3\","
        " \"\\u007f\\u0080\\uffff\\udbff\\udfff\", \"a\\/b\"] \n";
  char *msg;
  json_val v = parse (doc, strlen (doc), &msg);
  bool good = v && v->type == JSON_T_ARRAY && v->u.array.len == 5;

  good = good && streq (v->u.array.values[0]->u.string, "\"\\/\b\f\n\r\t");
  good = good && streq (v->u.array.values[1]->u.string, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xb3");
  good = good && streq (v->u.array.values[2]->u.string, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xb3");
  good = good && streq (v->u.array.values[3]->u.string, "\x7f\xc2\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf");
  good = good && streq (v->u.array.values[4]->u.string, "a/b");
  result (good, "escapes, surrogate pairs and raw UTF-8 decode to UTF-8%s%s", msg ? ": " : "",
          msg ? msg : "");
  free (msg);
  json_tree_free (v);
}

static json_val
number (const char *text)
{
  char *msg;
  json_val v = parse (text, strlen (text), &msg);

  if (v == NULL || v->type != JSON_T_NUMBER)
    printf ("# %s: %s\n", text, msg ? msg : "not a number");
  free (msg);
  return v && v->type == JSON_T_NUMBER ? v : (json_tree_free (v), NULL);
}

#define NUM_FLAGS(v) ((v) ? (v)->u.number.flags : 0xff)

/* The text is kept (the readers of oci/json.c parse it: uint64 rlimits); the
 * integer values where they fit, as yajl's tree had them (no double). */
static void
test_numbers (void)
{
  json_val v;

  v = number ("-9223372036854775808");
  result (v && v->u.number.i == INT64_MIN && NUM_FLAGS (v) == JSON_NUMBER_INT_VALID
              && streq (v->u.number.r, "-9223372036854775808"),
          "int64 min: an integer, not a uint64");
  json_tree_free (v);
  v = number ("9223372036854775807");
  result (v && v->u.number.i == INT64_MAX && v->u.number.u == INT64_MAX
              && NUM_FLAGS (v) == (JSON_NUMBER_INT_VALID | JSON_NUMBER_UINT_VALID),
          "int64 max: int64 and uint64");
  json_tree_free (v);
  v = number ("18446744073709551615");
  result (v && v->u.number.u == UINT64_MAX && NUM_FLAGS (v) == JSON_NUMBER_UINT_VALID,
          "uint64 max: a uint64 only");
  json_tree_free (v);
  v = number ("18446744073709551616");
  result (v && NUM_FLAGS (v) == 0 && streq (v->u.number.r, "18446744073709551616"),
          "uint64 max + 1: its text only");
  json_tree_free (v);
  v = number ("1e400");
  result (v && NUM_FLAGS (v) == 0 && streq (v->u.number.r, "1e400"), "1e400: its text only");
  json_tree_free (v);
  v = number ("-0");
  result (v && v->u.number.i == 0 && NUM_FLAGS (v) == JSON_NUMBER_INT_VALID
              && streq (v->u.number.r, "-0"),
          "-0: the integer 0, text -0");
  json_tree_free (v);
  v = number ("1.5e-3");
  result (v && NUM_FLAGS (v) == 0 && streq (v->u.number.r, "1.5e-3"),
          "1.5e-3: its text, not an integer");
  json_tree_free (v);
  v = number ("-12.25E+2");
  result (v && NUM_FLAGS (v) == 0 && streq (v->u.number.r, "-12.25E+2"), "-12.25E+2: its text only");
  json_tree_free (v);
}

/* Repeated keys are all kept in order: config fields take the last
 * (json_get, as Go's encoding/json), a map (annotations) sees each. */
static void
test_duplicate_keys (void)
{
  static const char doc[] = "{\"a\":1,\"b\":2,\"A\":3,\"a\":\"x\"}";
  char *msg;
  json_val v = parse (doc, strlen (doc), &msg);
  bool good = v && v->u.object.len == 4 && streq (v->u.object.keys[3], "a");

  good = good && json_get (v, "a") && streq (json_get (v, "a")->u.string, "x");
  good = good && json_object_get (v, "a") && json_object_get (v, "a")->u.number.i == 1;
  good = good && json_get (v, "missing") == NULL && json_object_get (v, "A")->u.number.i == 3;
  result (good, "repeated keys: all kept in order, json_get takes the last, json_object_get the first");
  free (msg);
  json_tree_free (v);
}

/* --- what is refused ----------------------------------------------------- */

struct bad
{
  const char *doc;
  const char *err;
};

static const struct bad bad_docs[] = {
  /* the document */
  { "", "test.json: parse error: premature EOF at line 1, column 1" },
  { " \n\t", "test.json: parse error: premature EOF at line 2, column 2" },
  { "{\"a\":1} x", "test.json: parse error: trailing garbage after the value at line 1, column 9" },
  { "1\"", "test.json: parse error: trailing garbage after the value at line 1, column 2" },
  { "{}\n\"", "test.json: parse error: trailing garbage after the value at line 2, column 1" },
  { "[1]]", "test.json: parse error: trailing garbage after the value at line 1, column 4" },
  { "{} // c", "test.json: parse error: found a comment (comments are not enabled) at line 1, column 4" },
  { "[1, /* c */ 2]", "test.json: parse error: found a comment (comments are not enabled) at line 1, column 5" },
  { "\xef\xbb\xbf{}", "test.json: parse error: expected a value, got byte 0xef at line 1, column 1" },
  { "[1,\f2]", "test.json: parse error: expected a value, got byte 0x0c at line 1, column 4" },
  { "[1,\v2]", "test.json: parse error: expected a value, got byte 0x0b at line 1, column 4" },
  /* structure */
  { "{\"a\" 1}", "test.json: parse error: expected `:` after an object key, got `1` at line 1, column 6" },
  { "{\"a\":1,}", "test.json: parse error: expected a string (an object key), got `}` at line 1, column 8" },
  { "{a:1}", "test.json: parse error: expected a string (an object key), got `a` at line 1, column 2" },
  { "{'a':1}", "test.json: parse error: expected a string (an object key), got `'` at line 1, column 2" },
  { "{\"a\":1 \"b\":2}", "test.json: parse error: expected `,` or `}` after an object member, got `\"` at line 1, column 8" },
  { "[1 2]", "test.json: parse error: expected `,` or `]` after an array element, got `2` at line 1, column 4" },
  { "[1,]", "test.json: parse error: expected a value, got `]` at line 1, column 4" },
  { "[,1]", "test.json: parse error: expected a value, got `,` at line 1, column 2" },
  { "[1,\n  2,\n  }", "test.json: parse error: expected a value, got `}` at line 3, column 3" },
  { "{\"a\":", "test.json: parse error: premature EOF at line 1, column 6" },
  { "[\"abc", "test.json: parse error: premature EOF at line 1, column 6" },
  { "[\"abc\\", "test.json: parse error: premature EOF at line 1, column 7" },
  /* literals */
  { "tru", "test.json: parse error: premature EOF at line 1, column 4" },
  { "[tru]", "test.json: parse error: invalid literal (expected true) at line 1, column 2" },
  { "nul", "test.json: parse error: premature EOF at line 1, column 4" },
  { "True", "test.json: parse error: expected a value, got `T` at line 1, column 1" },
  { "[nan]", "test.json: parse error: invalid literal (expected null) at line 1, column 2" },
  { "truex", "test.json: parse error: trailing garbage after the value at line 1, column 5" },
  /* numbers as JSON defines them */
  { "01", "test.json: parse error: invalid number: a leading zero at line 1, column 1" },
  { "-01", "test.json: parse error: invalid number: a leading zero at line 1, column 2" },
  { "+1", "test.json: parse error: expected a value, got `+` at line 1, column 1" },
  { "-", "test.json: parse error: premature EOF at line 1, column 2" },
  { "[-]", "test.json: parse error: expected a digit in a number, got `]` at line 1, column 3" },
  { "[.5]", "test.json: parse error: expected a value, got `.` at line 1, column 2" },
  { "[1.]", "test.json: parse error: expected a digit after the decimal point, got `]` at line 1, column 4" },
  { "[1.e5]", "test.json: parse error: expected a digit after the decimal point, got `e` at line 1, column 4" },
  { "[1e]", "test.json: parse error: expected a digit in the exponent, got `]` at line 1, column 4" },
  { "[1e+]", "test.json: parse error: expected a digit in the exponent, got `]` at line 1, column 5" },
  { "[0x10]", "test.json: parse error: expected `,` or `]` after an array element, got `x` at line 1, column 3" },
  { "[Infinity]", "test.json: parse error: expected a value, got `I` at line 1, column 2" },
  /* strings: lexical */
  { "[\"a\nb\"]", "test.json: parse error: unescaped control character 0x0a in a string at line 1, column 4" },
  { "[\"a\tb\"]", "test.json: parse error: unescaped control character 0x09 in a string at line 1, column 4" },
  { "[\"\x1f\"]", "test.json: parse error: unescaped control character 0x1f in a string at line 1, column 3" },
  { "[\"\\x41\"]", "test.json: parse error: invalid escape \\ followed by `x` at line 1, column 3" },
  { "[\"\\'\"]", "test.json: parse error: invalid escape \\ followed by `'` at line 1, column 3" },
  { "[\"\\u12\"]", "test.json: parse error: invalid escape: \\u takes 4 hexadecimal digits at line 1, column 3" },
  { "[\"\\u12G4\"]", "test.json: parse error: invalid escape: \\u takes 4 hexadecimal digits at line 1, column 3" },
  /* strings: with their JSON path */
  { "{\"a\":[\"x\",\"\\u0000\"]}", "test.json: a[1]: contains \\u0000: a NUL character cannot be passed on" },
  { "{\"a\":{\"b\\u0000\":1}}", "test.json: a: a key: contains \\u0000: a NUL character cannot be passed on" },
  { "{\"a b\":\"x\\u0000\"}", "test.json: [\"a b\"]: contains \\u0000: a NUL character cannot be passed on" },
  { "[\"\\ud800\"]", "test.json: [0]: invalid escape \\ud800: an unpaired UTF-16 surrogate" },
  { "[\"\\ud800\\u0041\"]", "test.json: [0]: invalid escape \\ud800: an unpaired UTF-16 surrogate" },
  { "[\"\\uDBFF\\uDBFF\"]", "test.json: [0]: invalid escape \\uDBFF: an unpaired UTF-16 surrogate" },
  { "[1,\"\\udc00\\ud800\"]", "test.json: [1]: invalid escape \\udc00: an unpaired UTF-16 surrogate" },
  { "{\"k\":{\"\\udfff\":1}}", "test.json: k: a key: invalid escape \\udfff: an unpaired UTF-16 surrogate" },
  { "{\"x\":\"\xc0\xaf\"}", "test.json: x: invalid UTF-8: an overlong encoding at byte 0" },
  { "{\"x\":\"ab\xe0\x80\xaf\"}", "test.json: x: invalid UTF-8: an overlong encoding at byte 2" },
  { "{\"x\":\"\xed\xa0\x80\"}", "test.json: x: invalid UTF-8: a UTF-16 surrogate at byte 0" },
  { "{\"x\":\"\xf4\x90\x80\x80\"}", "test.json: x: invalid UTF-8: a code point beyond U+10FFFF at byte 0" },
  { "{\"x\":\"\xff\"}", "test.json: x: invalid UTF-8: an invalid byte at byte 0" },
  { "{\"x\":\"a\xc3\"}", "test.json: x: invalid UTF-8: a truncated sequence at byte 1" },
  { "{\"x\":\"\xe2\x82\"}", "test.json: x: invalid UTF-8: a truncated sequence at byte 0" },
  { "{\"x\":[{\"\x80\":1}]}", "test.json: x[0]: a key: invalid UTF-8: an invalid byte at byte 0" },
};

static void
test_bad (void)
{
  for (size_t i = 0; i < sizeof bad_docs / sizeof bad_docs[0]; i++)
    {
      const struct bad *b = &bad_docs[i];
      char *msg;
      json_val v = parse (b->doc, strlen (b->doc), &msg);
      bool good = v == NULL && streq (msg, b->err);

      if (!good)
        printf ("# got:  %s\n# want: %s\n", v ? "(parsed)" : msg, b->err);
      result (good, "refused: %s", b->err);
      free (msg);
      json_tree_free (v);
    }
}

/* A NUL byte in the text, and a document without a NUL terminator. */
static void
test_nul_and_length (void)
{
  static const char with_nul[] = "{\"a\":\"x\0y\"}";
  char *msg;
  json_val v = parse (with_nul, sizeof with_nul - 1, &msg);

  result (v == NULL && streq (msg, "test.json: parse error: the document contains a NUL byte at line 1, column 8"),
          "a NUL byte in the text is refused (%s)", msg);
  free (msg);
  /* Only len bytes are read: "[1]" out of "[1]]". */
  v = parse ("[1]]", 3, &msg);
  result (v && v->type == JSON_T_ARRAY && v->u.array.len == 1, "only len bytes are read");
  json_tree_free (v);
  free (msg);
  v = parse (NULL, 0, &msg);
  result (v == NULL && streq (msg, "test.json: parse error: premature EOF at line 1, column 1"),
          "no data: premature EOF");
  free (msg);
}

/* Nesting: JSON_MAX_DEPTH levels parse; one more is refused before it is built,
 * and 100000 brackets neither recurse nor allocate that deep. */
static void
test_depth (void)
{
  size_t n = 100000;
  char *doc = malloc (2 * n + 1), *msg;
  json_val v;

  if (doc == NULL)
    abort ();
  memset (doc, '[', JSON_MAX_DEPTH);
  memset (doc + JSON_MAX_DEPTH, ']', JSON_MAX_DEPTH);
  v = parse (doc, 2 * JSON_MAX_DEPTH, &msg);
  result (v != NULL, "%d nested arrays parse", JSON_MAX_DEPTH);
  json_tree_free (v);
  free (msg);
  memset (doc, '[', n);
  memset (doc + n, ']', n);
  v = parse (doc, 2 * n, &msg);
  result (v == NULL && streq (msg, "test.json: parse error: nested deeper than 256 levels at line 1, column 257"),
          "100000 nested arrays are refused: %s", msg);
  free (msg);
  for (size_t i = 0; i < 2 * n / 5; i++)
    memcpy (doc + 5 * i, "{\"a\":", 5);
  v = parse (doc, 5 * (2 * n / 5), &msg);
  result (v == NULL && streq (msg, "test.json: parse error: nested deeper than 256 levels at line 1, column 1281"),
          "nested objects too: %s", msg);
  free (msg);
  free (doc);
}

/* Big arrays and objects: the storage doubles (a test of time would be flaky;
 * this one shows the values land where they belong). */
static void
test_big (void)
{
  size_t n = 300000, len = 0;
  char *doc = malloc (n * 24 + 16), *msg;
  json_val v;
  bool good;

  if (doc == NULL)
    abort ();
  doc[len++] = '{';
  for (size_t i = 0; i < n; i++)
    len += (size_t) sprintf (doc + len, "%s\"k%zu\":[%zu]", i ? "," : "", i, i);
  doc[len++] = '}';
  v = parse (doc, len, &msg);
  good = v && v->u.object.len == n && streq (v->u.object.keys[n - 1], "k299999")
         && v->u.object.values[n - 1]->u.array.values[0]->u.number.i == (int64_t) n - 1;
  result (good, "an object of %zu members", n);
  json_tree_free (v);
  free (msg);
  free (doc);
}

/* --- the generator, byte for byte ---------------------------------------- */

static void
gen_doc (struct json_gen *g)
{
  static const char *const v[] = { "x", "", NULL };
  char ctl[40];
  int n = 0;

  for (int c = 1; c < 0x20; c++)
    ctl[n++] = (char) c;
  ctl[n++] = 0x7f;
  ctl[n++] = '"';
  ctl[n++] = '\\';
  ctl[n++] = '/';
  ctl[n] = '\0';
  json_gen_map_open (g);
  json_gen_kv_str (g, "ctl", ctl);
  json_gen_kv_str (g, "utf8", "\xc3\xa9\xf0\x9f\x90\xb3");
  json_gen_kv_str (g, "raw", "\xff\xc0\xaf");
  json_gen_kv_int (g, "min", INT64_MIN);
  json_gen_kv_u64 (g, "max", UINT64_MAX);
  json_gen_key (g, "empty");
  json_gen_map_open (g);
  json_gen_map_close (g);
  json_gen_key (g, "list");
  json_gen_array_open (g);
  json_gen_map_open (g);
  json_gen_kv_bool (g, "f", false);
  json_gen_kv_strv (g, "v", v);
  json_gen_map_close (g);
  json_gen_array_open (g);
  json_gen_array_close (g);
  json_gen_null (g);
  json_gen_int (g, 0);
  json_gen_array_close (g);
  json_gen_int (g, 5); /* a value where a key is due: nothing */
  json_gen_kv_str (g, "last", NULL);
  json_gen_map_close (g);
  json_gen_str (g, "after the end: nothing");
}

static const char want_compact[] =
  "{\"ctl\":\"\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000B\\f\\r\\u000E\\u000F\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001A\\u001B\\u001C\\u001D\\u001E\\u001F\177\\\"\\\\/\",\"utf8\":\"\303\251\360\237\220\263\",\"raw\":\"\377\300\257\",\"min\":-9223372036854775808,\"max\":18446744073709551615,\"empty\":{},\"list\":[{\"f\":false,\"v\":[\"x\",\"\"]},[],null,0],\"last\":null}";

static const char want_two_spaces[] =
  "{\n"
  "  \"ctl\": \"\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000B\\f\\r\\u000E\\u000F\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001A\\u001B\\u001C\\u001D\\u001E\\u001F\177\\\"\\\\/\",\n"
  "  \"utf8\": \"\303\251\360\237\220\263\",\n"
  "  \"raw\": \"\377\300\257\",\n"
  "  \"min\": -9223372036854775808,\n"
  "  \"max\": 18446744073709551615,\n"
  "  \"empty\": {\n"
  "\n"
  "  },\n"
  "  \"list\": [\n"
  "    {\n"
  "      \"f\": false,\n"
  "      \"v\": [\n"
  "        \"x\",\n"
  "        \"\"\n"
  "      ]\n"
  "    },\n"
  "    [\n"
  "\n"
  "    ],\n"
  "    null,\n"
  "    0\n"
  "  ],\n"
  "  \"last\": null\n"
  "}\n";

static const char want_tab[] =
  "{\n"
  "\011\"ctl\": \"\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000B\\f\\r\\u000E\\u000F\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001A\\u001B\\u001C\\u001D\\u001E\\u001F\177\\\"\\\\/\",\n"
  "\011\"utf8\": \"\303\251\360\237\220\263\",\n"
  "\011\"raw\": \"\377\300\257\",\n"
  "\011\"min\": -9223372036854775808,\n"
  "\011\"max\": 18446744073709551615,\n"
  "\011\"empty\": {\n"
  "\n"
  "\011},\n"
  "\011\"list\": [\n"
  "\011\011{\n"
  "\011\011\011\"f\": false,\n"
  "\011\011\011\"v\": [\n"
  "\011\011\011\011\"x\",\n"
  "\011\011\011\011\"\"\n"
  "\011\011\011]\n"
  "\011\011},\n"
  "\011\011[\n"
  "\n"
  "\011\011],\n"
  "\011\011null,\n"
  "\011\0110\n"
  "\011],\n"
  "\011\"last\": null\n"
  "}\n";


static void
test_gen_golden (void)
{
  static const struct
  {
    const char *indent, *want, *what;
  } cases[] = {
    { NULL, want_compact, "compact" },
    { "  ", want_two_spaces, "two spaces" },
    { "\t", want_tab, "a tab" },
  };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      struct json_gen *g = json_gen_new (cases[i].indent);
      size_t len;
      char *s;

      gen_doc (g);
      s = json_gen_finish (g, &len);
      result (streq (s, cases[i].want) && len == strlen (cases[i].want),
              "the generator writes yajl_gen's bytes, %s", cases[i].what);
      if (!streq (s, cases[i].want))
        printf ("# got:\n%s\n", s);
      free (s);
    }
}

/* What the generator writes, the parser reads back to the same strings. */
static void
test_gen_parse (void)
{
  char all[256], *text, *msg;
  struct json_gen *g = json_gen_new (NULL);
  json_val v;

  for (int c = 1; c < 128; c++)
    all[c - 1] = (char) c;
  strcpy (all + 127, "\xc3\xa9\xf0\x9f\x90\xb3");
  json_gen_array_open (g);
  json_gen_str (g, all);
  json_gen_array_close (g);
  text = json_gen_finish (g, NULL);
  v = parse (text, strlen (text), &msg);
  result (v && streq (v->u.array.values[0]->u.string, all), "every ASCII character and UTF-8 survive a round trip");
  json_tree_free (v);
  free (msg);
  free (text);
}

int
main (void)
{
  test_round_trip ();
  test_strings ();
  test_numbers ();
  test_duplicate_keys ();
  test_bad ();
  test_nul_and_length ();
  test_depth ();
  test_big ();
  test_gen_golden ();
  test_gen_parse ();
  return tap_done ();
}
