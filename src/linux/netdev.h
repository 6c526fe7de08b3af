/* linux.netDevices: host interfaces moved into the container's network namespace
 * (renamed when the entry has a name), with rtnetlink, as runc does: the link is
 * set down, its permanent global addresses are remembered, it is moved and
 * renamed in one RTM_NEWLINK (IFLA_NET_NS_FD + IFLA_IFNAME, so a name clash in
 * either namespace cannot strike between two steps), its addresses are added
 * again on the other side (the kernel drops them on a move) and it is set up.
 *
 * On delete the devices go back the same way, under their host names, while the
 * container's namespace still exists: when a network namespace dies the kernel
 * returns a physical device to the initial namespace under a "devN" name and
 * destroys a virtual one (a veth) outright.
 */
#ifndef HUSK_LINUX_NETDEV_H
#define HUSK_LINUX_NETDEV_H

#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

/* In the parent, after the init (pid) is in its network namespace and before it
 * runs anything of the container's. */
int husk_netdev_move_in (const struct oci_config *c, pid_t pid, struct husk_error **err);

/* Back into the caller's network namespace.  The container's namespace is found
 * through /proc/<pid>/ns/net while pid lives (pid <= 0: not alive), else through
 * the namespace path of the config.  Best effort: failures are warnings. */
void husk_netdev_move_out (const struct oci_config *c, pid_t pid);

/* In the init, when the config creates its network namespace (not when it joins
 * one by path): bring the loopback interface up, as runc and crun do.  A new
 * namespace's lo is down, and 127.0.0.1 unreachable, until someone does. */
int husk_netdev_loopback_up (const struct oci_config *c, struct husk_error **err);

#endif
