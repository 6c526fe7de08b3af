/* OCI hooks: each hook is executed with its args and env (nothing of husk's own
 * environment), the container state JSON on stdin, and its timeout (SIGKILL when it
 * expires).  A hook that fails (non-zero exit, signal, timeout, exec failure) stops
 * the sequence; the error names the hook kind, index and path, and carries its
 * stderr's last line when there is one. */
#ifndef HUSK_LINUX_HOOKS_H
#define HUSK_LINUX_HOOKS_H

#include <stddef.h>

#include "oci/config.h"
#include "util/error.h"

/* kind: "prestart", "createRuntime", ... for messages. */
int husk_hooks_run (const struct oci_hook *hooks, size_t n, const char *kind,
                    const char *state_json, struct husk_error **err);

#endif
