/* The systemd driver's names and properties, without a bus (systemd.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "cgroup/systemd.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

/* systemd's UNIT_NAME_MAX counts the NUL. */
#define UNIT_NAME_MAX 256
/* A cpu or memory node number above this is a typo, not a machine. */
#define MAX_CPU_BIT 65535

static bool
ends_with (const char *s, const char *suffix)
{
  size_t l = strlen (s), sl = strlen (suffix);
  return l >= sl && strcmp (s + l - sl, suffix) == 0;
}

/* systemd's unit_name_is_valid(): a name of [A-Za-z0-9:_.\-] (and '@' between a
 * template and its instance), a non-empty stem, the suffix, under 256 bytes. */
bool
cg_sd_valid_unit (const char *name, const char *suffix)
{
  size_t l = strlen (name), sl = strlen (suffix);

  if (l >= UNIT_NAME_MAX || l <= sl || !ends_with (name, suffix) || name[0] == '@'
      || name[0] == '.')
    return false;
  for (size_t i = 0; i < l - sl; i++)
    {
      char c = name[i];
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || strchr (":-_.\\@", c)))
        return false;
    }
  return true;
}

char *
cg_sd_expand_slice (const char *slice, struct husk_error **err)
{
  size_t stem;
  char *path, *p;

  if (!cg_sd_valid_unit (slice, ".slice"))
    goto invalid;
  if (strcmp (slice, "-.slice") == 0)
    return xstrdup ("/");
  stem = strlen (slice) - strlen (".slice");
  /* Each dash closes one level: "a-b.slice" lives in "a.slice".  An empty
   * component ("-a.slice", "a--b.slice", "a-.slice") names no parent. */
  if (slice[0] == '-' || slice[stem - 1] == '-' || husk_memmem (slice, stem, "--", 2))
    goto invalid;
  /* At most one "/<prefix>.slice" per component: the total is bounded by
   * (components) * (stem + 7), and components <= stem. */
  path = p = xmalloc ((stem + 1) * (stem + 8) + 1);
  if (path == NULL)
    abort ();
  for (size_t i = 0; i <= stem; i++)
    if (i == stem || slice[i] == '-')
      p += sprintf (p, "/%.*s.slice", (int) i, slice);
  return path;
invalid:
  husk_error_set (err, 0, "linux.cgroupsPath: invalid slice name `%s`", slice);
  return NULL;
}

int
cg_sd_parse_path (const char *path, const char *id, bool user, char **slice, char **unit,
                  struct husk_error **err)
{
  cleanup_free char *copy = NULL, *expanded = NULL;
  /* runc's defaults: the system's services, or the user's own slice. */
  const char *s = user ? "user.slice" : "system.slice", *prefix = "husk", *name = id;

  *slice = *unit = NULL;
  if (path && *path)
    {
      char *c1, *c2;
      copy = xstrdup (path);
      c1 = strchr (copy, ':');
      c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL || strchr (c2 + 1, ':'))
        return husk_error_set (err, 0,
                               "linux.cgroupsPath `%s`: expected \"slice:prefix:name\" with "
                               "--systemd-cgroup",
                               path);
      *c1 = *c2 = '\0';
      if (*copy)
        s = copy;
      prefix = c1 + 1;
      name = c2 + 1;
    }
  if (*name == '\0')
    return husk_error_set (err, 0, "linux.cgroupsPath `%s`: the name is empty", path);
  /* runc makes a slice unit of such a name; a slice holds no process, and
   * systemd refuses one with PIDs. */
  if (ends_with (name, ".slice"))
    return husk_error_set (err, 0,
                           "linux.cgroupsPath `%s`: a container is a scope unit, not the "
                           "slice `%s`",
                           path, name);
  expanded = cg_sd_expand_slice (s, err);
  if (expanded == NULL)
    return -1;
  xasprintf (unit, "%s-%s.scope", prefix, name);
  if (!cg_sd_valid_unit (*unit, ".scope"))
    {
      husk_error_set (err, 0, "linux.cgroupsPath `%s`: invalid unit name `%s`", path ? path : "",
                      *unit);
      free (*unit);
      *unit = NULL;
      return -1;
    }
  *slice = xstrdup (s);
  return 0;
}

