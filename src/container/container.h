/* The container lifecycle, shared by the commands in src/cmd/.  Nothing here
 * prints or exits: errors are returned (util/error.h). */
#ifndef HUSK_CONTAINER_CONTAINER_H
#define HUSK_CONTAINER_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "container/state.h"
#include "oci/config.h"
#include "util/error.h"

struct husk_create_opts
{
  const char *root; /* state root, e.g. /run/husk */
  const char *id;
  const char *bundle; /* NULL: the current directory */
  const char *config; /* crun's --config: NULL for config.json; relative: to the bundle */
  const char *pid_file;
  const char *console_socket;
  const char *pidfd_socket; /* --pidfd-socket: gets a pidfd of the init */
  int preserve_fds;
  bool no_pivot;
  bool no_new_keyring;
  bool systemd_cgroup;
  bool no_cgroup; /* crun's --cgroup-manager disabled: no cgroup at all */
  /* Unprivileged (--rootless): a user namespace without maps maps the caller,
   * the cgroups not writable by us are left out. */
  bool rootless;
  /* run: the caller stays and waits; set by husk_container_run */
  int console_fd; /* an already connected console socket (run), or -1 */
  /* run: where a config needs no `start` of its own (no poststart hook, a
   * process, no seccomp filter), no exec.fifo is made and the init executes the
   * process once ready: *start_fd gets the sync socket, on which
   * husk_container_start_run() waits for that (else it stays -1). */
  int *start_fd;
};

/* Check an id like runc: ^[a-zA-Z0-9][a-zA-Z0-9_+.-]*$ */
int husk_check_id (const char *id, struct husk_error **err);

int husk_container_create (const struct husk_create_opts *o, pid_t *pid, struct husk_error **err);
int husk_container_start (const char *root, const char *id, struct husk_error **err);
/* run's start, for a container created with a start_fd: wait until the init
 * executed the process (or failed to; closes start_fd). */
int husk_container_start_run (int start_fd, struct husk_error **err);
/* Whether <root>/<id> holds a container's state (false for an invalid id). */
bool husk_container_exists (const char *root, const char *id);
/* Fills *st (caller frees) and *status. */
int husk_container_load (const char *root, const char *id, struct husk_state **st,
                         enum husk_status *status, struct husk_error **err);
/* husk_container_load for list, from the summary (root_fd: the state root, or
 * -1) when that is enough: when the init's pid is gone. */
int husk_container_load_listed (const char *root, int root_fd, const char *id,
                                struct husk_state **st, enum husk_status *status,
                                struct husk_error **err);
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

/* husk exec.  Vectors are NULL-terminated and may be NULL. */
struct husk_exec_opts
{
  const char *root;
  const char *id;
  const char *process_file; /* --process: replaces the config's process */
  char **args; /* the command and its arguments (without --process) */
  bool detach, tty, no_new_privs, ignore_paused;
  const char *pid_file, *console_socket, *cwd, *user, *apparmor, *process_label;
  char **env; /* KEY=VALUE, appended to the config's */
  char **caps; /* added to bounding, effective, permitted */
  gid_t *additional_gids;
  size_t additional_gids_len;
  char **cgroups; /* "PATH" or "CTRL[,CTRL]:PATH" under the container's cgroup */
  const char *pidfd_socket; /* --pidfd-socket: gets a pidfd of the process */
  int preserve_fds;
  unsigned ns_mask; /* --ns: bit 1 << oci_ns_type of each to join; 0: every one */
  bool allow_userns; /* --allow-userns: --ns may name user */
};
/* "net,uts" (the /proc/PID/ns names, the OCI names, or "all": every one but
 * user) into a mask of 1 << enum oci_ns_type; an unknown name is an error. */
int husk_parse_ns_list (const char *list, unsigned *mask, struct husk_error **err);
/* Run a process in the container; unless detached, forward signals to it, wait,
 * and return its exit status in *status (128+N for signal N). */
int husk_container_exec (const struct husk_exec_opts *o, int *status, struct husk_error **err);

/* The cgroup of a running (or created, or paused) container: update sets the
 * resources given (unset fields keep their values), pause/resume freeze and thaw
 * it, pids lists its processes (caller frees), events reports stats once
 * (stats_once) or every interval_ms plus "oom" events until the container stops,
 * each as one JSON line given to fn (which returns < 0 to stop). */
struct oci_resources;
int husk_container_update (const char *root, const char *id, const struct oci_resources *r,
                           struct husk_error **err);
int husk_container_pause (const char *root, const char *id, struct husk_error **err);
int husk_container_resume (const char *root, const char *id, struct husk_error **err);
int husk_container_pids (const char *root, const char *id, pid_t **pids, size_t *n,
                         struct husk_error **err);
typedef int (*husk_event_fn) (const char *json, void *data);
int husk_container_events (const char *root, const char *id, bool stats_once, unsigned interval_ms,
                           husk_event_fn fn, void *data, struct husk_error **err);

/* `husk ns` (container/ns.c): the namespaces of a running container's init.
 * ns[t] is indexed by enum oci_ns_type; husk_ns_report_type(i) gives the order
 * of a report (alphabetical by /proc name: cgroup, ipc, mnt, net, ...). */
struct husk_ns_entry
{
  enum oci_ns_type type;
  bool present; /* the kernel has the type and /proc/PID/ns/NAME was read */
  unsigned long long ino, dev;
  bool host; /* the same as PID 1's */
  char *made; /* "created", "joined PATH" or "inherited" (from the saved config) */
  char **shared_with; /* other containers of the root with the same one, or NULL */
};
struct husk_ns_report
{
  char *id;
  pid_t pid;
  enum husk_status status;
  struct husk_ns_entry ns[OCI_NS_COUNT];
  char *uid_map, *gid_map, *time_offsets, *cgroup_root; /* NULL when unreadable */
};
int husk_container_ns (const char *root, const char *id, struct husk_ns_report **out,
                       struct husk_error **err);
void husk_ns_report_free (struct husk_ns_report *r);
enum oci_ns_type husk_ns_report_type (int i);
/* PID 1's namespaces (0 where unreadable); those of pid (0: the host's). */
int husk_host_ns (unsigned long long ino[OCI_NS_COUNT], unsigned long long dev[OCI_NS_COUNT]);
int husk_pid_ns (pid_t pid, unsigned long long ino[OCI_NS_COUNT], unsigned long long dev[OCI_NS_COUNT]);

/* The state directory of a container (caller frees). */
char *husk_container_dir (const char *root, const char *id);
/* Signal names and numbers: "KILL", "SIGKILL", "9". */
int husk_parse_signal (const char *s, struct husk_error **err);

#endif
