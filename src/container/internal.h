#ifndef HUSK_CONTAINER_INTERNAL_H
#define HUSK_CONTAINER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "linux/cgjoin.h"
#include "util/error.h"

struct husk_cgroup;
struct husk_criu_opts;
struct oci_config;

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
/* --pid-file: pid into path (NULL: nothing) through a temp file and a rename
 * that follow no symlink (container/handoff.c). */
int husk_write_pid_file (const char *path, pid_t pid, struct husk_error **err);
/* --console-socket: a connected socket to path (a fd, or -1 with *err set),
 * for the pty master. */
int husk_console_socket_connect (const char *path, struct husk_error **err);
struct oci_config;
/* Whether start and delete can do without the saved config.json (recorded in
 * state.json as config_unneeded): it has a process, no poststart or poststop
 * hook, no netDevices and no intelRdt. */
bool husk_config_unneeded_later (const struct oci_config *c);
/* Claim <root>/<id> for a new container (create, restore): the state root made if
 * missing, mkdir of the id's directory (the atomic claim: "container with id
 * exists" when taken), its lock, and the config's copy.  *dir and *lock are set
 * once the directory is ours, so that the caller removes it on a later error. */
int husk_claim_state_dir (const char *root, const char *id, const char *config_data,
                          size_t config_len, char **dir, int *lock, struct husk_error **err);
/* --pidfd-socket: a pidfd of pid to the socket at path (nothing when path is
 * NULL), connected only now, so that no stage of the container holds it. */
int husk_pidfd_socket_send_to (const char *path, pid_t pid, const char *kind,
                               struct husk_error **err);
/* --pidfd-socket: connect to the socket at path (a fd, or -1 with *err set;
 * path NULL: -1 with no error), then send it a pidfd of pid with the payload
 * kind ("standard", "setns").  Send is a no-op for sock < 0. */
int husk_pidfd_socket_connect (const char *path, struct husk_error **err);
int husk_pidfd_socket_send (int sock, pid_t pid, const char *kind, struct husk_error **err);

/* The container's cgroup for linux/ (container/cgjoin.c).  To join: cg (fn
 * NULL when cg is NULL: none), or exec's files (husk_cgroup_join_files) with
 * the cgroup2 directory among them that the joiner may be born in (NULL:
 * none).  husk_criu_ext_mounts with the v1 hierarchies of cg (may be NULL). */
struct husk_cgjoin husk_cgjoin_cgroup (const struct husk_cgroup *cg);
struct husk_cgjoin husk_cgjoin_files (char *const *files, const char *clone_dir);
int husk_criu_ext_mounts_cg (const struct oci_config *c, const struct husk_cgroup *cg,
                             pid_t pid, bool restore, const char *bundle, struct husk_criu_opts *o,
                             struct husk_error **err);
/* One line of `events` (events.c): {"type":TYPE,"id":ID}, with the statistics of
 * cg as "data" when cg is not NULL.  Malloc'd. */
char *husk_event_json (const char *type, const char *id, const struct husk_cgroup *cg);

#endif
