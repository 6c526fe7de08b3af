#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>

#include "cmd/cmd.h"
#include "container/container.h"

static const char usage[] =
    "usage: husk kill [--all] <container-id> [signal]\n"
    "\n"
    "Send a signal (default SIGTERM; a name like KILL or SIGKILL, or a number) to the\n"
    "container's init.  Signal 0 sends nothing: it checks that the init is alive.\n"
    "\n"
    "  -a, --all   send it to every process of the container's cgroup, also those\n"
    "              left after the init exited (no pid namespace of its own)\n";

static const struct option options[] = {
  { "all", no_argument, NULL, 'a' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

int
husk_cmd_kill (const struct husk_globals *g, int argc, char **argv, struct husk_error **err)
{
  bool all = false;
  int c, sig = SIGTERM;

  optind = 0;
  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "+ah", options, NULL)) != -1)
    switch (c)
      {
      case 'a':
        all = true;
        break;
      case 'h':
        return husk_cmd_usage (usage);
      default:
        return husk_error_set (err, 0, "kill: unknown option `%s`", argv[optind - 1]);
      }
  if (optind >= argc || argc - optind > 2)
    return husk_error_set (err, 0, "kill: expects a container id and an optional signal");
  if (argc - optind == 2)
    {
      sig = husk_parse_signal (argv[optind + 1], err);
      if (sig < 0)
        return -1;
    }
  return husk_cmd_result (g, argv[optind],
                          husk_container_kill (g->root, argv[optind], sig, all, err) < 0 ? -1 : 0, err);
}
