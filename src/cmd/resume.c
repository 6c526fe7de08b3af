#include "cmd/cmd.h"
#include "container/container.h"

static const char usage[] = "usage: husk resume <container-id>\n"
                            "\n"
                            "Thaw a paused container.\n";

int
husk_cmd_resume (const struct husk_globals *g, int argc, char **argv, struct husk_error **err)
{
  const char *id;
  int r = husk_cmd_only_id (argc, argv, usage, &id, err);

  if (r != 0)
    return r < 0 ? -1 : 0;
  return husk_cmd_result (g, id, husk_container_resume (g->root, id, err) < 0 ? -1 : 0, err);
}
