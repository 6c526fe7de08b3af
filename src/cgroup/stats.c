/* Statistics for `events`, in the shape runc prints (runc's types/events.go):
 * cpu, cpuset, memory, pids, blkio, hugetlb, from v1 files or their v2
 * counterparts, each controller read where it is (cgroup.h). */
#define _GNU_SOURCE
#include "cgroup/stats.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

/* Room for element n of v: the capacity is n rounded up to a power of two, so
 * it grows when n is one.  Aborts when out of memory. */
static void *
grow (void *v, size_t n, size_t size)
{
  void *p;

  if (n != 0 && (n & (n - 1)) != 0)
    return v;
  p = reallocarray (v, n ? n * 2 : 1, size);
  if (p == NULL)
    abort ();
  return p;
}

static uint64_t
stat_key (const char *dir, const char *file, const char *k)
{
  uint64_t v = 0;
  cg_read_key (dir, file, k, &v);
  return v;
}

static void
list_add (struct husk_stats_list *l, uint64_t v)
{
  l->v = grow (l->v, l->n, sizeof *l->v);
  l->v[l->n++] = v;
}

/* A list of numbers separated by spaces (cpuacct.usage_percpu_*). */
static void
read_u64_list (struct husk_stats_list *l, const char *dir, const char *file)
{
  cleanup_free char *v = cg_read (dir, file);

  if (v == NULL)
    return;
  l->present = true;
  for (char *s = v, *save = NULL, *t; (t = strtok_r (s, " \n", &save)); s = NULL)
    list_add (l, strtoull (t, NULL, 10));
}

static void
read_cpu (struct husk_stats_cpu *c, const struct husk_cgroup *cg)
{
  const char *acct = cg_v1_dir (cg, "cpuacct"), *cpu = cg_v1_dir (cg, "cpu");
  const char *u = cg->unified_dir;
  /* sysconf (_SC_CLK_TCK) without musl's 1 KB sysconf (which says 100). */
  uint64_t hz = getauxval (AT_CLKTCK);

  if (acct)
    {
      c->has_usage = true;
      c->total = cg_read_u64 (acct, "cpuacct.usage", 0);
      read_u64_list (&c->percpu, acct, "cpuacct.usage_percpu");
      read_u64_list (&c->percpu_kernel, acct, "cpuacct.usage_percpu_sys");
      read_u64_list (&c->percpu_user, acct, "cpuacct.usage_percpu_user");
      /* cpuacct.stat counts USER_HZ ticks. */
      c->kernel = stat_key (acct, "cpuacct.stat", "system") * (1000000000 / (hz ? hz : 100));
      c->user = stat_key (acct, "cpuacct.stat", "user") * (1000000000 / (hz ? hz : 100));
    }
  else if (u)
    {
      c->has_usage = true;
      c->total = stat_key (u, "cpu.stat", "usage_usec") * 1000;
      c->kernel = stat_key (u, "cpu.stat", "system_usec") * 1000;
      c->user = stat_key (u, "cpu.stat", "user_usec") * 1000;
    }
  if (cpu)
    {
      c->has_throttling = true;
      c->periods = stat_key (cpu, "cpu.stat", "nr_periods");
      c->throttled_periods = stat_key (cpu, "cpu.stat", "nr_throttled");
      c->throttled_time = stat_key (cpu, "cpu.stat", "throttled_time");
    }
  else if (u && cg_v2_has (cg, "cpu"))
    {
      c->has_throttling = true;
      c->periods = stat_key (u, "cpu.stat", "nr_periods");
      c->throttled_periods = stat_key (u, "cpu.stat", "nr_throttled");
      c->throttled_time = stat_key (u, "cpu.stat", "throttled_usec") * 1000;
    }
}

