/* Cgroups: one interface over the host's layout.
 *
 * A container's cgroup is one relative path (e.g. "/husk/<id>") placed in every
 * hierarchy the host mounts: each v1 controller hierarchy (and named ones such as
 * name=systemd), plus the cgroup2 hierarchy, whether it is the only one (pure v2)
 * or mounted beside v1 (hybrid, /sys/fs/cgroup/unified).
 *
 * The container's processes join by themselves: stage 1 of create writes "0" into
 * each cgroup.procs while still single-threaded (moving another process costs an
 * RCU grace period, 6-13 ms on v1), and every later process is its descendant.
 */
#ifndef HUSK_CGROUP_CGROUP_H
#define HUSK_CGROUP_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

enum husk_cgroup_layout
{
  HUSK_CGROUP_V1, /* v1 controllers only */
  HUSK_CGROUP_HYBRID, /* v1 controllers + cgroup2 beside them */
  HUSK_CGROUP_V2, /* the unified hierarchy only */
};

struct husk_cgroup
{
  enum husk_cgroup_layout layout;
  char **dirs; /* absolute directories, NULL-terminated, one per hierarchy */
  char *unified_dir; /* the cgroup2 directory among dirs, or NULL */
  char *freezer_dir; /* the v1 freezer directory among dirs, or NULL */
};

enum husk_cgroup_layout husk_cgroup_detect (void);

/* Compute the directories for the config's cgroupsPath (absolute: under each
 * hierarchy root; relative: under the caller's own cgroup; empty: /husk/<id>) and
 * create them.  On failure nothing created is left. */
struct husk_cgroup *husk_cgroup_create (const struct oci_config *c, const char *id,
                                        bool systemd, struct husk_error **err);
/* Rebuild from the directories saved in the state. */
struct husk_cgroup *husk_cgroup_from_dirs (char *const *dirs);
/* Move the calling process into every directory (writes "0" to cgroup.procs). */
int husk_cgroup_enter_self (const struct husk_cgroup *cg, struct husk_error **err);
/* The pids in the container's cgroup (from the first hierarchy that lists them). */
int husk_cgroup_pids (const struct husk_cgroup *cg, pid_t **pids, size_t *n,
                      struct husk_error **err);
int husk_cgroup_kill_all (const struct husk_cgroup *cg, int sig, struct husk_error **err);
/* Whether the v1 freezer or cgroup.freeze says FROZEN. */
bool husk_cgroup_is_frozen (const struct husk_cgroup *cg);
/* Remove every directory (after the processes are gone; retries EBUSY briefly). */
int husk_cgroup_destroy (const struct husk_cgroup *cg, struct husk_error **err);
void husk_cgroup_free (struct husk_cgroup *cg);

#endif
