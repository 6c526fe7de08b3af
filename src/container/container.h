/* The container lifecycle, shared by the commands in src/cmd/.  Nothing here
 * prints or exits: errors are returned (util/error.h). */
#ifndef HUSK_CONTAINER_CONTAINER_H
#define HUSK_CONTAINER_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "container/state.h"
#include "util/error.h"

struct husk_create_opts
{
  const char *root; /* state root, e.g. /run/husk */
  const char *id;
  const char *bundle; /* NULL: the current directory */
  const char *pid_file;
  const char *console_socket;
  int preserve_fds;
  bool no_pivot;
  bool no_new_keyring;
  bool systemd_cgroup;
  /* run: the caller stays and waits; set by husk_container_run */
  int console_fd; /* an already connected console socket (run), or -1 */
};

/* Check an id like runc: ^[a-zA-Z0-9][a-zA-Z0-9_+.-]*$ */
int husk_check_id (const char *id, struct husk_error **err);

int husk_container_create (const struct husk_create_opts *o, pid_t *pid, struct husk_error **err);
int husk_container_start (const char *root, const char *id, struct husk_error **err);
/* Fills *st (caller frees) and *status. */
int husk_container_load (const char *root, const char *id, struct husk_state **st,
                         enum husk_status *status, struct husk_error **err);
/* sig: signal number; all: every process of the container's cgroup. */
int husk_container_kill (const char *root, const char *id, int sig, bool all,
                         struct husk_error **err);
int husk_container_delete (const char *root, const char *id, bool force, struct husk_error **err);
/* Ids of every container under root, sorted; NULL-terminated. */
char **husk_container_list (const char *root, struct husk_error **err);

struct husk_run_opts
{
  struct husk_create_opts create;
  bool detach;
  bool keep;
};
/* create + start; unless detached, forward signals, wait, delete (unless keep), and
 * return the exit status in *status (128+N for signal N). */
int husk_container_run (const struct husk_run_opts *o, int *status, struct husk_error **err);

/* The state directory of a container (caller frees). */
char *husk_container_dir (const char *root, const char *id);
/* Signal names and numbers: "KILL", "SIGKILL", "9". */
int husk_parse_signal (const char *s, struct husk_error **err);

#endif
