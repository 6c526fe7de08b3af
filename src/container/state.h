/* The state husk keeps for a container under <root>/<id>/:
 *
 *   state.json   what `create` learned (init pid and its start time, bundle,
 *                cgroup directories, ...), written atomically (tmp, fsync, rename)
 *   config.json  a copy of the bundle's config, for poststop hooks and `delete`
 *                after the bundle is gone
 *   exec.fifo    present while the container is `created`
 *   summary      a symlink whose target holds what `list` prints (id, pid and
 *                start time, bundle, rootfs, created, owner), made from and
 *                bound to the state.json beside it (state.c: the format);
 *                list reads state.json where it is missing or does not match
 *
 * The status is never stored: it is derived (husk_state_status).
 */
#ifndef HUSK_CONTAINER_STATE_H
#define HUSK_CONTAINER_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

struct husk_state
{
  char *id;
  pid_t pid;
  unsigned long long start_time;
  char *bundle;
  char *rootfs;
  char *created; /* RFC3339 */
  uid_t owner;
  char **cgroup_dirs; /* NULL-terminated */
  /* start and delete need nothing of the saved config.json (no process-less
   * init, no poststart or poststop hook, no netDevices, no intelRdt): they do
   * not read it.  False (read it) when unknown, as in an older husk's state. */
  bool config_unneeded;
  struct oci_kv *annotations;
  size_t annotations_len;
};

enum husk_status
{
  HUSK_STATUS_CREATING,
  HUSK_STATUS_CREATED,
  HUSK_STATUS_RUNNING,
  HUSK_STATUS_PAUSED,
  HUSK_STATUS_STOPPED,
};

#define HUSK_STATE_SUMMARY "summary"

/* state.json, then the summary. */
int husk_state_write (const char *dir, const struct husk_state *st, struct husk_error **err);
struct husk_state *husk_state_read (const char *dir, struct husk_error **err);
/* <root_fd>/<id>/summary: NULL when it is missing, malformed or not made from the
 * state.json there now.  No cgroup_dirs and no annotations. */
struct husk_state *husk_state_read_summary (int root_fd, const char *id);
void husk_state_free (struct husk_state *st);
/* Derived: a dead (or reused) pid is stopped, a live exec.fifo means created, a
 * frozen cgroup means paused, else running. */
enum husk_status husk_state_status (const struct husk_state *st, const char *dir);
const char *husk_status_name (enum husk_status s);
bool husk_state_pid_alive (const struct husk_state *st);
/* The OCI state document (runtime-spec "state"), pretty-printed like runc. */
char *husk_state_oci_json (const struct husk_state *st, enum husk_status status);
/* The default state root: /run/husk for root; rootless, $XDG_RUNTIME_DIR/husk,
 * else /run/user/<uid>/husk when that directory is ours, else /tmp/husk-<uid>. */
char *husk_state_root_default (bool rootless);
/* Make sure a rootless caller's state root cannot be tampered with by another
 * user: created 0700 when missing (its parent must exist), and an existing one
 * must be a directory (not a symlink) owned by us that no one else may write.
 * Root's state root is not checked (root owns /run). */
int husk_state_root_prepare (const char *root, bool rootless, struct husk_error **err);
/* Current time in RFC3339 with nanoseconds. */
char *husk_now_rfc3339 (void);

#endif