/* The cgroup of a user's manager below the last component "user@UID.service"
 * (its unit in the system's manager), or NULL. */
static const char *
user_manager_rest (const char *cgpath)
{
  const char *rest = NULL;

  for (const char *p = cgpath; (p = husk_strstr (p, "/user@")) != NULL; p++)
    {
      const char *d = p + strlen ("/user@"), *e = d;
      while (*e >= '0' && *e <= '9')
        e++;
      if (e > d && strncmp (e, ".service/", strlen (".service/")) == 0)
        rest = e + strlen (".service");
    }
  return rest;
}

char *
cg_sd_unit_of_path (const char *cgpath, bool *user)
{
  const char *rest = user_manager_rest (cgpath);
  const char *last;
  cleanup_free char *parent = NULL, *expanded = NULL;
  const char *pslice;

  if (user)
    *user = rest != NULL;
  if (rest)
    cgpath = rest;
  last = strrchr (cgpath, '/');
  if (last == NULL || !cg_sd_valid_unit (last + 1, ".scope"))
    return NULL;
  if (last == cgpath) /* in the root slice */
    return xstrdup (last + 1);
  parent = xstrndup (cgpath, (size_t) (last - cgpath));
  pslice = strrchr (parent, '/') + 1;
  expanded = cg_sd_expand_slice (pslice, NULL);
  if (expanded == NULL || strcmp (expanded, parent) != 0)
    return NULL;
  return xstrdup (last + 1);
}

static void
set_bit (uint8_t **bits, size_t *n, unsigned long b)
{
  if (b / 8 >= *n)
    {
      size_t nn = b / 8 + 1;
      uint8_t *nb = xrealloc (*bits, nn);
      memset (nb + *n, 0, nn - *n);
      *bits = nb;
      *n = nn;
    }
  (*bits)[b / 8] |= (uint8_t) (1u << (b % 8));
}

int
cg_sd_cpu_bits (const char *list, uint8_t **bits, size_t *n)
{
  *bits = NULL;
  *n = 0;
  for (const char *p = list; *p;)
    {
      char *end;
      unsigned long a, b;
      while (*p == ' ' || *p == '\n')
        p++;
      if (*p == '\0')
        break;
      if (*p < '0' || *p > '9')
        goto bad;
      a = b = strtoul (p, &end, 10);
      if (*end == '-')
        {
          if (end[1] < '0' || end[1] > '9')
            goto bad;
          b = strtoul (end + 1, &end, 10);
        }
      if (a > b || b > MAX_CPU_BIT)
        goto bad;
      for (unsigned long i = a; i <= b; i++)
        set_bit (bits, n, i);
      while (*end == ' ' || *end == '\n')
        end++;
      if (*end != ',' && *end != '\0')
        goto bad;
      p = *end ? end + 1 : end;
    }
  if (*n == 0)
    goto bad;
  return 0;
bad:
  free (*bits);
  *bits = NULL;
  *n = 0;
  return -1;
}

static struct cg_sd_prop *
props_push (struct cg_sd_props *p, const char *name, enum cg_sd_type type)
{
  struct cg_sd_prop *nv = xrealloc (p->v, (p->n + 1) * sizeof *nv);
  p->v = nv;
  nv[p->n] = (struct cg_sd_prop){ .name = name, .type = type };
  return &nv[p->n++];
}

void
cg_sd_props_add (struct cg_sd_props *p, const char *name, enum cg_sd_type type, uint64_t u)
{
  props_push (p, name, type)->u = u;
}

