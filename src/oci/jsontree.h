/* A JSON document as a tree (jsontree.c): husk's own strict parser.
 *
 * Objects keep their members in text order, repeated keys included (json_get
 * in oci/json.h decides which one counts).  Strings are decoded to UTF-8 and
 * are C strings.  A number keeps its text (r), which the readers of oci/json.c
 * use, so no precision is lost; i, u and d hold its value where the flags say
 * that it fits.
 */
#ifndef HUSK_OCI_JSONTREE_H
#define HUSK_OCI_JSONTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

enum json_value_type
{
  JSON_T_STRING,
  JSON_T_NUMBER,
  JSON_T_OBJECT,
  JSON_T_ARRAY,
  JSON_T_TRUE,
  JSON_T_FALSE,
  JSON_T_NULL,
};

#define JSON_NUMBER_INT_VALID 0x01 /* an integer that fits i (int64) */
#define JSON_NUMBER_UINT_VALID 0x02 /* a non-negative integer that fits u (uint64) */
/* No double: nothing in the spec husk reads is a fraction, and strtod (with the
 * float parser it pulls in) was 6 KB of the binary.  A fraction is kept as its
 * text, which is what the readers of oci/json.c look at. */

struct json_value
{
  enum json_value_type type;
  union
  {
    char *string;
    struct
    {
      int64_t i;
      uint64_t u;
      char *r; /* the number's text, as written */
      unsigned flags;
    } number;
    struct
    {
      const char **keys;
      struct json_value **values;
      size_t len;
    } object;
    struct
    {
      struct json_value **values;
      size_t len;
    } array;
  } u;
};

typedef struct json_value *json_val;

static inline bool
json_is_string (const struct json_value *v)
{
  return v && v->type == JSON_T_STRING;
}

static inline bool
json_is_number (const struct json_value *v)
{
  return v && v->type == JSON_T_NUMBER;
}

static inline bool
json_is_integer (const struct json_value *v)
{
  return json_is_number (v) && (v->u.number.flags & JSON_NUMBER_INT_VALID);
}

static inline bool
json_is_object (const struct json_value *v)
{
  return v && v->type == JSON_T_OBJECT;
}

static inline bool
json_is_array (const struct json_value *v)
{
  return v && v->type == JSON_T_ARRAY;
}

static inline bool
json_is_null (const struct json_value *v)
{
  return v && v->type == JSON_T_NULL;
}

static inline bool
json_is_true (const struct json_value *v)
{
  return v && v->type == JSON_T_TRUE;
}

static inline bool
json_is_bool (const struct json_value *v)
{
  return v && (v->type == JSON_T_TRUE || v->type == JSON_T_FALSE);
}

/* The string of v, or NULL when v is not a string. */
static inline const char *
json_string_of (const struct json_value *v)
{
  return json_is_string (v) ? v->u.string : NULL;
}

/* Deeper than anything a config needs; bounds the parser's recursion and
 * json_tree_free's. */
#define JSON_MAX_DEPTH 256

/* The tree of the JSON text data (len bytes, no terminating NUL needed), any
 * value at the top.  Refused, with an error starting "<document>: " (NULL:
 * "config.json"):
 *   - a syntax error, comments, a NUL byte, whitespace other than JSON's four,
 *     a number JSON does not define (01, 1., .5, +1, -), trailing garbage,
 *     nesting deeper than JSON_MAX_DEPTH: "parse error: <what> at line L,
 *     column C" (columns count bytes, from 1);
 *   - in a key or string, with its JSON path: \u0000 (the strings become C
 *     strings), invalid UTF-8 (overlong forms, surrogates, beyond U+10FFFF),
 *     an unpaired surrogate escape.
 * Free with json_tree_free(). */
json_val json_tree_parse (const char *document, const char *data, size_t len,
                          struct husk_error **err);
void json_tree_free (json_val v);

/* The value of the first member `key` (exact match) of object v, or NULL when v
 * is not an object or has no such member. */
json_val json_object_get (json_val v, const char *key);

#endif
