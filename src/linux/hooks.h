/* OCI hooks: each hook is executed with its args and env (nothing of husk's own
 * environment), the container state JSON on stdin, and its timeout (SIGKILL when it
 * expires).  A hook that fails (non-zero exit, signal, timeout, exec failure) stops
 * the sequence; the error reads as runc's, "error running KIND hook #N: PATH: exit
 * status 1", and carries its stderr's last line when there is one. */
#ifndef HUSK_LINUX_HOOKS_H
#define HUSK_LINUX_HOOKS_H

#include <stddef.h>

#include "oci/config.h"
#include "util/error.h"

/* kind: "prestart", "createRuntime", ... for messages. */
int husk_hooks_run (const struct oci_hook *hooks, size_t n, const char *kind,
                    const char *state_json, struct husk_error **err);
/* The same, where a hook without an env of its own gets default_env (runc gives
 * startContainer hooks the process's environment). */
int husk_hooks_run_env (const struct oci_hook *hooks, size_t n, const char *kind,
                        const char *state_json, char *const *default_env,
                        struct husk_error **err);

#endif
