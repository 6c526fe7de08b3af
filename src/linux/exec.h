/* husk exec: a new process in an existing container.
 *
 *   husk exec (parent, host namespaces)
 *     | opens /proc/<init>, checks the init's start time through that fd, opens
 *     | the init's namespace files that differ from its own
 *     +--> joiner (fork): non-dumpable, joins the container's cgroup, then its
 *     |      namespaces (user first), forks (pid and time namespaces apply to
 *     |      children only), reports the pid, exits
 *     |      +--> the process: LSM labels, keyring, console, scheduling, rlimits,
 *     |             cwd, user, capabilities, no_new_privs, seccomp (last),
 *     |             closes fds, execve
 *     | parent: subreaper, so the process becomes its child when the joiner exits
 *
 * The sync socket (SOCK_SEQPACKET, close-on-exec) carries, as numbered on both sides:
 *   exec 1  joiner  -> parent  PID      value = the process's pid (host view)
 *   exec 2a process -> parent  SECCOMP_FD  only with a SCMP_ACT_NOTIFY rule: the
 *                                       listener, which the parent sends on to
 *                                       linux.seccomp.listenerPath
 *   exec 2  process -> parent  ERROR    errnum + text, or end of file: the execve
 *                                       succeeded and closed the socket
 */
#ifndef HUSK_LINUX_EXEC_H
#define HUSK_LINUX_EXEC_H

#include <stdbool.h>
#include <sys/types.h>

#include "linux/cgjoin.h"
#include "oci/config.h"
#include "util/error.h"

struct husk_exec_spawn
{
  const struct oci_config *config; /* the container's config (linux.seccomp) */
  const struct oci_process *process; /* what to run, already merged with the config */
  const char *id;
  int ns_fds[OCI_NS_COUNT]; /* the init's namespaces to join; -1: shared with us */
  int root_fd; /* the init's root, chroot'ed into when its mount namespace is ours; else -1 */
  struct husk_cgjoin cgroup; /* the joiner joins it (linux/cgjoin.h) */
  int sync_fd; /* the children's end */
  int console_fd; /* where the pty master goes (terminal), or -1 */
  bool console_proxied; /* console_fd is husk's own: see husk_console_setup */
  int preserve_fds; /* fds 3 .. 3+N-1 stay open across exec */
  int close_fds[4]; /* the parent's fds the joiner closes first; -1 terminated */
};

/* Open the namespace files of the process whose /proc directory is proc_fd,
 * for each type whose namespace differs from the caller's; fds[t] = -1
 * otherwise (and where the kernel lacks the type). */
int husk_exec_open_namespaces (int proc_fd, int fds[OCI_NS_COUNT], struct husk_error **err);

/* Start time (field 22 of stat) read through an open /proc/<pid> directory; 0 if gone. */
unsigned long long husk_exec_proc_start_time (int proc_fd);

/* Fork the joiner.  Returns its pid; the children never return. */
pid_t husk_exec_spawn (const struct husk_exec_spawn *s, struct husk_error **err);

/* exec 2: 0 once the process has exec'd (EOF), -1 with its error; 1 with
 * *listener_fd set (the caller's to close) when the process sent its seccomp
 * listener (exec 2a): then call again. */
int husk_exec_wait_exec (int sync_fd, int *listener_fd, struct husk_error **err);

#endif
