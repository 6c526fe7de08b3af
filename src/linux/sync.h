/* The sync channel between `husk create` (the parent, in the host namespaces),
 * stage 1 (joins/creates namespaces, asks for id maps, forks) and stage 2 (the
 * container init).  It is one SOCK_SEQPACKET socketpair: message boundaries are
 * kept by the kernel, so a message is never split or merged, and a message that
 * does not fit the receive buffer is reported (MSG_TRUNC) rather than cut.
 *
 * The protocol, as the numbered comments on both sides read it:
 *
 *   sync 0  parent -> child   CGROUP_MADE     (only when the parent makes cgroup directories
 *                                             after the fork, linux/cgjoin.h) they are there:
 *                                             stage 1 waits for it before it joins them, the
 *                                             direct init once it made its namespaces (the
 *                                             parent makes the directories meanwhile)
 *   sync 1  stage1 -> parent  USERMAP_PLS     (only with a new user namespace)
 *   sync 2  parent -> stage1  USERMAP_ACK     maps are written
 *   sync 3  stage1 -> parent  PID             value = pid of stage 2, then stage 1 exits
 *                                             (a direct init, the parent's own child,
 *                                             sends it itself, value 0, once its
 *                                             namespaces exist: linux/spawn.c)
 *   sync 4a stage2 -> parent  MOUNT_PLS       value = N: the detached tree of mounts[N], an
 *                                             idmapped bind whose source lies inside the
 *                                             rootfs (repeated for each such mount, at its
 *                                             turn; see husk_idmap_tree_in_container)
 *   sync 4b parent -> stage2  MOUNT_FD        the tree (SCM_RIGHTS), idmapped; on failure
 *                                             the parent reports it and kills the init
 *   sync 4  stage2 -> parent  HOOKS_PLS       mounts are ready: run prestart + createRuntime
 *   sync 5  parent -> stage2  HOOKS_ACK       text = the state JSON (for the hooks of init);
 *                                             the limits are on.  The init reads it before
 *                                             it pivots only with prestart, createRuntime or
 *                                             createContainer hooks or a console; otherwise
 *                                             just before its identity changes (linux/init.c)
 *   sync 5a stage2 -> parent  SECCOMP_FD      only with a SCMP_ACT_NOTIFY rule: the seccomp
 *                                             listener fd (SCM_RIGHTS), which the parent
 *                                             sends on to linux.seccomp.listenerPath; no
 *                                             reply (a notified syscall just waits for it)
 *   sync 6  stage2 -> parent  READY           about to block on exec.fifo (run, which has
 *                                             no exec.fifo and wrote the state before sync
 *                                             5: about to execute the process; the socket
 *                                             then closes on its execve, the parent's EOF)
 *   any     child  -> parent  ERROR           errnum + text; the child then _exits
 *   any     child  -> parent  LOG             value = HUSK_SYNC_LOG_DEBUG or _WARNING,
 *                                             text = the line: the children hold no log
 *                                             file (a host file) and their stderr is the
 *                                             container's; the parent logs it;
 *                                             husk_sync_recv() consumes these
 */
#ifndef HUSK_LINUX_SYNC_H
#define HUSK_LINUX_SYNC_H

#include <stdint.h>

#include "util/error.h"

enum husk_sync_type
{
  HUSK_SYNC_USERMAP_PLS = 1,
  HUSK_SYNC_USERMAP_ACK,
  HUSK_SYNC_PID,
  HUSK_SYNC_HOOKS_PLS,
  HUSK_SYNC_HOOKS_ACK,
  HUSK_SYNC_READY,
  HUSK_SYNC_ERROR,
  HUSK_SYNC_SECCOMP_FD,
  HUSK_SYNC_LOG,
  HUSK_SYNC_MOUNT_PLS,
  HUSK_SYNC_MOUNT_FD,
  HUSK_SYNC_CGROUP_MADE,
};

/* The value of a LOG message. */
enum
{
  HUSK_SYNC_LOG_DEBUG = 0,
  HUSK_SYNC_LOG_WARNING = 1,
};

struct husk_sync_msg
{
  enum husk_sync_type type;
  int errnum;
  int64_t value;
  char *text; /* malloc'd, may be NULL */
  int fd; /* passed with SCM_RIGHTS (SECCOMP_FD and MOUNT_FD only, O_CLOEXEC), else -1 */
};

int husk_sync_send (int fd, enum husk_sync_type type, int errnum, int64_t value,
                    const char *text, struct husk_error **err);
/* Send a message without text carrying pass_fd (SCM_RIGHTS); the caller keeps pass_fd. */
int husk_sync_send_fd (int fd, enum husk_sync_type type, int pass_fd, struct husk_error **err);
/* Receive one message.  An ERROR message from the peer is turned into *err (with
 * the peer's errno and text) and -1 is returned; EOF is an error "... exited
 * before ...".  `what` names the expected step for messages. */
int husk_sync_recv (int fd, struct husk_sync_msg *msg, const char *what, struct husk_error **err);
/* Like husk_sync_recv, but the peer closing its end (an execve, for a socket
 * it holds close-on-exec) is an answer too: 0 then, 1 with a message. */
int husk_sync_recv_or_eof (int fd, struct husk_sync_msg *msg, const char *what,
                           struct husk_error **err);
/* Receive and require a given type. */
int husk_sync_expect (int fd, enum husk_sync_type type, struct husk_sync_msg *msg,
                      const char *what, struct husk_error **err);
/* In a child: close the log file and send later warnings and debug lines over
 * fd as LOG messages (fd -1: drop them). */
void husk_sync_forward_log (int fd);
/* In a child: send err as an ERROR message (best effort) and _exit(1). */
__attribute__ ((noreturn)) void husk_sync_fail (int fd, struct husk_error *err);

#endif
