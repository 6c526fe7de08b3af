/* Cross-field rules of config.json, checked after parsing and before anything is
 * created.  Each rule is one small function; oci_config_validate() runs them in
 * order and stops at the first failure.  The rules follow runc's
 * libcontainer/configs/validate where the spec is silent. */
#define _GNU_SOURCE
#include "oci/config.h"
#include "oci/json.h"
#include "oci/names.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool
has_ns (const struct oci_config *c, enum oci_ns_type t)
{
  return oci_config_namespace (c, t) != NULL;
}

static bool
has_new_ns (const struct oci_config *c, enum oci_ns_type t)
{
  const struct oci_namespace *ns = oci_config_namespace (c, t);
  return ns != NULL && ns->path == NULL;
}

/* A network namespace of the container's own: a new one, or a joined one that
 * is not the namespace husk runs in (runc compares the inodes the same way;
 * Kubernetes pods join the netns the CNI plugin created, by path). */
static bool
has_private_netns (const struct oci_config *c)
{
  const struct oci_namespace *ns = oci_config_namespace (c, OCI_NS_NETWORK);
  struct stat a, b;

  if (ns == NULL)
    return false;
  if (ns->path == NULL)
    return true;
  if (stat (ns->path, &a) < 0 || stat ("/proc/self/ns/net", &b) < 0)
    return true; /* joining will report the real problem */
  return !(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
}

static int
validate_root (const struct oci_config *c, struct husk_error **err)
{
  if (c->root == NULL)
    return oci_error (err, 0, &c->origin, "root: required");
  if (c->root->path == NULL || c->root->path[0] == '\0')
    return oci_error (err, 0, &c->origin, "root.path: required");
  return 0;
}

static int
validate_namespaces (const struct oci_config *c, struct husk_error **err)
{
  const struct oci_linux *l = c->linux_;

  for (size_t i = 0; l && i < l->namespaces_len; i++)
    {
      if (oci_ns_type_name (l->namespaces[i].type) == NULL)
        return oci_error (err, 0, &c->origin, "linux.namespaces[%zu].type: unknown namespace",
                          i);
      for (size_t j = 0; j < i; j++)
        if (l->namespaces[i].type == l->namespaces[j].type)
          return oci_error (err, 0, &c->origin, "linux.namespaces[%zu]: duplicate namespace \"%s\"",
                            i, oci_ns_type_name (l->namespaces[i].type));
    }
  return 0;
}

static int
validate_id_mappings (const struct oci_config *c, struct husk_error **err)
{
  const struct oci_linux *l = c->linux_;
  const struct oci_namespace *userns = oci_config_namespace (c, OCI_NS_USER);
  bool has_maps = l && (l->uid_mappings_len || l->gid_mappings_len);

  if (has_maps && userns == NULL)
    return oci_error (err, 0, &c->origin, "linux.%s: requires a user namespace",
                      l->uid_mappings_len ? "uidMappings" : "gidMappings");
  /* A new user namespace needs maps; a joined one already has them. */
  if (userns && userns->path == NULL)
    {
      if (l->uid_mappings_len == 0)
        return oci_error (err, 0, &c->origin,
                          "linux.uidMappings: required for a new user namespace");
      if (l->gid_mappings_len == 0)
        return oci_error (err, 0, &c->origin,
                          "linux.gidMappings: required for a new user namespace");
    }
  return 0;
}

static int
validate_names (const struct oci_config *c, struct husk_error **err)
{
  if (c->hostname && c->hostname[0] && !has_ns (c, OCI_NS_UTS))
    return oci_error (err, 0, &c->origin, "hostname: requires a new uts namespace");
  if (c->domainname && c->domainname[0] && !has_ns (c, OCI_NS_UTS))
    return oci_error (err, 0, &c->origin, "domainname: requires a new uts namespace");
  return 0;
}

/* runc's list of the ipc namespace's sysctls (validSysctlMap), and fs.mqueue.*. */
static bool
is_ipc_sysctl (const char *k)
{
  static const char *const ipc[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                     "kernel.sem",    "kernel.shmall", "kernel.shmmax",
                                     "kernel.shmmni", "kernel.shm_rmid_forced", NULL };

  for (const char *const *i = ipc; *i; i++)
    if (strcmp (k, *i) == 0)
      return true;
  return strncmp (k, "fs.mqueue.", 10) == 0;
}

static int
validate_sysctl_key (const struct oci_config *c, const char *key, struct husk_error **err)
{
  char *k = xstrdup (key);
  int r = 0;

  if (k == NULL)
    abort ();
  /* "net/ipv4/ip_forward" is the same key as "net.ipv4.ip_forward". */
  for (char *p = k; *p; p++)
    if (*p == '/')
      *p = '.';
  if (strcmp (k, "kernel.hostname") == 0 || strcmp (k, "kernel.domainname") == 0)
    r = oci_error (err, 0, &c->origin, "linux.sysctl: sysctl \"%s\" not allowed, set %s instead",
                   key, k + 7);
  else if (is_ipc_sysctl (k))
    {
      if (!has_ns (c, OCI_NS_IPC))
        r = oci_error (err, 0, &c->origin,
                       "linux.sysctl: sysctl \"%s\" not allowed in host ipc namespace",
                       key);
    }
  else if (strncmp (k, "net.", 4) == 0)
    {
      if (!has_private_netns (c))
        r = oci_error (
            err, 0, &c->origin, "linux.sysctl: sysctl \"%s\" not allowed in host network namespace",
            key);
    }
  /* user.* (ucounts) belong to the user namespace; without one they would be the
   * host's limits, e.g. max_user_namespaces (runc refuses them the same way). */
  else if (strncmp (k, "user.", 5) == 0)
    {
      if (!has_ns (c, OCI_NS_USER))
        r = oci_error (err, 0, &c->origin,
                       "linux.sysctl: setting ucounts without a user namespace not allowed: %s",
                       key);
    }
  else
    r = oci_error (err, 0, &c->origin,
                   "linux.sysctl: sysctl \"%s\" is not in a separate kernel namespace",
                   key);
  free (k);
  return r;
}

static int
validate_sysctl (const struct oci_config *c, struct husk_error **err)
{
  const struct oci_linux *l = c->linux_;

  for (size_t i = 0; l && i < l->sysctl_len; i++)
    if (validate_sysctl_key (c, l->sysctl[i].key, err) < 0)
      return -1;
  return 0;
}

static int
validate_time (const struct oci_config *c, struct husk_error **err)
{
  const struct oci_linux *l = c->linux_;

  if (l && (l->has_time_offsets_boottime || l->has_time_offsets_monotonic)
      && !has_new_ns (c, OCI_NS_TIME))
    return oci_error (err, 0, &c->origin, "linux.timeOffsets: requires a new time namespace");
  return 0;
}

static int
validate_propagation (const struct oci_config *c, struct husk_error **err)
{
  const char *p = c->linux_ ? c->linux_->rootfs_propagation : NULL;
  const struct oci_mount_option *o = p ? oci_mount_option_find (p) : NULL;

  if (p == NULL || (o && o->kind == OCI_MOUNT_PROPAGATION))
    return 0;
  return oci_error (err, 0, &c->origin, "linux.rootfsPropagation: unknown propagation \"%s\"",
                    p);
}

static int
validate_net_devices (const struct oci_config *c, struct husk_error **err)
{
  const struct oci_linux *l = c->linux_;

  if (l && l->net_devices_len && !has_private_netns (c))
    return oci_error (err, 0, &c->origin,
                      "linux.netDevices: requires a private network namespace");
  return 0;
}

static int
validate_rlimits (const struct oci_config *c, struct husk_error **err)
{
  const struct oci_process *p = c->process;

  for (size_t i = 0; p && i < p->rlimits_len; i++)
    if (p->rlimits[i].soft > p->rlimits[i].hard)
      return oci_error (err, 0, &p->origin, "rlimits[%zu]: soft limit exceeds hard limit",
                        i);
  return 0;
}

static int
validate_mounts (const struct oci_config *c, struct husk_error **err)
{
  for (size_t i = 0; i < c->mounts_len; i++)
    {
      const struct oci_mount *m = &c->mounts[i];
      if ((m->uid_mappings_len == 0) != (m->gid_mappings_len == 0))
        return oci_error (err, 0, &c->origin,
                          "mounts[%zu]: an idmapped mount needs both uidMappings and gidMappings",
                          i);
    }
  return 0;
}

static int
validate_seccomp (const struct oci_config *c, struct husk_error **err)
{
  const struct oci_seccomp *s = c->linux_ ? c->linux_->seccomp : NULL;
  bool notify;

  if (s == NULL)
    return 0;
  if (s->listener_metadata && s->listener_metadata[0]
      && (s->listener_path == NULL || s->listener_path[0] == '\0'))
    return oci_error (err, 0, &c->origin,
                      "linux.seccomp.listenerMetadata: requires listenerPath");
  if (strcmp (s->default_action, "SCMP_ACT_NOTIFY") == 0)
    return oci_error (err, 0, &c->origin,
                      "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  notify = false;
  for (size_t i = 0; i < s->syscalls_len; i++)
    notify |= strcmp (s->syscalls[i].action, "SCMP_ACT_NOTIFY") == 0;
  if (notify && (s->listener_path == NULL || s->listener_path[0] == '\0'))
    return oci_error (err, 0, &c->origin,
                      "linux.seccomp.listenerPath: required by SCMP_ACT_NOTIFY");
  return 0;
}

/* Without a mount namespace of its own the container shares the caller's: its
 * root is only chroot'ed into (exec chroots into the init's root too), and
 * mounts would change the host, so they are not made.  maskedPaths and
 * readonlyPaths could not apply: such a config is refused (runc's rule), never
 * run silently weaker.  Without them the config is runc's "host mount ns";
 * root.readonly is then not applied either, with a warning (runc ignores it). */
static int
validate_mount_ns (const struct oci_config *c, struct husk_error **err)
{
  const struct oci_linux *l = c->linux_;

  const char *needs = NULL;

  if (has_ns (c, OCI_NS_MOUNT))
    return 0;
  if (l && l->masked_paths && l->masked_paths[0])
    needs = "linux.maskedPaths";
  else if (l && l->readonly_paths && l->readonly_paths[0])
    needs = "linux.readonlyPaths";
  if (needs)
    return oci_error (err, 0, &c->origin,
                      "linux.namespaces: a mount namespace is required for %s "
                      "(without one it could not apply)", needs);
  return 0;
}

static int (*const rules[]) (const struct oci_config *, struct husk_error **) = {
  validate_root,       validate_namespaces, validate_id_mappings, validate_names,
  validate_sysctl,     validate_time,       validate_propagation, validate_net_devices,
  validate_rlimits,    validate_mounts,     validate_seccomp,     validate_mount_ns,
};

int
oci_config_validate (const struct oci_config *c, struct husk_error **err)
{
  for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
    if (rules[i](c, err) < 0)
      {
        /* Messages quote keys and values of the document, which may be huge. */
        json_elide_error (err);
        return -1;
      }
  return 0;
}
