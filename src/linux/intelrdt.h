/* linux.intelRdt: cache and memory-bandwidth allocation through the resctrl
 * filesystem, as runc's libcontainer/intelrdt does: the container's processes
 * join a CLOS group (a directory of resctrl, named closID or else the container
 * id), whose `schemata` gets l3CacheSchema, memBwSchema and schemata, and with
 * enableMonitoring a mon_groups/<id> group of its own.
 *
 * resctrl must be mounted (the kernel offers /sys/fs/resctrl; mounting it is the
 * administrator's business): without it, the config is refused, as runc does.
 */
#ifndef HUSK_LINUX_INTELRDT_H
#define HUSK_LINUX_INTELRDT_H

#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

/* In the parent, once the init's pid is known and before it runs anything of
 * the container's: check, create the group, write the schemata, join pid. */
int husk_intelrdt_apply (const struct oci_config *c, const char *id, pid_t pid,
                         struct husk_error **err);

/* After the container's processes are gone: remove the group husk created for
 * it.  A closID group is shared and managed outside: only the container's
 * monitoring group is removed from it.  Best effort. */
void husk_intelrdt_destroy (const struct oci_config *c, const char *id);

#endif
