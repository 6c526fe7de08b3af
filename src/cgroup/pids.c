/* pids: pids.max, the same file on v1 and v2.
 *
 * runtime-spec 1.3 (and runc 1.4): -1 (any negative value) is "max".  0 is
 * written as 1, as runc does on both drivers (systemd refuses TasksMax=0): the
 * same effect, as the init, already in the cgroup, counts as the 1 and no
 * fork gets through either way. */
#define _GNU_SOURCE
#include <inttypes.h>

#include "cgroup/internal.h"

static bool
wanted (const struct oci_resources *r)
{
  return r->has_pids_limit;
}

static int
apply (const char *dir, const struct oci_resources *r, bool update, struct husk_error **err)
{
  if (r->pids_limit < 0)
    return cg_write (dir, "pids.max", "max", err);
  return cg_writef (dir, "pids.max", err, "%" PRId64, r->pids_limit == 0 ? 1 : r->pids_limit);
}

const struct cg_controller cg_pids = { "pids", "pids", wanted, apply, apply };
