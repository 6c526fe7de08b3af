#ifndef HUSK_CONTAINER_INTERNAL_H
#define HUSK_CONTAINER_INTERNAL_H

#include <sys/types.h>

#include "util/error.h"

struct husk_cgroup;

/* Open a state directory and take its exclusive lock (flock): one command at a
 * time per container.  Returns the locked fd. */
int husk_lock_dir (const char *dir, struct husk_error **err);
/* Remove a state directory and the files husk keeps in it. */
void husk_remove_state_dir (const char *dir);
/* SIGKILL a child of ours (or of a stage that exited while we are its
 * subreaper) and reap it; nothing for pid <= 0. */
void husk_kill_and_reap (pid_t pid);
/* Wait until a pid (not necessarily our child) is gone; reaps it if it is ours. */
int husk_wait_pid_gone (pid_t pid, int timeout_ms);
/* --pidfd-socket: connect to the socket at path (a fd, or -1 with *err set;
 * path NULL: -1 with no error), then send it a pidfd of pid with the payload
 * kind ("standard", "setns").  Send is a no-op for sock < 0. */
int husk_pidfd_socket_connect (const char *path, struct husk_error **err);
int husk_pidfd_socket_send (int sock, pid_t pid, const char *kind, struct husk_error **err);

/* One line of `events` (events.c): {"type":TYPE,"id":ID}, with the statistics of
 * cg as "data" when cg is not NULL.  Malloc'd. */
char *husk_event_json (const char *type, const char *id, const struct husk_cgroup *cg);

#endif
