/* A standalone process document (runtime-spec "process" object), as given to
 * `husk exec --process FILE`.  Parsed with the same table as config.json's
 * process (oci/config.c), so it accepts and rejects exactly the same things. */
#ifndef HUSK_OCI_PROCESS_H
#define HUSK_OCI_PROCESS_H

#include <stddef.h>

#include "oci/config.h"
#include "util/error.h"

/* Errors read "process.json: <json path>: <what was expected>". */
struct oci_process *oci_process_parse (const char *data, size_t len, struct husk_error **err);
void oci_process_free (struct oci_process *p);

#endif
