/* The names config.json uses for kernel constants, one table per kind: the
 * parser accepts exactly these names, linux/ turns them into the values, and
 * `husk features` lists them.  A table ends with a NULL name; the seccomp
 * tables are in the order `husk features` prints them (runc's, sorted).
 *
 * The values are the kernel's (uapi) numbers; the seccomp operators, which
 * the kernel has no numbers for, carry libseccomp's enum scmp_compare (checked
 * in linux/seccomp.c). */
#ifndef HUSK_OCI_NAMES_H
#define HUSK_OCI_NAMES_H

#include <linux/seccomp.h>
#include <stdint.h>

/* What older uapi headers lack; names.c and linux/seccomp.c both use them. */
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif
#ifndef SECCOMP_RET_LOG
#define SECCOMP_RET_LOG 0x7ffc0000U
#endif

struct oci_name
{
  const char *name;
  uint64_t value;
};

extern const struct oci_name oci_capabilities[]; /* CAP_*, by number: [n].value == n */
extern const struct oci_name oci_seccomp_actions[]; /* SECCOMP_RET_*, errno data 0 */
extern const struct oci_name oci_seccomp_operators[]; /* enum scmp_compare */
extern const struct oci_name oci_seccomp_archs[]; /* names only: libseccomp resolves them */
extern const struct oci_name oci_seccomp_flags[]; /* SECCOMP_FILTER_FLAG_* */
extern const struct oci_name oci_sched_policies[]; /* SCHED_* */
extern const struct oci_name oci_sched_flags[]; /* SCHED_FLAG_* */
extern const struct oci_name oci_ioprio_classes[]; /* IOPRIO_CLASS_* */
extern const struct oci_name oci_mpol_modes[]; /* MPOL_* */
extern const struct oci_name oci_mpol_flags[]; /* MPOL_F_* */
extern const struct oci_name oci_personality_domains[]; /* PER_* */

/* The row of `name` in `table`, or NULL. */
const struct oci_name *oci_name_find (const struct oci_name *table, const char *name);

/* Mount options ("nosuid", "rbind", "rro" ...), as runc's specconv reads them;
 * a word not in the table is filesystem data ("mode=755"). */
enum oci_mount_kind
{
  OCI_MOUNT_SET, /* MS_* flag to set */
  OCI_MOUNT_CLEAR, /* MS_* flag to clear */
  OCI_MOUNT_PROPAGATION, /* MS_SHARED ... (with MS_REC for the r- forms) */
  OCI_MOUNT_REC_SET, /* MOUNT_ATTR_* to set recursively */
  OCI_MOUNT_REC_CLEAR, /* MOUNT_ATTR_* to clear recursively */
  OCI_MOUNT_COPYUP,
  OCI_MOUNT_IDMAP,
  OCI_MOUNT_RIDMAP,
};

/* 16 bytes a row: every MS_* and MOUNT_ATTR_* value is below 2^32
 * (-Werror=overflow says otherwise); read value into an unsigned long or a
 * uint64_t before complementing it. */
struct oci_mount_option
{
  const char *name;
  uint8_t kind; /* enum oci_mount_kind */
  uint32_t value;
};

extern const struct oci_mount_option oci_mount_options[]; /* ends with a NULL name */

/* The row of `name`, or NULL. */
const struct oci_mount_option *oci_mount_option_find (const char *name);

#endif
