/* Creating the container's processes: stage 1 and the container init (stage 2).
 * See DESIGN.md "Processes" and linux/sync.h for the protocol. */
#ifndef HUSK_LINUX_SPAWN_H
#define HUSK_LINUX_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "linux/cgjoin.h"
#include "oci/config.h"
#include "util/error.h"

struct husk_spawn
{
  const struct oci_config *config;
  const char *id;
  const char *bundle; /* absolute; the init's cwd while it mounts */
  const char *rootfs; /* absolute, symlinks resolved */
  struct husk_cgjoin cgroup; /* stage 1 (or the direct init) is born in it or joins it */
  int sync_fd; /* the children's end of the sync socketpair */
  int fifo_fd; /* O_PATH fd of exec.fifo, or -1 with start_by_sync */
  bool start_by_sync; /* run: no exec.fifo, the process is executed after READY at once */
  int console_fd; /* connected --console-socket, or -1 */
  bool console_proxied; /* console_fd is husk's own: see husk_console_setup */
  int preserve_fds; /* fds 3 .. 3+N-1 stay open across exec */
  char **extra_env; /* appended to process.env (LISTEN_FDS...), may be NULL */
  const int *idmap_fds; /* see husk_idmap_trees_make, may be NULL */
  bool no_pivot;
  bool no_new_keyring;
  /* The parent's fds that stage 1 closes first: the parent's sync end, and the
   * locked state directory (a flock belongs to the open file, so an inherited
   * copy would hold the container's lock for as long as the init lives).
   * Terminated by -1. */
  int close_fds[4];
};

/* Close every fd from `from` up, except the n fds of keep (those below from and
 * negative ones are ignored). */
void husk_close_fds_from (int from, const int *keep, size_t n);

/* Fork stage 1, or the init itself where no stage 1 is needed (*direct).
 * Returns the pid of either in the parent; the child never returns. */
pid_t husk_spawn (const struct husk_spawn *s, bool *direct, struct husk_error **err);

/* The container init (stage 2): never returns. */
__attribute__ ((noreturn)) void husk_init_main (const struct husk_spawn *s);

/* A pty of the container's devpts for the calling process (its stdio and
 * controlling terminal), the master sent over console_fd.  The init's is also
 * bound on /dev/console; an exec'd process (is_init false) gets a new session.
 * proxied: console_fd leads to husk itself (run or exec in the foreground),
 * which copies the pty to its caller: the pty then adds no \r before \n. */
int husk_console_setup (const struct oci_process *p, int console_fd, bool is_init, bool proxied,
                        struct husk_error **err);
/* The same from a master opened before (ptmx: -1 to open /dev/ptmx now; the
 * caller's otherwise, closed here), with no /dev/console bind: for an init in
 * the host's mount namespace, chroot'ed into a rootfs that may have no /dev,
 * where a bind would land on the host's side of the mount table. */
int husk_console_setup_unbound (const struct oci_process *p, int console_fd, int ptmx,
                                bool proxied, struct husk_error **err);

#endif
