/* Shared by the rootfs files (rootfs.c, mounts.c, devices.c, resolve.c); not a
 * public interface.
 *
 *   resolve.c  paths inside the rootfs: open, mkdir -p, create a mountpoint,
 *              lexical cleaning, the /proc/self/fd/N name of an fd
 *   mounts.c   the mount option table and the mount of one config entry
 *   devices.c  /dev nodes and symlinks
 *   rootfs.c   the three steps of rootfs.h
 */
#ifndef HUSK_LINUX_ROOTFS_INTERNAL_H
#define HUSK_LINUX_ROOTFS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

/* ---- resolve.c ---- */

/* "/proc/self/fd/N": the name through which mount(2) reaches what fd refers to. */
struct husk_fd_path
{
  char s[40];
};
struct husk_fd_path husk_fd_path (int fd);

/* Lexically clean an absolute path: "//a/./b/../c/" -> "/a/c"; ".." at the top
 * stays at "/".  A relative path is taken as relative to "/".  Caller frees. */
char *husk_path_clean (const char *path);

/* What to create when a component of the path is missing. */
enum husk_mkpath
{
  HUSK_MKPATH_DIR, /* mkdir -p */
  HUSK_MKPATH_FILE, /* mkdir -p the parents, then an empty file for the last */
};

/* Open (O_PATH) `path` inside rootfd, creating what is missing as `how` says;
 * symlinks met on the way resolve inside the root. */
int husk_mkpath_in_root (int rootfd, const char *path, enum husk_mkpath how, mode_t mode,
                         struct husk_error **err);

/* husk_mkpath_in_root() for a path just found missing: skips the first open. */
int husk_create_in_root (int rootfd, const char *path, enum husk_mkpath how, mode_t mode,
                         struct husk_error **err);

/* Open (O_PATH|O_DIRECTORY) the parent of `path` inside rootfd, creating it, and
 * return the last component in *name (malloc'd).  Fails on "/" itself. */
int husk_open_parent_in_root (int rootfd, const char *path, char **name,
                              struct husk_error **err);

/* The host path fd refers to (readlink of /proc/self/fd/N).  Caller frees. */
char *husk_fd_real_path (int fd, struct husk_error **err);

/* Is the mount root at fd?  0 no, 1 yes, -1 error.  Also returns the mount id. */
int husk_fd_mount_id (int fd, uint64_t *mnt_id, bool *is_root, struct husk_error **err);

/* Copy the content of directory srcdir into dstdir (both O_RDONLY|O_DIRECTORY),
 * keeping modes, owners and symlinks; device nodes and fifos are re-created. */
int husk_copy_tree (int srcdir, int dstdir, struct husk_error **err);

/* ---- mounts.c ---- */

#define HUSK_MAX_PROPAGATION 8

struct husk_mount_opts
{
  unsigned long flags; /* MS_* to set */
  unsigned long cleared; /* MS_* the options explicitly cleared (rw, suid, dev...) */
  unsigned long propagation[HUSK_MAX_PROPAGATION]; /* applied one by one, in order */
  size_t n_propagation;
  uint64_t rec_set, rec_clr; /* MOUNT_ATTR_* for mount_setattr(AT_RECURSIVE) */
  bool copyup; /* tmpcopyup */
  bool idmap, ridmap;
  char *data; /* the options that are not flags, joined with ',' ("" if none) */
};

int husk_mount_opts_parse (char *const *options, struct husk_mount_opts *o,
                           struct husk_error **err);
void husk_mount_opts_free (struct husk_mount_opts *o);

/* "rshared" -> MS_SHARED|MS_REC ...; -1 when name is not a propagation. */
int husk_propagation_from_name (const char *name, unsigned long *flags);

/* ST_* of statfs(2) -> the MS_* flags a bind remount must keep (runc). */
unsigned long husk_statfs_to_ms (unsigned long f_flags);

/* What every mount of one prepare step shares. */
struct husk_mount_ctx
{
  const struct oci_config *c;
  const char *rootfs; /* host path, realpath'd */
  int rootfd; /* O_PATH of rootfs (after it was bound onto itself) */
  bool userns; /* the container has (or runs in) a user namespace */
  bool cgroupns; /* the config asks for a new cgroup namespace */
  const int *idmap_fds; /* per config mount: a tree made by the parent, or -1 */
  int sync_fd; /* to ask the parent for the others' trees (sync 4a) */
  int *procfd; /* out: the root of the procfs mounted at /proc (first one), or -1 */
};

/* Mount one config entry inside the rootfs.  Errors read
 * "mount `src` to `dst`: <what>". */
int husk_mount_entry (const struct husk_mount_ctx *ctx, const struct oci_mount *m,
                      struct husk_error **err);

/* ---- mounts.c, for idmap.c too ---- */

/* Is this mount a bind (type "bind" or a bind/rbind option)? */
bool husk_mount_is_bind (const struct oci_mount *m);
/* An idmapped mount: mappings of its own or an idmap/ridmap option. */
bool husk_mount_is_idmapped (const struct oci_mount *m);

/* ---- devices.c ---- */

/* runc: /dev is set up unless the config bind-mounts something onto /dev. */
bool husk_devices_needed (const struct oci_config *c);
/* Default nodes, linux.devices, /dev/ptmx and the /dev symlinks. */
int husk_devices_setup (const struct husk_mount_ctx *ctx, struct husk_error **err);

/* ---- shared small helpers ---- */

bool husk_config_has_ns (const struct oci_config *c, enum oci_ns_type t);

#endif
