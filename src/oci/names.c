/* The name tables of names.h. */
#define _GNU_SOURCE
#include "oci/names.h"

#include <linux/capability.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include "linux/sys.h"
#include <sys/personality.h>

/* ---- capabilities ---- */

/* Every capability up to CAP_CHECKPOINT_RESTORE (Linux 5.9), in the kernel's
 * order: the index is the number. */
const struct oci_name oci_capabilities[] = {
  { "CAP_CHOWN", CAP_CHOWN },
  { "CAP_DAC_OVERRIDE", CAP_DAC_OVERRIDE },
  { "CAP_DAC_READ_SEARCH", CAP_DAC_READ_SEARCH },
  { "CAP_FOWNER", CAP_FOWNER },
  { "CAP_FSETID", CAP_FSETID },
  { "CAP_KILL", CAP_KILL },
  { "CAP_SETGID", CAP_SETGID },
  { "CAP_SETUID", CAP_SETUID },
  { "CAP_SETPCAP", CAP_SETPCAP },
  { "CAP_LINUX_IMMUTABLE", CAP_LINUX_IMMUTABLE },
  { "CAP_NET_BIND_SERVICE", CAP_NET_BIND_SERVICE },
  { "CAP_NET_BROADCAST", CAP_NET_BROADCAST },
  { "CAP_NET_ADMIN", CAP_NET_ADMIN },
  { "CAP_NET_RAW", CAP_NET_RAW },
  { "CAP_IPC_LOCK", CAP_IPC_LOCK },
  { "CAP_IPC_OWNER", CAP_IPC_OWNER },
  { "CAP_SYS_MODULE", CAP_SYS_MODULE },
  { "CAP_SYS_RAWIO", CAP_SYS_RAWIO },
  { "CAP_SYS_CHROOT", CAP_SYS_CHROOT },
  { "CAP_SYS_PTRACE", CAP_SYS_PTRACE },
  { "CAP_SYS_PACCT", CAP_SYS_PACCT },
  { "CAP_SYS_ADMIN", CAP_SYS_ADMIN },
  { "CAP_SYS_BOOT", CAP_SYS_BOOT },
  { "CAP_SYS_NICE", CAP_SYS_NICE },
  { "CAP_SYS_RESOURCE", CAP_SYS_RESOURCE },
  { "CAP_SYS_TIME", CAP_SYS_TIME },
  { "CAP_SYS_TTY_CONFIG", CAP_SYS_TTY_CONFIG },
  { "CAP_MKNOD", CAP_MKNOD },
  { "CAP_LEASE", CAP_LEASE },
  { "CAP_AUDIT_WRITE", CAP_AUDIT_WRITE },
  { "CAP_AUDIT_CONTROL", CAP_AUDIT_CONTROL },
  { "CAP_SETFCAP", CAP_SETFCAP },
  { "CAP_MAC_OVERRIDE", CAP_MAC_OVERRIDE },
  { "CAP_MAC_ADMIN", CAP_MAC_ADMIN },
  { "CAP_SYSLOG", CAP_SYSLOG },
  { "CAP_WAKE_ALARM", CAP_WAKE_ALARM },
  { "CAP_BLOCK_SUSPEND", CAP_BLOCK_SUSPEND },
  { "CAP_AUDIT_READ", CAP_AUDIT_READ },
  { "CAP_PERFMON", CAP_PERFMON },
  { "CAP_BPF", CAP_BPF },
  { "CAP_CHECKPOINT_RESTORE", CAP_CHECKPOINT_RESTORE },
  { NULL, 0 },
};
_Static_assert (sizeof oci_capabilities / sizeof oci_capabilities[0] == CAP_CHECKPOINT_RESTORE + 2,
                "oci_capabilities: one entry per capability, by number");

/* ---- seccomp ---- */

/* runc's SCMP_ACT_KILL is KILL_THREAD. */
const struct oci_name oci_seccomp_actions[] = {
  { "SCMP_ACT_ALLOW", SECCOMP_RET_ALLOW },
  { "SCMP_ACT_ERRNO", SECCOMP_RET_ERRNO },
  { "SCMP_ACT_KILL", SECCOMP_RET_KILL_THREAD },
  { "SCMP_ACT_KILL_PROCESS", SECCOMP_RET_KILL_PROCESS },
  { "SCMP_ACT_KILL_THREAD", SECCOMP_RET_KILL_THREAD },
  { "SCMP_ACT_LOG", SECCOMP_RET_LOG },
  { "SCMP_ACT_NOTIFY", SECCOMP_RET_USER_NOTIF },
  { "SCMP_ACT_TRACE", SECCOMP_RET_TRACE },
  { "SCMP_ACT_TRAP", SECCOMP_RET_TRAP },
  { NULL, 0 },
};

/* libseccomp's enum scmp_compare (SCMP_CMP_NE = 1 ...). */
const struct oci_name oci_seccomp_operators[] = {
  { "SCMP_CMP_EQ", 4 }, { "SCMP_CMP_GE", 5 }, { "SCMP_CMP_GT", 6 },        { "SCMP_CMP_LE", 3 },
  { "SCMP_CMP_LT", 2 }, { "SCMP_CMP_MASKED_EQ", 7 }, { "SCMP_CMP_NE", 1 }, { NULL, 0 },
};

