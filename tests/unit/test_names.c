/* Unit tests for the name tables of oci/names.h that linux/ indexes by number
 * (TAP output). */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>

#include "oci/names.h"

#include "tap.h"

int
main (void)
{
  size_t n = 0;
  bool by_number = true;

  for (const struct oci_name *c = oci_capabilities; c->name; c++, n++)
    if (c->value != n || strncmp (c->name, "CAP_", 4) != 0)
      by_number = false;
  result (by_number, "oci_capabilities: entry n is capability n, each named CAP_*");
  result (n == CAP_LAST_CAP + 1 || n == CAP_CHECKPOINT_RESTORE + 1,
          "oci_capabilities: every capability of the uapi header (%zu)", n);
  result (strcmp (oci_capabilities[CAP_SYS_ADMIN].name, "CAP_SYS_ADMIN") == 0
              && strcmp (oci_capabilities[CAP_CHECKPOINT_RESTORE].name, "CAP_CHECKPOINT_RESTORE") == 0,
          "oci_capabilities: CAP_SYS_ADMIN and CAP_CHECKPOINT_RESTORE where the kernel numbers them");
  /* The running kernel may know more than the table (a newer one): those are
   * skipped with a warning, never misnamed. */
  result (prctl (PR_CAPBSET_READ, (unsigned long) n - 1, 0, 0, 0) >= 0,
          "the running kernel knows the table's last capability");
  return tap_done ();
}
