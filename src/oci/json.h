/* A table-driven reader from a JSON tree (oci/jsontree.h) into plain C structs.
 *
 * Each struct is described by a `struct json_type` with a table of
 * `struct json_field` rows: JSON key, how the value is stored (inline, behind a
 * pointer, as an array or as a map), the type of the value and where it goes.
 * json_parse() walks a document against the tables and keeps the JSON path of
 * the value being read ("process.rlimits[2].hard"), so every error names it
 * together with the document:
 *
 *   config.json: process.user.uid: expected a non-negative integer, got string
 *
 * An object type with an origin gets the document and its own JSON path stored
 * in it (struct oci_origin), so that later stages name its fields the same way.
 *
 * Unknown keys are ignored and null counts as absent.  Storage is allocated as it
 * is parsed, so json_free() releases a half-filled struct after a failure.
 * (The shape follows systemd-nspawn's JsonDispatch tables in nspawn-oci.c.)
 */
#ifndef HUSK_OCI_JSON_H
#define HUSK_OCI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oci/jsontree.h"
#include "util/error.h"

struct json_ctx
{
  struct husk_error **err;
  const char *document; /* the name errors start with; NULL: "config.json" */
  char *path; /* "process.rlimits[2]"; grows as needed */
  size_t len, cap;
  const char *map_key; /* key of the map entry being parsed */
};

struct json_type;
struct json_field;
struct oci_name;

typedef int (*json_parse_fn) (struct json_ctx *ctx, json_val v, void *dest,
                              const struct json_type *t);
typedef int (*json_check_fn) (struct json_ctx *ctx, json_val v, void *dest);
typedef int (*json_str_check_fn) (struct json_ctx *ctx, const char *s, const struct json_type *t);

/* Sizes and offsets are 16-bit (-Werror=overflow says when a struct outgrows
 * them), which keeps the 80 rows of types and 200 of fields 7 KB smaller. */
struct json_type
{
  json_parse_fn parse; /* leaf parser; NULL for an object described by fields */
  void (*free) (void *dest); /* releases what parse stored; may be NULL */
  const struct json_field *fields; /* object: its keys; NULL-name terminated */
  json_check_fn check; /* runs after a successful parse; may be NULL */
  /* numbers */
  int64_t min;
  uint64_t max;
  /* strings and string vectors */
  const char *const *values; /* allowed values, NULL-terminated */
  const struct oci_name *names; /* allowed values, a table of oci/names.h */
  const char *what; /* "namespace": used in `unknown namespace "x"` */
  json_str_check_fn str_check;
  uint16_t size; /* bytes stored at dest */
  uint16_t origin_offset;
  uint16_t key_offset; /* map entries: where the key (char *) goes */
  bool has_origin; /* objects: a struct oci_origin at origin_offset is filled */
};

enum json_kind
{
  JSON_INLINE, /* the value is stored at offset (optionally sets a has-flag at aux) */
  JSON_PTR, /* an object allocated and stored as a pointer at offset */
  JSON_ARRAY, /* pointer at offset, element count (size_t) at aux */
  JSON_MAP, /* JSON object as an array of entries: pointer at offset, count at aux */
};

struct json_field
{
  const char *name;
  const struct json_type *type;
  uint16_t offset;
  uint16_t aux;
  uint8_t kind; /* enum json_kind */
  bool required;
};

#define JSON_NONE UINT16_MAX

#define JSON_FIELD(key, t, st, m) { key, &(t), offsetof (st, m), JSON_NONE, JSON_INLINE, false }
#define JSON_REQUIRED(key, t, st, m) { key, &(t), offsetof (st, m), JSON_NONE, JSON_INLINE, true }
#define JSON_OPTIONAL(key, t, st, m, has)                                                 \
  { key, &(t), offsetof (st, m), offsetof (st, has), JSON_INLINE, false }
#define JSON_OBJECT(key, t, st, m, req) { key, &(t), offsetof (st, m), JSON_NONE, JSON_PTR, req }
#define JSON_ARRAY_OF(key, t, st, m, n, req)                                              \
  { key, &(t), offsetof (st, m), offsetof (st, n), JSON_ARRAY, req }
#define JSON_MAP_OF(key, t, st, m, n) { key, &(t), offsetof (st, m), offsetof (st, n), JSON_MAP, false }
/* An object whose fields live in the enclosing struct ("pids": {"limit": N}). */
#define JSON_NESTED(key, t) { key, &(t), 0, JSON_NONE, JSON_INLINE, false }
#define JSON_END { NULL, NULL, 0, 0, JSON_INLINE, false }

/* Leaf types. */
extern const struct json_type json_string, json_abspath, json_bool, json_strv, json_abspath_v,
    json_u16, json_u32, json_u64, json_i32, json_i64, json_int, json_u32_positive,
    json_int_positive;

/* Parse v into dest (of type t), with path as the root of the JSON path ("" for the
 * document itself). */
int json_parse (struct json_ctx *ctx, json_val v, void *dest, const struct json_type *t);
void json_free (void *dest, const struct json_type *t);

/* Leaf parsers, for building other types. */
int json_parse_string (struct json_ctx *ctx, json_val v, void *dest, const struct json_type *t);
int json_parse_strv (struct json_ctx *ctx, json_val v, void *dest, const struct json_type *t);
int json_parse_uint (struct json_ctx *ctx, json_val v, void *dest, const struct json_type *t);
int json_parse_int (struct json_ctx *ctx, json_val v, void *dest, const struct json_type *t);
void json_free_string (void *dest);
void json_free_strv (void *dest);
int json_check_abspath (struct json_ctx *ctx, const char *s, const struct json_type *t);

/* Path handling: push returns the length to restore with json_pop(). */
size_t json_push_key (struct json_ctx *ctx, const char *key);
size_t json_push_index (struct json_ctx *ctx, size_t i);
void json_pop (struct json_ctx *ctx, size_t saved);
/* "<document>: <path>: <message>".  Returns -1. */
int json_error (struct json_ctx *ctx, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* The same for the member `key` of the current object. */
int json_error_at (struct json_ctx *ctx, const char *key, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* "string", "number", "boolean", "null", "object", "array". */
const char *json_type_name (json_val v);
/* The value of key in object v (the last one when repeated), or NULL. */
json_val json_get (json_val v, const char *key);

void json_ctx_release (struct json_ctx *ctx);

/* A copy of s of at most about max bytes: a longer s keeps its start and end
 * (cut at UTF-8 boundaries) around "[... N bytes elided ...]". */
char *json_elide (const char *s, size_t max);
/* The same for the message of *err, so that a huge value quoted in it does not
 * hide the reason. */
void json_elide_error (struct husk_error **err);

/* Parse a whole document (a JSON object) into dest with table t: the checks of
 * config.c (no NUL byte, a nesting limit, one-line parse errors).  Errors read
 * "<document>: ..." (NULL: "config.json"), and so do the origins it fills. */
int oci_json_parse_document (const char *document, const char *data, size_t len,
                             const struct json_type *t, void *dest, struct husk_error **err);

#endif
