/* How the container's processes are scheduled: process.scheduler (sched_setattr),
 * process.ioPriority (ioprio_set), linux.personality, linux.memoryPolicy
 * (set_mempolicy), and CPU affinity (process.execCPUAffinity, and runc's reset of
 * the init's affinity).
 *
 * Every setting here is inherited across fork and kept across execve, so the init
 * sets them on itself before the exec.  Where privilege is needed (an RT policy,
 * a negative nice, the RT io class) it must happen before the capability drop.
 */
#ifndef HUSK_LINUX_SCHED_H
#define HUSK_LINUX_SCHED_H

#include <stddef.h>
#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

/* A bit mask of CPUs or NUMA nodes, in unsigned longs as the kernel reads it. */
struct husk_bitmask
{
  unsigned long *bits;
  size_t nbits; /* highest set bit + 1 (0: empty) */
  size_t bytes; /* size of bits */
};

/* Parse a list such as "0-3,7" (runc's rules: spaces around elements and empty
 * elements are allowed, a range runs low-high, ids up to 65536).  An empty
 * string gives an empty mask.  Messages name neither the field nor the value:
 * callers wrap. */
int husk_bitmask_parse (const char *list, struct husk_bitmask *m, struct husk_error **err);
void husk_bitmask_free (struct husk_bitmask *m);

/* The init, after the filesystem and before the capability drop: scheduler,
 * ioPriority, personality, memoryPolicy, each checked as runc's validator does
 * and then applied.  execCPUAffinity lists are checked but not applied: the spec
 * says they are "not applicable to the container's init process". */
int husk_sched_apply (const struct oci_config *c, struct husk_error **err);

/* Stage 1, right after joining the cgroup: allow every CPU again, as runc does,
 * so that the container does not inherit the affinity of whoever ran husk (the
 * kernel intersects the mask with the cgroup's cpuset).  Best effort. */
void husk_sched_reset_affinity (void);
/* The same for another task (0: the caller). */
void husk_sched_reset_affinity_of (pid_t pid);

/* For processes that join a running container (exec): `initial` is set on the
 * calling thread before it forks into the container's cgroup, `final` on the
 * process once it is there; with neither, `final` resets the affinity as
 * husk_sched_reset_affinity does.  With --debug, `initial` logs the affinity
 * the process starts with. */
int husk_exec_affinity_initial (const struct oci_process *p, struct husk_error **err);
int husk_exec_affinity_final (const struct oci_process *p, pid_t pid, struct husk_error **err);

/* With --debug: "<who>[pid]: affinity: 0x.." (the first 64 CPUs), the line
 * runc's nsexec prints and tools grep for. */
void husk_sched_debug_affinity (const char *who);

#endif