void
cg_sd_props_free (struct cg_sd_props *p)
{
  for (size_t i = 0; i < p->n; i++)
    {
      free (p->v[i].s);
      free (p->v[i].bytes);
    }
  free (p->v);
  p->v = NULL;
  p->n = 0;
}

static int
add_bits (struct cg_sd_props *p, const char *name, const char *what, const char *list,
          struct husk_error **err)
{
  struct cg_sd_prop *x;
  uint8_t *bits;
  size_t n;

  if (cg_sd_cpu_bits (list, &bits, &n) < 0)
    return husk_error_set (err, EINVAL, "%s `%s`: not a list of numbers and ranges", what, list);
  x = props_push (p, name, CG_SD_BYTES);
  x->bytes = bits;
  x->n = n;
  return 0;
}

/* A limit: negative is "infinity" (UINT64_MAX on the bus). */
static uint64_t
limit_u64 (int64_t v)
{
  return v < 0 ? UINT64_MAX : (uint64_t) v;
}

static void
memory_props (const struct oci_memory *m, struct cg_sd_props *p)
{
  int64_t limit = m->has_limit ? m->limit : 0;

  if (limit)
    cg_sd_props_add (p, "MemoryMax", CG_SD_U64, limit_u64 (limit));
  if (m->has_reservation && m->reservation)
    cg_sd_props_add (p, "MemoryLow", CG_SD_U64, limit_u64 (m->reservation));
  /* runtime-spec swap is memory+swap, MemorySwapMax swap alone; a value the
   * file writer refuses (memory.c) gets no property: its error follows. */
  if ((m->has_swap && m->swap == -1) || (!m->has_swap && limit == -1))
    cg_sd_props_add (p, "MemorySwapMax", CG_SD_U64, UINT64_MAX);
  else if (m->has_swap && m->swap > 0 && limit > 0 && m->swap >= limit)
    cg_sd_props_add (p, "MemorySwapMax", CG_SD_U64, (uint64_t) (m->swap - limit));
}

/* CPUQuotaPerSecUSec is the quota per second of wall time; systemd keeps it in
 * steps of 10 ms, so a quota that is not a multiple is rounded up, and the
 * files get the same rounded quota (runc's addCPUQuota). */
static void
cpu_props (struct oci_cpu *c, struct cg_sd_props *p)
{
  bool quota = c->has_quota && c->quota, period = c->has_period && c->period;

  if (c->has_shares && c->shares)
    cg_sd_props_add (p, "CPUWeight", CG_SD_U64, cg_shares_to_weight (c->shares));
  if (period)
    cg_sd_props_add (p, "CPUQuotaPeriodUSec", CG_SD_U64, c->period);
  if (quota || period)
    {
      uint64_t per_sec = UINT64_MAX;
      if (quota && c->quota > 0)
        {
          uint64_t pd = period ? c->period : 100000;
          per_sec = (uint64_t) c->quota * 1000000 / pd;
          if (per_sec % 10000)
            {
              per_sec = (per_sec / 10000 + 1) * 10000;
              c->quota = (int64_t) (per_sec * pd / 1000000);
            }
        }
      cg_sd_props_add (p, "CPUQuotaPerSecUSec", CG_SD_U64, per_sec);
    }
}

static int
parse_u64_or_max (const char *v, uint64_t *out)
{
  char *end;

  while (*v == ' ')
    v++;
  if (strncmp (v, "max", 3) == 0 && (v[3] == '\0' || v[3] == '\n' || v[3] == ' '))
    return *out = UINT64_MAX, 0;
  if (*v < '0' || *v > '9')
    return -1;
  errno = 0;
  *out = strtoull (v, &end, 10);
  return errno || (*end && *end != '\n' && *end != ' ') ? -1 : 0;
}

/* linux.resources.unified keys systemd models (runc's unifiedResToSystemdProps);
 * the files are written afterwards anyway. */
