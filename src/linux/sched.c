/* process.scheduler, process.ioPriority, linux.personality, linux.memoryPolicy and
 * CPU affinity.  The checks follow runc's libcontainer/configs/validate
 * (scheduler, ioPriority, memoryPolicy) and its specconv (lists, personality). */
#define _GNU_SOURCE
#include "linux/sched.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oci/names.h"
#include "util/log.h"
#include "util/xalloc.h"

/* runc's configs.MaxCPU: a sanity limit for CPU and node ids. */
#define MAX_ID (64 * 1024)
#define LONG_BITS (sizeof (unsigned long) * CHAR_BIT)

/* struct sched_attr of linux/sched/types.h (SCHED_ATTR_SIZE_VER1): glibc before
 * 2.41 has no declaration. */
struct husk_sched_attr
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};

/* The names the parser accepted, as kernel values (oci/names.h). */
static int
lookup (const struct oci_name *t, const char *name, unsigned long *value)
{
  const struct oci_name *n = oci_name_find (t, name);

  if (n == NULL)
    return -1;
  *value = (unsigned long) n->value;
  return 0;
}

/* ---- lists ---- */

static int
parse_id (const char *s, size_t len, unsigned *id)
{
  char buf[16];
  char *end;
  unsigned long v;

  while (len && (*s == ' ' || *s == '\t'))
    s++, len--;
  while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
    len--;
  if (len == 0 || len >= sizeof buf || strspn (s, "0123456789") < len)
    return -1;
  memcpy (buf, s, len);
  buf[len] = '\0';
  v = strtoul (buf, &end, 10);
  if (v > MAX_ID)
    return -1;
  *id = (unsigned) v;
  return 0;
}

static void
bitmask_set_range (struct husk_bitmask *m, unsigned lo, unsigned hi)
{
  size_t need = (hi / LONG_BITS + 1) * sizeof (unsigned long);

  if (need > m->bytes)
    {
      unsigned long *b = xrealloc (m->bits, need);
      memset ((char *) b + m->bytes, 0, need - m->bytes);
      m->bits = b;
      m->bytes = need;
    }
  for (unsigned i = lo; i <= hi; i++)
    m->bits[i / LONG_BITS] |= 1UL << (i % LONG_BITS);
  if (hi + 1 > m->nbits)
    m->nbits = hi + 1;
}

int
husk_bitmask_parse (const char *list, struct husk_bitmask *m, struct husk_error **err)
{
  const char *p = list;

  memset (m, 0, sizeof *m);
  while (*p)
    {
      size_t n = strcspn (p, ",");
      const char *dash = memchr (p, '-', n);
      unsigned lo, hi;

      /* Empty elements ("0,,1", a trailing comma) are allowed, as in runc. */
      if (strspn (p, " \t") < n)
        {
          if (parse_id (p, dash ? (size_t) (dash - p) : n, &lo) < 0
              || (dash && parse_id (dash + 1, n - (size_t) (dash - p) - 1, &hi) < 0))
            {
              husk_bitmask_free (m);
              return husk_error_set (err, 0, "invalid element \"%.*s\" (ids are 0-%d)", (int) n, p,
                                     MAX_ID);
            }
          if (!dash)
            hi = lo;
          if (lo > hi)
            {
              husk_bitmask_free (m);
              return husk_error_set (err, 0, "invalid range \"%.*s\"", (int) n, p);
            }
          bitmask_set_range (m, lo, hi);
        }
      p += n;
      if (*p == ',')
        p++;
    }
  return 0;
}

void
husk_bitmask_free (struct husk_bitmask *m)
{
  free (m->bits);
  memset (m, 0, sizeof *m);
}

/* ---- scheduler ---- */

