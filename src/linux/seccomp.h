/* linux.seccomp: building the filter (linux/bpf-seccomp.h), loading it, and handing a
 * SCMP_ACT_NOTIFY listener to the agent at listenerPath.
 *
 * The init calls husk_seccomp_apply() as late as it can (see init.c for where and
 * why); the parent calls husk_seccomp_send_listener() when the init reports the
 * listener fd (HUSK_SYNC_SECCOMP_FD, see linux/sync.h). */
#ifndef HUSK_LINUX_SECCOMP_H
#define HUSK_LINUX_SECCOMP_H

#include <stdbool.h>
#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

/* Host side, before the container's processes are forked: check what the
 * kernel supports of s (actions, flags) and compile its filter, which the
 * forked processes inherit; errors name the JSON path below linux.seccomp.
 * Nothing to do when s is NULL. */
int husk_seccomp_prepare (const struct oci_seccomp *s, struct husk_error **err);

/* Load the filter for the calling thread: the one husk_seccomp_prepare() made
 * for s, else compiled here.  When the profile has a SCMP_ACT_NOTIFY rule, the
 * kernel's listener fd is sent to the parent over sync_fd
 * (HUSK_SYNC_SECCOMP_FD) and closed here.  Errors name the JSON path of what
 * the kernel cannot do. */
int husk_seccomp_apply (const struct oci_seccomp *s, int sync_fd, struct husk_error **err);

/* The parent's half: connect to s->listener_path and send, in one message, the
 * container process state (runc's ContainerProcessState: ociVersion, fds
 * ["seccompFd"], pid, metadata, state) with listener_fd as SCM_RIGHTS.
 * state_json is the OCI state document of the container.  Does not close
 * listener_fd. */
int husk_seccomp_send_listener (const struct oci_seccomp *s, int listener_fd, pid_t pid,
                                const char *state_json, struct husk_error **err);

/* What `husk features` reports.  Whether the kernel knows the filter flag
 * (SECCOMP_FILTER_FLAG_*), probed as libseccomp and runc do: with a NULL filter,
 * EFAULT means the flag was accepted, EINVAL that it is unknown; nothing is
 * loaded. */
bool husk_seccomp_flag_supported (unsigned long flag);
/* Whether a profile may list the architecture ("SCMP_ARCH_X86_64"): every
 * name of the spec; those of another family than the build's are left out of
 * the filter (linux/bpf-seccomp.h). */
bool husk_seccomp_arch_usable (const char *name);

#endif
