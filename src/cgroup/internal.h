/* What the controller files of src/cgroup/ share.
 *
 * Each controller is one `struct cg_controller`: its name, whether a resources
 * object asks anything of it, and how to apply that in a v1 directory and in a
 * cgroup2 directory.  apply.c picks the directory (see cgroup.h) and calls one. */
#ifndef HUSK_CGROUP_INTERNAL_H
#define HUSK_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup/cgroup.h"
#include "oci/config.h"
#include "util/error.h"

struct cg_controller
{
  const char *name; /* v1 hierarchy name */
  const char *v2_name; /* its cgroup.controllers name */
  bool (*wanted) (const struct oci_resources *r);
  int (*v1) (const char *dir, const struct oci_resources *r, bool update, struct husk_error **err);
  int (*v2) (const char *dir, const struct oci_resources *r, bool update, struct husk_error **err);
};

extern const struct cg_controller cg_memory, cg_cpu, cg_cpuset, cg_pids, cg_blkio, cg_hugetlb,
    cg_net_cls, cg_net_prio, cg_rdma;

/* dir/file, caller frees. */
char *cg_path (const char *dir, const char *file);
/* Write value to dir/file; the error names the file and the value. */
int cg_write (const char *dir, const char *file, const char *value, struct husk_error **err);
int cg_writef (const char *dir, const char *file, struct husk_error **err, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
/* Read dir/file (NUL-terminated, trailing newline removed); NULL if unreadable. */
char *cg_read (const char *dir, const char *file);
/* dir/file as an unsigned number ("max" reads as UINT64_MAX); def when unreadable. */
uint64_t cg_read_u64 (const char *dir, const char *file, uint64_t def);
/* The value of `key` in a flat-keyed file ("key value" lines: memory.stat, cpu.stat). */
bool cg_read_key (const char *dir, const char *file, const char *key, uint64_t *out);
/* The same, in text already read ("key value" lines: memory.events, cgroup.events). */
bool cg_key_value (const char *text, const char *key, uint64_t *out);
bool cg_exists (const char *dir, const char *file);

/* The v1 directory of the hierarchy carrying controller `name`, or NULL. */
const char *cg_v1_dir (const struct husk_cgroup *cg, const char *name);
/* Whether the unified directory offers controller `name` (its cgroup.controllers). */
bool cg_v2_has (const struct husk_cgroup *cg, const char *name);

/* Devices: v1 files, or the v2 eBPF program.  rules/n: the full ordered list. */
int cg_devices_v1 (const char *dir, const struct oci_device_cgroup *rules, size_t n, bool update,
                   struct husk_error **err);
int cg_devices_ebpf (const char *dir, const struct oci_device_cgroup *rules, size_t n,
                     bool update, struct husk_error **err);

/* cpu.shares -> cpu.weight (cpu.c documents the formula). */
uint64_t cg_shares_to_weight (uint64_t shares);

/* unified key/values (v2 only). */
int cg_unified_apply (const struct husk_cgroup *cg, const struct oci_resources *r,
                      struct husk_error **err);

#endif
