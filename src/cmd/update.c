#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "container/container.h"
#include "oci/resources.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/num.h"
#include "util/xalloc.h"

static const char usage[] =
    "usage: husk update [options] <container-id>\n"
    "\n"
    "Change the cgroup resources of a container.  The flags override the values of\n"
    "--resources; what is not given keeps its current value.\n"
    "\n"
    "  -r, --resources FILE          a LinuxResources JSON object (`-`: stdin)\n"
    "  --memory BYTES                memory limit (units k, m, g: 512m)\n"
    "  --memory-reservation BYTES    memory soft limit\n"
    "  --memory-swap BYTES           memory+swap limit (-1: unlimited)\n"
    "  --kernel-memory BYTES         kernel memory limit (ignored by new kernels)\n"
    "  --kernel-memory-tcp BYTES     kernel TCP buffer limit\n"
    "  --cpu-share N                 CPU shares (relative weight)\n"
    "  --cpu-quota N                 CPU CFS quota in microseconds (-1: none)\n"
    "  --cpu-period N                CPU CFS period in microseconds\n"
    "  --cpu-burst N                 CPU CFS burst in microseconds\n"
    "  --cpu-idle 0|1                SCHED_IDLE for the cgroup (cpu.idle)\n"
    "  --cpu-rt-period N             realtime period in microseconds\n"
    "  --cpu-rt-runtime N            realtime runtime in microseconds\n"
    "  --cpu-burst N                 CPU CFS burst in microseconds\n"
    "  --cpu-idle 0|1                SCHED_IDLE for the cgroup (cpu.idle)\n"
    "  --cpuset-cpus LIST            CPUs allowed (0-3, 0,1)\n"
    "  --cpuset-mems LIST            memory nodes allowed\n"
    "  --pids-limit N                maximum number of tasks (-1: unlimited)\n"
    "  --blkio-weight N              block IO weight (10 to 1000)\n";

enum
{
  O_MEMORY = 256,
  O_MEMORY_RESERVATION,
  O_MEMORY_SWAP,
  O_KERNEL_MEMORY,
  O_KERNEL_MEMORY_TCP,
  O_CPU_SHARE,
  O_CPU_QUOTA,
  O_CPU_PERIOD,
  O_CPU_RT_PERIOD,
  O_CPU_RT_RUNTIME,
  O_CPU_BURST,
  O_CPU_IDLE,
  O_CPUSET_CPUS,
  O_CPUSET_MEMS,
  O_PIDS_LIMIT,
  O_BLKIO_WEIGHT,
};

