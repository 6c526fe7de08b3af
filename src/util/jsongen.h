/* Writing JSON: every document husk prints or saves (state, list, ns, features,
 * spec, events, ps, the --log-format json line, descriptors.json, the seccomp
 * agent's message) is built with these calls.  Strings are escaped ('"', '\\', control characters; other bytes
 * go out as they are), keys come in the order they are generated, and the
 * layout is kept byte for byte from the yajl_gen days (jsongen.c).
 *
 *   struct json_gen *g = json_gen_new (NULL);
 *   json_gen_map_open (g);
 *   json_gen_kv_str (g, "id", id);
 *   json_gen_map_close (g);
 *   char *text = json_gen_finish (g, NULL);   ->  {"id":"..."}
 *
 * Out of memory aborts (a generator has nothing useful to report). */
#ifndef HUSK_UTIL_JSONGEN_H
#define HUSK_UTIL_JSONGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_gen;

/* indent NULL: one line; else beautified, one member a line, each level
 * indented by indent ("  ", "\t"); the text then ends with a newline. */
struct json_gen *json_gen_new (const char *indent);
/* The text, malloc'd (its length in *len when len is not NULL); frees g. */
char *json_gen_finish (struct json_gen *g, size_t *len);
void json_gen_free (struct json_gen *g);

void json_gen_map_open (struct json_gen *g);
void json_gen_map_close (struct json_gen *g);
void json_gen_array_open (struct json_gen *g);
void json_gen_array_close (struct json_gen *g);

/* A key of the open object: the next call gives its value. */
void json_gen_key (struct json_gen *g, const char *key);
/* Values; a NULL string is null. */
void json_gen_str (struct json_gen *g, const char *s);
void json_gen_int (struct json_gen *g, long long v);
void json_gen_u64 (struct json_gen *g, uint64_t v);
void json_gen_bool (struct json_gen *g, bool v);
void json_gen_null (struct json_gen *g);
/* The strings of a NULL-terminated vector, as an array. */
void json_gen_strv (struct json_gen *g, const char *const *v);

/* A key and its value. */
void json_gen_kv_str (struct json_gen *g, const char *key, const char *v);
void json_gen_kv_int (struct json_gen *g, const char *key, long long v);
void json_gen_kv_u64 (struct json_gen *g, const char *key, uint64_t v);
void json_gen_kv_bool (struct json_gen *g, const char *key, bool v);
void json_gen_kv_strv (struct json_gen *g, const char *key, const char *const *v);

#endif
