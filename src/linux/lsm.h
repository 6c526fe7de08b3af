/* LSM labels: process.apparmorProfile, process.selinuxLabel, linux.mountLabel.
 *
 * The labels are written into /proc/thread-self/attr/... of a procfs handle of
 * linux/procfs.h, made inside the container (no host fd is held there), with a
 * lookup that may not cross a mount: whatever the container's rootfs or a
 * shared mount propagates onto /proc cannot redirect the write (runc's
 * CVE-2019-16884 and CVE-2025-52881 classes).
 *
 * On a host without the LSM, an apparmorProfile or a selinuxLabel is an error
 * (the process would run unconfined); a mountLabel is ignored (a debug line), as
 * runc does.
 */
#ifndef HUSK_LINUX_LSM_H
#define HUSK_LINUX_LSM_H

#include <stdbool.h>

#include "oci/config.h"
#include "util/error.h"

/* Before any mount or setns: detect the LSMs (from the host's /sys, still
 * visible) and refuse labels for an LSM the host does not have.  The detection
 * is cached for husk_lsm_mount_data(), husk_lsm_wanted() and husk_lsm_apply().
 * p is the process to label (the init's, or exec's). */
int husk_lsm_prepare (const struct oci_config *c, const struct oci_process *p,
                      struct husk_error **err);

/* Does husk_lsm_apply() have anything to write for p? */
bool husk_lsm_wanted (const struct oci_process *p);

/* Inside the container, before the capability drop: the labels the process
 * takes at execve (attr/exec, attr/apparmor/exec) and the label of the session
 * keyring it creates (attr/keycreate), through procfd (husk_procfs_open). */
int husk_lsm_apply (const struct oci_process *p, int procfd, struct husk_error **err);

/* Mount data with SELinux's context="<mountLabel>" appended, or NULL when there
 * is nothing to add (no mountLabel, or SELinux is not enabled).  Caller frees. */
char *husk_lsm_mount_data (const struct oci_config *c, const char *data);

bool husk_apparmor_enabled (void);
bool husk_selinux_enabled (void);

#endif
