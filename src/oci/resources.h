/* A LinuxResources object on its own (what `update --resources` reads, and what
 * containerd sends on stdin), parsed by the config.json tables. */
#ifndef HUSK_OCI_RESOURCES_H
#define HUSK_OCI_RESOURCES_H

#include <stddef.h>

#include "oci/config.h"
#include "util/error.h"

/* Parse data (a JSON object).  Errors read "resources: memory.limit: ...".
 * Free the result with oci_resources_free(). */
struct oci_resources *oci_resources_parse (const char *data, size_t len, struct husk_error **err);
void oci_resources_free (struct oci_resources *r);

#endif
