/* libseccomp, loaded by the host-side parent when a config asks for a filter.
 *
 * Linking libseccomp cost every husk command its loading (~35 us of the
 * dynamic loader per `state`, `start`, `delete`...), for a library only
 * `create`/`run` and `exec` with linux.seccomp and `features` use.  So husk calls
 * it through pointers that husk_libseccomp_load() fills with dlopen/dlsym, as
 * it does for libsystemd (cgroup/sdbus.h).  The header's types, constants and
 * prototypes are used as they are; only the calls go through the table.
 * Include this instead of <seccomp.h>.
 *
 * SECURITY: the filter is built in the container's init and in exec's joined
 * process, after they entered the container's mount namespace.  A dlopen
 * there would search the container's /etc/ld.so.cache and /lib: it would run
 * the container's libseccomp.so.2 as host root.  So only the host side loads
 * the library, before it forks (linux/seccomp.h: husk_seccomp_prepare()); the
 * children use the table they inherited and never load anything. */
#ifndef HUSK_LINUX_LIBSECCOMP_H
#define HUSK_LINUX_LIBSECCOMP_H

#include <seccomp.h>
#include <stdbool.h>

#include "util/error.h"

#define HUSK_LIBSECCOMP_SONAME "libseccomp.so.2"

#define HUSK_LIBSECCOMP_FUNCS(X)                                                              \
  X (seccomp_api_get)                                                                         \
  X (seccomp_arch_add)                                                                        \
  X (seccomp_arch_native)                                                                     \
  X (seccomp_arch_remove)                                                                     \
  X (seccomp_arch_resolve_name)                                                               \
  X (seccomp_attr_set)                                                                        \
  X (seccomp_export_bpf)                                                                      \
  X (seccomp_init)                                                                            \
  X (seccomp_merge)                                                                           \
  X (seccomp_release)                                                                         \
  X (seccomp_rule_add_array)                                                                  \
  X (seccomp_syscall_resolve_name)                                                            \
  X (seccomp_syscall_resolve_name_arch)                                                       \
  X (seccomp_version)

struct husk_libseccomp
{
#define HUSK_LIBSECCOMP_PTR(f) __typeof__ (f) *f;
  HUSK_LIBSECCOMP_FUNCS (HUSK_LIBSECCOMP_PTR)
#undef HUSK_LIBSECCOMP_PTR
};
extern struct husk_libseccomp husk_libseccomp;

/* Load libseccomp.so.2 and every function of the table, once.  Host side
 * only, never from a process that entered a container (see above).  The error
 * names the library and the package to install. */
int husk_libseccomp_load (struct husk_error **err);
/* Whether husk_libseccomp_load succeeded. */
bool husk_libseccomp_loaded (void);

#ifndef HUSK_LIBSECCOMP_IMPL
#define seccomp_api_get (*husk_libseccomp.seccomp_api_get)
#define seccomp_arch_add (*husk_libseccomp.seccomp_arch_add)
#define seccomp_arch_native (*husk_libseccomp.seccomp_arch_native)
#define seccomp_arch_remove (*husk_libseccomp.seccomp_arch_remove)
#define seccomp_arch_resolve_name (*husk_libseccomp.seccomp_arch_resolve_name)
#define seccomp_attr_set (*husk_libseccomp.seccomp_attr_set)
#define seccomp_export_bpf (*husk_libseccomp.seccomp_export_bpf)
#define seccomp_init (*husk_libseccomp.seccomp_init)
#define seccomp_merge (*husk_libseccomp.seccomp_merge)
#define seccomp_release (*husk_libseccomp.seccomp_release)
#define seccomp_rule_add_array (*husk_libseccomp.seccomp_rule_add_array)
#define seccomp_syscall_resolve_name (*husk_libseccomp.seccomp_syscall_resolve_name)
#define seccomp_syscall_resolve_name_arch (*husk_libseccomp.seccomp_syscall_resolve_name_arch)
#define seccomp_version (*husk_libseccomp.seccomp_version)
#endif

#endif
