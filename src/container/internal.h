#ifndef HUSK_CONTAINER_INTERNAL_H
#define HUSK_CONTAINER_INTERNAL_H

#include "util/error.h"

/* Open a state directory and take its exclusive lock (flock): one command at a
 * time per container.  Returns the locked fd. */
int husk_lock_dir (const char *dir, struct husk_error **err);
/* Remove a state directory and the files husk keeps in it. */
void husk_remove_state_dir (const char *dir);
/* Wait until a pid (not necessarily our child) is gone; reaps it if it is ours. */
int husk_wait_pid_gone (pid_t pid, int timeout_ms);

#endif
