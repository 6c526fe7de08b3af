/* linux.resources.unified: cgroup v2 files by name, written into the unified
 * directory (on a hybrid host too).  Each key is CONTROLLER.PARAMETER, with the
 * controller one that this cgroup's cgroup.controllers offers (or "cgroup"). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "cgroup/internal.h"

int
cg_unified_apply (const struct husk_cgroup *cg, const struct oci_resources *r,
                  struct husk_error **err)
{
  if (cg->unified_dir == NULL)
    return husk_error_set (err, EOPNOTSUPP,
                           "linux.resources.unified needs cgroup v2, and this host has only v1");
  for (size_t i = 0; i < r->unified_len; i++)
    {
      const char *k = r->unified[i].key, *dot = strchr (k, '.');
      char ctrl[64];
      if (dot == NULL || dot == k || dot[1] == '\0' || strchr (k, '/')
          || (size_t) (dot - k) >= sizeof ctrl)
        return husk_error_set (err, EINVAL,
                               "unified: key `%s` must be of the form CONTROLLER.PARAMETER", k);
      memcpy (ctrl, k, (size_t) (dot - k));
      ctrl[dot - k] = '\0';
      if (strcmp (ctrl, "cgroup") != 0 && !cg_v2_has (cg, ctrl))
        return husk_error_set (err, ENOENT,
                               "unified: key `%s`: controller `%s` is not available in the unified "
                               "hierarchy (cgroup.controllers of `%s`)",
                               k, ctrl, cg->unified_dir);
      if (!cg_exists (cg->unified_dir, k))
        return husk_error_set (err, ENOENT, "unified: key `%s`: no such file in `%s`", k,
                               cg->unified_dir);
      if (cg_write (cg->unified_dir, k, r->unified[i].value, err) < 0)
        return husk_error_wrap (err, "unified");
    }
  return 0;
}
