/* Applying linux.resources: each controller where the host has it (cgroup.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "cgroup/systemd.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

/* cpuset before cpu: on v1 a cpu.rt_runtime_us change can depend on the cpus. */
static const struct cg_controller *const controllers[] = {
  &cg_cpuset, &cg_cpu, &cg_memory, &cg_pids, &cg_blkio, &cg_hugetlb, &cg_net_cls, &cg_net_prio,
  &cg_rdma,
};

static int
apply_controller (const struct husk_cgroup *cg, const struct cg_controller *ctl,
                  const struct oci_resources *r, bool update, struct husk_error **err)
{
  const char *dir = cg_v1_dir (cg, ctl->name);
  int ret;

  if (!ctl->wanted (r))
    return 0;
  if (dir)
    ret = ctl->v1 (dir, r, update, err);
  else if (cg_v2_has (cg, ctl->v2_name))
    {
      if (ctl->v2 == NULL)
        return husk_error_set (err, EOPNOTSUPP, "the %s controller has no cgroup v2 equivalent",
                               ctl->name);
      ret = ctl->v2 (cg->unified_dir, r, update, err);
    }
  else
    return husk_error_set (err, ENODEV,
                           "the config sets %s limits, but this host has no %s cgroup controller "
                           "(neither a v1 hierarchy nor in cgroup.controllers)",
                           ctl->name, ctl->name);
  return ret;
}

/* runc's default device rules (libcontainer/specconv AllowedDevices): mknod of
 * any device, the standard character devices, ptys and tun. */
static const struct
{
  const char *path; /* the node runc makes for it, or NULL */
  const char *type;
  int64_t major, minor; /* -1: any */
  const char *access;
} default_devices[] = {
  { NULL, "c", -1, -1, "m" },          { NULL, "b", -1, -1, "m" },
  { "/dev/null", "c", 1, 3, "rwm" },   { "/dev/random", "c", 1, 8, "rwm" },
  { "/dev/full", "c", 1, 7, "rwm" },   { "/dev/tty", "c", 5, 0, "rwm" },
  { "/dev/zero", "c", 1, 5, "rwm" },   { "/dev/urandom", "c", 1, 9, "rwm" },
  { NULL, "c", 136, -1, "rwm" },       { NULL, "c", 5, 2, "rwm" },
  { NULL, "c", 10, 200, "rwm" },
};

static bool
is_deny_all (const struct oci_device_cgroup *d)
{
  return !d->allow && (d->type == NULL || strcmp (d->type, "a") == 0) && !d->has_major && !d->has_minor
         && (d->access == NULL || strspn (d->access, "rwm") == strlen (d->access));
}

/* Whether the config denies (part of) the device an extra allow rule is for,
 * after its last "deny all": then that rule is left out. */
static bool
denied_later (const struct oci_resources *r, size_t from, const struct oci_device_cgroup *x)
{
  for (size_t i = from; i < r->devices_len; i++)
    {
      const struct oci_device_cgroup *d = &r->devices[i];
      bool type_ok = d->type == NULL || strcmp (d->type, "a") == 0 || strcmp (d->type, x->type) == 0;
      if (!d->allow && type_ok && (!d->has_major || (x->has_major && d->major == x->major))
          && (!d->has_minor || (x->has_minor && d->minor == x->minor)))
        return true;
    }
  return false;
}

/* Whether linux.devices has default device i (by path, as runc matches, or by
 * type and numbers): then the config's rules alone say what it may do with it.
 * An entry for /dev/ptmx makes no node (the link to pts/ptmx replaces it,
 * linux/devices.c), so it takes nothing away from the ptys (runc). */
static bool
configured_device (const struct oci_config *c, size_t i)
{
  size_t nd = c && c->linux_ ? c->linux_->devices_len : 0;

  if (default_devices[i].major < 0 || default_devices[i].minor < 0)
    return false;
  for (size_t j = 0; j < nd; j++)
    {
      const struct oci_device *d = &c->linux_->devices[j];
      bool is_char = strcmp (d->type, "c") == 0 || strcmp (d->type, "u") == 0;

      /* A linux.devices entry for /dev/ptmx is redundant (it becomes the link
       * to pts/ptmx): it does not take the pty rules away (runc). */
      if (d->path && strcmp (d->path, "/dev/ptmx") == 0)
        continue;
      if ((default_devices[i].path && d->path && strcmp (d->path, default_devices[i].path) == 0)
          || (is_char && d->major == default_devices[i].major && d->minor == default_devices[i].minor))
        return true;
    }
  return false;
}