/* o: where the process was read (config.json's process, or exec's --process file). */
static int
check_scheduler (const struct oci_scheduler *s, const struct oci_origin *o, struct husk_error **err)
{
  bool nice_policy = strcmp (s->policy, "SCHED_OTHER") == 0 || strcmp (s->policy, "SCHED_BATCH") == 0;
  bool rt = strcmp (s->policy, "SCHED_FIFO") == 0 || strcmp (s->policy, "SCHED_RR") == 0;

  if (nice_policy && (s->nice < -20 || s->nice > 19))
    return oci_error (err, 0, o,
                      "scheduler.nice: invalid nice %lld when the policy is %s (-20..19)",
                      (long long) s->nice, s->policy);
  if (s->priority != 0 && !rt)
    return oci_error (err, 0, o,
                      "scheduler.priority: can only be specified for SCHED_FIFO or SCHED_RR, not %s",
                      s->policy);
  if (strcmp (s->policy, "SCHED_DEADLINE") != 0 && (s->runtime || s->deadline || s->period))
    return oci_error (err, 0, o,
                      "scheduler: runtime/deadline/period can only be specified for SCHED_DEADLINE");
  return 0;
}

static int
apply_scheduler (const struct oci_config *c, struct husk_error **err)
{
  const struct oci_scheduler *s = c->process->scheduler;
  struct husk_sched_attr attr = { .size = sizeof attr };
  const struct oci_resources *r = c->linux_ ? c->linux_->resources : NULL;
  unsigned long v;

  if (s == NULL)
    return 0;
  if (check_scheduler (s, &c->process->origin, err) < 0)
    return -1;
  if (lookup (oci_sched_policies, s->policy, &v) < 0)
    return oci_error (err, 0, &c->process->origin, "scheduler.policy: unknown \"%s\"", s->policy);
  attr.sched_policy = (uint32_t) v;
  for (char **f = s->flags; f && *f; f++)
    {
      if (lookup (oci_sched_flags, *f, &v) < 0)
        return oci_error (err, 0, &c->process->origin, "scheduler.flags: unknown \"%s\"", *f);
      attr.sched_flags |= v;
    }
  attr.sched_nice = (int32_t) s->nice;
  attr.sched_priority = (uint32_t) s->priority;
  attr.sched_runtime = s->runtime;
  attr.sched_deadline = s->deadline;
  attr.sched_period = s->period;
  /* pid 0: the calling thread, which is the whole init (single-threaded). */
  if (syscall (SYS_sched_setattr, 0, &attr, 0) < 0)
    {
      /* SCHED_DEADLINE needs the whole root domain, which a restricted cpuset
       * denies with EPERM.  runc's words (tools grep them), no errno text. */
      if (errno == EPERM && r && r->cpu && r->cpu->cpus && r->cpu->cpus[0])
        return husk_error_set (err, 0,
                               "process scheduler can't be used together with AllowedCPUs "
                               "(linux.resources.cpu.cpus)");
      /* With RT group scheduling, a cgroup has no realtime budget unless given. */
      if (errno == EPERM && (strcmp (s->policy, "SCHED_FIFO") == 0 || strcmp (s->policy, "SCHED_RR") == 0))
        return husk_error_set (err, errno,
                               "sched_setattr %s (the container's cpu cgroup may have no realtime budget: cpu.rt_runtime_us)",
                               s->policy);
      return husk_error_set (err, errno, "sched_setattr %s", s->policy);
    }
  husk_debug ("scheduler: %s nice %lld priority %d", s->policy, (long long) s->nice, s->priority);
  return 0;
}

/* ---- ioPriority ---- */

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_SHIFT 13

static int
apply_io_priority (const struct oci_process *p, struct husk_error **err)
{
  const struct oci_io_priority *io = p->io_priority;
  unsigned long klass;

  if (io == NULL)
    return 0;
  if (io->priority < 0 || io->priority > 7)
    return oci_error (err, 0, &p->origin, "ioPriority.priority: invalid priority %d (0..7)",
                      io->priority);
  if (lookup (oci_ioprio_classes, io->klass, &klass) < 0)
    return oci_error (err, 0, &p->origin, "ioPriority.class: invalid class \"%s\"", io->klass);
  /* runc sets it for its process group; the init is alone in its group after
   * setsid(), so the process itself is the same thing, said plainly. */
  if (syscall (SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0,
               (int) (klass << IOPRIO_CLASS_SHIFT) | io->priority)
      < 0)
    return husk_error_set (err, errno, "ioprio_set %s %d", io->klass, io->priority);
  return 0;
}

/* ---- personality ---- */

