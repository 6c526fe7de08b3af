#include <stdio.h>

#include "cmd/cmd.h"

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
