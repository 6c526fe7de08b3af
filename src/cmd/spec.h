/* husk spec: write a starter config.json into the bundle. */
#ifndef HUSK_CMD_SPEC_H
#define HUSK_CMD_SPEC_H

#include "util/error.h"

/* argv[0] is "spec".  Returns 0, or -1 with *err set; prints only --help. */
int husk_cmd_spec (int argc, char **argv, struct husk_error **err);

#endif