static int
apply_personality (const struct oci_linux *l, struct husk_error **err)
{
  const struct oci_personality *pe = l ? l->personality : NULL;
  unsigned long domain;

  if (pe == NULL)
    return 0;
  /* The spec defines no flag values yet; runc warns and ignores them. */
  if (pe->flags && pe->flags[0])
    husk_warn ("ignoring unsupported personality flags (linux.personality.flags): the spec defines none");
  if (lookup (oci_personality_domains, pe->domain, &domain) < 0)
    domain = PER_LINUX; /* the parser accepts only the table's names */
  if (personality (domain) < 0)
    return husk_error_set (err, errno, "personality %s", pe->domain);
  return 0;
}

/* ---- memoryPolicy ---- */

static size_t
bitmask_count (const struct husk_bitmask *m)
{
  const size_t w = sizeof (unsigned long) * CHAR_BIT;
  size_t n = 0;

  for (size_t i = 0; i < m->nbits; i++)
    n += (m->bits[i / w] >> (i % w)) & 1;
  return n;
}

static int
apply_memory_policy (const struct oci_linux *l, struct husk_error **err)
{
  const struct oci_memory_policy *mp = l ? l->memory_policy : NULL;
  struct husk_bitmask nodes;
  unsigned long mode, flag, flags = 0;
  long r;

  if (mp == NULL)
    return 0;
  if (lookup (oci_mpol_modes, mp->mode, &mode) < 0)
    return oci_error (err, 0, &l->origin, "memoryPolicy.mode: invalid mode \"%s\"", mp->mode);
  for (char **f = mp->flags; f && *f; f++)
    {
      if (lookup (oci_mpol_flags, *f, &flag) < 0)
        return oci_error (err, 0, &l->origin, "memoryPolicy.flags: invalid flag \"%s\"", *f);
      flags |= flag;
    }
  if (husk_bitmask_parse (mp->nodes ? mp->nodes : "", &nodes, err) < 0)
    return oci_error_wrap (err, &l->origin, "memoryPolicy.nodes: invalid memory policy nodes \"%s\"",
                           mp->nodes);
  /* runc's validator, in its words: DEFAULT and LOCAL take no nodes, PREFERRED
   * any number, the others at least one. */
  if ((mode == 0 || mode == 4) && nodes.nbits)
    r = oci_error (err, 0, &l->origin,
                   "memoryPolicy.nodes: memory policy mode requires 0 "
                   "nodes but got %zu (%s takes no nodes)",
                   bitmask_count (&nodes), mp->mode);
  else if (mode != 0 && mode != 1 && mode != 4 && nodes.nbits == 0)
    r = oci_error (err, 0, &l->origin,
                   "memoryPolicy.nodes: memory policy mode requires at "
                   "least one node but got 0 (%s needs at least one node)",
                   mp->mode);
  /* maxnode: the kernel reads one bit fewer than it is told (get_nodes()). */
  else if ((r = syscall (SYS_set_mempolicy, (int) (mode | flags), nodes.bits,
                         nodes.bytes ? nodes.bytes * CHAR_BIT + 1 : 0))
           < 0)
    r = husk_error_set (err, errno, "set_mempolicy %s nodes \"%s\"", mp->mode,
                        mp->nodes ? mp->nodes : "");
  husk_bitmask_free (&nodes);
  return r < 0 ? -1 : 0;
}

/* ---- CPU affinity ---- */

/* o: where the process was read (config.json's process, or exec's --process file). */
static int
parse_affinity (const struct oci_origin *o, const char *list, const char *field,
                struct husk_bitmask *m, struct husk_error **err)
{
  if (husk_bitmask_parse (list, m, err) < 0)
    return oci_error_wrap (err, o, "execCPUAffinity.%s: invalid cpu list \"%s\"", field, list);
  if (m->nbits == 0)
    return oci_error (err, 0, o, "execCPUAffinity.%s: no cpus in \"%s\"", field, list);
  return 0;
}

static int
check_exec_affinity (const struct oci_process *p, struct husk_error **err)
{
  const struct oci_exec_cpu_affinity *a = p->exec_cpu_affinity;
  struct husk_bitmask m;

  if (a == NULL)
    return 0;
  if (a->initial && a->initial[0])
    {
      if (parse_affinity (&p->origin, a->initial, "initial", &m, err) < 0)
        return -1;
      husk_bitmask_free (&m);
    }
  if (a->final && a->final[0])
    {
      if (parse_affinity (&p->origin, a->final, "final", &m, err) < 0)
        return -1;
      husk_bitmask_free (&m);
    }
  return 0;
}

