/* LinuxResources on its own, read by the table of linux.resources of
 * config.json (oci/config.c), so a resources object means exactly what it
 * means inside config.json.  The document is named "resources" in errors. */
#define _GNU_SOURCE
#include "oci/resources.h"

#include <stdlib.h>
#include <string.h>

#include "oci/json.h"
#include "util/xalloc.h"

/* Defined in oci/config.c (the "resources" member of linux). */
extern const struct json_type t_resources;

struct oci_resources *
oci_resources_parse (const char *data, size_t len, struct husk_error **err)
{
  struct json_ctx ctx = { .err = err, .document = "resources" };
  struct oci_resources *r;
  json_val tree;
  int rc;

  if (memchr (data, '\0', len))
    return husk_error_set (err, 0, "resources: the document contains a NUL byte"), NULL;
  tree = json_tree_parse ("resources", data, len, err);
  if (tree == NULL)
    return NULL;
  if (!json_is_object (tree))
    {
      json_tree_free (tree);
      return husk_error_set (err, 0, "resources: expected a JSON object"), NULL;
    }
  r = xcalloc (1, sizeof *r);
  rc = json_parse (&ctx, tree, r, &t_resources);
  json_ctx_release (&ctx);
  json_tree_free (tree);
  if (rc < 0)
    {
      oci_resources_free (r);
      return NULL;
    }
  return r;
}

void
oci_resources_free (struct oci_resources *r)
{
  if (r == NULL)
    return;
  json_free (r, &t_resources);
  free (r);
}