/* "0-2,5" -> [0,1,2,5] */
static void
read_cpu_list (struct husk_stats_list *l, const char *dir, const char *file)
{
  cleanup_free char *v = dir ? cg_read (dir, file) : NULL;

  if (v == NULL || *v == '\0')
    return;
  l->present = true;
  for (char *s = v, *save = NULL, *t; (t = strtok_r (s, ",", &save)); s = NULL)
    {
      const char *p = t;
      unsigned long long a, b;
      if (!husk_scan_u64 (&p, &a))
        continue;
      if (*p != '-' || (p++, !husk_scan_u64 (&p, &b)))
        b = a;
      for (unsigned long long i = a; i <= b && i < 65536; i++)
        list_add (l, (unsigned) i);
    }
}

static void
read_cpuset (struct husk_stats_cpuset *c, const struct husk_cgroup *cg)
{
  const char *d = cg_v1_dir (cg, "cpuset");

  if (d == NULL && cg_v2_has (cg, "cpuset"))
    d = cg->unified_dir;
  read_cpu_list (&c->cpus, d, d == cg->unified_dir ? "cpuset.cpus.effective" : "cpuset.effective_cpus");
  read_cpu_list (&c->mems, d, d == cg->unified_dir ? "cpuset.mems.effective" : "cpuset.effective_mems");
  if (d == NULL)
    return;
  c->cpu_exclusive = cg_read_u64 (d, "cpuset.cpu_exclusive", 0);
  c->mem_hardwall = cg_read_u64 (d, "cpuset.mem_hardwall", 0);
  c->mem_exclusive = cg_read_u64 (d, "cpuset.mem_exclusive", 0);
  c->memory_migrate = cg_read_u64 (d, "cpuset.memory_migrate", 0);
  c->memory_spread_page = cg_read_u64 (d, "cpuset.memory_spread_page", 0);
  c->memory_spread_slab = cg_read_u64 (d, "cpuset.memory_spread_slab", 0);
  c->memory_pressure = cg_read_u64 (d, "cpuset.memory_pressure", 0);
  c->sched_load_balance = cg_read_u64 (d, "cpuset.sched_load_balance", 0);
}

static void
mem_entry (struct husk_stats_mem_entry *e, const char *dir, const char *prefix)
{
  char f[96];

  e->has_max = true;
  snprintf (f, sizeof f, "%s.limit_in_bytes", prefix);
  e->limit = cg_read_u64 (dir, f, 0);
  snprintf (f, sizeof f, "%s.usage_in_bytes", prefix);
  e->usage = cg_read_u64 (dir, f, 0);
  snprintf (f, sizeof f, "%s.max_usage_in_bytes", prefix);
  e->max = cg_read_u64 (dir, f, 0);
  snprintf (f, sizeof f, "%s.failcnt", prefix);
  e->failcnt = cg_read_u64 (dir, f, 0);
}

static void
mem_raw (struct husk_stats_memory *m, const char *dir)
{
  cleanup_free char *v = cg_read (dir, "memory.stat");
  char name[128];
  unsigned long long n;
  const char *rest;

  for (char *s = v, *save = NULL, *t; v && (t = strtok_r (s, "\n", &save)); s = NULL)
    if ((rest = husk_word (t, 0, name, sizeof name)) && husk_scan_u64 (&rest, &n))
      {
        m->raw = grow (m->raw, m->raw_len, sizeof *m->raw);
        m->raw[m->raw_len].key = xstrdup (name);
        m->raw[m->raw_len++].value = n;
      }
}

static void
read_memory_v2 (struct husk_stats_memory *m, const char *u)
{
  uint64_t cur = cg_read_u64 (u, "memory.current", 0), max = cg_read_u64 (u, "memory.max", 0);
  uint64_t swap = cg_read_u64 (u, "memory.swap.current", 0), smax = cg_read_u64 (u, "memory.swap.max", 0);

  m->cache = stat_key (u, "memory.stat", "file");
  m->usage = (struct husk_stats_mem_entry){
    .limit = max,
    .usage = cur,
    .max = cg_read_u64 (u, "memory.peak", 0),
    .failcnt = stat_key (u, "memory.events", "max"),
    .has_max = true,
  };
  /* Like runc: swap as memory+swap, the v1 meaning. */
  m->swap = (struct husk_stats_mem_entry){
    .limit = max == UINT64_MAX || smax == UINT64_MAX ? UINT64_MAX : max + smax,
    .usage = cur + swap,
  };
  mem_raw (m, u);
}