/* libseccomp turns the name into its token at run time (linux/seccomp.c): the
 * library, not its header, knows which of them it supports. */
const struct oci_name oci_seccomp_archs[] = {
  { "SCMP_ARCH_AARCH64", 0 },   { "SCMP_ARCH_ARM", 0 },        { "SCMP_ARCH_LOONGARCH64", 0 },
  { "SCMP_ARCH_M68K", 0 },      { "SCMP_ARCH_MIPS", 0 },       { "SCMP_ARCH_MIPS64", 0 },
  { "SCMP_ARCH_MIPS64N32", 0 }, { "SCMP_ARCH_MIPSEL", 0 },     { "SCMP_ARCH_MIPSEL64", 0 },
  { "SCMP_ARCH_MIPSEL64N32", 0 }, { "SCMP_ARCH_PARISC", 0 },   { "SCMP_ARCH_PARISC64", 0 },
  { "SCMP_ARCH_PPC", 0 },       { "SCMP_ARCH_PPC64", 0 },      { "SCMP_ARCH_PPC64LE", 0 },
  { "SCMP_ARCH_RISCV64", 0 },   { "SCMP_ARCH_S390", 0 },       { "SCMP_ARCH_S390X", 0 },
  { "SCMP_ARCH_SH", 0 },        { "SCMP_ARCH_SHEB", 0 },       { "SCMP_ARCH_X32", 0 },
  { "SCMP_ARCH_X86", 0 },       { "SCMP_ARCH_X86_64", 0 },     { NULL, 0 },
};

const struct oci_name oci_seccomp_flags[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
  { NULL, 0 },
};

/* ---- scheduler, ioPriority, memoryPolicy, personality ---- */

/* The numbers of linux/sched.h, linux/ioprio.h and linux/mempolicy.h, written
 * out: older headers lack the newer names (SCHED_ISO was never in glibc). */
const struct oci_name oci_sched_policies[] = {
  { "SCHED_OTHER", 0 }, { "SCHED_FIFO", 1 }, { "SCHED_RR", 2 },      { "SCHED_BATCH", 3 },
  { "SCHED_ISO", 4 },   { "SCHED_IDLE", 5 }, { "SCHED_DEADLINE", 6 }, { NULL, 0 },
};

const struct oci_name oci_sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 },  { "SCHED_FLAG_RECLAIM", 0x02 },
  { "SCHED_FLAG_DL_OVERRUN", 0x04 },     { "SCHED_FLAG_KEEP_POLICY", 0x08 },
  { "SCHED_FLAG_KEEP_PARAMS", 0x10 },    { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 }, { NULL, 0 },
};

const struct oci_name oci_ioprio_classes[] = {
  { "IOPRIO_CLASS_RT", 1 }, { "IOPRIO_CLASS_BE", 2 }, { "IOPRIO_CLASS_IDLE", 3 }, { NULL, 0 },
};

const struct oci_name oci_mpol_modes[] = {
  { "MPOL_DEFAULT", 0 },        { "MPOL_PREFERRED", 1 },           { "MPOL_BIND", 2 },
  { "MPOL_INTERLEAVE", 3 },     { "MPOL_LOCAL", 4 },               { "MPOL_PREFERRED_MANY", 5 },
  { "MPOL_WEIGHTED_INTERLEAVE", 6 }, { NULL, 0 },
};

const struct oci_name oci_mpol_flags[] = {
  { "MPOL_F_STATIC_NODES", 1 << 15 },
  { "MPOL_F_RELATIVE_NODES", 1 << 14 },
  { "MPOL_F_NUMA_BALANCING", 1 << 13 },
  { NULL, 0 },
};

const struct oci_name oci_personality_domains[] = {
  { "LINUX", PER_LINUX },
  { "LINUX32", PER_LINUX32 },
  { NULL, 0 },
};

const struct oci_name *
oci_name_find (const struct oci_name *table, const char *name)
{
  for (; table->name; table++)
    if (strcmp (table->name, name) == 0)
      return table;
  return NULL;
}

/* ---- mount options ---- */

