/* Unit tests for the systemd cgroup driver's bus-free part (cgroup/sdconv.c):
 * cgroupsPath parsing, slice expansion, unit names, recognising a unit's
 * cgroup, and the resources as unit properties (TAP output). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/systemd.h"
#include "util/error.h"

#include "tap.h"

static bool
streq (const char *a, const char *b)
{
  return a && b && strcmp (a, b) == 0;
}

static void
expand (const char *slice, const char *want)
{
  struct husk_error *err = NULL;
  char *got = cg_sd_expand_slice (slice, &err);

  if (want)
    result (streq (got, want), "slice `%s` expands to `%s` (got `%s`)", slice, want,
            got ? got : "(null)");
  else
    result (got == NULL && err && strstr (err->msg, slice), "slice `%s` is refused (%s)", slice,
            err ? err->msg : "no error");
  free (got);
  husk_error_release (&err);
}

static void
parse_as (bool user, const char *path, const char *want_slice, const char *want_unit,
          const char *want_err)
{
  struct husk_error *err = NULL;
  char *slice = NULL, *unit = NULL;
  int r = cg_sd_parse_path (path, "ctr1", user, &slice, &unit, &err);

  if (want_err)
    result (r < 0 && err && strstr (err->msg, want_err) && !slice && !unit,
            "cgroupsPath `%s` is refused: %s (got: %s)", path ? path : "(none)", want_err,
            err ? err->msg : "no error");
  else
    result (r == 0 && streq (slice, want_slice) && streq (unit, want_unit),
            "cgroupsPath `%s` -> slice `%s`, unit `%s` (got `%s`, `%s`)", path ? path : "(none)",
            want_slice, want_unit, slice ? slice : "", unit ? unit : "");
  free (slice);
  free (unit);
  husk_error_release (&err);
}

static void
parse (const char *path, const char *want_slice, const char *want_unit, const char *want_err)
{
  parse_as (false, path, want_slice, want_unit, want_err);
}

static void
unit_of_as (bool want_user, const char *cgpath, const char *want)
{
  bool user = !want_user;
  char *got = cg_sd_unit_of_path (cgpath, &user);

  if (want)
    result (streq (got, want) && user == want_user, "cgroup `%s` is unit `%s` of the %s manager "
            "(got `%s`, %s)", cgpath, want, want_user ? "user's" : "system's",
            got ? got : "(null)", user ? "user's" : "system's");
  else
    result (got == NULL, "cgroup `%s` is no unit's (got `%s`)", cgpath, got ? got : "(null)");
  free (got);
}

static void
unit_of (const char *cgpath, const char *want)
{
  unit_of_as (false, cgpath, want);
}

static void
bits (const char *list, const char *want_hex)
{
  uint8_t *b = NULL;
  size_t n = 0;
  char hex[256] = "";
  int r = cg_sd_cpu_bits (list, &b, &n);

  for (size_t i = 0; r == 0 && i < n && i < 100; i++)
    sprintf (hex + 2 * i, "%02x", b[i]);
  if (want_hex)
    result (r == 0 && streq (hex, want_hex), "cpus `%s` -> bytes %s (got %s)", list, want_hex, hex);
  else
    result (r < 0 && b == NULL, "cpus `%s` is refused", list);
  free (b);
}

static const struct cg_sd_prop *
prop (const struct cg_sd_props *p, const char *name)
{
  const struct cg_sd_prop *found = NULL;
  for (size_t i = 0; i < p->n; i++)
    if (strcmp (p->v[i].name, name) == 0)
      found = &p->v[i]; /* the last one wins, as in systemd */
  return found;
}

static bool
prop_u64 (const struct cg_sd_props *p, const char *name, uint64_t want)
{
  const struct cg_sd_prop *x = prop (p, name);
  return x && x->type == CG_SD_U64 && x->u == want;
}

