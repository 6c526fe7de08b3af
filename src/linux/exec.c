/* The children of `husk exec`: the joiner, which enters the container, and the
 * process it forks, which becomes the exec'd program.  See linux/exec.h for the
 * process model and the sync protocol. */
#define _GNU_SOURCE
#include "linux/exec.h"
#include "linux/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "linux/exeseal.h"
#include "linux/lsm.h"
#include "linux/namespaces.h"
#include "linux/process.h"
#include "linux/procfs.h"
#include "linux/sched.h"
#include "linux/seccomp.h"
#include "linux/sync.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define KEYCTL_JOIN_SESSION_KEYRING 1

/* The user namespace first: joining it gives the capabilities over the
 * namespaces it owns, which the container's other namespaces are.  The mount
 * namespace last, because it changes our root; every file was opened before
 * the first setns anyway.  pid and time apply to our children only: the
 * joiner forks the process after this. */
static const enum oci_ns_type join_order[] = {
  OCI_NS_USER, OCI_NS_IPC, OCI_NS_UTS, OCI_NS_NETWORK, OCI_NS_PID,
  OCI_NS_CGROUP, OCI_NS_TIME, OCI_NS_MOUNT,
};

unsigned long long
husk_exec_proc_start_time (int proc_fd)
{
  cleanup_close int fd = openat (proc_fd, "stat", O_RDONLY | O_CLOEXEC);
  cleanup_free char *data = NULL;
  unsigned long long t = 0;
  size_t len;
  char *p;

  if (fd < 0 || husk_read_fd (fd, &data, &len, NULL) < 0)
    return 0;
  /* The command name may hold spaces and parentheses: fields follow the last ')'. */
  p = strrchr (data, ')');
  if (p == NULL)
    return 0;
  /* Field 3 (state) is the first after ')'; the start time is field 22. */
  for (int field = 2; p && field < 22; field++)
    p = strchr (p + 1, ' ');
  if (p)
    t = strtoull (p + 1, NULL, 10);
  return t;
}

int
husk_exec_open_namespaces (int proc_fd, int fds[OCI_NS_COUNT], struct husk_error **err)
{
  for (int t = 0; t < OCI_NS_COUNT; t++)
    fds[t] = -1;
  for (int t = 0; t < OCI_NS_COUNT; t++)
    {
      char path[64], self[96];
      struct stat theirs, ours;

      snprintf (path, sizeof path, "ns/%s", husk_ns_proc_name ((enum oci_ns_type) t));
      snprintf (self, sizeof self, "/proc/self/%s", path);
      if (fstatat (proc_fd, path, &theirs, 0) < 0)
        {
          if (errno == ENOENT && stat (self, &ours) < 0)
            continue; /* the kernel lacks this namespace type */
          husk_error_set (err, errno, "stat the container's %s namespace", path + 3);
          goto fail;
        }
      if (stat (self, &ours) == 0 && ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino)
        continue;
      fds[t] = openat (proc_fd, path, O_RDONLY | O_CLOEXEC);
      if (fds[t] < 0)
        {
          husk_error_set (err, errno, "open the container's %s namespace", path + 3);
          goto fail;
        }
    }
  return 0;
fail:
  for (int t = 0; t < OCI_NS_COUNT; t++)
    if (fds[t] >= 0)
      close (fds[t]);
  return -1;
}

/* Three passes, as the init's (linux/namespaces.c): what the host's privileges
 * let us join, which may include a namespace the container's user namespace
 * does not own; then the user namespace; then what only it lets us join. */
static int
join_namespaces (const struct husk_exec_spawn *s, struct husk_error **err)
{
  bool joined[OCI_NS_COUNT] = { false };

  for (int pass = 0; pass < 3; pass++)
    for (size_t i = 0; i < sizeof join_order / sizeof join_order[0]; i++)
      {
        enum oci_ns_type t = join_order[i];

        if (s->ns_fds[t] < 0 || joined[t] || (t == OCI_NS_USER) != (pass == 1))
          continue;
        if (setns (s->ns_fds[t], husk_ns_clone_flag (t)) < 0)
          {
            if (errno == EPERM && pass == 0)
              continue;
            return husk_error_set (err, errno, "join the container's %s namespace",
                                   oci_ns_type_name (t));
          }
        close (s->ns_fds[t]);
        joined[t] = true;
      }
  return 0;
}

/* Identity and privileges, in the init's order (linux/process.h), and seccomp
 * where runc's setns init puts it.  Without no_new_privs, loading the filter
 * needs CAP_SYS_ADMIN, so it goes in before the user switch and the capability
 * drop (and then covers those syscalls too); with it, as late as possible. */
