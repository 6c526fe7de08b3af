#define _GNU_SOURCE
#include <getopt.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "container/container.h"
#include "util/fs.h"
#include "util/str.h"

/* Each command's one-line summary: `husk --help` lists them and `husk CMD --help`
 * names the command with it. */
static const struct
{
  const char *name;
  const char *summary;
} summaries[] = {
  { "create", "create a container (its init waits for start)" },
  { "start", "start a created container" },
  { "run", "create and start a container, and wait for it" },
  { "state", "print the state of a container" },
  { "kill", "send a signal to a container" },
  { "delete", "delete a container" },
  { "list", "list containers" },
  { "update", "change the cgroup resources of a container" },
  { "pause", "freeze every process of a container" },
  { "resume", "thaw a paused container" },
  { "ps", "list the processes of a container" },
  { "events", "print a container's statistics and OOM events" },
  { "exec", "run a new process in a running container" },
  { "ns", "show a container's namespaces and what it shares" },
  { "checkpoint", "checkpoint a running container with CRIU" },
  { "restore", "restore a container from a checkpoint" },
  { "features", "print the features this runtime supports (JSON)" },
  { "spec", "write a default config.json" },
  { "help", "print the help of a command (husk help <command>)" },
};

void
husk_cmd_list_commands (FILE *f)
{
  for (size_t i = 0; i < sizeof summaries / sizeof summaries[0]; i++)
    fprintf (f, "   %-11s %s\n", summaries[i].name, summaries[i].summary);
}

/* usage: "usage: husk NAME synopsis\n[       husk NAME synopsis\n]\n<the rest>".
 * Printed in runc's layout (NAME:, USAGE:, then the rest as it is), under the
 * name we were invoked as. */
int
husk_cmd_usage (const char *usage)
{
  const char *prog = program_invocation_short_name, *summary = "";
  const char *p = usage, *rest;
  char name[32] = "";

  if (strncmp (usage, "usage: husk ", 12) == 0)
    husk_word (usage + 12, 0, name, sizeof name);
  for (size_t i = 0; i < sizeof summaries / sizeof summaries[0]; i++)
    if (strcmp (summaries[i].name, name) == 0)
      summary = summaries[i].summary;
  printf ("NAME:\n   %s %s - %s\n\nUSAGE:\n", prog, name, summary);
  rest = husk_strstr (usage, "\n\n");
  rest = rest ? rest + 1 : usage + strlen (usage);
  /* The synopsis lines, "husk" replaced by our name. */
  while (p < rest)
    {
      const char *nl = strchr (p, '\n');
      p += strspn (p, " ");
      if (strncmp (p, "usage: ", 7) == 0)
        p += 7;
      if (strncmp (p, "husk ", 5) == 0)
        p += 4;
      else
        prog = "";
      printf ("   %s%.*s\n", prog, (int) (nl - p), p);
      p = nl + 1;
      prog = program_invocation_short_name;
    }
  fputs (rest, stdout);
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
