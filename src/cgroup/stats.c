/* Statistics for `events`, in the shape runc prints (runc's types/events.go):
 * cpu, cpuset, memory, pids, blkio, hugetlb, from v1 files or their v2
 * counterparts, each controller read where it is (cgroup.h). */
#define _GNU_SOURCE
#include "cgroup/stats.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"

static void
key (yajl_gen g, const char *k)
{
  yajl_gen_string (g, (const unsigned char *) k, strlen (k));
}

static void
kv_u64 (yajl_gen g, const char *k, uint64_t v)
{
  key (g, k);
  /* yajl integers are signed: "max" (UINT64_MAX) goes out as a number string. */
  if (v > INT64_MAX)
    yajl_gen_number (g, "18446744073709551615", 20);
  else
    yajl_gen_integer (g, (long long) v);
}

static uint64_t
stat_key (const char *dir, const char *file, const char *k)
{
  uint64_t v = 0;
  cg_read_key (dir, file, k, &v);
  return v;
}

/* A list of numbers separated by spaces (cpuacct.usage_percpu_*). */
static void
kv_u64_list (yajl_gen g, const char *k, const char *dir, const char *file)
{
  cleanup_free char *v = cg_read (dir, file);

  if (v == NULL)
    return;
  key (g, k);
  yajl_gen_array_open (g);
  for (char *s = v, *save = NULL, *t; (t = strtok_r (s, " \n", &save)); s = NULL)
    yajl_gen_integer (g, (long long) strtoull (t, NULL, 10));
  yajl_gen_array_close (g);
}

static void
gen_cpu (yajl_gen g, const struct husk_cgroup *cg)
{
  const char *acct = cg_v1_dir (cg, "cpuacct"), *cpu = cg_v1_dir (cg, "cpu");
  const char *u = cg->unified_dir;
  uint64_t hz = (uint64_t) sysconf (_SC_CLK_TCK);

  key (g, "cpu");
  yajl_gen_map_open (g);
  key (g, "usage");
  yajl_gen_map_open (g);
  if (acct)
    {
      kv_u64 (g, "total", cg_read_u64 (acct, "cpuacct.usage", 0));
      kv_u64_list (g, "percpu", acct, "cpuacct.usage_percpu");
      kv_u64_list (g, "percpu_kernel", acct, "cpuacct.usage_percpu_sys");
      kv_u64_list (g, "percpu_user", acct, "cpuacct.usage_percpu_user");
      /* cpuacct.stat counts USER_HZ ticks. */
      kv_u64 (g, "kernel", stat_key (acct, "cpuacct.stat", "system") * (1000000000 / (hz ? hz : 100)));
      kv_u64 (g, "user", stat_key (acct, "cpuacct.stat", "user") * (1000000000 / (hz ? hz : 100)));
    }
  else if (u)
    {
      kv_u64 (g, "total", stat_key (u, "cpu.stat", "usage_usec") * 1000);
      kv_u64 (g, "kernel", stat_key (u, "cpu.stat", "system_usec") * 1000);
      kv_u64 (g, "user", stat_key (u, "cpu.stat", "user_usec") * 1000);
    }
  yajl_gen_map_close (g);
  key (g, "throttling");
  yajl_gen_map_open (g);
  if (cpu)
    {
      kv_u64 (g, "periods", stat_key (cpu, "cpu.stat", "nr_periods"));
      kv_u64 (g, "throttledPeriods", stat_key (cpu, "cpu.stat", "nr_throttled"));
      kv_u64 (g, "throttledTime", stat_key (cpu, "cpu.stat", "throttled_time"));
    }
  else if (u && cg_v2_has (cg, "cpu"))
    {
      kv_u64 (g, "periods", stat_key (u, "cpu.stat", "nr_periods"));
      kv_u64 (g, "throttledPeriods", stat_key (u, "cpu.stat", "nr_throttled"));
      kv_u64 (g, "throttledTime", stat_key (u, "cpu.stat", "throttled_usec") * 1000);
    }
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
}