static int
setup_identity (const struct husk_exec_spawn *s, struct husk_error **err)
{
  const struct oci_process *p = s->process;
  const struct oci_seccomp *sc = s->config->linux_ ? s->config->linux_->seccomp : NULL;
  struct husk_error *tmp = NULL;
  bool cwd_done;

  if (husk_apply_rlimits (p, err) < 0)
    return -1;
  if (!p->no_new_privileges && husk_seccomp_apply (sc, s->sync_fd, err) < 0)
    return -1;
  /* The cwd as root first, then as the user if root was refused (runc's order). */
  cwd_done = husk_chdir_cwd (p->cwd, &tmp) == 0;
  if (!cwd_done)
    {
      if (tmp->errnum != EACCES && tmp->errnum != EPERM)
        return husk_error_propagate (err, &tmp);
      husk_error_release (&tmp);
    }
  if (husk_apply_user (p, err) < 0 || (!cwd_done && husk_chdir_cwd (p->cwd, err) < 0))
    return -1;
  if (husk_apply_capabilities (p, err) < 0)
    return -1;
  /* A uid change resets the dumpable flag to fs.suid_dumpable, which may be 1:
   * set it again, so that we stay out of reach until the execve. */
  prctl (PR_SET_DUMPABLE, 0);
  return husk_apply_no_new_privs (p, err);
}

/* The labels the execve will take, before the keyring, which takes the keycreate
 * label.  Through a procfs of linux/procfs.h made here, in the container's pid
 * namespace: a private instance where the kernel allows one, else the
 * container's /proc checked, and no mount crossed below it.  No host procfs fd
 * is ever held in the container. */
static int
apply_labels (const struct oci_process *p, struct husk_error **err)
{
  cleanup_close int procfd = -1;

  if (!husk_lsm_wanted (p))
    return 0;
  procfd = husk_procfs_open (HUSK_PROCFS_PIDS, err);
  if (procfd < 0)
    return -1;
  return husk_lsm_apply (p, procfd, err);
}

/* The process: already in every namespace of the container, single-threaded. */
static __attribute__ ((noreturn)) void
exec_process (const struct husk_exec_spawn *s)
{
  const struct oci_process *p = s->process;
  struct husk_error *err = NULL;
  cleanup_free char *exe = NULL;
  char **env;

  husk_debug ("child process in init()");
  if (apply_labels (p, &err) < 0)
    husk_sync_fail (s->sync_fd, err);
  /* A fresh session keyring: the host's keys are not the container's business.
   * Not fatal: the kernel may lack keyrings, or a user namespace may refuse it. */
  if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, s->id) < 0)
    husk_debug ("join session keyring: %s", strerror (errno));
  if (p->terminal && husk_console_setup (p, s->console_fd, false, s->console_proxied, &err) < 0)
    husk_sync_fail (s->sync_fd, err);
  /* Scheduling needs privilege (RT policies, negative nice): before the drop.
   * We are in the container's cgroup now, so the final affinity sticks. */
  if (husk_sched_apply (s->config, &err) < 0 || husk_exec_affinity_final (p, 0, &err) < 0)
    husk_sync_fail (s->sync_fd, err);
  env = husk_env_with_home (p->env, p->user.uid);
  /* No fd of husk's reaches the program: everything above the preserved range
   * closes on exec, the sync socket too, which tells the parent we made it.
   * Before the seccomp filter, which may deny close_range; what we open from
   * here on is O_CLOEXEC. */
  syscall (SYS_close_range, 3 + s->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
  if (setup_identity (s, &err) < 0)
    husk_sync_fail (s->sync_fd, err);
  /* Looked up as the container user, in the container's root. */
  exe = husk_find_executable (p->args[0], env, &err);
  if (exe == NULL)
    husk_sync_fail (s->sync_fd, err);
  /* Before the filter: it may refuse or hold (notify) the message's sendmsg. */
  husk_debug ("setns_init: about to exec");
  /* With no_new_privs the filter loads unprivileged: last, so that a profile
   * need not allow what husk itself still does. */
  if (p->no_new_privileges
      && husk_seccomp_apply (s->config->linux_ ? s->config->linux_->seccomp : NULL, s->sync_fd,
                             &err) < 0)
    husk_sync_fail (s->sync_fd, err);
  execve (exe, p->args, env);
  husk_error_set (&err, errno, "exec %s", exe);
  husk_sync_fail (s->sync_fd, err);
}

/* Still on the host, through a checked procfs (linux/procfs.h). */
static int
set_oom_score_adj (const struct oci_process *p, struct husk_error **err)
{
  cleanup_close int procfd = -1;
  char val[32];

  if (!p->has_oom_score_adj)
    return 0;
  procfd = husk_procfs_open (HUSK_PROCFS_PIDS, err);
  if (procfd < 0)
    return -1;
  snprintf (val, sizeof val, "%d", p->oom_score_adj);
  return husk_procfs_write (procfd, "self/oom_score_adj", true, val, err);
}

/* Every fd of the caller's but stdio, the preserved ones and what the joiner
 * uses (CVE-2016-9962 class): the process would carry them into the container
 * until its execve. */
static void
close_inherited_fds (const struct husk_exec_spawn *s)
{
  int keep[OCI_NS_COUNT + 3];
  size_t n = 0;

  /* Named, not only swept below: it may sit among the preserved fds. */
  husk_exe_seal_release ();
  keep[n++] = s->sync_fd;
  keep[n++] = s->console_fd;
  keep[n++] = s->root_fd;
  for (int t = 0; t < OCI_NS_COUNT; t++)
    keep[n++] = s->ns_fds[t];
  husk_close_fds_from (3 + s->preserve_fds, keep, n);
}

