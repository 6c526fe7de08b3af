/* LSM labels: process.apparmorProfile, process.selinuxLabel, linux.mountLabel.
 *
 * The labels are written into /proc/thread-self/attr/... of a procfs the init
 * opened before pivot_root and verified (statfs magic, procfs root inode), with
 * a lookup that may not cross a mount: whatever the container's rootfs or a
 * shared mount propagates onto /proc cannot redirect the write (runc's
 * CVE-2019-16884 and CVE-2025-52881 classes).
 *
 * On a host without the LSM, husk does what runc does: apparmorProfile and
 * mountLabel are ignored (with a debug line), a selinuxLabel is an error.
 */
#ifndef HUSK_LINUX_LSM_H
#define HUSK_LINUX_LSM_H

#include <stdbool.h>

#include "oci/config.h"
#include "util/error.h"

/* In the init, before any mount: check that procfd is the root of a procfs,
 * detect the LSMs (from the host's /sys, still visible), and refuse what runc
 * refuses.  The detection is cached for husk_lsm_mount_data() and
 * husk_lsm_apply(). */
int husk_lsm_prepare (const struct oci_config *c, int procfd, struct husk_error **err);

/* In the init, after pivot_root and before the capability drop: the labels the
 * process takes at execve (attr/exec, attr/apparmor/exec) and the label of the
 * session keyring it creates (attr/keycreate). */
int husk_lsm_apply (const struct oci_config *c, int procfd, struct husk_error **err);

/* Mount data with SELinux's context="<mountLabel>" appended, or NULL when there
 * is nothing to add (no mountLabel, or SELinux is not enabled).  Caller frees. */
char *husk_lsm_mount_data (const struct oci_config *c, const char *data);

bool husk_apparmor_enabled (void);
bool husk_selinux_enabled (void);

#endif