static void
read_memory (struct husk_stats_memory *m, const struct husk_cgroup *cg)
{
  const char *d = cg_v1_dir (cg, "memory");

  if (d)
    {
      m->present = true;
      m->cache = stat_key (d, "memory.stat", "cache");
      mem_entry (&m->usage, d, "memory");
      mem_entry (&m->swap, d, "memory.memsw");
      m->has_kernel = true;
      mem_entry (&m->kernel, d, "memory.kmem");
      mem_entry (&m->kernel_tcp, d, "memory.kmem.tcp");
      mem_raw (m, d);
    }
  else if (cg_v2_has (cg, "memory"))
    {
      m->present = true;
      read_memory_v2 (m, cg->unified_dir);
    }
}

static void
read_pids (struct husk_stats_pids *p, const struct husk_cgroup *cg)
{
  const char *d = cg_v1_dir (cg, "pids");
  uint64_t limit;

  if (d == NULL && cg_v2_has (cg, "pids"))
    d = cg->unified_dir;
  if (d == NULL)
    return;
  p->present = true;
  p->current = cg_read_u64 (d, "pids.current", 0);
  /* runc: an unlimited "max" is 0. */
  limit = cg_read_u64 (d, "pids.max", 0);
  p->limit = limit == UINT64_MAX ? 0 : limit;
}

static void
blkio_add (struct husk_stats_blkio_entry **v, size_t *n, unsigned maj, unsigned min, const char *op,
           uint64_t value)
{
  struct husk_stats_blkio_entry *e;

  *v = grow (*v, *n, sizeof **v);
  e = &(*v)[(*n)++];
  e->major = maj;
  e->minor = min;
  snprintf (e->op, sizeof e->op, "%s", op);
  e->value = value;
}

/* "MAJ:MIN" at the start of t; what follows it, or NULL. */
static const char *
dev_numbers (const char *t, unsigned *maj, unsigned *min)
{
  unsigned long long a, b;

  if (!husk_scan_u64 (&t, &a) || *t++ != ':' || !husk_scan_u64 (&t, &b))
    return NULL;
  *maj = (unsigned) a;
  *min = (unsigned) b;
  return t;
}

/* v1 "8:0 Read 4096" lines. */
static void
blkio_v1 (struct husk_stats_blkio_entry **out, size_t *n, const char *dir, const char *file)
{
  cleanup_free char *v = cg_read (dir, file);
  unsigned maj, min;
  char op[32];
  unsigned long long value;
  const char *rest;

  for (char *s = v, *save = NULL, *t; v && (t = strtok_r (s, "\n", &save)); s = NULL)
    if ((rest = dev_numbers (t, &maj, &min)) && (rest = husk_word (rest, 0, op, sizeof op))
        && husk_scan_u64 (&rest, &value))
      blkio_add (out, n, maj, min, op, value);
}

/* v2 io.stat "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." as v1 entries. */
static void
blkio_v2 (struct husk_stats_blkio_entry **out, size_t *n, const char *dir, const char *rkey,
          const char *wkey)
{
  cleanup_free char *v = cg_read (dir, "io.stat");

  for (char *s = v, *save = NULL, *t; v && (t = strtok_r (s, "\n", &save)); s = NULL)
    {
      unsigned maj, min;
      unsigned long long r = 0, w = 0;
      char *p;
      if (dev_numbers (t, &maj, &min) == NULL)
        continue;
      if ((p = husk_strstr (t, rkey)))
        r = strtoull (p + strlen (rkey), NULL, 10);
      if ((p = husk_strstr (t, wkey)))
        w = strtoull (p + strlen (wkey), NULL, 10);
      blkio_add (out, n, maj, min, "Read", r);
      blkio_add (out, n, maj, min, "Write", w);
      blkio_add (out, n, maj, min, "Total", r + w);
    }
}