/* "0-2,5" -> [0,1,2,5] */
static void
kv_cpu_list (yajl_gen g, const char *k, const char *dir, const char *file)
{
  cleanup_free char *v = dir ? cg_read (dir, file) : NULL;

  if (v == NULL || *v == '\0')
    return;
  key (g, k);
  yajl_gen_array_open (g);
  for (char *s = v, *save = NULL, *t; (t = strtok_r (s, ",", &save)); s = NULL)
    {
      unsigned a, b;
      int r = sscanf (t, "%u-%u", &a, &b);
      if (r == 1)
        b = a;
      for (unsigned i = a; r >= 1 && i <= b && i < 65536; i++)
        yajl_gen_integer (g, i);
    }
  yajl_gen_array_close (g);
}

static void
gen_cpuset (yajl_gen g, const struct husk_cgroup *cg)
{
  static const char *const flags[][2] = {
    { "cpu_exclusive", "cpuset.cpu_exclusive" },     { "mem_hardwall", "cpuset.mem_hardwall" },
    { "mem_exclusive", "cpuset.mem_exclusive" },     { "memory_migrate", "cpuset.memory_migrate" },
    { "memory_spread_page", "cpuset.memory_spread_page" },
    { "memory_spread_slab", "cpuset.memory_spread_slab" },
    { "memory_pressure", "cpuset.memory_pressure" }, { "sched_load_balance", "cpuset.sched_load_balance" },
  };
  const char *d = cg_v1_dir (cg, "cpuset");

  if (d == NULL && cg_v2_has (cg, "cpuset"))
    d = cg->unified_dir;
  key (g, "cpuset");
  yajl_gen_map_open (g);
  kv_cpu_list (g, "cpus", d, d == cg->unified_dir ? "cpuset.cpus.effective" : "cpuset.effective_cpus");
  kv_cpu_list (g, "mems", d, d == cg->unified_dir ? "cpuset.mems.effective" : "cpuset.effective_mems");
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
    kv_u64 (g, flags[i][0], d ? cg_read_u64 (d, flags[i][1], 0) : 0);
  key (g, "sched_relax_domain_level");
  yajl_gen_integer (g, 0);
  yajl_gen_map_close (g);
}

static void
mem_entry (yajl_gen g, const char *k, const char *dir, const char *prefix)
{
  char f[96];

  key (g, k);
  yajl_gen_map_open (g);
  snprintf (f, sizeof f, "%s.limit_in_bytes", prefix);
  kv_u64 (g, "limit", cg_read_u64 (dir, f, 0));
  snprintf (f, sizeof f, "%s.usage_in_bytes", prefix);
  kv_u64 (g, "usage", cg_read_u64 (dir, f, 0));
  snprintf (f, sizeof f, "%s.max_usage_in_bytes", prefix);
  kv_u64 (g, "max", cg_read_u64 (dir, f, 0));
  snprintf (f, sizeof f, "%s.failcnt", prefix);
  kv_u64 (g, "failcnt", cg_read_u64 (dir, f, 0));
  yajl_gen_map_close (g);
}

static void
mem_raw (yajl_gen g, const char *dir)
{
  cleanup_free char *v = cg_read (dir, "memory.stat");
  char name[128];
  unsigned long long n;

  key (g, "raw");
  yajl_gen_map_open (g);
  for (char *s = v, *save = NULL, *t; v && (t = strtok_r (s, "\n", &save)); s = NULL)
    if (sscanf (t, "%127s %llu", name, &n) == 2)
      kv_u64 (g, name, n);
  yajl_gen_map_close (g);
}

