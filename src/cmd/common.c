#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "container/container.h"

int
husk_cmd_usage (const char *usage)
{
  fputs (usage, stdout);
  return 0;
}

int
husk_cmd_id (int argc, char **argv, int optind_, const char *usage, const char **id,
             struct husk_error **err)
{
  if (optind_ >= argc)
    return husk_error_set (err, 0, "%s: requires exactly 1 argument (the container id)\n%s",
                           argv[0], usage);
  if (argc - optind_ > 1)
    return husk_error_set (err, 0, "%s: requires exactly 1 argument, got %d", argv[0],
                           argc - optind_);
  *id = argv[optind_];
  return 0;
}

int
husk_cmd_only_id (int argc, char **argv, const char *usage, const char **id,
                  struct husk_error **err)
{
  static const struct option options[] = { { "help", no_argument, NULL, 'h' },
                                            { NULL, 0, NULL, 0 } };
  int c;

  optind = 0;
  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "h", options, NULL)) != -1)
    {
      if (c == 'h')
        {
          husk_cmd_usage (usage);
          return 1;
        }
      return husk_error_set (err, 0, "%s: unknown option `%s`", argv[0], argv[optind - 1]);
    }
  return husk_cmd_id (argc, argv, optind, usage, id, err);
}

int
husk_cmd_result (const struct husk_globals *g, const char *id, int r, struct husk_error **err)
{
  if (r >= 0 || husk_check_id (id, NULL) < 0 || husk_container_exists (g->root, id))
    return r;
  return husk_error_set (err, 0, "container does not exist: %s", id);
}
