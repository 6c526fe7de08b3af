/* Cgroups: one interface over the host's layout.
 *
 * A container's cgroup is one relative path (e.g. "/husk/<id>") placed in every
 * hierarchy the host mounts: each v1 controller hierarchy (and named ones such as
 * name=systemd), plus the cgroup2 hierarchy, whether it is the only one (pure v2)
 * or mounted beside v1 (hybrid, /sys/fs/cgroup/unified).
 *
 * Each controller is applied where the host has it: in its v1 hierarchy when one
 * is mounted, else in the unified hierarchy when cgroup.controllers offers it
 * (on a hybrid host hugetlb lives only there).  A resource the config asks for
 * whose controller the host has nowhere is an error naming it.
 *
 * The container's processes join by themselves: stage 1 of create (or the
 * direct init), while still single-threaded, writes "0" into each v1
 * hierarchy's `tasks` file, and is cloned straight into the cgroup2 directory,
 * pure v2 or hybrid (clone3 CLONE_INTO_CGROUP, linux/cgjoin.h; exec's joiner
 * too); every later process is its descendant.  Not cgroup.procs on v1:
 * moving a thread group, even our own, takes the threadgroup rwsem and waits
 * for an RCU grace period (~1 ms per hierarchy, ~10 ms per container here);
 * `tasks` moves only the calling thread and waits for nothing.  The cgroup2 directory has no `tasks`: there
 * cgroup.procs when the clone cannot be used (older kernel, systemd's scope).
 */
#ifndef HUSK_CGROUP_CGROUP_H
#define HUSK_CGROUP_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
  char **controllers; /* parallel to dirs: v1 controllers ("cpu,cpuacct",
                         "name=systemd"), or "" for the cgroup2 directory */
  char **mountpoints; /* parallel to dirs: the hierarchy's mount point */
  char *unified_dir; /* the cgroup2 directory among dirs, or NULL */
  char *freezer_dir; /* the v1 freezer directory among dirs, or NULL */
  char *unit; /* the systemd driver: the scope whose cgroup dirs are, else NULL */
  char *slice; /* its slice (in a plan only) */
  bool unit_foreign; /* the unit was there before this create: never stopped by it */
  bool user_manager; /* the unit is the caller's own systemd --user's (rootless) */
  /* The v1 directories are made after the container's first process is
   * forked: husk_cgroup_make() leaves them to husk_cgroup_make_late() (create:
   * the cgroupfs driver, as root, on a v1 or hybrid host). */
  bool v1_late;
};

enum husk_cgroup_layout husk_cgroup_detect (void);

/* Compute the directories for the config's cgroupsPath (absolute: under each
 * hierarchy root; relative: under the caller's own cgroup; empty: /husk/<id>),
 * resolved lexically (with systemd: the scope's cgroup, systemd.h; rootless:
 * in the caller's own manager, systemd --user, whose cgroup it asks); a path
 * that leaves a hierarchy (or names its root) is an error naming
 * linux.cgroupsPath.  Nothing is created: the caller records the
 * directories (state.json) before husk_cgroup_make(), so that a husk killed at
 * any point leaves only directories that `delete --force` finds. */
struct husk_cgroup *husk_cgroup_plan (const struct oci_config *c, const char *id, bool systemd,
                                      bool rootless, struct husk_error **err);
/* Create the planned directories and, in the unified hierarchy, enable the
 * controllers it offers in every ancestor.  On failure nothing created is left.
 * With systemd: check that systemd is on the bus and the unit is new; the
 * unit and its cgroup come when stage 1 joins (husk_cgroup_enter_self). */
int husk_cgroup_make (struct husk_cgroup *cg, struct husk_error **err);
/* With cg->v1_late: make the v1 directories.  The parent does it while the
 * container's first process (stage 1 or the direct init) makes the
 * namespaces; that process joins them once told they are there (linux/sync.h).
 * Not the parent: a pid other than the writer's own, even in `tasks`, takes
 * the threadgroup lock and an RCU grace period.  On failure the directories
 * are removed again. */
int husk_cgroup_make_late (struct husk_cgroup *cg, struct husk_error **err);

/* Refuses a cgroup that already has processes or is frozen, in runc's words.
 * Before husk_cgroup_make(): on failure, nothing of it is the container's. */
int husk_cgroup_check_unused (const struct husk_cgroup *cg, struct husk_error **err);
/* Rebuild from the directories saved in the state (hierarchies from mountinfo);
 * a directory that is not strictly inside a hierarchy, as the plan names it, is
 * left out. */
