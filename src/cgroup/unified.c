/* linux.resources.unified: cgroup v2 files by name, written into the unified
 * directory (on a hybrid host too).  Each key is CONTROLLER.PARAMETER, with the
 * controller one that this cgroup's cgroup.controllers offers (or "cgroup").
 *
 * A key names a file in the container's own cgroup directory and nothing else:
 * no "/" (runc's rule), no "." or "..".  Of the core "cgroup." files only the
 * limits are settable: cgroup.procs or cgroup.threads would move any host
 * process into the container's cgroup (where `delete --force` kills it),
 * cgroup.subtree_control, cgroup.type, cgroup.freeze and cgroup.kill are husk's
 * to manage.  v1's "tasks" has no dot and fails the form.  A key this host
 * cannot take is an "invalid configuration" (the words runc refuses
 * unified on v1 with). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "cgroup/internal.h"

static const char *const settable_core_files[] = {
  "cgroup.max.descendants",
  "cgroup.max.depth",
  "cgroup.pressure",
};

static bool
core_file_settable (const char *k)
{
  for (size_t i = 0; i < sizeof settable_core_files / sizeof settable_core_files[0]; i++)
    if (strcmp (k, settable_core_files[i]) == 0)
      return true;
  return false;
}

/* Whether key k may be written in the unified directory; the error names it. */
static int
check_key (const struct husk_cgroup *cg, const char *k, struct husk_error **err)
{
  const char *dot = strchr (k, '.');
  char ctrl[64];

  if (dot == NULL || dot == k || dot[1] == '\0' || strchr (k, '/')
      || (size_t) (dot - k) >= sizeof ctrl)
    return husk_error_set (err, 0,
                           "linux.resources.unified[\"%s\"]: must be a file name of the form "
                           "CONTROLLER.PARAMETER",
                           k);
  memcpy (ctrl, k, (size_t) (dot - k));
  ctrl[dot - k] = '\0';
  if (strcmp (ctrl, "cgroup") == 0)
    {
      if (!core_file_settable (k))
        return husk_error_set (err, 0,
                               "linux.resources.unified[\"%s\"]: not a settable limit (of the "
                               "cgroup.* files only cgroup.max.descendants, cgroup.max.depth and "
                               "cgroup.pressure are)",
                               k);
      return 0;
    }
  if (!cg_v2_has (cg, ctrl))
    return husk_error_set (err, 0,
                           "invalid configuration: linux.resources.unified[\"%s\"]: controller "
                           "`%s` is not available in the unified hierarchy (cgroup.controllers "
                           "of `%s`)",
                           k, ctrl, cg->unified_dir);
  return 0;
}

int
cg_unified_apply (const struct husk_cgroup *cg, const struct oci_resources *r,
                  struct husk_error **err)
{
  if (cg->unified_dir == NULL)
    return husk_error_set (err, 0, "invalid configuration: linux.resources.unified needs "
                                   "cgroup v2, and this host has only v1");
  /* Every key first: a refused one leaves nothing half written. */
  for (size_t i = 0; i < r->unified_len; i++)
    if (check_key (cg, r->unified[i].key, err) < 0)
      return -1;
  for (size_t i = 0; i < r->unified_len; i++)
    {
      const char *k = r->unified[i].key;
      if (!cg_exists (cg->unified_dir, k))
        return husk_error_set (err, ENOENT, "linux.resources.unified[\"%s\"]: no such file in `%s`",
                               k, cg->unified_dir);
      if (cg_write (cg->unified_dir, k, r->unified[i].value, err) < 0)
        return husk_error_wrap (err, "linux.resources.unified[\"%s\"]", k);
    }
  return 0;
}
