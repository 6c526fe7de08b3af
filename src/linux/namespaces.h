#ifndef HUSK_LINUX_NAMESPACES_H
#define HUSK_LINUX_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

/* The CLONE_NEW* flag and the /proc/PID/ns/ name of a namespace type. */
int husk_ns_clone_flag (enum oci_ns_type t);
const char *husk_ns_proc_name (enum oci_ns_type t);

/* Join every namespace the config gives by path (user first, see the .c file) and
 * return in *unshare_flags the CLONE_NEW* flags of those to create. */
int husk_ns_join (const struct oci_config *c, int *unshare_flags, struct husk_error **err);

/* Write /proc/PID/uid_map and gid_map from the config (the parent does this for
 * the child, see sync 1/2).  This is the one place that chooses how maps are
 * written (directly as root; newuidmap/newgidmap for an unprivileged caller):
 * see linux/idmap.c. */
int husk_write_id_maps (pid_t pid, const struct oci_config *c, struct husk_error **err);
/* Rootless (crun's rule): a new user namespace without uid/gid mappings maps
 * the caller's euid/egid to root inside.  Only what is missing is added. */
void husk_id_maps_default (struct oci_config *c);

/* The offsets of a new time namespace: the file opened before any namespace is
 * entered (-1, *err set or not, when there is nothing to write or it failed),
 * written once the namespace exists and before any process enters it. */
int husk_open_time_offsets (const struct oci_config *c, struct husk_error **err);
int husk_write_time_offsets (const struct oci_config *c, int fd, struct husk_error **err);

#endif
