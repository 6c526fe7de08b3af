/* One entry point per command.  Each parses its own options (getopt_long_only, so
 * -opt and --opt both work), calls one function of container/, and prints.
 * Options may follow the container id, as runc's CLI allows (GNU getopt's
 * permutation), except where the arguments after the id are someone else's:
 * exec (the command), kill (the signal) and ps (ps's options) stop at the id
 * ("+" in their option string). */
#ifndef HUSK_CMD_CMD_H
#define HUSK_CMD_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "util/error.h"

struct husk_globals
{
  const char *root;
  bool root_given; /* --root was on the command line (else root is the default) */
  const char *log;
  const char *log_format;
  bool debug;
  bool systemd_cgroup;
  bool no_cgroup; /* --cgroup-manager disabled */
  const char *rootless; /* the --rootless value: auto, true or false */
  bool is_rootless; /* what it resolved to (main.c) */
  const char *criu; /* --criu: the criu binary (checkpoint, restore, features) */
};

/* Every command: argv[0] is the command name.  Returns the process exit status
 * (0 on success) or -1 with *err set. */
typedef int (*husk_cmd_fn) (const struct husk_globals *g, int argc, char **argv,
                            struct husk_error **err);

int husk_cmd_create (const struct husk_globals *g, int argc, char **argv, struct husk_error **err);
int husk_cmd_start (const struct husk_globals *g, int argc, char **argv, struct husk_error **err);
int husk_cmd_state (const struct husk_globals *g, int argc, char **argv, struct husk_error **err);
int husk_cmd_kill (const struct husk_globals *g, int argc, char **argv, struct husk_error **err);
int husk_cmd_delete (const struct husk_globals *g, int argc, char **argv, struct husk_error **err);
int husk_cmd_run (const struct husk_globals *g, int argc, char **argv, struct husk_error **err);
int husk_cmd_list (const struct husk_globals *g, int argc, char **argv, struct husk_error **err);
int husk_cmd_update (const struct husk_globals *g, int argc, char **argv, struct husk_error **err);
int husk_cmd_pause (const struct husk_globals *g, int argc, char **argv, struct husk_error **err);
int husk_cmd_resume (const struct husk_globals *g, int argc, char **argv, struct husk_error **err);
int husk_cmd_ps (const struct husk_globals *g, int argc, char **argv, struct husk_error **err);
int husk_cmd_events (const struct husk_globals *g, int argc, char **argv, struct husk_error **err);
int husk_cmd_exec (const struct husk_globals *g, int argc, char **argv, struct husk_error **err);
int husk_cmd_ns (const struct husk_globals *g, int argc, char **argv, struct husk_error **err);
int husk_cmd_checkpoint (const struct husk_globals *g, int argc, char **argv, struct husk_error **err);
int husk_cmd_restore (const struct husk_globals *g, int argc, char **argv, struct husk_error **err);
int husk_cmd_features (const struct husk_globals *g, int argc, char **argv, struct husk_error **err);

/* --help: prints usage in runc's layout (NAME:, USAGE:, the rest) on stdout and
 * returns 0.  usage starts with "usage: husk <command> ...". */
int husk_cmd_usage (const char *usage);
/* The command names and their summaries, one a line, for `husk --help`. */
void husk_cmd_list_commands (FILE *f);
/* For commands whose only argument is the id (and --help): 1 when the usage was
 * printed, 0 with *id set, -1 with *err set. */
int husk_cmd_only_id (int argc, char **argv, const char *usage, const char **id,
                      struct husk_error **err);
/* r as is, unless r < 0 and the container is gone now (a concurrent `delete`
 * removed it under the command's feet): then the error is the one for a missing
 * container, "container does not exist: <id>", which containerd's shim matches. */
int husk_cmd_result (const struct husk_globals *g, const char *id, int r, struct husk_error **err);
/* The single positional container id after the options. */
int husk_cmd_id (int argc, char **argv, int optind_, const char *usage, const char **id,
                 struct husk_error **err);

#endif