static int
unified_props (const struct oci_kv *kv, size_t n, struct cg_sd_props *p, struct husk_error **err)
{
  static const struct
  {
    const char *key, *prop;
  } direct[] = {
    { "memory.high", "MemoryHigh" }, { "memory.low", "MemoryLow" },
    { "memory.min", "MemoryMin" },   { "memory.max", "MemoryMax" },
    { "memory.swap.max", "MemorySwapMax" }, { "pids.max", "TasksMax" },
    { "cpu.weight", "CPUWeight" },
  };

  for (size_t i = 0; i < n; i++)
    {
      const char *k = kv[i].key, *v = kv[i].value;
      uint64_t x;
      if (strcmp (k, "cpuset.cpus") == 0 || strcmp (k, "cpuset.mems") == 0)
        {
          if (add_bits (p, k[7] == 'c' ? "AllowedCPUs" : "AllowedMemoryNodes", "linux.resources.unified",
                        v, err) < 0)
            return husk_error_wrap (err, "linux.resources.unified[\"%s\"]", k);
          continue;
        }
      if (strcmp (k, "cpu.max") == 0)
        {
          struct oci_cpu c = { .has_quota = true, .quota = -1 };
          char q[32];
          unsigned long long pd = 0;
          const char *rest = husk_word (v, 0, q, sizeof q);
          int got = rest == NULL ? 0 : husk_scan_u64 (&rest, &pd) ? 2 : 1;
          if (got < 1 || (strcmp (q, "max") != 0 && parse_u64_or_max (q, &x) < 0))
            return husk_error_set (err, EINVAL, "linux.resources.unified[\"cpu.max\"] `%s`: "
                                   "expected \"QUOTA [PERIOD]\"", v);
          if (strcmp (q, "max") != 0)
            c.quota = (int64_t) x;
          c.has_period = got == 2;
          c.period = pd;
          cpu_props (&c, p);
          continue;
        }
      for (size_t j = 0; j < sizeof direct / sizeof direct[0]; j++)
        if (strcmp (k, direct[j].key) == 0)
          {
            if (parse_u64_or_max (v, &x) < 0)
              return husk_error_set (err, EINVAL, "linux.resources.unified[\"%s\"] `%s`: not a "
                                     "number or \"max\"", k, v);
            if (strcmp (k, "pids.max") == 0 && x == 0)
              x = 1; /* systemd refuses TasksMax=0; pids.max gets the 0 */
            cg_sd_props_add (p, direct[j].prop, CG_SD_U64, x);
          }
    }
  return 0;
}

int
cg_sd_resource_props (const struct oci_resources *r, struct oci_cpu *cpu,
                      struct cg_sd_props *out, struct husk_error **err)
{
  if (r == NULL)
    return 0;
  if (r->memory)
    memory_props (r->memory, out);
  if (cpu)
    {
      cpu_props (cpu, out);
      if (cpu->cpus && *cpu->cpus
          && add_bits (out, "AllowedCPUs", "linux.resources.cpu.cpus", cpu->cpus, err) < 0)
        return -1;
      if (cpu->mems && *cpu->mems
          && add_bits (out, "AllowedMemoryNodes", "linux.resources.cpu.mems", cpu->mems, err) < 0)
        return -1;
    }
  /* systemd refuses TasksMax=0: 1 there, as in pids.max (runc). */
  if (r->has_pids_limit)
    cg_sd_props_add (out, "TasksMax", CG_SD_U64,
                     r->pids_limit < 0 ? UINT64_MAX : r->pids_limit == 0 ? 1 : (uint64_t) r->pids_limit);
  /* blkio weight 10..1000 onto IOWeight 1..10000, as the io.weight file (blkio.c). */
  if (r->block_io && r->block_io->has_weight && r->block_io->weight >= 10)
    cg_sd_props_add (out, "IOWeight", CG_SD_U64,
                     1 + ((uint64_t) r->block_io->weight - 10) * 9999 / 990);
  return unified_props (r->unified, r->unified_len, out, err);
}
