/* hugetlb: v1 hugetlb.<size>.limit_in_bytes, v2 hugetlb.<size>.max, and the
 * reservation counters (.rsvd.) where the kernel has them (5.7+), set to the same
 * limit like runc so that a reservation cannot exceed it either. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static bool
wanted (const struct oci_resources *r)
{
  return r->hugepage_limits_len > 0;
}

static int
apply_one (const char *dir, const struct oci_hugepage_limit *l, const char *suffix,
           const char *rsvd_suffix, struct husk_error **err)
{
  cleanup_free char *file = NULL, *rsvd = NULL;

  if (xasprintf (&file, "hugetlb.%s.%s", l->page_size, suffix) < 0
      || xasprintf (&rsvd, "hugetlb.%s.%s", l->page_size, rsvd_suffix) < 0)
    abort ();
  if (!cg_exists (dir, file))
    return husk_error_set (err, EINVAL, "hugepageLimits: page size `%s` is not one of this host's",
                           l->page_size);
  if (cg_writef (dir, file, err, "%" PRIu64, l->limit) < 0)
    return -1;
  if (cg_exists (dir, rsvd) && cg_writef (dir, rsvd, err, "%" PRIu64, l->limit) < 0)
    return -1;
  return 0;
}

static int
apply_v1 (const char *dir, const struct oci_resources *r, bool update, struct husk_error **err)
{
  for (size_t i = 0; i < r->hugepage_limits_len; i++)
    if (apply_one (dir, &r->hugepage_limits[i], "limit_in_bytes", "rsvd.limit_in_bytes", err) < 0)
      return -1;
  return 0;
}

static int
apply_v2 (const char *dir, const struct oci_resources *r, bool update, struct husk_error **err)
{
  for (size_t i = 0; i < r->hugepage_limits_len; i++)
    if (apply_one (dir, &r->hugepage_limits[i], "max", "rsvd.max", err) < 0)
      return -1;
  return 0;
}

const struct cg_controller cg_hugetlb = { "hugetlb", "hugetlb", wanted, apply_v1, apply_v2 };
