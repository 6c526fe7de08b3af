#define _GNU_SOURCE
#include <getopt.h>

#include "cmd/cmd.h"
#include "container/container.h"

static const char usage[] = "usage: husk pause <container-id>\n"
                            "\n"
                            "Freeze every process of a container (v1 freezer, or cgroup.freeze on v2);\n"
                            "`state` then reports it paused.\n";

static const struct option options[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };

int
husk_cmd_pause (const struct husk_globals *g, int argc, char **argv, struct husk_error **err)
{
  const char *id;
  int c;

  optind = 0;
  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "+h", options, NULL)) != -1)
    {
      if (c == 'h')
        return husk_cmd_usage (usage);
      return husk_error_set (err, 0, "pause: unknown option `%s`", argv[optind - 1]);
    }
  if (husk_cmd_id (argc, argv, optind, usage, &id, err) < 0)
    return -1;
  return husk_container_pause (g->root, id, err) < 0 ? -1 : 0;
}
