#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "container/container.h"

static const char usage[] = "usage: husk state <container-id>\n"
                            "\n"
                            "Print the OCI state of a container as JSON.\n";

static const struct option options[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };

int
husk_cmd_state (const struct husk_globals *g, int argc, char **argv, struct husk_error **err)
{
  struct husk_state *st = NULL;
  enum husk_status status;
  const char *id;
  char *json;
  int c;

  optind = 0;
  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "h", options, NULL)) != -1)
    {
      if (c == 'h')
        return husk_cmd_usage (usage);
      return husk_error_set (err, 0, "state: unknown option `%s`", argv[optind - 1]);
    }
  if (husk_cmd_id (argc, argv, optind, usage, &id, err) < 0)
    return -1;
  if (husk_cmd_result (g, id, husk_container_load (g->root, id, &st, &status, err), err) < 0)
    return -1;
  json = husk_state_oci_json (st, status);
  husk_state_free (st);
  if (json == NULL)
    return husk_error_set (err, 0, "state: cannot format the state");
  printf ("%s\n", json);
  free (json);
  return 0;
}
