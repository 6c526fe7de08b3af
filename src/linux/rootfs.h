/* The container's filesystem view, built by the container init (stage 2) inside
 * its new mount namespace.  Order (each call is one step of the init):
 *
 *   husk_rootfs_prepare   rootfsPropagation on "/", bind the rootfs onto itself,
 *                         every config mount (resolved inside the rootfs), /dev
 *                         devices and default symlinks, /dev/pts, /dev/shm...
 *   (createContainer hooks run here, before pivot_root, as the spec says)
 *   husk_rootfs_pivot     pivot_root (or MS_MOVE + chroot with no_pivot)
 *   (the console, if any, is set up here by linux/console.c)
 *   husk_rootfs_finalize  maskedPaths, readonlyPaths, root.readonly, and the
 *                         final propagation of "/"
 */
#ifndef HUSK_LINUX_ROOTFS_H
#define HUSK_LINUX_ROOTFS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

/* rootfs: the absolute host path of the root filesystem (bundle-relative already
 * resolved, symlinks resolved with realpath). */
/* idmap_fds: NULL, or one fd per config mount (-1 where none) of a detached
 * tree made by husk_idmap_trees_make() in the parent.  An idmapped bind with
 * none is asked of the parent over sync_fd at its turn (sync 4a). */
/* *procfd (procfd may be NULL): an O_PATH fd of the root of the procfs that a
 * config mount of type proc put at /proc (made by us and checked to be a new
 * procfs mount root), for the init's own lookups in /proc; -1 where the config
 * mounts none. */
int husk_rootfs_prepare (const struct oci_config *c, const char *rootfs, const int *idmap_fds,
                         int sync_fd, int *procfd, struct husk_error **err);

/* In the caller (the parent, root on the host), make a detached tree
 * (open_tree clone) of:
 *  - each idmapped bind mount (its own uidMappings/gidMappings, or an idmap or
 *    ridmap option taking the container's), idmapped here: the kernel wants
 *    CAP_SYS_ADMIN over the source's filesystem to idmap it, which a container's
 *    user namespace lacks for host filesystems.  Not when the source lies inside
 *    the rootfs: an earlier mount of the container may make it, so the init
 *    asks for it at its turn (husk_idmap_tree_in_container);
 *  - in a container with a user namespace, each plain bind's source, which the
 *    container's root may be unable to reach (a directory of mode 0700 of the
 *    host's root); the init uses it only then (failures here are ignored).
 * The children inherit the fds and move_mount() them in place.  Relative
 * sources are relative to bundle.  Returns a malloc'd array of c->mounts_len
 * fds (-1 where none), or NULL with *err set. */
int *husk_idmap_trees_make (const struct oci_config *c, const char *bundle, const char *rootfs,
                            struct husk_error **err);
void husk_idmap_trees_free (int *fds, size_t n);
/* At the init's request (sync 4a), the idmapped tree of mounts[n], whose source
 * lies inside the rootfs: cloned by a child of ours that joins the mount
 * namespace of `init` (where the container's earlier mounts are), resolved
 * inside the rootfs, and idmapped here.  Returns the fd, or -1 with *err naming
 * mounts[n]. */
int husk_idmap_tree_in_container (const struct oci_config *c, const char *bundle,
                                  const char *rootfs, pid_t init, int64_t n,
                                  struct husk_error **err);
int husk_rootfs_pivot (const struct oci_config *c, const char *rootfs, bool no_pivot,
                       struct husk_error **err);
int husk_rootfs_finalize (const struct oci_config *c, struct husk_error **err);

/* Open `path` (absolute, as seen in the container) inside the directory `rootfd`,
 * never following a symlink out of it (openat2 RESOLVE_IN_ROOT, or a component walk
 * where the kernel lacks openat2).  flags as for openat; O_CLOEXEC is added. */
int husk_open_in_root (int rootfd, const char *path, int flags, mode_t mode,
                       struct husk_error **err);

#endif