static void
gen_memory_v2 (yajl_gen g, const char *u)
{
  uint64_t cur = cg_read_u64 (u, "memory.current", 0), max = cg_read_u64 (u, "memory.max", 0);
  uint64_t swap = cg_read_u64 (u, "memory.swap.current", 0), smax = cg_read_u64 (u, "memory.swap.max", 0);

  kv_u64 (g, "cache", stat_key (u, "memory.stat", "file"));
  key (g, "usage");
  yajl_gen_map_open (g);
  kv_u64 (g, "limit", max);
  kv_u64 (g, "usage", cur);
  kv_u64 (g, "max", cg_read_u64 (u, "memory.peak", 0));
  kv_u64 (g, "failcnt", stat_key (u, "memory.events", "max"));
  yajl_gen_map_close (g);
  /* Like runc: swap as memory+swap, the v1 meaning. */
  key (g, "swap");
  yajl_gen_map_open (g);
  kv_u64 (g, "limit", max == UINT64_MAX || smax == UINT64_MAX ? UINT64_MAX : max + smax);
  kv_u64 (g, "usage", cur + swap);
  kv_u64 (g, "failcnt", 0);
  yajl_gen_map_close (g);
  mem_raw (g, u);
}

static void
gen_memory (yajl_gen g, const struct husk_cgroup *cg)
{
  const char *d = cg_v1_dir (cg, "memory");

  key (g, "memory");
  yajl_gen_map_open (g);
  if (d)
    {
      kv_u64 (g, "cache", stat_key (d, "memory.stat", "cache"));
      mem_entry (g, "usage", d, "memory");
      mem_entry (g, "swap", d, "memory.memsw");
      mem_entry (g, "kernel", d, "memory.kmem");
      mem_entry (g, "kernelTCP", d, "memory.kmem.tcp");
      mem_raw (g, d);
    }
  else if (cg_v2_has (cg, "memory"))
    gen_memory_v2 (g, cg->unified_dir);
  yajl_gen_map_close (g);
}

static void
gen_pids (yajl_gen g, const struct husk_cgroup *cg)
{
  const char *d = cg_v1_dir (cg, "pids");
  uint64_t limit;

  if (d == NULL && cg_v2_has (cg, "pids"))
    d = cg->unified_dir;
  key (g, "pids");
  yajl_gen_map_open (g);
  if (d)
    {
      kv_u64 (g, "current", cg_read_u64 (d, "pids.current", 0));
      /* runc: an unlimited "max" is 0. */
      limit = cg_read_u64 (d, "pids.max", 0);
      kv_u64 (g, "limit", limit == UINT64_MAX ? 0 : limit);
    }
  yajl_gen_map_close (g);
}

static void
blkio_entry (yajl_gen g, unsigned maj, unsigned min, const char *op, uint64_t v)
{
  yajl_gen_map_open (g);
  kv_u64 (g, "major", maj);
  kv_u64 (g, "minor", min);
  key (g, "op");
  yajl_gen_string (g, (const unsigned char *) op, strlen (op));
  kv_u64 (g, "value", v);
  yajl_gen_map_close (g);
}

/* v1 "8:0 Read 4096" lines. */
static void
blkio_v1 (yajl_gen g, const char *k, const char *dir, const char *file)
{
  cleanup_free char *v = cg_read (dir, file);
  unsigned maj, min;
  char op[32];
  unsigned long long n;

  key (g, k);
  yajl_gen_array_open (g);
  for (char *s = v, *save = NULL, *t; v && (t = strtok_r (s, "\n", &save)); s = NULL)
    if (sscanf (t, "%u:%u %31s %llu", &maj, &min, op, &n) == 4)
      blkio_entry (g, maj, min, op, n);
  yajl_gen_array_close (g);
}

