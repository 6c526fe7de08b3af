/* The last steps of the container init (and of exec'd processes) before execve:
 * identity, capabilities, limits, and the executable lookup.  Each step is its own
 * function so the init orchestrator reads as a list; the order the caller uses is:
 *
 *   husk_apply_rlimits        (while still privileged: raising hard limits needs it)
 *   husk_apply_user           setgroups/setresgid/setresuid with PR_SET_KEEPCAPS so
 *                             the configured capabilities survive the uid change;
 *                             also drops the bounding set first (PR_CAPBSET_DROP
 *                             needs CAP_SETPCAP, which the uid change may lose)
 *   husk_apply_capabilities   effective/permitted/inheritable, then ambient
 *   husk_apply_no_new_privs
 *   (seccomp: linux/seccomp.h; last when no_new_privs is set, see init.c)
 *   husk_exec_process         PATH lookup inside the container, execve
 */
#ifndef HUSK_LINUX_PROCESS_H
#define HUSK_LINUX_PROCESS_H

#include "oci/config.h"
#include "util/error.h"

int husk_apply_rlimits (const struct oci_process *p, struct husk_error **err);
/* Drops the bounding set (to the listed caps; to nothing when process.capabilities
 * is absent, as runc 1.1 and crun do), then sets groups and ids. */
int husk_apply_user (const struct oci_process *p, struct husk_error **err);
int husk_apply_capabilities (const struct oci_process *p, struct husk_error **err);
int husk_apply_no_new_privs (const struct oci_process *p, struct husk_error **err);

/* Resolve args[0] against PATH of `env` (the container's environment, or
 * "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" when unset), as seen
 * from the current root.  Errors use runc's words:
 *   "exec: \"foo\": executable file not found in $PATH"
 *   "exec: \"/x\": no such file or directory" / "permission denied".
 * Returns a malloc'd path. */
char *husk_find_executable (const char *arg0, char *const *env, struct husk_error **err);

/* If env has no HOME, return a new env vector with HOME from /etc/passwd (of the
 * current root) for uid, or "/" when not found; otherwise a copy.  NULL-terminated. */
char **husk_env_with_home (char *const *env, uid_t uid);

/* chdir to cwd and check that the result is still inside the root (a symlinked
 * cwd cannot escape). */
int husk_chdir_cwd (const char *cwd, struct husk_error **err);

#endif
