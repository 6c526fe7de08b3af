/* net_cls, net_prio (v1 only: cgroup v2 has neither; use eBPF there) and rdma
 * (v1 rdma hierarchy or the v2 rdma controller: the same rdma.max format). */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"

static bool
cls_wanted (const struct oci_resources *r)
{
  return r->has_net_class_id;
}

static int
cls_v1 (const char *dir, const struct oci_resources *r, bool update, struct husk_error **err)
{
  return cg_writef (dir, "net_cls.classid", err, "%" PRIu32, r->net_class_id);
}

const struct cg_controller cg_net_cls = { "net_cls", "net_cls", cls_wanted, cls_v1, NULL };

static bool
prio_wanted (const struct oci_resources *r)
{
  return r->net_priorities_len > 0;
}

static int
prio_v1 (const char *dir, const struct oci_resources *r, bool update, struct husk_error **err)
{
  for (size_t i = 0; i < r->net_priorities_len; i++)
    if (cg_writef (dir, "net_prio.ifpriomap", err, "%s %" PRIu32, r->net_priorities[i].name,
                   r->net_priorities[i].priority)
        < 0)
      return -1;
  return 0;
}

const struct cg_controller cg_net_prio = { "net_prio", "net_prio", prio_wanted, prio_v1, NULL };

static bool
rdma_wanted (const struct oci_resources *r)
{
  return r->rdma_len > 0;
}

static int
rdma_apply (const char *dir, const struct oci_resources *r, bool update, struct husk_error **err)
{
  for (size_t i = 0; i < r->rdma_len; i++)
    {
      const struct oci_rdma_limit *l = &r->rdma[i];
      char handles[32] = "", objects[32] = "";
      if (!l->has_hca_handles && !l->has_hca_objects)
        continue;
      if (l->has_hca_handles)
        snprintf (handles, sizeof handles, " hca_handle=%" PRIu32, l->hca_handles);
      if (l->has_hca_objects)
        snprintf (objects, sizeof objects, " hca_object=%" PRIu32, l->hca_objects);
      if (cg_writef (dir, "rdma.max", err, "%s%s%s", l->device, handles, objects) < 0)
        return -1;
    }
  return 0;
}

const struct cg_controller cg_rdma = { "rdma", "rdma", rdma_wanted, rdma_apply, rdma_apply };
