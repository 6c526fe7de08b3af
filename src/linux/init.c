/* The container init (stage 2): PID 1 of the container's pid namespace (when it
 * has one), already in every namespace.  It builds the filesystem, then the
 * process's identity, tells the parent it is ready, and blocks on exec.fifo until
 * `husk start`.  Every failure before READY goes to the parent as one error over
 * the sync channel. */
#define _GNU_SOURCE
#include "linux/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/sys.h"
#include "linux/exeseal.h"
#include "linux/hooks.h"
#include "linux/lsm.h"
#include "linux/netdev.h"
#include "linux/process.h"
#include "linux/procfs.h"
#include "linux/rootfs.h"
#include "linux/sched.h"
#include "linux/seccomp.h"
#include "linux/sync.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define KEYCTL_JOIN_SESSION_KEYRING 1

static int
set_hostname (const struct oci_config *c, struct husk_error **err)
{
  if (c->hostname && sethostname (c->hostname, strlen (c->hostname)) < 0)
    return husk_error_set (err, errno, "sethostname `%s`", c->hostname);
  if (c->domainname && setdomainname (c->domainname, strlen (c->domainname)) < 0)
    return husk_error_set (err, errno, "setdomainname `%s`", c->domainname);
  return 0;
}

/* Written after pivot_root, so that the values belong to the container's
 * namespaces (the validator allowed only namespaced keys; a sysctl file shows the
 * namespace of whoever opens it).  Through a procfs of our own, below its sys
 * directory, with no symlink, no mount crossed and the file on procfs: the
 * container's /proc may be missing, a symlink, or a tmpfs with files named like
 * sysctls, and the value must not land in any of those. */
static int
apply_sysctl (const struct oci_config *c, struct husk_error **err)
{
  cleanup_close int procfd = -1;

  if (c->linux_ == NULL || c->linux_->sysctl_len == 0)
    return 0;
  procfd = husk_procfs_open (HUSK_PROCFS_FULL, err);
  if (procfd < 0)
    return husk_error_wrap (err, "linux.sysctl");
  for (size_t i = 0; i < c->linux_->sysctl_len; i++)
    {
      const struct oci_kv *kv = &c->linux_->sysctl[i];
      cleanup_free char *path = NULL;
      xasprintf (&path, "sys/%s", kv->key);
      for (char *p = path; *p; p++)
        if (*p == '.')
          *p = '/';
      if (husk_procfs_write (procfd, path, false, kv->value, err) < 0)
        return husk_error_wrap (err, "sysctl `%s`", kv->key);
    }
  return 0;
}

static void
join_session_keyring (const struct husk_spawn *s)
{
  /* A fresh session keyring, so the container cannot see the host's keys.  Not
   * fatal: the kernel may lack keyrings, or a user namespace may forbid it. */
  if (s->no_new_keyring)
    return;
  if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, s->id) < 0)
    husk_debug ("join session keyring: %s", strerror (errno));
}

static char **
build_env (const struct husk_spawn *s)
{
  const struct oci_process *p = s->config->process;
  size_t n = 0, m = 0;
  char **env;

  while (p->env && p->env[n])
    n++;
  while (s->extra_env && s->extra_env[m])
    m++;
  env = xcalloc (n + m + 1, sizeof (char *));
  for (size_t i = 0; i < n; i++)
    env[i] = p->env[i];
  for (size_t i = 0; i < m; i++)
    env[n + i] = s->extra_env[i];
  return env;
}

/* The directory of our own fds in a procfs of ours (linux/procfs.h), through
 * which the exec fifo's O_PATH fd is reopened for writing.  Opened before the
 * seccomp filter (which may refuse openat2) and the only procfs fd the init
 * keeps until start: it shows nothing the container's own /proc does not. */
static int
open_own_fd_dir (int procfd, struct husk_error **err)
{
  /* thread-self, as runc: the same directory in a single-threaded init, and
   * tools that audit a created container's fds expect that name. */
  int fd = husk_procfs_openat (procfd, "thread-self/fd", O_PATH | O_DIRECTORY, true, err);
  if (fd < 0)
    return husk_error_wrap (err, "exec fifo");
  return fd;
}