static int
set_affinity (pid_t pid, const struct oci_origin *o, const char *list, const char *field,
              struct husk_error **err)
{
  struct husk_bitmask m;
  int r = 0;

  if (list == NULL || list[0] == '\0')
    return 0;
  if (parse_affinity (o, list, field, &m, err) < 0)
    return -1;
  if (sched_setaffinity (pid, m.bytes, (cpu_set_t *) m.bits) < 0)
    r = husk_error_set (err, errno, "set %s cpu affinity \"%s\"", field, list);
  husk_bitmask_free (&m);
  return r;
}

/* The debug line runc's nsexec prints with the affinity an exec'd process
 * starts with (its tests and tools grep "nsexec[PID]: affinity: 0xMASK"): the
 * first 64 CPUs as a hex mask. */
static void
debug_affinity (void)
{
  cpu_set_t set;
  unsigned long long mask = 0;

  if (!husk_log_debug_enabled ())
    return;
  if (sched_getaffinity (0, sizeof set, &set) < 0)
    {
      husk_debug ("sched_getaffinity: %s", strerror (errno));
      return;
    }
  for (int c = 0; c < 64 && c < CPU_SETSIZE; c++)
    if (CPU_ISSET (c, &set))
      mask |= 1ULL << c;
  husk_debug ("nsexec[%d]: affinity: 0x%llx", (int) getpid (), mask);
}

static bool
affinity_set (const char *list)
{
  return list && list[0];
}

int
husk_exec_affinity_initial (const struct oci_process *p, struct husk_error **err)
{
  if (p->exec_cpu_affinity
      && set_affinity (0, &p->origin, p->exec_cpu_affinity->initial, "initial", err) < 0)
    return -1;
  debug_affinity ();
  return 0;
}

int
husk_exec_affinity_final (const struct oci_process *p, pid_t pid, struct husk_error **err)
{
  const struct oci_exec_cpu_affinity *a = p->exec_cpu_affinity;

  /* Nothing configured: all CPUs (of the cgroup's cpuset, which we are in now),
   * not the affinity of whoever ran `husk exec` (taskset -c 0 husk exec ...).
   * Only an initial one: it stays, as in runc. */
  if (a == NULL || (!affinity_set (a->initial) && !affinity_set (a->final)))
    {
      husk_sched_reset_affinity_of (pid);
      return 0;
    }
  return set_affinity (pid, &p->origin, a->final, "final", err);
}

void
husk_sched_debug_affinity (const char *who)
{
  cpu_set_t cpus;
  unsigned long long mask = 0;

  if (!husk_log_debug_enabled ())
    return;
  CPU_ZERO (&cpus);
  if (sched_getaffinity (0, sizeof cpus, &cpus) < 0)
    return;
  for (int i = 0; i < 64; i++)
    if (CPU_ISSET (i, &cpus))
      mask |= 1ULL << i;
  husk_debug ("%s[%d]: affinity: 0x%llx", who, (int) getpid (), mask);
}

void
husk_sched_reset_affinity (void)
{
  husk_sched_reset_affinity_of (0);
}

void
husk_sched_reset_affinity_of (pid_t pid)
{
  size_t bytes = MAX_ID / CHAR_BIT;
  void *all = xmalloc (bytes);
  /* Every CPU there could be, online or not: a tighter mask would keep CPUs
   * added to the cpuset later out of reach. */
  memset (all, 0xff, bytes);
  if (sched_setaffinity (pid, bytes, all) < 0)
    husk_debug ("reset cpu affinity: %s", strerror (errno));
  free (all);
}

int
husk_sched_apply (const struct oci_config *c, struct husk_error **err)
{
  if (check_exec_affinity (c->process, err) < 0 || apply_scheduler (c, err) < 0
      || apply_io_priority (c->process, err) < 0 || apply_personality (c->linux_, err) < 0
      || apply_memory_policy (c->linux_, err) < 0)
    return -1;
  return 0;
}