static void
test_props (void)
{
  struct oci_memory mem = { .has_limit = true, .limit = 67108864, .has_reservation = true,
                            .reservation = 33554432, .has_swap = true, .swap = 134217728 };
  struct oci_cpu cpu = { .has_shares = true, .shares = 1024, .has_quota = true, .quota = 50000,
                         .has_period = true, .period = 100000, .cpus = (char *) "0-1,4",
                         .mems = (char *) "0" };
  struct oci_blkio bio = { .has_weight = true, .weight = 500 };
  struct oci_resources r = { .memory = &mem, .cpu = &cpu, .has_pids_limit = true,
                             .pids_limit = 42, .block_io = &bio };
  struct cg_sd_props p = { 0 };
  struct husk_error *err = NULL;
  const struct cg_sd_prop *x;

  result (cg_sd_resource_props (&r, &cpu, &p, &err) == 0, "resources convert");
  result (prop_u64 (&p, "MemoryMax", 67108864), "memory.limit -> MemoryMax");
  result (prop_u64 (&p, "MemoryLow", 33554432), "memory.reservation -> MemoryLow");
  result (prop_u64 (&p, "MemorySwapMax", 134217728 - 67108864),
          "memory.swap (memory+swap) -> MemorySwapMax (swap alone)");
  result (prop_u64 (&p, "CPUWeight", 39), "cpu.shares 1024 -> CPUWeight 39 (runc's formula)");
  result (prop_u64 (&p, "CPUQuotaPerSecUSec", 500000), "quota 50000/100000 -> 500 ms per second");
  result (prop_u64 (&p, "CPUQuotaPeriodUSec", 100000), "cpu.period -> CPUQuotaPeriodUSec");
  result (prop_u64 (&p, "TasksMax", 42), "pids.limit -> TasksMax");
  result (prop_u64 (&p, "IOWeight", 1 + (500 - 10) * 9999 / 990), "blkio weight -> IOWeight");
  x = prop (&p, "AllowedCPUs");
  result (x && x->type == CG_SD_BYTES && x->n == 1 && x->bytes[0] == 0x13,
          "cpu.cpus 0-1,4 -> AllowedCPUs 0x13");
  x = prop (&p, "AllowedMemoryNodes");
  result (x && x->n == 1 && x->bytes[0] == 0x01, "cpu.mems 0 -> AllowedMemoryNodes 0x01");
  cg_sd_props_free (&p);

  /* Rounding: 12345 us per 100 ms is 123450 us/s, kept by systemd as 130000. */
  cpu = (struct oci_cpu){ .has_quota = true, .quota = 12345, .has_period = true, .period = 100000 };
  r = (struct oci_resources){ .cpu = &cpu };
  cg_sd_resource_props (&r, &cpu, &p, NULL);
  result (prop_u64 (&p, "CPUQuotaPerSecUSec", 130000) && cpu.quota == 13000,
          "a quota off systemd's 10 ms step is rounded up, in the files too (got quota %lld)",
          (long long) cpu.quota);
  cg_sd_props_free (&p);

  cpu = (struct oci_cpu){ .has_quota = true, .quota = -1 };
  mem = (struct oci_memory){ .has_limit = true, .limit = -1 };
  r = (struct oci_resources){ .cpu = &cpu, .memory = &mem, .has_pids_limit = true,
                              .pids_limit = -1 };
  cg_sd_resource_props (&r, &cpu, &p, NULL);
  result (prop_u64 (&p, "CPUQuotaPerSecUSec", UINT64_MAX) && prop_u64 (&p, "MemoryMax", UINT64_MAX)
              && prop_u64 (&p, "MemorySwapMax", UINT64_MAX) && prop_u64 (&p, "TasksMax", UINT64_MAX),
          "-1 is infinity for quota, memory, swap and pids");
  cg_sd_props_free (&p);

  r = (struct oci_resources){ .has_pids_limit = true, .pids_limit = 0 };
  cg_sd_resource_props (&r, NULL, &p, NULL);
  result (prop_u64 (&p, "TasksMax", 1), "pids.limit 0 -> TasksMax 1 (systemd refuses 0; the file gets 1 too)");
  cg_sd_props_free (&p);

  r = (struct oci_resources){ 0 };
  result (cg_sd_resource_props (&r, NULL, &p, NULL) == 0 && p.n == 0,
          "no resources, no properties");
  cg_sd_props_free (&p);

  {
    struct oci_kv kv[] = { { (char *) "memory.high", (char *) "1048576" },
                           { (char *) "pids.max", (char *) "max" },
                           { (char *) "cpu.max", (char *) "20000 50000" },
                           { (char *) "io.max", (char *) "8:0 rbps=1" } };
    r = (struct oci_resources){ .unified = kv, .unified_len = 4 };
    result (cg_sd_resource_props (&r, NULL, &p, NULL) == 0 && prop_u64 (&p, "MemoryHigh", 1048576)
                && prop_u64 (&p, "TasksMax", UINT64_MAX)
                && prop_u64 (&p, "CPUQuotaPerSecUSec", 400000)
                && prop_u64 (&p, "CPUQuotaPeriodUSec", 50000) && p.n == 4,
            "unified: memory.high, pids.max, cpu.max as properties, io.max only as a file");
    cg_sd_props_free (&p);
    kv[0].value = (char *) "lots";
    r.unified_len = 1;
    result (cg_sd_resource_props (&r, NULL, &p, &err) < 0 && err
                && strstr (err->msg, "memory.high"),
            "a malformed unified value is an error naming the key");
    husk_error_release (&err);
    cg_sd_props_free (&p);
  }
  cpu = (struct oci_cpu){ .cpus = (char *) "3-1" };
  r = (struct oci_resources){ .cpu = &cpu };
  result (cg_sd_resource_props (&r, &cpu, &p, &err) < 0 && err && strstr (err->msg, "cpu.cpus"),
          "a malformed cpu list is an error naming linux.resources.cpu.cpus");
  husk_error_release (&err);
  cg_sd_props_free (&p);
}

