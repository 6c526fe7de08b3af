/* memory: v1 memory.* files, v2 memory.max/low/swap.max. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/log.h"

static bool
wanted (const struct oci_resources *r)
{
  const struct oci_memory *m = r->memory;
  return m
         && (m->has_limit || m->has_reservation || m->has_swap || m->has_kernel || m->has_kernel_tcp
             || m->has_swappiness || m->has_disable_oom_killer || m->has_use_hierarchy);
}

/* checkBeforeUpdate: an update must not set a limit (memory, or memory+swap)
 * at or below what is in use; runc's words, which its callers look for. */
static int
check_usage (const char *dir, const char *usage_file, const struct oci_memory *m, bool update,
             struct husk_error **err)
{
  uint64_t usage;

  if (!update || !m->has_check_before_update || !m->check_before_update)
    return 0;
  usage = cg_read_u64 (dir, usage_file, 0);
  if (m->has_swap && m->swap > 0 && (uint64_t) m->swap <= usage)
    return husk_error_set (err, EBUSY,
                           "rejecting memory+swap limit %" PRId64 " <= usage %" PRIu64
                           " (checkBeforeUpdate)",
                           m->swap, usage);
  if (m->has_limit && m->limit > 0 && (uint64_t) m->limit <= usage)
    return husk_error_set (err, EBUSY,
                           "rejecting memory limit %" PRId64 " <= usage %" PRIu64
                           " (checkBeforeUpdate)",
                           m->limit, usage);
  return 0;
}

/* Kernel memory limits: v1 kernels since 5.16 accept the write and ignore it, so
 * read it back; kernels that dropped the file refuse it.  Either way: warn. */
static int
v1_kernel (const char *dir, const char *file, const char *what, int64_t v, struct husk_error **err)
{
  struct husk_error *e = NULL;

  if (!cg_exists (dir, file))
    {
      husk_warn ("memory.%s: %s is gone from this kernel, ignored", what, file);
      return 0;
    }
  if (cg_writef (dir, file, &e, "%" PRId64, v) < 0)
    {
      if (e->errnum != EOPNOTSUPP && e->errnum != EINVAL)
        return husk_error_propagate (err, &e);
      husk_error_free (e);
      husk_warn ("memory.%s: this kernel refuses %s, ignored", what, file);
      return 0;
    }
  if (v >= 0 && cg_read_u64 (dir, file, 0) != (uint64_t) v)
    husk_warn ("memory.%s: this kernel ignores %s (deprecated), ignored", what, file);
  return 0;
}

/* limit and memsw: the kernel keeps limit <= memsw at every step, so raise memsw
 * first when it grows, the limit first otherwise (runc's order).  A limit of -1
 * without a swap value lifts swap too. */
static int
v1_limits (const char *dir, const struct oci_memory *m, struct husk_error **err)
{
  bool has_swap = m->has_swap;
  int64_t swap = m->swap;

  if (m->has_limit && m->limit == -1 && !has_swap)
    has_swap = true, swap = -1;
  if (has_swap && !cg_exists (dir, "memory.memsw.limit_in_bytes"))
    {
      if (m->has_swap && !(m->has_limit && m->swap == m->limit) && m->swap != -1)
        husk_warn ("memory.swap: swap accounting is off in this kernel, ignored");
      has_swap = false;
    }
  if (m->has_limit && has_swap)
    {
      uint64_t cur = cg_read_u64 (dir, "memory.memsw.limit_in_bytes", 0);
      if (swap == -1 || (uint64_t) swap > cur)
        return cg_writef (dir, "memory.memsw.limit_in_bytes", err, "%" PRId64, swap) < 0
                       || cg_writef (dir, "memory.limit_in_bytes", err, "%" PRId64, m->limit) < 0
                   ? -1
                   : 0;
      return cg_writef (dir, "memory.limit_in_bytes", err, "%" PRId64, m->limit) < 0
                     || cg_writef (dir, "memory.memsw.limit_in_bytes", err, "%" PRId64, swap) < 0
                 ? -1
                 : 0;
    }
  if (m->has_limit)
    return cg_writef (dir, "memory.limit_in_bytes", err, "%" PRId64, m->limit);
  if (has_swap)
    return cg_writef (dir, "memory.memsw.limit_in_bytes", err, "%" PRId64, swap);
  return 0;
}

static int
v1_use_hierarchy (const char *dir, bool on, struct husk_error **err)
{
  struct husk_error *e = NULL;

  if (cg_read_u64 (dir, "memory.use_hierarchy", 2) == (on ? 1 : 0))
    return 0;
  if (cg_write (dir, "memory.use_hierarchy", on ? "1" : "0", &e) == 0)
    return 0;
  if (!on && e->errnum == EINVAL)
    {
      /* Linux 5.19 dropped non-hierarchical accounting. */
      husk_error_free (e);
      husk_warn ("memory.useHierarchy: this kernel is always hierarchical, false ignored");
      return 0;
    }
  return husk_error_propagate (err, &e);
}

