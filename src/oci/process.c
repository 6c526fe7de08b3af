/* exec --process FILE: the process object alone, through config.c's table. */
#define _GNU_SOURCE
#include "oci/process.h"

#include <stdlib.h>

#include "oci/json.h"
#include "util/xalloc.h"

/* Defined in oci/config.c (the "process" member of config.json). */
extern const struct json_type t_process;

struct oci_process *
oci_process_parse (const char *document, const char *data, size_t len, struct husk_error **err)
{
  struct oci_process *p = xcalloc (1, sizeof *p);
  if (oci_json_parse_document (document, data, len, &t_process, p, err) < 0)
    {
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
