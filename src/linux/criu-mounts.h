/* What CRIU must be told about a container's mounts and namespaces, as runc
 * tells it: the mounts whose source is outside the container (bind mounts,
 * device nodes bound from the host, /dev/null on masked files, the v1 cgroup
 * hierarchies bound from the host) are "external": at dump each is named by a
 * key (its destination), at restore the key is mapped to the host path to bind
 * again.  Namespaces the config joins by path are external too: the network
 * and pid ones by inode at dump and by an inherited fd at restore, the others
 * joined by CRIU at restore (join_ns). */
#ifndef HUSK_LINUX_CRIU_MOUNTS_H
#define HUSK_LINUX_CRIU_MOUNTS_H

#include <stdbool.h>
#include <sys/types.h>

#include "linux/criu-rpc.h"
#include "oci/config.h"
#include "util/error.h"

/* A cgroup v1 hierarchy of the container's cgroup: the host's mount point of
 * the hierarchy, and the container's directory in it. */
struct husk_criu_cgroup_v1
{
  const char *mountpoint, *dir;
};

/* ext_mnt for the config's external mounts.  Dump: key = val = destination;
 * masked files: val /dev/null, found through /proc/<pid>/root.  Restore: val =
 * the source (relative ones under bundle); v1: the container's v1 hierarchies,
 * n_v1 of them (those a "cgroup" mount binds without a cgroup namespace). */
int husk_criu_ext_mounts (const struct oci_config *c, const struct husk_criu_cgroup_v1 *v1,
                          size_t n_v1, pid_t pid, bool restore, const char *bundle,
                          struct husk_criu_opts *o, struct husk_error **err);

/* Restore: the destinations of the config's mounts must exist in the rootfs
 * (CRIU mounts on them): create them, never following a link out of it, as
 * create does (a directory, or an empty file for a bind of a file). */
int husk_criu_restore_mountpoints (const struct oci_config *c, const char *rootfs,
                                   const char *bundle, struct husk_error **err);

/* Namespaces given by path.  Dump: `external` for net and pid.  Restore:
 * inherit_fd for net and pid (their fds appended to fds, which become criu's
 * fds 4, 5, ...; the caller closes them), join_ns for the others; a cgroup
 * namespace by path is refused (CRIU cannot join one). */
int husk_criu_namespaces (const struct oci_config *c, bool restore, struct husk_criu_opts *o,
                          int *fds, size_t *n_fds, size_t max_fds, struct husk_error **err);

#endif
