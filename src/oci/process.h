/* A standalone process document (runtime-spec "process" object), as given to
 * `husk exec --process FILE`.  Parsed with the same table as config.json's
 * process (oci/config.c), so it accepts and rejects exactly the same things. */
#ifndef HUSK_OCI_PROCESS_H
#define HUSK_OCI_PROCESS_H

#include <stddef.h>

#include "oci/config.h"
#include "util/error.h"

/* Errors read "<document>: <json path>: <what was expected>", and the process
 * keeps document as its origin (oci_error() names its fields in it). */
struct oci_process *oci_process_parse (const char *document, const char *data, size_t len,
                                       struct husk_error **err);
void oci_process_free (struct oci_process *p);

#endif
