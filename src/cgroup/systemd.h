/* The systemd cgroup driver (--systemd-cgroup), behind the interface of
 * cgroup.h: a container's cgroup is the cgroup of a transient scope unit that
 * systemd starts, with Delegate=yes, in a slice.
 *
 *   linux.cgroupsPath "SLICE:PREFIX:NAME" -> unit PREFIX-NAME.scope in SLICE
 *   (empty: "system.slice:husk:<id>"), cgroup <mount>/<SLICE expanded>/<unit>,
 *   where a-b.slice expands to /a.slice/a-b.slice and -.slice is the root.
 *
 * The plan records that directory in state.json before anything exists, as for
 * cgroupfs; a directory of that shape is recognised again from the state
 * (husk_cgroup_from_dirs), so that update and delete find the unit.  Stage 1
 * joins by starting the scope with its own pid (StartTransientUnit PIDs=[pid]):
 * systemd refuses a scope without processes, and stage 1 is the only process
 * that must be in it before the init forks.  The resources systemd models go to
 * the unit as properties (SetUnitProperties), then every file is written as
 * for cgroupfs, so the files end up exactly as the config says.  Devices stay
 * with husk's own eBPF program (no DeviceAllow=): Delegate=yes hands the scope's
 * cgroup to us, and two device programs would have to agree.
 *
 * Rootless (cgroup.h: user_manager), as runc: the unit goes to the caller's
 * own manager, systemd --user, on its private socket
 * ($XDG_RUNTIME_DIR/systemd/private) or else the session bus; the default
 * slice is user.slice, and the cgroup is below the manager's (its property
 * ControlGroup, ".../user@UID.service"), into which systemd delegates the
 * controllers user@.service names (Debian: memory and pids).
 *
 * sdconv.c holds what needs no bus (names, slice expansion, the property
 * list); systemd.c talks to systemd with husk's own D-Bus client (dbus.h),
 * and sends what sd-bus sent, byte for byte. */
#ifndef HUSK_CGROUP_SYSTEMD_H
#define HUSK_CGROUP_SYSTEMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "oci/config.h"
#include "util/error.h"

/* The slice and unit of a cgroupsPath under --systemd-cgroup (empty:
 * "system.slice:husk:<id>", or "user.slice:husk:<id>" in a user's manager, as
 * runc); errors name linux.cgroupsPath.  *slice and *unit are the caller's. */
int cg_sd_parse_path (const char *path, const char *id, bool user, char **slice, char **unit,
                      struct husk_error **err);
/* "a-b.slice" -> "/a.slice/a-b.slice", "-.slice" -> "/" (systemd's rule, as
 * runc's ExpandSlice); NULL with *err for an invalid slice name. */
char *cg_sd_expand_slice (const char *slice, struct husk_error **err);
/* Whether name is a valid unit name of the given suffix (".scope", ".slice"). */
bool cg_sd_valid_unit (const char *name, const char *suffix);
/* The unit whose cgroup is cgpath ("/a.slice/a-b.slice/x.scope"): the last
 * component when it is a scope and the rest is the expansion of a slice;
 * NULL when cgpath is not shaped so.  Below a component "user@UID.service"
 * (".../user@1000.service/user.slice/x.scope") the unit is one of that user's
 * manager (systemd --user): *user (may be NULL) says so. */
char *cg_sd_unit_of_path (const char *cgpath, bool *user);
/* A cpu list ("0-3,8") as systemd's AllowedCPUs= bitmask: byte i holds cpus
 * 8i..8i+7, lowest bit first.  -1 for a malformed list. */
int cg_sd_cpu_bits (const char *list, uint8_t **bits, size_t *n);

enum cg_sd_type
{
  CG_SD_U64 = 't',
  CG_SD_BOOL = 'b',
  CG_SD_STR = 's',
  CG_SD_BYTES = 'y', /* ay */
  CG_SD_PIDS = 'u', /* au */
};

struct cg_sd_prop
{
  const char *name;
  enum cg_sd_type type;
  uint64_t u; /* U64, BOOL, PIDS (one pid) */
  char *s; /* STR (owned) */
  uint8_t *bytes; /* BYTES (owned) */
  size_t n;
};

struct cg_sd_props
{
  struct cg_sd_prop *v;
  size_t n;
};

void cg_sd_props_add (struct cg_sd_props *p, const char *name, enum cg_sd_type type, uint64_t u);
void cg_sd_props_free (struct cg_sd_props *p);
/* The unit properties for r (runc's table, docs/systemd.md of runc, cgroup v2
 * names).  The cpu quota is rounded up as systemd stores it (10 ms per second),
 * and *cpu (a copy of r->cpu the caller then writes to the files) gets the
 * rounded quota, so that the unit and cpu.max agree.  -1 for a malformed
 * cpuset list or unified value, with *err naming it. */
int cg_sd_resource_props (const struct oci_resources *r, struct oci_cpu *cpu,
                          struct cg_sd_props *out, struct husk_error **err);

/* systemd.c: the bus side.  Each opens its own connection (stage 1 is a
 * fork: one connection, one process).  The errors name the unit, and what
 * systemd said with its error's name. */

struct dbus_buf;
/* The bodies of StartTransientUnit (the scope with pid in it) and of
 * SetUnitProperties (runtime), as they go on the bus. */
void cg_sd_start_body (const struct husk_cgroup *cg, pid_t pid, struct dbus_buf *body);
void cg_sd_set_body (const char *unit, const struct cg_sd_props *p, struct dbus_buf *body);

/* The cgroup of the caller's own manager (systemd --user): its property
 * ControlGroup, "/user.slice/user-UID.slice/user@UID.service".  A clear error
 * when there is no such manager to talk to. */
int cg_sd_user_manager_cgroup (char **out, struct husk_error **err);
/* Move the caller into dir (a cgroup directory, or a sub-cgroup of one) by
 * AttachProcessesToUnit of the caller's systemd --user, which asks the
 * system's manager when the move needs privilege: an unprivileged caller may
 * not write cgroup.procs of a cgroup outside the subtree it comes from (exec
 * into a rootless container, run from a login session or a service).  1 when
 * moved, 0 when dir is no user's manager unit's cgroup (nothing done), -1 with
 * *err. */
int cg_sd_attach_self (const char *dir, struct husk_error **err);
/* Before anything is made (the parent): systemd is on the bus, and the unit is
 * not there yet (a failed leftover is reset first).  *exists is set when the
 * unit is someone's already: then it must not be stopped on cleanup. */
int cg_sd_check_new (const struct husk_cgroup *cg, bool *exists, struct husk_error **err);
/* Start the scope with pid in it and wait for the job (JobRemoved). */
int cg_sd_start (const struct husk_cgroup *cg, pid_t pid, struct husk_error **err);
/* SetUnitProperties(runtime); a unit systemd does not know (a cgroupfs
 * container in a path shaped like a unit's) takes none, and no error. */
int cg_sd_set (const struct husk_cgroup *cg, const struct cg_sd_props *p, struct husk_error **err);
/* StopUnit and wait, then ResetFailedUnit; a unit that is gone is no error,
 * neither is a bus that is missing when systemd is not the init, nor a user's
 * manager that is gone. */
int cg_sd_stop (const struct husk_cgroup *cg, struct husk_error **err);

#endif