/* The joiner: a fresh fork of husk exec, single-threaded (setns into a user or
 * time namespace requires it); cloned: born in the cgroup's cgroup2 directory. */
static __attribute__ ((noreturn)) void
joiner (const struct husk_exec_spawn *s, bool cloned)
{
  struct husk_error *err = NULL;
  sigset_t none;
  pid_t child;

  for (int i = 0; i < 4 && s->close_fds[i] >= 0; i++)
    close (s->close_fds[i]);
  /* The log file is a host file: debug lines travel to the parent, which logs
   * them while it waits for the pid and the exec. */
  husk_sync_forward_log (s->sync_fd);
  husk_debug ("nsexec[%d]: => nsexec container setup", (int) getpid ());
  close_inherited_fds (s);
  /* husk exec blocks every signal while it waits: the program must not inherit that. */
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  prctl (PR_SET_PDEATHSIG, SIGKILL);

  /* Non-dumpable before the first setns, and so until the program's execve
   * resets it (the fork below inherits it).  Once we are in the container's pid
   * namespace, its processes can see us in their /proc; a non-dumpable task's
   * /proc/PID files (exe, fd/, mem, environ) and ptrace need CAP_SYS_PTRACE in
   * the user namespace of our memory map, which is the host's because husk
   * started on the host.  So no process of the container can open our exe (the
   * host's husk binary, CVE-2019-5736) or our fds; only a container that already
   * holds CAP_SYS_PTRACE over the host (privileged, no user namespace) could. */
  if (prctl (PR_SET_DUMPABLE, 0) < 0)
    {
      husk_error_set (&err, errno, "prctl PR_SET_DUMPABLE");
      husk_sync_fail (s->sync_fd, err);
    }
  if (husk_lsm_prepare (s->config, s->process, &err) < 0)
    husk_sync_fail (s->sync_fd, err);
  /* With the host's privileges still: lowering it needs CAP_SYS_RESOURCE in the
   * initial user namespace.  The fork below inherits it. */
  if (set_oom_score_adj (s->process, &err) < 0)
    husk_sync_fail (s->sync_fd, err);
  /* execCPUAffinity.initial: before entering the cgroup, whose cpuset it must fit. */
  if (husk_exec_affinity_initial (s->process, &err) < 0)
    husk_sync_fail (s->sync_fd, err);
  husk_sched_debug_affinity ("nsexec");
  /* Still in the host's mount namespace, so the cgroup's paths are the host's.
   * Joining by ourselves moves only us (no RCU wait for another task), and a
   * cgroup namespace joined below then shows the container's cgroup as its root. */
  if (husk_cgjoin_run (&s->cgroup, cloned, &err) < 0 || join_namespaces (s, &err) < 0)
    husk_sync_fail (s->sync_fd, err);
  /* A container in our mount namespace (none of its own) lives in a chroot:
   * enter the init's root, after the setns calls (a chroot'ed task may not
   * join a user namespace), so that the process never runs on the host's root. */
  if (s->root_fd >= 0 && (fchdir (s->root_fd) < 0 || chroot (".") < 0))
    {
      husk_error_set (&err, errno, "chroot into the container's root");
      husk_sync_fail (s->sync_fd, err);
    }
  if (s->root_fd >= 0)
    close (s->root_fd);

  child = fork ();
  if (child < 0)
    {
      husk_error_set (&err, errno, "fork the exec'd process");
      husk_sync_fail (s->sync_fd, err);
    }
  if (child == 0)
    exec_process (s);
  /* exec 1: the parent is a subreaper, so the process becomes its child when we exit. */
  if (husk_sync_send (s->sync_fd, HUSK_SYNC_PID, 0, child, NULL, &err) < 0)
    {
      kill (child, SIGKILL);
      _exit (1);
    }
  _exit (0);
}

pid_t
husk_exec_spawn (const struct husk_exec_spawn *s, struct husk_error **err)
{
  bool cloned;
  pid_t pid = husk_cgjoin_fork (&s->cgroup, &cloned);

  if (pid < 0)
    return husk_error_set (err, errno, "fork");
  if (pid == 0)
    joiner (s, cloned);
  return pid;
}

int
husk_exec_wait_exec (int sync_fd, int *listener_fd, struct husk_error **err)
{
  struct husk_sync_msg m;
  int r;

  /* exec 2: the socket is close-on-exec, so end of file means the execve worked. */
  r = husk_sync_recv_or_eof (sync_fd, &m, "its exec", err);
  if (r <= 0)
    return r;
  free (m.text);
  if (m.type == HUSK_SYNC_SECCOMP_FD && m.fd >= 0) /* exec 2a */
    {
      *listener_fd = m.fd;
      return 1;
    }
  if (m.fd >= 0)
    close (m.fd);
  return husk_error_set (err, EPROTO, "sync: unexpected message %d", (int) m.type);
}
