/* The JSON writer (src/oci/jsongen.h): escaping, numbers, null, both layouts. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/jsongen.h"
#include "tap.h"

static void
check (char *got, const char *want, const char *what)
{
  result (strcmp (got, want) == 0, "%s: %s", what, got);
  free (got);
}

static void
test_compact (void)
{
  static const char *const v[] = { "a", "b/c", NULL };
  struct json_gen *g = json_gen_new (NULL);
  size_t len;
  char *s;

  json_gen_map_open (g);
  json_gen_kv_str (g, "s", "q\"\\\n\t\x01é");
  json_gen_kv_str (g, "null", NULL);
  json_gen_kv_int (g, "neg", -5);
  json_gen_kv_u64 (g, "big", UINT64_MAX);
  json_gen_kv_u64 (g, "i64", INT64_MAX);
  json_gen_kv_bool (g, "t", true);
  json_gen_key (g, "n");
  json_gen_null (g);
  json_gen_kv_strv (g, "v", v);
  json_gen_kv_strv (g, "none", NULL);
  json_gen_map_close (g);
  s = json_gen_finish (g, &len);
  result (len == strlen (s), "the length is the text's");
  check (s,
         "{\"s\":\"q\\\"\\\\\\n\\t\\u0001é\",\"null\":null,\"neg\":-5,"
         "\"big\":18446744073709551615,\"i64\":9223372036854775807,\"t\":true,\"n\":null,"
         "\"v\":[\"a\",\"b/c\"],\"none\":[]}",
         "one line");
}

static void
test_pretty (void)
{
  struct json_gen *g = json_gen_new ("  ");

  json_gen_map_open (g);
  json_gen_kv_int (g, "a", 1);
  json_gen_key (g, "b");
  json_gen_array_open (g);
  json_gen_array_close (g);
  json_gen_map_close (g);
  /* yajl's layout, kept byte for byte (an empty array spans lines). */
  check (json_gen_finish (g, NULL), "{\n  \"a\": 1,\n  \"b\": [\n\n  ]\n}\n", "beautified");
  g = json_gen_new (NULL);
  json_gen_array_open (g);
  json_gen_array_close (g);
  check (json_gen_finish (g, NULL), "[]", "an empty array");
}

int
main (void)
{
  test_compact ();
  test_pretty ();
  return tap_done ();
}
