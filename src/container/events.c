/* The lines of `events`: {"type":"stats"|"oom","id":ID[,"data":STATS]}, STATS in
 * the shape runc prints (runc's types/events.go), from cgroup/stats.h. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>

#include "cgroup/stats.h"
#include "container/internal.h"
#include "util/jsongen.h"

/* runc prints these lists' numbers as signed 64-bit. */
static void
gen_list (struct json_gen *g, const char *key, const struct husk_stats_list *l)
{
  if (!l->present)
    return;
  json_gen_key (g, key);
  json_gen_array_open (g);
  for (size_t i = 0; i < l->n; i++)
    json_gen_int (g, (long long) l->v[i]);
  json_gen_array_close (g);
}

static void
gen_cpu (struct json_gen *g, const struct husk_stats_cpu *c)
{
  json_gen_key (g, "cpu");
  json_gen_map_open (g);
  json_gen_key (g, "usage");
  json_gen_map_open (g);
  if (c->has_usage)
    {
      json_gen_kv_u64 (g, "total", c->total);
      gen_list (g, "percpu", &c->percpu);
      gen_list (g, "percpu_kernel", &c->percpu_kernel);
      gen_list (g, "percpu_user", &c->percpu_user);
      json_gen_kv_u64 (g, "kernel", c->kernel);
      json_gen_kv_u64 (g, "user", c->user);
    }
  json_gen_map_close (g);
  json_gen_key (g, "throttling");
  json_gen_map_open (g);
  if (c->has_throttling)
    {
      json_gen_kv_u64 (g, "periods", c->periods);
      json_gen_kv_u64 (g, "throttledPeriods", c->throttled_periods);
      json_gen_kv_u64 (g, "throttledTime", c->throttled_time);
    }
  json_gen_map_close (g);
  json_gen_map_close (g);
}

static void
gen_cpuset (struct json_gen *g, const struct husk_stats_cpuset *c)
{
  json_gen_key (g, "cpuset");
  json_gen_map_open (g);
  gen_list (g, "cpus", &c->cpus);
  gen_list (g, "mems", &c->mems);
  json_gen_kv_u64 (g, "cpu_exclusive", c->cpu_exclusive);
  json_gen_kv_u64 (g, "mem_hardwall", c->mem_hardwall);
  json_gen_kv_u64 (g, "mem_exclusive", c->mem_exclusive);
  json_gen_kv_u64 (g, "memory_migrate", c->memory_migrate);
  json_gen_kv_u64 (g, "memory_spread_page", c->memory_spread_page);
  json_gen_kv_u64 (g, "memory_spread_slab", c->memory_spread_slab);
  json_gen_kv_u64 (g, "memory_pressure", c->memory_pressure);
  json_gen_kv_u64 (g, "sched_load_balance", c->sched_load_balance);
  json_gen_kv_int (g, "sched_relax_domain_level", 0);
  json_gen_map_close (g);
}

static void
gen_mem_entry (struct json_gen *g, const char *key, const struct husk_stats_mem_entry *e)
{
  json_gen_key (g, key);
  json_gen_map_open (g);
  json_gen_kv_u64 (g, "limit", e->limit);
  json_gen_kv_u64 (g, "usage", e->usage);
  if (e->has_max)
    json_gen_kv_u64 (g, "max", e->max);
  json_gen_kv_u64 (g, "failcnt", e->failcnt);
  json_gen_map_close (g);
}

static void
gen_memory (struct json_gen *g, const struct husk_stats_memory *m)
{
  json_gen_key (g, "memory");
  json_gen_map_open (g);
  if (m->present)
    {
      json_gen_kv_u64 (g, "cache", m->cache);
      gen_mem_entry (g, "usage", &m->usage);
      gen_mem_entry (g, "swap", &m->swap);
      if (m->has_kernel)
        {
          gen_mem_entry (g, "kernel", &m->kernel);
          gen_mem_entry (g, "kernelTCP", &m->kernel_tcp);
        }
      json_gen_key (g, "raw");
      json_gen_map_open (g);
      for (size_t i = 0; i < m->raw_len; i++)
        json_gen_kv_u64 (g, m->raw[i].key, m->raw[i].value);
      json_gen_map_close (g);
    }
  json_gen_map_close (g);
}

static void
gen_pids (struct json_gen *g, const struct husk_stats_pids *p)
{
  json_gen_key (g, "pids");
  json_gen_map_open (g);
  if (p->present)
    {
      json_gen_kv_u64 (g, "current", p->current);
      json_gen_kv_u64 (g, "limit", p->limit);
    }
  json_gen_map_close (g);
}

static void
gen_blkio_list (struct json_gen *g, const char *key, const struct husk_stats_blkio_entry *v, size_t n)
{
  json_gen_key (g, key);
  json_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    {
      json_gen_map_open (g);
      json_gen_kv_u64 (g, "major", v[i].major);
      json_gen_kv_u64 (g, "minor", v[i].minor);
      json_gen_kv_str (g, "op", v[i].op);
      json_gen_kv_u64 (g, "value", v[i].value);
      json_gen_map_close (g);
    }
  json_gen_array_close (g);
}

static void
gen_blkio (struct json_gen *g, const struct husk_stats_blkio *b)
{
  json_gen_key (g, "blkio");
  json_gen_map_open (g);
  if (b->present)
    {
      gen_blkio_list (g, "ioServiceBytesRecursive", b->service_bytes, b->service_bytes_len);
      gen_blkio_list (g, "ioServicedRecursive", b->serviced, b->serviced_len);
    }
  json_gen_map_close (g);
}

static void
gen_hugetlb (struct json_gen *g, const struct husk_cgroup_stats *s)
{
  json_gen_key (g, "hugetlb");
  json_gen_map_open (g);
  for (size_t i = 0; i < s->hugetlb_len; i++)
    {
      const struct husk_stats_hugetlb *h = &s->hugetlb[i];
      json_gen_key (g, h->size);
      json_gen_map_open (g);
      json_gen_kv_u64 (g, "usage", h->usage);
      if (h->has_max)
        json_gen_kv_u64 (g, "max", h->max);
      json_gen_kv_u64 (g, "failcnt", h->failcnt);
      json_gen_map_close (g);
    }
  json_gen_map_close (g);
}

static void
gen_stats (struct json_gen *g, const struct husk_cgroup_stats *s)
{
  json_gen_map_open (g);
  gen_cpu (g, &s->cpu);
  gen_cpuset (g, &s->cpuset);
  gen_memory (g, &s->memory);
  gen_pids (g, &s->pids);
  gen_blkio (g, &s->blkio);
  gen_hugetlb (g, s);
  json_gen_key (g, "intel_rdt");
  json_gen_map_open (g);
  json_gen_map_close (g);
  json_gen_key (g, "network_interfaces");
  json_gen_null (g);
  json_gen_map_close (g);
}

char *
husk_event_json (const char *type, const char *id, const struct husk_cgroup *cg)
{
  struct json_gen *g = json_gen_new (NULL);

  json_gen_map_open (g);
  json_gen_kv_str (g, "type", type);
  json_gen_kv_str (g, "id", id);
  if (cg)
    {
      struct husk_cgroup_stats s;
      husk_cgroup_stats (cg, &s);
      json_gen_key (g, "data");
      gen_stats (g, &s);
      husk_cgroup_stats_free (&s);
    }
  json_gen_map_close (g);
  return json_gen_finish (g, NULL);
}
