#include "cmd/cmd.h"
#include "container/container.h"

static const char usage[] = "usage: husk start <container-id>\n"
                            "\n"
                            "Start a created container: its init executes the process of config.json.\n";

int
husk_cmd_start (const struct husk_globals *g, int argc, char **argv, struct husk_error **err)
{
  const char *id;
  int r = husk_cmd_only_id (argc, argv, usage, &id, err);

  if (r != 0)
    return r < 0 ? -1 : 0;
  /* Not husk_cmd_result: a start whose poststart hook failed has removed the
   * container, and its error must stay the hook's. */
  return husk_container_start (g->root, id, err) < 0 ? -1 : 0;
}
