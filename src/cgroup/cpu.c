/* cpu and cpuset: v1 cpu.* / cpuset.*, v2 cpu.weight/max/max.burst/idle, cpuset.*.
 *
 * v1 -> v2 conversions (documented in the README):
 *   shares -> cpu.weight: runc's linear map of [2, 262144] onto [1, 10000],
 *     weight = 1 + ((shares - 2) * 9999) / 262142  (1024 -> 39).  crun 1.11+ uses
 *     a quadratic fit in log space (1024 -> 100) instead; runc's is what the shims
 *     that compute weights themselves (containerd, cri-o) assume.
 *   quota/period -> cpu.max "QUOTA PERIOD" ("max" for a quota of -1); burst ->
 *   cpu.max.burst; idle -> cpu.idle.  realtime{Runtime,Period} have no v2
 *   equivalent: an error, like runc. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

uint64_t
cg_shares_to_weight (uint64_t shares)
{
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

static bool
cpu_wanted (const struct oci_resources *r)
{
  const struct oci_cpu *c = r->cpu;
  return c
         && (c->has_shares || c->has_quota || c->has_period || c->has_burst || c->has_realtime_runtime
             || c->has_realtime_period || c->has_idle);
}

/* A period and its budget (cfs quota, rt runtime), 0 for "not given".  The
 * kernel checks every write against the other value and the parent's limits:
 * period first fits a longer period, but a shorter period with the old budget
 * can exceed the parent's share (EINVAL).  Then the budget goes first and the
 * period after it, so that no intermediate state is refused (runc's order). */
static int
cpu_pair (const char *dir, const char *period_file, uint64_t period, const char *budget_file,
          int64_t budget, struct husk_error **err)
{
  bool period_done = false;

  if (period)
    {
      struct husk_error *e = NULL;
      if (cg_writef (dir, period_file, &e, "%" PRIu64, period) == 0)
        period_done = true;
      else if (e->errnum != EINVAL || budget == 0)
        return husk_error_propagate (err, &e);
      else
        husk_error_release (&e);
    }
  if (budget && cg_writef (dir, budget_file, err, "%" PRId64, budget) < 0)
    return -1;
  if (period && !period_done && cg_writef (dir, period_file, err, "%" PRIu64, period) < 0)
    return -1;
  return 0;
}

static int
cpu_v1 (const char *dir, const struct oci_resources *r, bool update, struct husk_error **err)
{
  const struct oci_cpu *c = r->cpu;

  if (c->has_shares && c->shares
      && cg_writef (dir, "cpu.shares", err, "%" PRIu64, c->shares) < 0)
    return -1;
  if (cpu_pair (dir, "cpu.cfs_period_us", c->has_period ? c->period : 0, "cpu.cfs_quota_us",
                c->has_quota && c->quota ? (c->quota < 0 ? -1 : c->quota) : 0, err) < 0)
    return -1;
  if (c->has_burst && cg_writef (dir, "cpu.cfs_burst_us", err, "%" PRIu64, c->burst) < 0)
    return -1;
  if (cpu_pair (dir, "cpu.rt_period_us", c->has_realtime_period ? c->realtime_period : 0,
                "cpu.rt_runtime_us", c->has_realtime_runtime ? c->realtime_runtime : 0, err) < 0)
    return -1;
  if (c->has_idle && cg_writef (dir, "cpu.idle", err, "%" PRId64, c->idle) < 0)
    return -1;
  return 0;
}

/* cpu.max: a period alone keeps the current quota, a quota alone the period. */
static int
cpu_v2_max (const char *dir, const struct oci_cpu *c, struct husk_error **err)
{
  cleanup_free char *cur = cg_read (dir, "cpu.max");
  char quota[32] = "max";
  uint64_t period = 100000;

  if (!(c->has_quota && c->quota) && !(c->has_period && c->period))
    return 0;
  if (cur)
    {
      char q[32];
      unsigned long long p;
      const char *rest = husk_word (cur, 0, q, sizeof q);
      if (rest && husk_scan_u64 (&rest, &p))
        {
          snprintf (quota, sizeof quota, "%s", q);
          period = p;
        }
    }
  if (c->has_quota && c->quota)
    {
      if (c->quota < 0)
        snprintf (quota, sizeof quota, "max");
      else
        snprintf (quota, sizeof quota, "%" PRId64, c->quota);
    }
  if (c->has_period && c->period)
    period = c->period;
  return cg_writef (dir, "cpu.max", err, "%s %" PRIu64, quota, period);
}

static int
cpu_v2 (const char *dir, const struct oci_resources *r, bool update, struct husk_error **err)
{
  const struct oci_cpu *c = r->cpu;

  if ((c->has_realtime_runtime && c->realtime_runtime) || (c->has_realtime_period && c->realtime_period))
    return husk_error_set (err, EOPNOTSUPP,
                           "cpu.realtimeRuntime and cpu.realtimePeriod are not supported on cgroup v2");
  if (c->has_shares && c->shares
      && cg_writef (dir, "cpu.weight", err, "%" PRIu64, cg_shares_to_weight (c->shares)) < 0)
    return -1;
  if (cpu_v2_max (dir, c, err) < 0)
    return -1;
  if (c->has_burst && cg_writef (dir, "cpu.max.burst", err, "%" PRIu64, c->burst) < 0)
    return -1;
  if (c->has_idle && cg_writef (dir, "cpu.idle", err, "%" PRId64, c->idle) < 0)
    return -1;
  return 0;
}

const struct cg_controller cg_cpu = { "cpu", "cpu", cpu_wanted, cpu_v1, cpu_v2 };

static bool
cpuset_wanted (const struct oci_resources *r)
{
  return r->cpu && ((r->cpu->cpus && *r->cpu->cpus) || (r->cpu->mems && *r->cpu->mems));
}

/* The same files on v1 and v2. */
static int
cpuset_apply (const char *dir, const struct oci_resources *r, bool update, struct husk_error **err)
{
  if (r->cpu->cpus && *r->cpu->cpus && cg_write (dir, "cpuset.cpus", r->cpu->cpus, err) < 0)
    return -1;
  if (r->cpu->mems && *r->cpu->mems && cg_write (dir, "cpuset.mems", r->cpu->mems, err) < 0)
    return -1;
  return 0;
}

const struct cg_controller cg_cpuset = { "cpuset", "cpuset", cpuset_wanted, cpuset_apply, cpuset_apply };