/* Block until `husk start` opens the fifo for reading; check that what opened
 * is the fifo. */
static int
wait_for_start (int fd_dir, int fifo_fd, struct husk_error **err)
{
  struct stat want, got;
  char name[16];
  int fd;

  snprintf (name, sizeof name, "%d", fifo_fd);
  do
    fd = openat (fd_dir, name, O_WRONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return husk_error_set (err, errno, "open exec fifo");
  if (fstat (fifo_fd, &want) < 0 || fstat (fd, &got) < 0 || want.st_dev != got.st_dev
      || want.st_ino != got.st_ino)
    {
      close (fd);
      return husk_error_set (err, EXDEV, "the exec fifo reopened is not the exec fifo");
    }
  if (write (fd, "0", 1) != 1)
    {
      int e = errno;
      close (fd);
      return husk_error_set (err, e, "write exec fifo");
    }
  /* The write end stays open (O_CLOEXEC) until our execve closes it: `start` reads
   * until EOF, so it returns only once the startContainer hooks ran and the
   * process is executing, and poststart hooks run after it, as the spec orders. */
  return 0;
}

static void
die_of_signal (int sig)
{
  _exit (128 + sig);
}

/* While `created`, the init dies of the signals that end a process by default,
 * as runc's does (its Go runtime handles them all): PID 1 of a pid namespace
 * is spared any signal it has no handler for, SIGKILL aside, so `kill ID TERM`
 * or a pidfd manager's SIGTERM would otherwise be dropped.  execve resets
 * handled signals to their default. */
static void
die_on_signals_while_created (void)
{
  static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM };
  struct sigaction sa = { .sa_handler = die_of_signal };

  sigemptyset (&sa.sa_mask);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    sigaction (sigs[i], &sa, NULL);
}

/* The idmapped trees were made by the parent from host paths: the init needs them
 * only for the mounts. */
static void
close_idmap_fds (const struct husk_spawn *s)
{
  for (size_t i = 0; s->idmap_fds && i < s->config->mounts_len; i++)
    if (s->idmap_fds[i] >= 0)
      close (s->idmap_fds[i]);
}

/* After the pivot, before the masks (which a user namespace's procfs mount must
 * not reveal): our fd directory for the exec fifo (none for run, which starts
 * us over the sync socket), through the procfs we mounted at /proc for the
 * container (mounted_proc; the host's is never held), and a private procfs of
 * ours where the config mounts none, where that lookup fails (a mount over
 * /proc/1/fd: no mount is crossed), and for the LSM labels (*procfd). */
static int
open_proc_handles (const struct husk_spawn *s, int mounted_proc, int *procfd, int *fd_dir,
                   struct husk_error **err)
{
  bool fifo = !s->start_by_sync;

  if (fifo && mounted_proc >= 0)
    {
      struct husk_error *tmp = NULL;
      *fd_dir = open_own_fd_dir (mounted_proc, &tmp);
      if (*fd_dir < 0)
        {
          husk_debug ("%s: a private procfs instead", tmp->msg);
          husk_error_release (&tmp);
        }
    }
  if ((fifo && *fd_dir < 0) || husk_lsm_wanted (s->config->process))
    {
      *procfd = husk_procfs_open (HUSK_PROCFS_PIDS, err);
      if (*procfd < 0)
        return -1;
    }
  if (fifo && *fd_dir < 0 && (*fd_dir = open_own_fd_dir (*procfd, err)) < 0)
    return -1;
  return 0;
}

/* sync 5: the parent has applied the limits and run prestart and createRuntime;
 * its message is the state JSON for the init's own hooks. */