static void
read_blkio (struct husk_stats_blkio *b, const struct husk_cgroup *cg)
{
  const char *d = cg_v1_dir (cg, "blkio");

  if (d)
    {
      bool cfq = cg_exists (d, "blkio.io_service_bytes_recursive");
      b->present = true;
      blkio_v1 (&b->service_bytes, &b->service_bytes_len, d,
                cfq ? "blkio.io_service_bytes_recursive" : "blkio.throttle.io_service_bytes_recursive");
      blkio_v1 (&b->serviced, &b->serviced_len, d,
                cfq ? "blkio.io_serviced_recursive" : "blkio.throttle.io_serviced_recursive");
    }
  else if (cg_v2_has (cg, "io"))
    {
      b->present = true;
      blkio_v2 (&b->service_bytes, &b->service_bytes_len, cg->unified_dir, "rbytes=", "wbytes=");
      blkio_v2 (&b->serviced, &b->serviced_len, cg->unified_dir, "rios=", "wios=");
    }
}

static void
read_hugetlb (struct husk_cgroup_stats *s, const struct husk_cgroup *cg)
{
  const char *d = cg_v1_dir (cg, "hugetlb");
  bool v2 = d == NULL && cg_v2_has (cg, "hugetlb");
  cleanup_dir DIR *sys = opendir ("/sys/kernel/mm/hugepages");
  struct dirent *de;

  if (v2)
    d = cg->unified_dir;
  while (d && sys && (de = readdir (sys)))
    {
      struct husk_stats_hugetlb *h;
      unsigned long long kb;
      const char *p = de->d_name + 10;
      char f[96];
      if (strncmp (de->d_name, "hugepages-", 10) != 0 || !husk_scan_u64 (&p, &kb))
        continue;
      s->hugetlb = grow (s->hugetlb, s->hugetlb_len, sizeof *s->hugetlb);
      h = &s->hugetlb[s->hugetlb_len++];
      memset (h, 0, sizeof *h);
      if (kb >= 1024 * 1024)
        snprintf (h->size, sizeof h->size, "%lluGB", kb / (1024 * 1024));
      else if (kb >= 1024)
        snprintf (h->size, sizeof h->size, "%lluMB", kb / 1024);
      else
        snprintf (h->size, sizeof h->size, "%lluKB", kb);
      snprintf (f, sizeof f, "hugetlb.%s.%s", h->size, v2 ? "current" : "usage_in_bytes");
      h->usage = cg_read_u64 (d, f, 0);
      /* v2 keeps no high-water mark (runc leaves it out there too). */
      if (!v2)
        {
          snprintf (f, sizeof f, "hugetlb.%s.max_usage_in_bytes", h->size);
          h->has_max = true;
          h->max = cg_read_u64 (d, f, 0);
        }
      snprintf (f, sizeof f, "hugetlb.%s.%s", h->size, v2 ? "events" : "failcnt");
      h->failcnt = v2 ? stat_key (d, f, "max") : cg_read_u64 (d, f, 0);
    }
}

void
husk_cgroup_stats (const struct husk_cgroup *cg, struct husk_cgroup_stats *s)
{
  memset (s, 0, sizeof *s);
  read_cpu (&s->cpu, cg);
  read_cpuset (&s->cpuset, cg);
  read_memory (&s->memory, cg);
  read_pids (&s->pids, cg);
  read_blkio (&s->blkio, cg);
  read_hugetlb (s, cg);
}

void
husk_cgroup_stats_free (struct husk_cgroup_stats *s)
{
  free (s->cpu.percpu.v);
  free (s->cpu.percpu_kernel.v);
  free (s->cpu.percpu_user.v);
  free (s->cpuset.cpus.v);
  free (s->cpuset.mems.v);
  for (size_t i = 0; i < s->memory.raw_len; i++)
    free (s->memory.raw[i].key);
  free (s->memory.raw);
  free (s->blkio.service_bytes);
  free (s->blkio.serviced);
  free (s->hugetlb);
  memset (s, 0, sizeof *s);
}