const struct oci_mount_option oci_mount_options[] = {
  { "defaults", OCI_MOUNT_SET, 0 },
  { "ro", OCI_MOUNT_SET, MS_RDONLY },
  { "rw", OCI_MOUNT_CLEAR, MS_RDONLY },
  { "suid", OCI_MOUNT_CLEAR, MS_NOSUID },
  { "nosuid", OCI_MOUNT_SET, MS_NOSUID },
  { "dev", OCI_MOUNT_CLEAR, MS_NODEV },
  { "nodev", OCI_MOUNT_SET, MS_NODEV },
  { "exec", OCI_MOUNT_CLEAR, MS_NOEXEC },
  { "noexec", OCI_MOUNT_SET, MS_NOEXEC },
  { "sync", OCI_MOUNT_SET, MS_SYNCHRONOUS },
  { "async", OCI_MOUNT_CLEAR, MS_SYNCHRONOUS },
  { "dirsync", OCI_MOUNT_SET, MS_DIRSYNC },
  { "remount", OCI_MOUNT_SET, MS_REMOUNT },
  { "mand", OCI_MOUNT_SET, MS_MANDLOCK },
  { "nomand", OCI_MOUNT_CLEAR, MS_MANDLOCK },
  { "atime", OCI_MOUNT_CLEAR, MS_NOATIME },
  { "noatime", OCI_MOUNT_SET, MS_NOATIME },
  { "diratime", OCI_MOUNT_CLEAR, MS_NODIRATIME },
  { "nodiratime", OCI_MOUNT_SET, MS_NODIRATIME },
  { "relatime", OCI_MOUNT_SET, MS_RELATIME },
  { "norelatime", OCI_MOUNT_CLEAR, MS_RELATIME },
  { "strictatime", OCI_MOUNT_SET, MS_STRICTATIME },
  { "nostrictatime", OCI_MOUNT_CLEAR, MS_STRICTATIME },
  { "lazytime", OCI_MOUNT_SET, MS_LAZYTIME },
  { "nolazytime", OCI_MOUNT_CLEAR, MS_LAZYTIME },
  { "silent", OCI_MOUNT_SET, MS_SILENT },
  { "loud", OCI_MOUNT_CLEAR, MS_SILENT },
  { "bind", OCI_MOUNT_SET, MS_BIND },
  { "rbind", OCI_MOUNT_SET, MS_BIND | MS_REC },
  { "nosymfollow", OCI_MOUNT_SET, MS_NOSYMFOLLOW },
  { "symfollow", OCI_MOUNT_CLEAR, MS_NOSYMFOLLOW },
  { "iversion", OCI_MOUNT_SET, MS_I_VERSION },
  { "noiversion", OCI_MOUNT_CLEAR, MS_I_VERSION },
  { "private", OCI_MOUNT_PROPAGATION, MS_PRIVATE },
  { "rprivate", OCI_MOUNT_PROPAGATION, MS_PRIVATE | MS_REC },
  { "shared", OCI_MOUNT_PROPAGATION, MS_SHARED },
  { "rshared", OCI_MOUNT_PROPAGATION, MS_SHARED | MS_REC },
  { "slave", OCI_MOUNT_PROPAGATION, MS_SLAVE },
  { "rslave", OCI_MOUNT_PROPAGATION, MS_SLAVE | MS_REC },
  { "unbindable", OCI_MOUNT_PROPAGATION, MS_UNBINDABLE },
  { "runbindable", OCI_MOUNT_PROPAGATION, MS_UNBINDABLE | MS_REC },
  { "rro", OCI_MOUNT_REC_SET, MOUNT_ATTR_RDONLY },
  { "rrw", OCI_MOUNT_REC_CLEAR, MOUNT_ATTR_RDONLY },
  { "rnosuid", OCI_MOUNT_REC_SET, MOUNT_ATTR_NOSUID },
  { "rsuid", OCI_MOUNT_REC_CLEAR, MOUNT_ATTR_NOSUID },
  { "rnodev", OCI_MOUNT_REC_SET, MOUNT_ATTR_NODEV },
  { "rdev", OCI_MOUNT_REC_CLEAR, MOUNT_ATTR_NODEV },
  { "rnoexec", OCI_MOUNT_REC_SET, MOUNT_ATTR_NOEXEC },
  { "rexec", OCI_MOUNT_REC_CLEAR, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", OCI_MOUNT_REC_SET, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", OCI_MOUNT_REC_CLEAR, MOUNT_ATTR_NODIRATIME },
  { "rrelatime", OCI_MOUNT_REC_SET, MOUNT_ATTR_RELATIME },
  { "rnorelatime", OCI_MOUNT_REC_CLEAR, MOUNT_ATTR_RELATIME },
  { "rnoatime", OCI_MOUNT_REC_SET, MOUNT_ATTR_NOATIME },
  { "ratime", OCI_MOUNT_REC_CLEAR, MOUNT_ATTR_NOATIME },
  { "rstrictatime", OCI_MOUNT_REC_SET, MOUNT_ATTR_STRICTATIME },
  { "rnostrictatime", OCI_MOUNT_REC_CLEAR, MOUNT_ATTR_STRICTATIME },
  { "rnosymfollow", OCI_MOUNT_REC_SET, MOUNT_ATTR_NOSYMFOLLOW },
  { "rsymfollow", OCI_MOUNT_REC_CLEAR, MOUNT_ATTR_NOSYMFOLLOW },
  { "tmpcopyup", OCI_MOUNT_COPYUP, 0 },
  { "idmap", OCI_MOUNT_IDMAP, 0 },
  { "ridmap", OCI_MOUNT_RIDMAP, 0 },
  { NULL, 0, 0 },
};

const struct oci_mount_option *
oci_mount_option_find (const char *name)
{
  for (const struct oci_mount_option *o = oci_mount_options; o->name; o++)
    if (strcmp (o->name, name) == 0)
      return o;
  return NULL;
}
