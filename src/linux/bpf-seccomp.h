/* linux.seccomp compiled into a classic BPF program for seccomp(2), by husk
 * itself: no library is loaded for it (a static husk cannot dlopen, and the
 * init must never load one from the container's root filesystem anyway).
 *
 * The filter behaves as the one runc and husk built with libseccomp 2.5:
 *
 * - architectures: the build's own family (x86_64, x86 and x32 on an x86_64
 *   build; the syscall numbers come from the kernel headers at build time,
 *   contrib/gen-syscalls.sh) is filtered; the other names of the spec are
 *   accepted and left out, since this kernel never runs their code.  A
 *   syscall of an architecture the filter does not cover is killed
 *   (KILL_THREAD, libseccomp's bad-arch action), and so is an x32 number
 *   when only x86_64 is covered.
 * - a syscall with an argument-free rule gets the first such rule's action;
 *   otherwise its rules are tried in the profile's order, the first one whose
 *   conditions all hold decides, else the default action.  (libseccomp gives the
 *   same result where the rules of a syscall agree on the action; it refuses
 *   most profiles where they do not, or orders them by its own tree.)
 * - two conditions on one argument in a rule are two rules (OR), as runc does.
 * - 64-bit arguments are compared as two 32-bit halves, high then low; on the
 *   32-bit ABIs (x86, x32) only the low half.  MASKED_EQ compares
 *   (arg & value) with (valueTwo & value).
 * - on x86, the socket and IPC calls are matched both as direct syscalls and
 *   through socketcall(2)/ipc(2) with argument 0 the call's number.
 * - runc's ENOSYS stub: a syscall numbered above everything the profile names
 *   fails with ENOSYS unless the default action is permissive.
 *
 * The program dispatches on the architecture, then finds the syscall number
 * with a binary search (Docker's ~350 names: ~10 comparisons, not 350). */
#ifndef HUSK_LINUX_BPF_SECCOMP_H
#define HUSK_LINUX_BPF_SECCOMP_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oci/config.h"
#include "util/error.h"

/* The program for s, in *prog (the caller frees it) of *len instructions.
 * Errors name the JSON path below linux.seccomp (an action or errno that does
 * not fit, NOTIFY on sendmsg/write, a program over BPF_MAXINSNS).  Pure
 * computation: nothing is asked of the kernel. */
int husk_seccomp_compile (const struct oci_seccomp *s, struct sock_filter **prog, size_t *len,
                          struct husk_error **err);

/* The SECCOMP_RET_* value of an action name of the profile, with its errno
 * (EPERM when has_errno is false) for ERRNO and TRACE; -1 with an error naming
 * `path` below origin o for an errno above 0xffff. */
int husk_seccomp_action (const struct oci_origin *o, const char *path, const char *name,
                         bool has_errno, unsigned errno_ret, uint32_t *out,
                         struct husk_error **err);

/* Whether the filter covers "SCMP_ARCH_X86_64" (the build's family), rather
 * than accepting and leaving it out. */
bool husk_seccomp_arch_filtered (const char *name);

/* The number of a syscall on an architecture of the build's family, -1 when
 * it has none there; *known tells whether any table has the name. */
int husk_seccomp_syscall_nr (const char *arch, const char *name, bool *known);

/* The i-th name of the build's syscall table, NULL past the end. */
const char *husk_seccomp_syscall_name (size_t i);

#endif