static const struct option options[] = {
  { "resources", required_argument, NULL, 'r' },
  { "memory", required_argument, NULL, O_MEMORY },
  { "memory-reservation", required_argument, NULL, O_MEMORY_RESERVATION },
  { "memory-swap", required_argument, NULL, O_MEMORY_SWAP },
  { "kernel-memory", required_argument, NULL, O_KERNEL_MEMORY },
  { "kernel-memory-tcp", required_argument, NULL, O_KERNEL_MEMORY_TCP },
  { "cpu-share", required_argument, NULL, O_CPU_SHARE },
  { "cpu-quota", required_argument, NULL, O_CPU_QUOTA },
  { "cpu-period", required_argument, NULL, O_CPU_PERIOD },
  { "cpu-rt-period", required_argument, NULL, O_CPU_RT_PERIOD },
  { "cpu-rt-runtime", required_argument, NULL, O_CPU_RT_RUNTIME },
  { "cpu-burst", required_argument, NULL, O_CPU_BURST },
  { "cpu-idle", required_argument, NULL, O_CPU_IDLE },
  { "cpuset-cpus", required_argument, NULL, O_CPUSET_CPUS },
  { "cpuset-mems", required_argument, NULL, O_CPUSET_MEMS },
  { "pids-limit", required_argument, NULL, O_PIDS_LIMIT },
  { "blkio-weight", required_argument, NULL, O_BLKIO_WEIGHT },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* "512m", "1g", "1024", "-1" (binary multiples, like runc's RAMInBytes). */
static int
parse_bytes (const char *flag, const char *s, int64_t *out, struct husk_error **err)
{
  char *end;
  long double v;
  int64_t mult = 1;

  errno = 0;
  v = husk_strtold (s, &end);
  if (errno || end == s)
    return husk_error_set (err, 0, "update: --%s: invalid size `%s`", flag, s);
  switch (tolower ((unsigned char) *end))
    {
    case 'k': mult = 1LL << 10; end++; break;
    case 'm': mult = 1LL << 20; end++; break;
    case 'g': mult = 1LL << 30; end++; break;
    case 't': mult = 1LL << 40; end++; break;
    case 'p': mult = 1LL << 50; end++; break;
    default: break;
    }
  if (mult > 1 && tolower ((unsigned char) *end) == 'i')
    end++;
  if (tolower ((unsigned char) *end) == 'b')
    end++;
  if (*end || (v < 0 && v != -1) || v * mult > (long double) INT64_MAX)
    return husk_error_set (err, 0, "update: --%s: invalid size `%s`", flag, s);
  *out = (int64_t) (v * mult);
  return 0;
}

static int
parse_int (const char *flag, const char *s, int64_t min, int64_t *out, struct husk_error **err)
{
  char *end;

  errno = 0;
  long long v = strtoll (s, &end, 10);
  if (errno || end == s || *end || v < min)
    return husk_error_set (err, 0, "update: --%s: invalid number `%s`", flag, s);
  *out = v;
  return 0;
}

static void *
ensure (void **p, size_t size)
{
  if (*p == NULL && (*p = xcalloc (1, size)) == NULL)
    abort ();
  return *p;
}

static struct oci_resources *
load_resources (const char *file, struct husk_error **err)
{
  cleanup_free char *data = NULL;
  size_t len;

  if (file == NULL)
    {
      struct oci_resources *r = xcalloc (1, sizeof *r);
      return r;
    }
  if (strcmp (file, "-") == 0 ? husk_read_fd (STDIN_FILENO, &data, &len, err) < 0
                              : husk_read_file (file, &data, &len, err) < 0)
    return husk_error_wrap (err, "update: --resources"), NULL;
  return oci_resources_parse (data, len, err);
}

/* One flag into r. */
static int
apply_flag (struct oci_resources *r, int opt, const char *name, const char *v, struct husk_error **err)
{
  struct oci_memory *m = NULL;
  struct oci_cpu *c = NULL;
  int64_t n;

  if (opt >= O_MEMORY && opt <= O_KERNEL_MEMORY_TCP)
    {
      m = ensure ((void **) &r->memory, sizeof *r->memory);
      if (parse_bytes (name, v, &n, err) < 0)
        return -1;
    }
  else if (opt >= O_CPU_SHARE && opt <= O_CPU_IDLE)
    {
      /* cpu.idle: whatever the kernel takes (it refuses all but 0 and 1). */
      int64_t min = opt == O_CPU_IDLE ? INT64_MIN
                    : opt == O_CPU_QUOTA || opt == O_CPU_RT_RUNTIME ? -1 : 0;
      c = ensure ((void **) &r->cpu, sizeof *r->cpu);
      if (parse_int (name, v, min, &n, err) < 0)
        return -1;
    }
  switch (opt)
    {
    case O_MEMORY: m->has_limit = true, m->limit = n; break;
    case O_MEMORY_RESERVATION: m->has_reservation = true, m->reservation = n; break;
    case O_MEMORY_SWAP: m->has_swap = true, m->swap = n; break;
    case O_KERNEL_MEMORY: m->has_kernel = true, m->kernel = n; break;
    case O_KERNEL_MEMORY_TCP: m->has_kernel_tcp = true, m->kernel_tcp = n; break;
    case O_CPU_SHARE: c->has_shares = true, c->shares = (uint64_t) n; break;
    case O_CPU_QUOTA: c->has_quota = true, c->quota = n; break;
    case O_CPU_PERIOD: c->has_period = true, c->period = (uint64_t) n; break;
    case O_CPU_RT_PERIOD: c->has_realtime_period = true, c->realtime_period = (uint64_t) n; break;
    case O_CPU_RT_RUNTIME: c->has_realtime_runtime = true, c->realtime_runtime = n; break;
    case O_CPU_BURST: c->has_burst = true, c->burst = (uint64_t) n; break;
    case O_CPU_IDLE: c->has_idle = true, c->idle = n; break;
    case O_CPUSET_CPUS:
    case O_CPUSET_MEMS:
      {
        c = ensure ((void **) &r->cpu, sizeof *r->cpu);
        char **dst = opt == O_CPUSET_CPUS ? &c->cpus : &c->mems;
        free (*dst);
        *dst = xstrdup (v);
        break;
      }
    case O_PIDS_LIMIT:
      if (parse_int (name, v, INT64_MIN, &n, err) < 0)
        return -1;
      r->has_pids_limit = true, r->pids_limit = n < 0 ? -1 : n;
      break;
    case O_BLKIO_WEIGHT:
      if (parse_int (name, v, 0, &n, err) < 0)
        return -1;
      if (n != 0 && (n < 10 || n > 1000))
        return husk_error_set (err, 0, "update: --blkio-weight: %" PRId64 " is not within 10..1000", n);
      ensure ((void **) &r->block_io, sizeof *r->block_io);
      r->block_io->has_weight = true, r->block_io->weight = (uint16_t) n;
      break;
    default: break;
    }
  return 0;
}

int
husk_cmd_update (const struct husk_globals *g, int argc, char **argv, struct husk_error **err)
{
  struct
  {
    int opt;
    const char *name, *value;
  } flags[32];
  size_t nflags = 0;
  const char *file = NULL, *id;
  struct oci_resources *r;
  int c, idx, ret = -1;

  optind = 0;
  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "r:h", options, &idx)) != -1)
    {
      if (c == 'h')
        return husk_cmd_usage (usage);
      if (c == 'r')
        file = optarg;
      else if (c >= O_MEMORY && nflags < sizeof flags / sizeof flags[0])
        flags[nflags].opt = c, flags[nflags].name = options[idx].name, flags[nflags++].value = optarg;
      else if (c == '?' && optopt)
        return husk_error_set (err, 0, "update: option `%s` needs a value", argv[optind - 1]);
      else
        return husk_error_set (err, 0, "update: unknown option `%s`", argv[optind - 1]);
    }
  if (husk_cmd_id (argc, argv, optind, usage, &id, err) < 0)
    return -1;
  r = load_resources (file, err);
  if (r == NULL)
    return -1;
  for (size_t i = 0; i < nflags; i++)
    if (apply_flag (r, flags[i].opt, flags[i].name, flags[i].value, err) < 0)
      goto out;
  ret = husk_cmd_result (g, id, husk_container_update (g->root, id, r, err) < 0 ? -1 : 0, err);
out:
  oci_resources_free (r);
  return ret;
}
