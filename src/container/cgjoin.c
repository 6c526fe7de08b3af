/* What linux/ needs of the container's cgroup, as callbacks and plain data:
 * linux/ knows no cgroup (linux/cgjoin.h), container/ binds cgroup/ to it. */
#include "container/internal.h"

#include <stdlib.h>

#include "cgroup/cgroup.h"
#include "linux/criu-mounts.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static int
enter_self (const struct husk_cgjoin *j, bool cloned, struct husk_error **err)
{
  return husk_cgroup_enter_self (j->arg, cloned, err);
}

static int
join_files (const struct husk_cgjoin *j, bool cloned, struct husk_error **err)
{
  return husk_cgroup_join_files (j->arg, cloned ? j->clone_dir : NULL, err);
}

struct husk_cgjoin
husk_cgjoin_cgroup (const struct husk_cgroup *cg)
{
  /* Born in the cgroup2 directory, pure v2 or hybrid.  Not with systemd: the
   * unit start creates the scope's cgroup and moves us itself. */
  const char *clone_dir = cg && !cg->unit ? cg->unified_dir : NULL;

  return (struct husk_cgjoin) { .fn = cg ? enter_self : NULL, .arg = cg, .clone_dir = clone_dir,
                                .names_pid = cg && cg->unit, .made_late = cg && cg->v1_late };
}

struct husk_cgjoin
husk_cgjoin_files (char *const *files, const char *clone_dir)
{
  return (struct husk_cgjoin) { .fn = join_files, .arg = files, .clone_dir = clone_dir };
}

int
husk_criu_ext_mounts_cg (const struct oci_config *c, const struct husk_cgroup *cg, pid_t pid,
                         bool restore, const char *bundle, struct husk_criu_opts *o,
                         struct husk_error **err)
{
  cleanup_free struct husk_criu_cgroup_v1 *v1 = NULL;
  size_t len = 0, n = 0;

  while (cg && cg->dirs[len])
    len++;
  v1 = xcalloc (len + 1, sizeof *v1);
  /* The v1 hierarchies: cgroup2 has none to bind, a pure v2 host none at all. */
  for (size_t i = 0; cg && cg->layout != HUSK_CGROUP_V2 && i < len; i++)
    if (cg->dirs[i] != cg->unified_dir && cg->mountpoints[i] != NULL)
      v1[n++] = (struct husk_criu_cgroup_v1) { cg->mountpoints[i], cg->dirs[i] };
  return husk_criu_ext_mounts (c, v1, n, pid, restore, bundle, o, err);
}
