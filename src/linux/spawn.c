#define _GNU_SOURCE
#include "linux/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/exeseal.h"
#include "linux/namespaces.h"
#include "linux/sched.h"
#include "linux/sys.h"
#include "linux/sync.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/sort.h"
#include "util/xalloc.h"

static int
cmp_int (const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

static void
close_range_fallback (unsigned lo, unsigned hi)
{
  struct rlimit rl;

  if (syscall (SYS_close_range, lo, hi, 0) == 0)
    return;
  /* Before Linux 5.9: up to the fd limit, as sysconf (_SC_OPEN_MAX) gives it
   * (none when unlimited), without musl's 1 KB sysconf. */
  if (getrlimit (RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
    return;
  for (rlim_t fd = lo; fd <= hi && fd < rl.rlim_cur; fd++)
    close ((int) fd);
}

void
husk_close_fds_from (int from, const int *keep, size_t n)
{
  int *k = xmalloc ((n + 1) * sizeof *k);
  size_t m = 0;
  unsigned lo = (unsigned) from;

  if (k == NULL)
    abort ();
  for (size_t i = 0; i < n; i++)
    if (keep[i] >= from)
      k[m++] = keep[i];
  husk_sort (k, m, sizeof *k, cmp_int);
  for (size_t i = 0; i < m; i++)
    {
      if ((unsigned) k[i] > lo)
        close_range_fallback (lo, (unsigned) k[i] - 1);
      if ((unsigned) k[i] >= lo)
        lo = (unsigned) k[i] + 1;
    }
  close_range_fallback (lo, ~0U);
  free (k);
}

/* Every fd of the caller's that the container has no business with: what husk
 * create inherited (the caller's fd 4, 10...), its log file.  Kept: stdio, the
 * preserved fds, and what the children use (sync socket, exec fifo, console
 * socket, idmapped mount trees), each closed as soon as it has served. */
static void
close_inherited_fds (const struct husk_spawn *s, bool keep_seal)
{
  size_t n_idmap = s->idmap_fds ? s->config->mounts_len : 0;
  int *keep = xmalloc ((4 + n_idmap) * sizeof *keep);
  size_t n = 0;

  if (keep == NULL)
    abort ();
  /* Named, not only swept below: it may sit among the preserved fds.  A direct
   * init parks it instead (linux/exeseal.h), before anything of the container's
   * runs; stage 1 has no pivot to park it on. */
  if (keep_seal)
    keep[n++] = husk_exe_seal_fd ();
  else
    husk_exe_seal_release ();
  keep[n++] = s->sync_fd;
  keep[n++] = s->fifo_fd;
  keep[n++] = s->console_fd;
  for (size_t i = 0; i < n_idmap; i++)
    keep[n++] = s->idmap_fds[i];
  husk_close_fds_from (3 + s->preserve_fds, keep, n);
  free (keep);
}

/* A fresh fork of husk starts clean: none of the parent's fds it must not hold
 * (see close_fds and close_inherited_fds), an empty signal mask (run blocks the
 * signals it forwards), killed if husk dies half-way, and non-dumpable. */
static void
stage1_start (const struct husk_spawn *s, bool direct)
{
  sigset_t all;

  for (int i = 0; i < 4 && s->close_fds[i] >= 0; i++)
    close (s->close_fds[i]);
  /* Debug lines travel to the parent from now on: the log file is a host file. */
  husk_sync_forward_log (s->sync_fd);
  husk_debug ("nsexec-1[%d]: => nsexec container setup", (int) getpid ());
  husk_sched_debug_affinity ("nsexec-1");
  close_inherited_fds (s, direct);
  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  /* Non-dumpable until the container's own exec: no process that appears inside
   * the container can ptrace us or open our /proc/PID files (exe, fds), which
   * point at the host (CVE-2019-5736 class).  Inherited by the init's fork, reset
   * by execve. */
  prctl (PR_SET_DUMPABLE, 0);
}

/* The user namespace is unshared alone and first: the others created after it
 * are then owned by it, so the container's root has capabilities over them. */
static int
stage1_userns (const struct husk_spawn *s, struct husk_error **err)
{
  struct husk_sync_msg msg;

  bool unprivileged = geteuid () != 0;

  if (unshare (CLONE_NEWUSER) < 0)
    return husk_error_set (err, errno, "unshare user namespace");
  /* An unprivileged parent (rootless) can open our /proc/PID/uid_map, and
   * newuidmap accepts us, only while we are dumpable: a non-dumpable process's
   * /proc files belong to the host's root.  Dumpable to our own user only, for
   * the length of the mapping (runc's nsexec does the same). */
  if (unprivileged)
    prctl (PR_SET_DUMPABLE, 1);
  /* The maps are written by the parent: it holds the privilege in the parent
   * namespace that writing a map needs, which we just gave up.  sync 1 */
  if (husk_sync_send (s->sync_fd, HUSK_SYNC_USERMAP_PLS, 0, getpid (), NULL, err) < 0)
    return -1;
  /* sync 2 */
  if (husk_sync_expect (s->sync_fd, HUSK_SYNC_USERMAP_ACK, &msg, "uid/gid mapping", err) < 0)
    return -1;
  free (msg.text);
  if (unprivileged)
    prctl (PR_SET_DUMPABLE, 0);
  /* Become the container's root, so that files created while setting up the
   * rootfs belong to the mapped root. */
  if (husk_setresgid (0, 0, 0) < 0 || husk_setresuid (0, 0, 0) < 0)
    return husk_error_set (err, errno, "setresuid to root in the user namespace");
  return 0;
}

/* sync 0: the parent has made the cgroup directories (linux/cgjoin.h): join. */
static int
cgroup_join_made (const struct husk_spawn *s, bool in_cgroup, struct husk_error **err)
{
  struct husk_sync_msg m;

  if (s->cgroup.made_late)
    {
      if (husk_sync_expect (s->sync_fd, HUSK_SYNC_CGROUP_MADE, &m, "its cgroups were made", err)
          < 0)
        return -1;
      free (m.text);
    }
  if (husk_cgjoin_run (&s->cgroup, in_cgroup, err) < 0)
    return -1;
  /* After the cgroup, so the kernel narrows "every CPU" to its cpuset (runc). */
  husk_sched_reset_affinity ();
  return 0;
}

/* Join the cgroup and the namespaces given by path, create the new ones. */
static int
stage1_namespaces (const struct husk_spawn *s, bool in_cgroup, bool pid_made,
                   struct husk_error **err)
{
  struct husk_error *tmp = NULL;
  cleanup_close int time_fd = -1;
  int flags = 0, cgroupns = 0;
  /* The direct init makes its namespaces while the parent makes the cgroup
   * directories, and joins them only then: its namespaces are not all charged
   * to the container's cgroups (as with crun on v1), but nothing of the
   * container runs before it is in them. */
  bool join_late = s->cgroup.made_late && pid_made;

  /* Else the cgroup first: joining it moves only ourselves (cheap, no RCU
   * wait for another task), every later process is our descendant, and a new
   * cgroup namespace created below is rooted at the container's cgroup. */
  if (!join_late && cgroup_join_made (s, in_cgroup, err) < 0)
    return -1;
  time_fd = husk_open_time_offsets (s->config, &tmp);
  if (tmp)
    return husk_error_propagate (err, &tmp);
  if (husk_ns_join (s->config, &flags, err) < 0)
    return -1;
  /* Born in it (husk_spawn, direct). */
  if (pid_made)
    flags &= ~CLONE_NEWPID;
  if (flags & CLONE_NEWUSER)
    {
      if (stage1_userns (s, err) < 0)
        return -1;
      flags &= ~CLONE_NEWUSER;
    }
  /* Everything else at once.  CLONE_NEWPID and CLONE_NEWTIME apply to children
   * only, hence the fork that follows: the init becomes PID 1 of the new pid
   * namespace.  A cgroup namespace is rooted where we are when it is made: a
   * late joiner makes it after the join. */
  if (join_late)
    {
      cgroupns = flags & CLONE_NEWCGROUP;
      flags &= ~CLONE_NEWCGROUP;
    }
  if (flags && unshare (flags) < 0)
    return husk_error_set (err, errno, "unshare namespaces (flags 0x%x)", (unsigned) flags);
  if (join_late)
    {
      if (cgroup_join_made (s, in_cgroup, err) < 0)
        return -1;
      if (cgroupns && unshare (cgroupns) < 0)
        return husk_error_set (err, errno, "unshare cgroup namespace");
    }
  /* Offsets must be set before any process lives in the time namespace. */
  if ((flags & CLONE_NEWTIME) && husk_write_time_offsets (s->config, time_fd, err) < 0)
    return -1;
  return 0;
}

/* Stage 1: join the cgroup, then the namespaces, create the new ones, fork the
 * init, report its pid (sync 3) and exit.  Single-threaded. */
static __attribute__ ((noreturn)) void
stage1 (const struct husk_spawn *s, bool in_cgroup)
{
  struct husk_error *err = NULL;
  pid_t child;
  int go[2];

  stage1_start (s, false);
  if (stage1_namespaces (s, in_cgroup, false, &err) < 0)
    husk_sync_fail (s->sync_fd, err);
  /* The init shares the sync socket with us: it must not speak (sync 4) before
   * our PID message is queued, or the parent would read them out of order.  It
   * waits for `go` to close. */
  if (pipe2 (go, O_CLOEXEC) < 0)
    {
      husk_error_set (&err, errno, "pipe");
      husk_sync_fail (s->sync_fd, err);
    }
  child = fork ();
  if (child < 0)
    {
      husk_error_set (&err, errno, "fork container init");
      husk_sync_fail (s->sync_fd, err);
    }
  if (child == 0)
    {
      char c;
      prctl (PR_SET_PDEATHSIG, 0);
      close (go[1]);
      while (read (go[0], &c, 1) < 0 && errno == EINTR)
        ;
      close (go[0]);
      husk_init_main (s);
    }
  close (go[0]);
  /* sync 3 */
  if (husk_sync_send (s->sync_fd, HUSK_SYNC_PID, 0, child, NULL, &err) < 0)
    {
      kill (child, SIGKILL);
      _exit (1);
    }
  _exit (0);
}

/* Whether the init can be the parent's own child, with no stage 1 between: no
 * user namespace (its maps are written while a process waits in it, before the
 * other namespaces are made, and those then belong to it), no pid namespace
 * joined by path and no new time namespace (both take effect for children only:
 * a new pid namespace is made by the parent, below, and the init is born in
 * it).  Where joining the cgroup tells systemd our pid, the init reads it from
 * /proc: only if that /proc is of our own pid namespace. */
static bool
direct_ok (const struct husk_spawn *s)
{
  const struct oci_namespace *pid = oci_config_namespace (s->config, OCI_NS_PID);

  return oci_config_namespace (s->config, OCI_NS_USER) == NULL
         && oci_config_namespace (s->config, OCI_NS_TIME) == NULL
         && (pid == NULL
             || (pid->path == NULL
                 && (!s->cgroup.names_pid || husk_proc_self_pid () == getpid ())));
}

/* The direct init: what stage 1 does for itself (the cgroup, the namespaces),
 * then the init's work, in one process. */
static __attribute__ ((noreturn)) void
direct_init (const struct husk_spawn *s, bool in_cgroup)
{
  struct husk_error *err = NULL;

  stage1_start (s, true);
  if (stage1_namespaces (s, in_cgroup, true, &err) < 0)
    husk_sync_fail (s->sync_fd, err);
  /* sync 3, as stage 1 would send it: our namespaces exist, so the parent can
   * move network devices into ours.  It knows our pid from the fork. */
  if (husk_sync_send (s->sync_fd, HUSK_SYNC_PID, 0, 0, NULL, &err) < 0)
    _exit (1);
  husk_init_main (s);
}

/* husk_cgjoin_fork into a pid namespace of its own, which the caller unshared
 * (CLONE_NEWPID).  A clone3 the kernel refuses late (EBUSY from a cgroup2 that
 * cannot take processes) counts as the namespace's first process, dead, and the
 * kernel then refuses any other (ENOMEM): the fork goes into a fresh one. */
static pid_t
fork_into_new_pidns (const struct husk_spawn *s, int own_pidns, bool *cloned,
                     struct husk_error **err)
{
  pid_t pid;

  *cloned = false;
  if (s->cgroup.fn && s->cgroup.clone_dir)
    {
      pid = husk_cgjoin_clone (s->cgroup.clone_dir);
      if (pid >= 0)
        {
          *cloned = true;
          return pid;
        }
      if (setns (own_pidns, CLONE_NEWPID) < 0 || unshare (CLONE_NEWPID) < 0)
        return husk_error_set (err, errno, "a fresh pid namespace after clone3 into `%s`",
                               s->cgroup.clone_dir);
    }
  pid = fork ();
  if (pid < 0)
    husk_error_set (err, errno, "fork");
  return pid;
}

pid_t
husk_spawn (const struct husk_spawn *s, bool *direct, struct husk_error **err)
{
  bool new_pidns = oci_config_namespace (s->config, OCI_NS_PID) != NULL;
  cleanup_close int own_pidns = -1;
  bool in_cgroup;
  pid_t pid;

  *direct = direct_ok (s);
  /* The direct init's new pid namespace: unshare(CLONE_NEWPID) makes it the
   * namespace of our next child, and setns back to our own, after the fork,
   * undoes that for every later one (the hooks...).  Where setns to our own is
   * refused (a user namespace that does not own it), stage 1 it is. */
  if (*direct && new_pidns)
    {
      own_pidns = open ("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
      *direct = own_pidns >= 0 && setns (own_pidns, CLONE_NEWPID) == 0;
      if (*direct && unshare (CLONE_NEWPID) < 0)
        return husk_error_set (err, errno, "unshare pid namespace");
    }
  if (*direct && new_pidns)
    pid = fork_into_new_pidns (s, own_pidns, &in_cgroup, err);
  else if ((pid = husk_cgjoin_fork (&s->cgroup, &in_cgroup)) < 0)
    husk_error_set (err, errno, "fork");
  if (pid == 0 && *direct)
    direct_init (s, in_cgroup);
  if (pid == 0)
    stage1 (s, in_cgroup);
  /* Every later child would be born in the container's namespace otherwise. */
  if (*direct && new_pidns && setns (own_pidns, CLONE_NEWPID) < 0 && pid > 0)
    {
      husk_error_set (err, errno, "setns back to husk's own pid namespace");
      kill (pid, SIGKILL);
      while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
      return -1;
    }
  return pid;
}
