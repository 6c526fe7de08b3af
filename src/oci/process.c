/* exec --process FILE: the process object alone, through config.c's table. */
#define _GNU_SOURCE
#include "oci/process.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "oci/json.h"
#include "util/cleanup.h"

/* Defined in oci/config.c (the "process" member of config.json). */
extern const struct json_type t_process;

/* The JSON reader names every error "config.json: ..."; this document is not one. */
static void
rename_document (struct husk_error **err)
{
  static const char prefix[] = "config.json: ";
  char *msg;

  if (err == NULL || *err == NULL || strncmp ((*err)->msg, prefix, sizeof prefix - 1) != 0)
    return;
  if (asprintf (&msg, "process.json: %s", (*err)->msg + sizeof prefix - 1) < 0)
    return;
  free ((*err)->msg);
  (*err)->msg = msg;
}

static yajl_val
parse_tree (const char *data, size_t len, struct husk_error **err)
{
  cleanup_free char *buf = NULL;
  char errbuf[1024] = "";
  yajl_val tree;

  if (memchr (data, '\0', len))
    return husk_error_set (err, 0, "process.json: parse error: the document contains a NUL byte"),
           NULL;
  buf = malloc (len + 1);
  if (buf == NULL)
    return husk_error_set (err, errno, "process.json: cannot allocate %zu bytes", len + 1), NULL;
  memcpy (buf, data, len);
  buf[len] = '\0';
  tree = yajl_tree_parse (buf, errbuf, sizeof errbuf);
  if (tree == NULL)
    {
      errbuf[strcspn (errbuf, "\n")] = '\0';
      husk_error_set (err, 0, "process.json: %s", *errbuf ? errbuf : "parse error");
    }
  return tree;
}

struct oci_process *
oci_process_parse (const char *data, size_t len, struct husk_error **err)
{
  struct json_ctx ctx = { .err = err };
  struct oci_process *p;
  yajl_val tree;
  int r;

  if (data == NULL)
    data = "", len = 0;
  tree = parse_tree (data, len, err);
  if (tree == NULL)
    return NULL;
  if (!YAJL_IS_OBJECT (tree))
    {
      husk_error_set (err, 0, "process.json: expected an object at the top level, got %s",
                      json_type_name (tree));
      yajl_tree_free (tree);
      return NULL;
    }
  p = calloc (1, sizeof *p);
  if (p == NULL)
    abort ();
  r = json_parse (&ctx, tree, p, &t_process);
  json_ctx_release (&ctx);
  yajl_tree_free (tree);
  if (r < 0)
    {
      rename_document (err);
      oci_process_free (p);
      return NULL;
    }
  return p;
}

void
oci_process_free (struct oci_process *p)
{
  if (p == NULL)
    return;
  json_free (p, &t_process);
  free (p);
}