int
main (void)
{
  expand ("system.slice", "/system.slice");
  expand ("a-b.slice", "/a.slice/a-b.slice");
  expand ("kubepods-besteffort-pod12ab.slice",
          "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12ab.slice");
  expand ("-.slice", "/");
  expand ("a--b.slice", NULL);
  expand ("-a.slice", NULL);
  expand ("a-.slice", NULL);
  expand ("a/b.slice", NULL);
  expand ("system", NULL);
  expand (".slice", NULL);
  expand ("a b.slice", NULL);

  parse (NULL, "system.slice", "husk-ctr1.scope", NULL);
  parse ("", "system.slice", "husk-ctr1.scope", NULL);
  parse ("system.slice:docker:abc", "system.slice", "docker-abc.scope", NULL);
  parse (":libpod:abc", "system.slice", "libpod-abc.scope", NULL);
  /* Rootless, in systemd --user: user.slice, as runc. */
  parse_as (true, NULL, "user.slice", "husk-ctr1.scope", NULL);
  parse_as (true, ":libpod:abc", "user.slice", "libpod-abc.scope", NULL);
  parse_as (true, "app.slice:p:n", "app.slice", "p-n.scope", NULL);
  parse ("kubepods-besteffort-pod1.slice:cri-containerd:abc", "kubepods-besteffort-pod1.slice",
         "cri-containerd-abc.scope", NULL);
  parse ("-.slice:p:n", "-.slice", "p-n.scope", NULL);
  parse ("/husk/abc", NULL, NULL, "expected \"slice:prefix:name\"");
  parse ("a:b", NULL, NULL, "expected \"slice:prefix:name\"");
  parse ("a.slice:b:c:d", NULL, NULL, "expected \"slice:prefix:name\"");
  parse ("bad--slice.slice:p:n", NULL, NULL, "invalid slice name");
  parse ("system.slice:p:", NULL, NULL, "the name is empty");
  parse ("system.slice:p:pod.slice", NULL, NULL, "not the slice");
  parse ("system.slice:p:a/b", NULL, NULL, "invalid unit name");

  result (cg_sd_valid_unit ("docker-abc.scope", ".scope"), "docker-abc.scope is a valid scope");
  result (!cg_sd_valid_unit ("docker abc.scope", ".scope"), "a space is not valid in a unit name");
  {
    char longname[300];
    memset (longname, 'a', 250);
    strcpy (longname + 250, ".scope");
    result (!cg_sd_valid_unit (longname, ".scope"), "a unit name of 256 bytes is too long");
  }

  unit_of ("/system.slice/docker-abc.scope", "docker-abc.scope");
  unit_of ("/kubepods.slice/kubepods-besteffort.slice/cri-containerd-x.scope", "cri-containerd-x.scope");
  unit_of ("/p-n.scope", "p-n.scope");
  unit_of ("/husk/abc", NULL);
  unit_of ("/system.slice/other.slice/x.scope", NULL);
  unit_of ("/foo/x.scope", NULL);
  unit_of ("/system.slice/docker-abc", NULL);
  /* systemd --user's units: below its user@UID.service. */
  unit_of_as (true, "/user.slice/user-1000.slice/user@1000.service/user.slice/husk-a.scope",
              "husk-a.scope");
  unit_of_as (true, "/user.slice/user-1000.slice/user@1000.service/app.slice/app-x.slice/p-n.scope",
              "p-n.scope");
  unit_of_as (true, "/user.slice/user-1000.slice/user@1000.service/p-n.scope", "p-n.scope");
  unit_of_as (true, "/user.slice/user-1000.slice/user@1000.service/other.slice/x/p-n.scope", NULL);
  unit_of_as (true, "/user.slice/user-1000.slice/user@1000.service/init.scope/x", NULL);
  /* A system unit in the user's slice, beside the manager: the system's. */
  unit_of ("/user.slice/user-1000.slice/user-x.scope", "user-x.scope");
  unit_of ("/user.slice/user-1000.slice/user@.service/x.scope", NULL);

  bits ("0", "01");
  bits ("0-7", "ff");
  bits ("8", "0001");
  bits ("0-1,4", "13");
  bits (" 2 , 9-10 ", "0406");
  bits ("3-1", NULL);
  bits ("x", NULL);
  bits ("", NULL);
  bits ("1,", "02");
  bits ("70000", NULL);

  test_props ();
  return tap_done ();
}
