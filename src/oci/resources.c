/* LinuxResources on its own, read by the same tables as linux.resources of
 * config.json: the document is checked to be one JSON object, placed as
 * linux.resources of a minimal config and parsed by oci_config_parse(), so a
 * resources object means exactly what it means inside config.json. */
#define _GNU_SOURCE
#include "oci/resources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "oci/json.h"
#include "util/cleanup.h"

#define PREFIX "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"rootfs\"},\"linux\":{\"resources\":"
#define SUFFIX "}}"

/* "config.json: linux.resources.memory.limit: x" -> "resources: memory.limit: x" */
static void
rename_error (struct husk_error **err)
{
  static const char *const from[] = { "config.json: linux.resources.", "config.json: linux.resources: ",
                                      "config.json: " };
  static const char *const to[] = { "resources: ", "resources: ", "resources: " };

  if (err == NULL || *err == NULL || (*err)->msg == NULL)
    return;
  for (size_t i = 0; i < sizeof from / sizeof from[0]; i++)
    if (strncmp ((*err)->msg, from[i], strlen (from[i])) == 0)
      {
        char *m = NULL;
        if (asprintf (&m, "%s%s", to[i], (*err)->msg + strlen (from[i])) < 0)
          abort ();
        free ((*err)->msg);
        (*err)->msg = m;
        return;
      }
}

struct oci_resources *
oci_resources_parse (const char *data, size_t len, struct husk_error **err)
{
  cleanup_free char *buf = NULL, *doc = NULL;
  yajl_val tree;
  struct oci_config *c;
  struct oci_resources *r;

  if (memchr (data, '\0', len))
    return husk_error_set (err, 0, "resources: the document contains a NUL byte"), NULL;
  buf = strndup (data, len);
  if (buf == NULL)
    abort ();
  /* One complete object, so that placing it inside the wrapper cannot change
   * what the wrapper means. */
  tree = json_tree_parse (buf, len, err);
  if (tree == NULL)
    {
      rename_error (err);
      return NULL;
    }
  bool is_object = YAJL_IS_OBJECT (tree);
  json_tree_free (tree);
  if (!is_object)
    return husk_error_set (err, 0, "resources: expected a JSON object"), NULL;
  if (asprintf (&doc, "%s%s%s", PREFIX, buf, SUFFIX) < 0)
    abort ();
  c = oci_config_parse (doc, strlen (doc), err);
  if (c == NULL)
    {
      rename_error (err);
      return NULL;
    }
  r = c->linux_->resources;
  c->linux_->resources = NULL;
  oci_config_free (c);
  if (r == NULL)
    r = calloc (1, sizeof *r);
  if (r == NULL)
    abort ();
  return r;
}

void
oci_resources_free (struct oci_resources *r)
{
  struct oci_config *c;

  if (r == NULL)
    return;
  /* Released by the config's own free, which knows every member. */
  c = calloc (1, sizeof *c);
  if (c == NULL || (c->linux_ = calloc (1, sizeof *c->linux_)) == NULL)
    abort ();
  c->linux_->resources = r;
  oci_config_free (c);
}