struct husk_cgroup *husk_cgroup_from_dirs (char *const *dirs);
/* Move the calling process into every directory (writes "0" to each v1 `tasks`,
 * see above, and to the cgroup2 directory's cgroup.procs, unless in_unified:
 * the caller was born there, linux/cgjoin.h); with systemd, start the scope
 * with the caller in it first. */
int husk_cgroup_enter_self (const struct husk_cgroup *cg, bool in_unified,
                            struct husk_error **err);
/* The same for a process of a running container (exec): files are each
 * hierarchy's v1 `tasks` or cgroup2 cgroup.procs (NULL-terminated), written
 * "0" (cgroup.procs for `tasks` when not single-threaded), but the one in
 * skip_dir (may be NULL), where the caller was born; where a rootless caller
 * may not move itself, the systemd managers move it (systemd.h). */
int husk_cgroup_join_files (char *const *files, const char *skip_dir, struct husk_error **err);
/* Apply linux.resources of a new container, and its device rules: the config's
 * exactly, then runc's default devices (less those linux.devices lists, which
 * the config's rules alone govern).  linux.devices adds no rule of its own. */
int husk_cgroup_apply (const struct husk_cgroup *cg, const struct oci_config *c,
                       struct husk_error **err);
/* Change the resources of a running container (`update`).  Unset fields keep
 * their current values.  devices_config: the container's config, for the default
 * device rules when r has devices; may be NULL. */
int husk_cgroup_update (const struct husk_cgroup *cg, const struct oci_resources *r,
                        const struct oci_config *devices_config, struct husk_error **err);
/* Every pid in the container's cgroup and its sub-cgroups, in any hierarchy
 * (sorted, once each); an error only when no directory can be read. */
int husk_cgroup_pids (const struct husk_cgroup *cg, pid_t **pids, size_t *n,
                      struct husk_error **err);
/* Signal every process: cgroup.kill for SIGKILL on v2; else freeze, signal each
 * pid, thaw (so that no process forks a child we do not see). */
int husk_cgroup_kill_all (const struct husk_cgroup *cg, int sig, struct husk_error **err);
/* Freeze (v1 freezer FROZEN, v2 cgroup.freeze) and wait until the kernel says so. */
int husk_cgroup_freeze (const struct husk_cgroup *cg, bool frozen, struct husk_error **err);
/* Whether the v1 freezer or cgroup.freeze says FROZEN. */
bool husk_cgroup_is_frozen (const struct husk_cgroup *cg);
/* Remove every directory and the sub-cgroups below it, never anything above
 * or off a cgroup file system (after the processes are gone; retries EBUSY
 * briefly). */
int husk_cgroup_destroy (const struct husk_cgroup *cg, struct husk_error **err);
/* Remove every directory of cg that is empty, at once (no wait for a busy
 * one, no process listed): 0 when all are gone.  -1 when some process is still
 * in one (it stays, with its directory), or for the systemd driver's scope;
 * the caller then kills what is left and calls husk_cgroup_destroy(). */
int husk_cgroup_remove_if_empty (const struct husk_cgroup *cg);
void husk_cgroup_free (struct husk_cgroup *cg);

/* The file of a cgroup directory through which the caller moves itself, writing
 * "0": "tasks" in a v1 hierarchy when single_thread (it would leave any other
 * thread behind), else "cgroup.procs". */
const char *husk_cgroup_self_file (bool v1, bool single_thread);
/* Whether the calling process has exactly one thread (/proc/self/task links
 * 2 + the number of threads); false when /proc cannot tell. */
bool husk_single_threaded (void);

/* Rootless (issue 15).  Leave out every planned directory we may not create
 * or join (its nearest existing ancestor not writable by us): none is left on
 * a host that delegates no cgroup to the user. */
void husk_cgroup_keep_usable (struct husk_cgroup *cg);
/* The key under linux.resources of the first limit r sets ("memory", "cpu",
 * "pids", ...; devices are not limits), or NULL. */
const char *husk_cgroup_limit_key (const struct oci_resources *r);

/* OOM notifications for `events`: a pollable fd (v1: an eventfd registered on
 * memory.oom_control; v2: inotify on memory.events), or -1 with *err set. */
int husk_cgroup_oom_fd (const struct husk_cgroup *cg, struct husk_error **err);
/* The number of OOM kills so far (memory.oom_control / memory.events oom_kill). */
uint64_t husk_cgroup_oom_kills (const struct husk_cgroup *cg);

#endif