/* The rules in order: the resources' own, exactly as written, then runc's
 * defaults (appended, as runc does, so devices.list starts with the config's
 * rules in their order).  linux.devices adds no rule: a node the config makes
 * is usable only as far as its rules allow ("allow c 10:237 r" stays read-only),
 * as with runc, where the client (docker, containerd) writes the allow rules.
 * Unlike runc, a default rule for a device the config denies after its "deny
 * all" is left out, so that such a deny is not undone.  Strings point into the
 * inputs. */
static struct oci_device_cgroup *
device_rules (const struct oci_resources *r, const struct oci_config *c, size_t *n)
{
  size_t nr = r->devices_len, k = 0, from = 0;
  size_t total = nr + sizeof default_devices / sizeof default_devices[0];
  struct oci_device_cgroup *out = xcalloc (total, sizeof *out);
  for (size_t i = 0; i < nr; i++)
    {
      out[k++] = r->devices[i];
      if (is_deny_all (&r->devices[i]))
        from = i + 1;
    }
  for (size_t i = 0; i < sizeof default_devices / sizeof default_devices[0]; i++)
    {
      if (configured_device (c, i))
        continue;
      out[k] = (struct oci_device_cgroup){ .allow = true, .type = (char *) default_devices[i].type,
                                           .has_major = default_devices[i].major >= 0,
                                           .major = default_devices[i].major,
                                           .has_minor = default_devices[i].minor >= 0,
                                           .minor = default_devices[i].minor,
                                           .access = (char *) default_devices[i].access };
      if (!denied_later (r, from, &out[k]))
        k++;
    }
  *n = k;
  return out;
}

static int
apply_devices (const struct husk_cgroup *cg, const struct oci_resources *r,
               const struct oci_config *c, bool update, struct husk_error **err)
{
  size_t n;
  cleanup_free struct oci_device_cgroup *rules = device_rules (r, c, &n);
  const char *dir = cg_v1_dir (cg, "devices");

  if (dir)
    return cg_devices_v1 (dir, rules, n, update, err);
  if (cg->unified_dir)
    return cg_devices_ebpf (cg->unified_dir, rules, n, update, err);
  return husk_error_set (err, ENODEV, "linux.resources.devices: this host has no devices cgroup");
}

static int
apply_all (const struct husk_cgroup *cg, const struct oci_resources *r, const struct oci_config *c,
           bool update, struct husk_error **err)
{
  static const struct oci_resources none = { 0 };

  if (r == NULL)
    r = &none;
  for (size_t i = 0; i < sizeof controllers / sizeof controllers[0]; i++)
    if (apply_controller (cg, controllers[i], r, update, err) < 0)
      return -1;
  if (r->unified_len && cg_unified_apply (cg, r, err) < 0)
    return -1;
  /* Without rules of the config's the start state (allow all) stands: the
   * defaults would change nothing. */
  if (r->devices_len && apply_devices (cg, r, c, update, err) < 0)
    return -1;
  return 0;
}

/* A systemd unit's cgroup: the properties systemd models first, so that it
 * knows the limits (and keeps them across a daemon-reload), then every file as
 * for cgroupfs (runc's order).  The files get the cpu quota systemd rounded. */
static int
apply_unit (const struct husk_cgroup *cg, const struct oci_resources *r, const struct oci_config *c,
            bool update, struct husk_error **err)
{
  struct oci_resources rr;
  struct oci_cpu cpu;
  struct cg_sd_props p = { 0 };
  int ret = -1;

  if (r == NULL)
    return apply_all (cg, r, c, update, err);
  rr = *r;
  if (r->cpu)
    {
      cpu = *r->cpu;
      rr.cpu = &cpu;
    }
  if (cg_sd_resource_props (&rr, rr.cpu, &p, err) == 0 && cg_sd_set (cg, &p, err) == 0)
    ret = apply_all (cg, &rr, c, update, err);
  cg_sd_props_free (&p);
  return ret;
}

int
husk_cgroup_apply (const struct husk_cgroup *cg, const struct oci_config *c, struct husk_error **err)
{
  const struct oci_resources *r = c->linux_ ? c->linux_->resources : NULL;

  if ((cg->unit ? apply_unit (cg, r, c, false, err) : apply_all (cg, r, c, false, err)) < 0)
    return husk_error_wrap (err, "apply linux.resources");
  return 0;
}

int
husk_cgroup_update (const struct husk_cgroup *cg, const struct oci_resources *r,
                    const struct oci_config *devices_config, struct husk_error **err)
{
  if ((cg->unit ? apply_unit (cg, r, devices_config, true, err)
                : apply_all (cg, r, devices_config, true, err)) < 0)
    return husk_error_wrap (err, "update resources");
  return 0;
}