static int
apply_v1 (const char *dir, const struct oci_resources *r, bool update, struct husk_error **err)
{
  const struct oci_memory *m = r->memory;

  if (check_usage (dir, "memory.usage_in_bytes", m, update, err) < 0)
    return -1;
  if (m->has_use_hierarchy && v1_use_hierarchy (dir, m->use_hierarchy, err) < 0)
    return -1;
  if (v1_limits (dir, m, err) < 0)
    return -1;
  if (m->has_reservation
      && cg_writef (dir, "memory.soft_limit_in_bytes", err, "%" PRId64, m->reservation) < 0)
    return -1;
  if (m->has_kernel && v1_kernel (dir, "memory.kmem.limit_in_bytes", "kernel", m->kernel, err) < 0)
    return -1;
  if (m->has_kernel_tcp
      && v1_kernel (dir, "memory.kmem.tcp.limit_in_bytes", "kernelTCP", m->kernel_tcp, err) < 0)
    return -1;
  if (m->has_swappiness)
    {
      if (m->swappiness > 100)
        return husk_error_set (err, EINVAL, "memory.swappiness %" PRIu64 " is above 100",
                               m->swappiness);
      if (cg_writef (dir, "memory.swappiness", err, "%" PRIu64, m->swappiness) < 0)
        return -1;
    }
  if (m->has_disable_oom_killer
      && cg_write (dir, "memory.oom_control", m->disable_oom_killer ? "1" : "0", err) < 0)
    return -1;
  return 0;
}

static void
fmt_max (char *buf, size_t len, int64_t v)
{
  if (v < 0)
    snprintf (buf, len, "max");
  else
    snprintf (buf, len, "%" PRId64, v);
}

/* runtime-spec swap is memory+swap; v2 memory.swap.max is swap alone
 * (runc's ConvertMemorySwapToCgroupV2Value). */
static int
v2_swap (const char *dir, const struct oci_memory *m, struct husk_error **err)
{
  char buf[32];
  int64_t limit = m->has_limit ? m->limit : 0;

  if (!m->has_swap && !(m->has_limit && m->limit == -1))
    return 0;
  if (!m->has_swap || m->swap == -1)
    snprintf (buf, sizeof buf, "max");
  else if (limit == 0)
    return husk_error_set (err, EINVAL, "memory.swap needs memory.limit on cgroup v2");
  else if (limit == -1)
    return husk_error_set (err, EINVAL, "memory.swap %" PRId64 " with an unlimited memory.limit",
                           m->swap);
  else if (m->swap < limit)
    return husk_error_set (err, EINVAL,
                           "memory.swap %" PRId64 " is below memory.limit %" PRId64
                           " (swap is memory+swap)",
                           m->swap, limit);
  else
    snprintf (buf, sizeof buf, "%" PRId64, m->swap - limit);
  if (!cg_exists (dir, "memory.swap.max"))
    {
      if (strcmp (buf, "max") != 0 && strcmp (buf, "0") != 0)
        husk_warn ("memory.swap: swap accounting is off in this kernel, ignored");
      return 0;
    }
  return cg_write (dir, "memory.swap.max", buf, err);
}

static int
apply_v2 (const char *dir, const struct oci_resources *r, bool update, struct husk_error **err)
{
  const struct oci_memory *m = r->memory;
  char buf[32];

  if (check_usage (dir, "memory.current", m, update, err) < 0)
    return -1;
  /* memory.max first: a swap error then leaves the limit the config asked for. */
  if (m->has_limit)
    {
      fmt_max (buf, sizeof buf, m->limit);
      if (cg_write (dir, "memory.max", buf, err) < 0)
        return -1;
    }
  if (v2_swap (dir, m, err) < 0)
    return -1;
  if (m->has_reservation)
    {
      fmt_max (buf, sizeof buf, m->reservation);
      if (cg_write (dir, "memory.low", buf, err) < 0)
        return -1;
    }
  if (m->has_kernel || m->has_kernel_tcp)
    husk_warn ("memory.kernel and memory.kernelTCP have no cgroup v2 equivalent, ignored");
  if (m->has_swappiness)
    husk_warn ("memory.swappiness has no cgroup v2 equivalent, ignored");
  if (m->has_disable_oom_killer && m->disable_oom_killer)
    husk_warn ("memory.disableOOMKiller has no cgroup v2 equivalent, ignored");
  if (m->has_use_hierarchy && !m->use_hierarchy)
    husk_warn ("memory.useHierarchy: cgroup v2 is always hierarchical, false ignored");
  return 0;
}

const struct cg_controller cg_memory = { "memory", "memory", wanted, apply_v1, apply_v2 };