static int
await_hooks_ack (const struct husk_spawn *s, char **state_json, struct husk_error **err)
{
  struct husk_sync_msg m;

  if (husk_sync_expect (s->sync_fd, HUSK_SYNC_HOOKS_ACK, &m, "the createRuntime hooks ran", err) < 0)
    return -1;
  *state_json = m.text;
  return 0;
}

/* Whether the init waits for sync 5 before it pivots: the parent's hooks may
 * still add to the rootfs, createContainer's run next and need the state, and a
 * console is opened under the device rules the parent is applying.  Otherwise it
 * waits just before its identity changes (husk_init_main), and the pivot, the
 * masks and the rest overlap with the parent's cgroup writes: they make no
 * device node, open no device and fork nothing, so no limit can tell. */
static bool
ack_before_pivot (const struct oci_config *c)
{
  const struct oci_hooks *h = c->hooks;

  return c->process->terminal
         || (h && (h->prestart_len || h->create_runtime_len || h->create_container_len));
}

static int
setup_filesystem (const struct husk_spawn *s, char **state_json, int *procfd, int *fd_dir,
                  struct husk_error **err)
{
  const struct oci_config *c = s->config;
  cleanup_close int ptmx = -1, mounted_proc = -1;

  /* Without a mount namespace of its own the container shares the caller's:
   * mounting there would change the host's view and outlive the container, so
   * the root is only chroot'ed into, and config mounts and masked/read-only paths
   * are not applied. */
  bool own_mnt = oci_config_namespace (c, OCI_NS_MOUNT) != NULL;

