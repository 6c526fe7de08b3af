/* Container statistics for `events`: what runc's types/events.go carries, as
 * plain structs (container/ writes them as JSON).  What a controller of this
 * host cannot tell is absent (a has_/present flag false) or 0. */
#ifndef HUSK_CGROUP_STATS_H
#define HUSK_CGROUP_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup/cgroup.h"

/* Numbers read from one file; present when the file could be read. */
struct husk_stats_list
{
  bool present;
  uint64_t *v;
  size_t n;
};

struct husk_stats_cpu
{
  bool has_usage; /* cpuacct (v1) or cpu.stat (v2) */
  uint64_t total, kernel, user; /* ns */
  struct husk_stats_list percpu, percpu_kernel, percpu_user; /* v1 only */
  bool has_throttling;
  uint64_t periods, throttled_periods, throttled_time;
};

struct husk_stats_cpuset
{
  struct husk_stats_list cpus, mems; /* present when known and not empty */
  uint64_t cpu_exclusive, mem_hardwall, mem_exclusive, memory_migrate, memory_spread_page,
      memory_spread_slab, memory_pressure, sched_load_balance;
};

struct husk_stats_mem_entry
{
  uint64_t limit, usage, max, failcnt;
  bool has_max;
};

struct husk_stats_kv
{
  char *key;
  uint64_t value;
};

struct husk_stats_memory
{
  bool present; /* a memory controller (v1 or v2) */
  uint64_t cache;
  struct husk_stats_mem_entry usage, swap;
  bool has_kernel; /* v1: kernel and kernel_tcp */
  struct husk_stats_mem_entry kernel, kernel_tcp;
  struct husk_stats_kv *raw; /* memory.stat, in its order */
  size_t raw_len;
};

struct husk_stats_pids
{
  bool present;
  uint64_t current, limit; /* limit 0: unlimited (as runc) */
};

struct husk_stats_blkio_entry
{
  unsigned major, minor;
  char op[32]; /* "Read", "Write", "Total", ... */
  uint64_t value;
};

struct husk_stats_blkio
{
  bool present;
  struct husk_stats_blkio_entry *service_bytes, *serviced; /* ...Recursive */
  size_t service_bytes_len, serviced_len;
};

struct husk_stats_hugetlb
{
  char size[32]; /* "2MB", "1GB" */
  uint64_t usage, max, failcnt;
  bool has_max; /* v1 only */
};

struct husk_cgroup_stats
{
  struct husk_stats_cpu cpu;
  struct husk_stats_cpuset cpuset;
  struct husk_stats_memory memory;
  struct husk_stats_pids pids;
  struct husk_stats_blkio blkio;
  struct husk_stats_hugetlb *hugetlb; /* one per page size of the host */
  size_t hugetlb_len;
};

/* Read the container's statistics into *s (release with husk_cgroup_stats_free). */
void husk_cgroup_stats (const struct husk_cgroup *cg, struct husk_cgroup_stats *s);
void husk_cgroup_stats_free (struct husk_cgroup_stats *s);

#endif
