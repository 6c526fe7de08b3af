/* exec --process FILE: the process object alone, through config.c's table. */
#define _GNU_SOURCE
#include "oci/process.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/json.h"

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

struct oci_process *
oci_process_parse (const char *data, size_t len, struct husk_error **err)
{
  struct oci_process *p = calloc (1, sizeof *p);

  if (p == NULL)
    abort ();
  if (oci_json_parse_document (data, len, &t_process, p, err) < 0)
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
