/* blkio (v1) and io (v2).
 *
 * Weights: v1 blkio.weight (CFQ, gone since Linux 5.0), else blkio.bfq.weight;
 * v2 io.bfq.weight (same 10..1000 range) when BFQ is there, else io.weight with
 * runc's conversion 1 + (weight - 10) * 9999 / 990 onto 1..10000.  leafWeight
 * existed only with CFQ: where the kernel dropped it (v1 without blkio.leaf_weight,
 * and always on v2) it is ignored with a warning, like kernel memory limits.  Throttling: blkio.throttle.* files, or
 * io.max "MAJ:MIN rbps=N" etc. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/log.h"

static bool
wanted (const struct oci_resources *r)
{
  const struct oci_blkio *b = r->block_io;
  return b
         && (b->has_weight || b->has_leaf_weight || b->weight_device_len || b->throttle_read_bps_len
             || b->throttle_write_bps_len || b->throttle_read_iops_len || b->throttle_write_iops_len);
}

/* The first of the candidate files that exists, or an error naming them. */
static const char *
pick (const char *dir, const char *a, const char *b, const char *what, struct husk_error **err)
{
  if (cg_exists (dir, a))
    return a;
  if (b && cg_exists (dir, b))
    return b;
  husk_error_set (err, ENOENT, "blockIO.%s: neither `%s/%s`%s%s exists (no CFQ or BFQ I/O scheduler)",
                  what, dir, a, b ? " nor " : "", b ? b : "");
  return NULL;
}

static int
throttle_v1 (const char *dir, const char *file, const struct oci_throttle_device *t, size_t n,
             struct husk_error **err)
{
  for (size_t i = 0; i < n; i++)
    if (cg_writef (dir, file, err, "%" PRId64 ":%" PRId64 " %" PRIu64, t[i].major, t[i].minor,
                   t[i].rate)
        < 0)
      return -1;
  return 0;
}

static int
apply_v1 (const char *dir, const struct oci_resources *r, bool update, struct husk_error **err)
{
  const struct oci_blkio *b = r->block_io;
  const char *f;

  if (b->has_weight && b->weight)
    {
      if ((f = pick (dir, "blkio.weight", "blkio.bfq.weight", "weight", err)) == NULL
          || cg_writef (dir, f, err, "%u", (unsigned) b->weight) < 0)
        return -1;
    }
  if (b->has_leaf_weight && b->leaf_weight)
    {
      if (!cg_exists (dir, "blkio.leaf_weight"))
        husk_warn ("blockIO.leafWeight: blkio.leaf_weight went with CFQ (Linux 5.0), ignored");
      else if (cg_writef (dir, "blkio.leaf_weight", err, "%u", (unsigned) b->leaf_weight) < 0)
        return -1;
    }
  for (size_t i = 0; i < b->weight_device_len; i++)
    {
      const struct oci_weight_device *w = &b->weight_device[i];
      if (w->has_weight
          && ((f = pick (dir, "blkio.weight_device", "blkio.bfq.weight_device", "weightDevice", err)) == NULL
              || cg_writef (dir, f, err, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor,
                            (unsigned) w->weight)
                     < 0))
        return -1;
      if (w->has_leaf_weight && !cg_exists (dir, "blkio.leaf_weight_device"))
        husk_warn ("blockIO.weightDevice.leafWeight: blkio.leaf_weight_device went with CFQ, ignored");
      else if (w->has_leaf_weight
               && cg_writef (dir, "blkio.leaf_weight_device", err, "%" PRId64 ":%" PRId64 " %u",
                             w->major, w->minor, (unsigned) w->leaf_weight)
                      < 0)
        return -1;
    }
  return throttle_v1 (dir, "blkio.throttle.read_bps_device", b->throttle_read_bps, b->throttle_read_bps_len, err) < 0
                 || throttle_v1 (dir, "blkio.throttle.write_bps_device", b->throttle_write_bps,
                                 b->throttle_write_bps_len, err) < 0
                 || throttle_v1 (dir, "blkio.throttle.read_iops_device", b->throttle_read_iops,
                                 b->throttle_read_iops_len, err) < 0
                 || throttle_v1 (dir, "blkio.throttle.write_iops_device", b->throttle_write_iops,
                                 b->throttle_write_iops_len, err) < 0
             ? -1
             : 0;
}

static int
throttle_v2 (const char *dir, const char *key, const struct oci_throttle_device *t, size_t n,
             struct husk_error **err)
{
  for (size_t i = 0; i < n; i++)
    {
      char v[32];
      if (t[i].rate)
        snprintf (v, sizeof v, "%" PRIu64, t[i].rate);
      else
        snprintf (v, sizeof v, "max");
      if (cg_writef (dir, "io.max", err, "%" PRId64 ":%" PRId64 " %s=%s", t[i].major, t[i].minor,
                     key, v)
          < 0)
        return -1;
    }
  return 0;
}

static unsigned
io_weight (unsigned blkio_weight)
{
  if (blkio_weight < 10)
    blkio_weight = 10;
  return 1 + (blkio_weight - 10) * 9999 / 990;
}

static int
apply_v2 (const char *dir, const struct oci_resources *r, bool update, struct husk_error **err)
{
  const struct oci_blkio *b = r->block_io;
  bool bfq = cg_exists (dir, "io.bfq.weight");

  if (b->has_weight && b->weight)
    {
      if (bfq ? cg_writef (dir, "io.bfq.weight", err, "%u", (unsigned) b->weight) < 0
              : cg_writef (dir, "io.weight", err, "%u", io_weight (b->weight)) < 0)
        return -1;
    }
  if (b->has_leaf_weight)
    husk_warn ("blockIO.leafWeight has no cgroup v2 equivalent, ignored");
  for (size_t i = 0; i < b->weight_device_len; i++)
    {
      const struct oci_weight_device *w = &b->weight_device[i];
      if (!w->has_weight)
        continue;
      if (bfq ? cg_writef (dir, "io.bfq.weight", err, "%" PRId64 ":%" PRId64 " %u", w->major,
                           w->minor, (unsigned) w->weight) < 0
              : cg_writef (dir, "io.weight", err, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor,
                           io_weight (w->weight)) < 0)
        return -1;
    }
  return throttle_v2 (dir, "rbps", b->throttle_read_bps, b->throttle_read_bps_len, err) < 0
                 || throttle_v2 (dir, "wbps", b->throttle_write_bps, b->throttle_write_bps_len, err) < 0
                 || throttle_v2 (dir, "riops", b->throttle_read_iops, b->throttle_read_iops_len, err) < 0
                 || throttle_v2 (dir, "wiops", b->throttle_write_iops, b->throttle_write_iops_len, err) < 0
             ? -1
             : 0;
}

/* On v2 the controller is called "io". */
const struct cg_controller cg_blkio = { "blkio", "io", wanted, apply_v1, apply_v2 };
