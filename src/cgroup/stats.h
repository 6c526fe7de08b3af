/* Container statistics for `events`, as JSON in runc's shape. */
#ifndef HUSK_CGROUP_STATS_H
#define HUSK_CGROUP_STATS_H

#include <yajl/yajl_gen.h>

#include "cgroup/cgroup.h"

/* Generate the "data" object of a stats event: {"cpu":..,"memory":..,...}.
 * What a controller of this host cannot tell is left out or 0. */
void husk_cgroup_stats (const struct husk_cgroup *cg, yajl_gen g);

#endif
