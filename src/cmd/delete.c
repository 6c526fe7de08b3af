#define _GNU_SOURCE
#include <getopt.h>

#include "cmd/cmd.h"
#include "container/container.h"

static const char usage[] =
    "usage: husk delete [--force] <container-id>\n"
    "\n"
    "Delete a stopped (or created) container: its cgroup, its state; run poststop hooks.\n"
    "\n"
    "  -f, --force   kill a running container first (SIGKILL) and wait for it\n";

static const struct option options[] = {
  { "force", no_argument, NULL, 'f' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

int
husk_cmd_delete (const struct husk_globals *g, int argc, char **argv, struct husk_error **err)
{
  bool force = false;
  const char *id;
  int c;

  optind = 0;
  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "fh", options, NULL)) != -1)
    switch (c)
      {
      case 'f':
        force = true;
        break;
      case 'h':
        return husk_cmd_usage (usage);
      default:
        return husk_error_set (err, 0, "delete: unknown option `%s`", argv[optind - 1]);
      }
  if (husk_cmd_id (argc, argv, optind, usage, &id, err) < 0)
    return -1;
  return husk_cmd_result (g, id, husk_container_delete (g->root, id, force, err) < 0 ? -1 : 0, err);
}