/* v2 io.stat "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." as v1 entries. */
static void
blkio_v2 (yajl_gen g, const char *k, const char *dir, const char *rkey, const char *wkey)
{
  cleanup_free char *v = cg_read (dir, "io.stat");

  key (g, k);
  yajl_gen_array_open (g);
  for (char *s = v, *save = NULL, *t; v && (t = strtok_r (s, "\n", &save)); s = NULL)
    {
      unsigned maj, min;
      unsigned long long r = 0, w = 0;
      char *p;
      if (sscanf (t, "%u:%u", &maj, &min) != 2)
        continue;
      if ((p = strstr (t, rkey)))
        r = strtoull (p + strlen (rkey), NULL, 10);
      if ((p = strstr (t, wkey)))
        w = strtoull (p + strlen (wkey), NULL, 10);
      blkio_entry (g, maj, min, "Read", r);
      blkio_entry (g, maj, min, "Write", w);
      blkio_entry (g, maj, min, "Total", r + w);
    }
  yajl_gen_array_close (g);
}

static void
gen_blkio (yajl_gen g, const struct husk_cgroup *cg)
{
  const char *d = cg_v1_dir (cg, "blkio");

  key (g, "blkio");
  yajl_gen_map_open (g);
  if (d)
    {
      bool cfq = cg_exists (d, "blkio.io_service_bytes_recursive");
      blkio_v1 (g, "ioServiceBytesRecursive", d,
                cfq ? "blkio.io_service_bytes_recursive" : "blkio.throttle.io_service_bytes_recursive");
      blkio_v1 (g, "ioServicedRecursive", d,
                cfq ? "blkio.io_serviced_recursive" : "blkio.throttle.io_serviced_recursive");
    }
  else if (cg_v2_has (cg, "io"))
    {
      blkio_v2 (g, "ioServiceBytesRecursive", cg->unified_dir, "rbytes=", "wbytes=");
      blkio_v2 (g, "ioServicedRecursive", cg->unified_dir, "rios=", "wios=");
    }
  yajl_gen_map_close (g);
}

static void
gen_hugetlb (yajl_gen g, const struct husk_cgroup *cg)
{
  const char *d = cg_v1_dir (cg, "hugetlb");
  bool v2 = d == NULL && cg_v2_has (cg, "hugetlb");
  cleanup_dir DIR *sys = opendir ("/sys/kernel/mm/hugepages");
  struct dirent *de;

  if (v2)
    d = cg->unified_dir;
  key (g, "hugetlb");
  yajl_gen_map_open (g);
  while (d && sys && (de = readdir (sys)))
    {
      unsigned long kb;
      char size[32], f[96];
      if (sscanf (de->d_name, "hugepages-%lukB", &kb) != 1)
        continue;
      if (kb >= 1024 * 1024)
        snprintf (size, sizeof size, "%luGB", kb / (1024 * 1024));
      else if (kb >= 1024)
        snprintf (size, sizeof size, "%luMB", kb / 1024);
      else
        snprintf (size, sizeof size, "%luKB", kb);
      key (g, size);
      yajl_gen_map_open (g);
      snprintf (f, sizeof f, "hugetlb.%s.%s", size, v2 ? "current" : "usage_in_bytes");
      kv_u64 (g, "usage", cg_read_u64 (d, f, 0));
      /* v2 keeps no high-water mark (runc leaves it out there too). */
      snprintf (f, sizeof f, "hugetlb.%s.max_usage_in_bytes", size);
      if (!v2)
        kv_u64 (g, "max", cg_read_u64 (d, f, 0));
      snprintf (f, sizeof f, "hugetlb.%s.%s", size, v2 ? "events" : "failcnt");
      kv_u64 (g, "failcnt", v2 ? stat_key (d, f, "max") : cg_read_u64 (d, f, 0));
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
}

void
husk_cgroup_stats (const struct husk_cgroup *cg, yajl_gen g)
{
  yajl_gen_map_open (g);
  gen_cpu (g, cg);
  gen_cpuset (g, cg);
  gen_memory (g, cg);
  gen_pids (g, cg);
  gen_blkio (g, cg);
  gen_hugetlb (g, cg);
  key (g, "intel_rdt");
  yajl_gen_map_open (g);
  yajl_gen_map_close (g);
  key (g, "network_interfaces");
  yajl_gen_null (g);
  yajl_gen_map_close (g);
}