  if (chdir (s->bundle) < 0)
    return husk_error_set (err, errno, "chdir to bundle `%s`", s->bundle);
  if (!own_mnt)
    husk_debug ("no mount namespace: mounts, maskedPaths and readonlyPaths are not applied");
  if (!own_mnt && c->root && c->root->readonly)
    husk_warn ("root.readonly is not applied: the container has no mount namespace of its own");
  if (own_mnt
      && husk_rootfs_prepare (c, s->rootfs, s->idmap_fds, s->sync_fd,
                              s->start_by_sync ? NULL : &mounted_proc, err) < 0)
    return -1;
  close_idmap_fds (s);
  /* sync 4: mounts are ready; the parent runs prestart and createRuntime hooks,
   * which may still add to the rootfs before we pivot into it. */
  if (husk_sync_send (s->sync_fd, HUSK_SYNC_HOOKS_PLS, 0, 0, NULL, err) < 0)
    return -1;
  if (ack_before_pivot (c) && await_hooks_ack (s, state_json, err) < 0) /* sync 5 */
    return -1;
  /* createContainer hooks run from the container's root (runc's cwd for them:
   * hooks use paths relative to it), before we pivot into it. */
  if (c->hooks && c->hooks->create_container_len && chdir (s->rootfs) < 0)
    return husk_error_set (err, errno, "chdir to `%s`", s->rootfs);
  if (c->hooks
      && husk_hooks_run (c->hooks->create_container, c->hooks->create_container_len,
                         "createContainer", *state_json, err) < 0)
    return -1;
  if (!own_mnt)
    {
      /* The terminal from the devpts we see now: the rootfs may have no /dev,
       * and nothing gets mounted into it in the host's mount namespace. */
      if (c->process->terminal
          && (ptmx = openat (AT_FDCWD, "/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
        return husk_error_set (err, errno, "open /dev/ptmx");
      if (chroot (s->rootfs) < 0 || chdir ("/") < 0)
        return husk_error_set (err, errno, "chroot to `%s`", s->rootfs);
    }
  else if (husk_rootfs_pivot (c, s->rootfs, s->no_pivot, err) < 0)
    return -1;
  /* Not parked by the pivot (no mount namespace of our own): closed. */
  husk_exe_seal_release ();
  if (open_proc_handles (s, mounted_proc, procfd, fd_dir, err) < 0)
    return -1;
  if (set_hostname (c, err) < 0 || apply_sysctl (c, err) < 0)
    return -1;
  if (c->process->terminal && !own_mnt)
    {
      int fd = ptmx;
      ptmx = -1;
      if (husk_console_setup_unbound (c->process, s->console_fd, fd, s->console_proxied, err) < 0)
        return -1;
    }
  else if (c->process->terminal
           && husk_console_setup (c->process, s->console_fd, true, s->console_proxied, err) < 0)
    return -1;
  return own_mnt ? husk_rootfs_finalize (c, err) : 0;
}

/* Identity and privileges, in the order linux/process.h explains. */
static int
setup_process (const struct husk_spawn *s, const struct oci_seccomp *seccomp,
               struct husk_error **err)
{
  const struct oci_process *p = s->config->process;
  struct husk_error *tmp = NULL;

  if (husk_apply_rlimits (p, err) < 0)
    return -1;
  /* The cwd as root first (runc's order): a directory only root may enter is
   * still the cwd; if root is refused (a root-squashed mount), retry as the user. */
  bool cwd_done = husk_chdir_cwd (p->cwd, &tmp) == 0;
  if (!cwd_done)
    {
      if (tmp->errnum != EACCES && tmp->errnum != EPERM)
        return husk_error_propagate (err, &tmp);
      husk_error_release (&tmp);
    }
  /* seccomp without no_new_privs: loading a filter then needs CAP_SYS_ADMIN, so
   * it goes in before the user switch and the capability drop (runc's order,
   * libcontainer/standard_init_linux.go); and after the cwd check, whose getcwd
   * a profile may deny (runtime-tools' linux_seccomp does), as crun does.  The
   * filter then covers the init's remaining syscalls (setresuid, capset,
   * execve...), as in runc. */
  if (!p->no_new_privileges && husk_seccomp_apply (seccomp, s->sync_fd, err) < 0)
    return -1;
  if (husk_apply_user (p, err) < 0 || (!cwd_done && husk_chdir_cwd (p->cwd, err) < 0))
    return -1;
  if (husk_apply_capabilities (p, err) < 0)
    return -1;
  /* no_new_privs after the capability set and before the seccomp filter, which
   * needs it to load without CAP_SYS_ADMIN. */
  return husk_apply_no_new_privs (p, err);
}

/* After READY: wait for `start` through the exec fifo (run: at once; the sync
 * socket stays open until our execve closes it, so that run sees its EOF), run
 * the startContainer hooks, exec the process.  A failure can only be reported
 * on the process's own stderr. */
static __attribute__ ((noreturn)) void
exec_when_started (const struct husk_spawn *s, int fd_dir, const char *state_json,
                   const char *exe, char **full_env)
{
  const struct oci_process *p = s->config->process;
  struct husk_error *err = NULL;

  /* From here until start the init holds stdio, the preserved fds, the exec fifo
   * and fd_dir (run: the sync socket instead): nothing of the host's but the fifo
   * or the socket to husk. */
  husk_sync_forward_log (-1);
  die_on_signals_while_created ();
  /* run (start_by_sync): nothing else can start this container, and the
   * parent wrote its state before sync 5, so there is nothing to wait for. */
  if (!s->start_by_sync)
    {
      close (s->sync_fd);
      if (wait_for_start (fd_dir, s->fifo_fd, &err) < 0)
        goto fatal;
      close (fd_dir);
      close (s->fifo_fd);
    }
  if (s->config->hooks
      && husk_hooks_run_env (s->config->hooks->start_container,
                             s->config->hooks->start_container_len, "startContainer",
                             state_json, full_env, &err) < 0)
    goto fatal;
  /* No process in config.json: `start` refuses before it releases us. */
  if (exe == NULL)
    {
      husk_error_set (&err, 0, "config.json has no process to execute");
      goto fatal;
    }
  execve (exe, p->args, full_env);
  husk_error_set (&err, errno, "exec %s", exe);
fatal:
  /* Nobody is left to report to but the process's own stderr (run, which still
   * holds the sync socket, reads its EOF as `start` would the fifo's), where the
   * error reads as one line of the process's output, as runc's init writes it
   * (no "husk:" prefix; callers compare whole lines). */
  {
    cleanup_free char *t = husk_error_text (err);
    dprintf (2, "%s\n", t);
  }
  _exit (127);
}

void
husk_init_main (const struct husk_spawn *s)
{
  const struct oci_process *p = s->config->process;
  const struct oci_seccomp *seccomp = s->config->linux_ ? s->config->linux_->seccomp : NULL;
  struct husk_error *err = NULL;
  cleanup_free char *state_json = NULL, *exe = NULL;
  char **env, **full_env;
  int procfd = -1, fd_dir = -1;

  husk_debug ("child process in init()");
  if (setsid () < 0)
    {
      husk_error_set (&err, errno, "setsid");
      husk_sync_fail (s->sync_fd, err);
    }
  /* Before any mount: the LSMs are detected from the host's /sys. */
  if (husk_lsm_prepare (s->config, p, &err) < 0)
    husk_sync_fail (s->sync_fd, err);
  /* While we still hold CAP_NET_ADMIN in the namespace's owner (our user
   * namespace, when there is one: it was made before the network one). */
  if (husk_netdev_loopback_up (s->config, &err) < 0)
    husk_sync_fail (s->sync_fd, err);
  if (setup_filesystem (s, &state_json, &procfd, &fd_dir, &err) < 0)
    husk_sync_fail (s->sync_fd, err);
  /* runc's order: the exec labels, then scheduler, ioPriority, personality and
   * memoryPolicy, all before seccomp and the capability drop: an RT policy or a
   * negative nice needs CAP_SYS_NICE, the RT io class CAP_SYS_ADMIN; keycreate
   * comes before the session keyring is joined below. */
  if ((husk_lsm_wanted (p) && husk_lsm_apply (p, procfd, &err) < 0)
      || husk_sched_apply (s->config, &err) < 0)
    husk_sync_fail (s->sync_fd, err);
  if (procfd >= 0)
    close (procfd);
  join_session_keyring (s);
  env = build_env (s);
  full_env = husk_env_with_home (env, p->user.uid);
  free (env);
  /* No fd of husk's reaches the container: everything above the preserved range
   * closes on exec, and whatever the init opens from here on is O_CLOEXEC.
   * Marked before the seccomp filter, which may deny close_range (runc's own
   * profiles do) and so must not be needed after it. */
  syscall (SYS_close_range, 3 + s->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
  /* sync 5, unless setup_filesystem waited for it: the limits are on before the
   * process's identity, its seccomp filter (which may deny the read) and READY. */
  if (!ack_before_pivot (s->config) && await_hooks_ack (s, &state_json, &err) < 0)
    husk_sync_fail (s->sync_fd, err);
  if (setup_process (s, seccomp, &err) < 0)
    husk_sync_fail (s->sync_fd, err);
  /* Looked up as the container user, in the container's root, before READY, so
   * that `create` itself reports a missing executable. */
  exe = p->args ? husk_find_executable (p->args[0], full_env, &err) : NULL;
  if (exe == NULL && p->args)
    husk_sync_fail (s->sync_fd, err);
  /* With no_new_privs the filter loads unprivileged, so it goes in as late as
   * possible: the fewer syscalls after it, the fewer a profile must allow.  Still
   * before READY, because a listener fd travels over the sync socket (sync 5a),
   * which is closed after READY. */
  husk_debug ("init: closing the pipe to signal completion");
  if (p->no_new_privileges && husk_seccomp_apply (seccomp, s->sync_fd, &err) < 0)
    husk_sync_fail (s->sync_fd, err);
  /* A direct init (linux/spawn.c) dies with husk until here; from now on it is
   * the container's, whatever becomes of husk (create exits next). */
  prctl (PR_SET_PDEATHSIG, 0);
  if (husk_sync_send (s->sync_fd, HUSK_SYNC_READY, 0, 0, NULL, &err) < 0) /* sync 6 */
    _exit (1);
  exec_when_started (s, fd_dir, state_json, exe, full_env);
}
