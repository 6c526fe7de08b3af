/* husk exec: the parent side (linux/exec.h has the process model).  It builds
 * the process from the container's config (runc's rules: the config's process
 * is the base, the options override it; --process replaces it), opens the
 * init's namespaces, starts the joiner, and waits for the process unless
 * detached (container/foreground.h). */
#define _GNU_SOURCE
#include "container/container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/foreground.h"
#include "container/internal.h"
#include "linux/exec.h"
#include "linux/exeseal.h"
#include "linux/seccomp.h"
#include "linux/sync.h"
#include "oci/config.h"
#include "oci/process.h"
#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

struct exec_ctx
{
  const struct husk_exec_opts *o;
  struct husk_state *st;
  struct oci_config *config; /* config->process is the process to run */
  int proc_fd; /* /proc/<init> */
  int ns_fds[OCI_NS_COUNT];
  int root_fd; /* /proc/<init>/root when the init shares our mount namespace */
  char **cgroup_join;
  char *cgroup_clone_dir; /* the cgroup2 one of cgroup_join's directories, or NULL */
  int console_fd; /* connected --console-socket, or our socketpair end */
  int pty_peer; /* the other end of the socketpair (foreground tty), or -1 */
  int sync_fd;
  pid_t joiner;
  pid_t pid;
};

static void
strv_free (char **v)
{
  for (size_t i = 0; v && v[i]; i++)
    free (v[i]);
  free (v);
}

/* Append copies of add[] to the NULL-terminated vector *v. */
static void
strv_append (char ***v, char *const *add)
{
  size_t n = 0, m = 0;

  while (*v && (*v)[n])
    n++;
  while (add && add[m])
    m++;
  if (m == 0)
    return;
  *v = xrealloc (*v, (n + m + 1) * sizeof (char *));
  for (size_t i = 0; i < m; i++)
    if (((*v)[n + i] = xstrdup (add[i])) == NULL)
      abort ();
  (*v)[n + m] = NULL;
}

static void
replace_str (char **dst, const char *src)
{
  if (src == NULL || *src == '\0')
    return;
  free (*dst);
  *dst = xstrdup (src);
}

static int
parse_id (const char *s, const char *what, unsigned *out, struct husk_error **err)
{
  char *end;
  unsigned long v;

  errno = 0;
  v = strtoul (s, &end, 10);
  if (*s == '\0' || *s == '-' || *end || errno || v > 0xfffffffeUL)
    return husk_error_set (err, 0, "parsing %s as int for %s failed", s, what);
  *out = (unsigned) v;
  return 0;
}

/* --user UID[:GID]: the gid stays the config's when not given (runc). */
static int
apply_user_option (struct oci_process *p, const char *user, struct husk_error **err)
{
  cleanup_free char *u = xstrdup (user);
  char *colon = strchr (u, ':');
  unsigned id;

  if (colon)
    {
      *colon = '\0';
      if (parse_id (colon + 1, "gid", &id, err) < 0)
        return -1;
      p->user.gid = id;
    }
  if (parse_id (u, "uid", &id, err) < 0)
    return -1;
  p->user.uid = id;
  return 0;
}

/* The config's process with the options applied, as runc's getProcess does.
 * --cap adds to bounding, effective and permitted, never to inheritable (which
 * would let the capability survive an execve of any file); to ambient as well
 * when the process lists an inheritable set (even an empty one), as runc does:
 * the kernel raises it there only if the inheritable set has it too. */
static int
merge_options (struct oci_process *p, const struct husk_exec_opts *o, struct husk_error **err)
{
  strv_free (p->args);
  p->args = NULL;
  strv_append (&p->args, o->args);
  if (o->cwd)
    replace_str (&p->cwd, o->cwd);
  replace_str (&p->apparmor_profile, o->apparmor);
  replace_str (&p->selinux_label, o->process_label);
  if (o->caps && o->caps[0])
    {
      if (p->capabilities == NULL && (p->capabilities = xcalloc (1, sizeof *p->capabilities)) == NULL)
        abort ();
      strv_append (&p->capabilities->bounding, o->caps);
      strv_append (&p->capabilities->effective, o->caps);
      strv_append (&p->capabilities->permitted, o->caps);
      if (p->capabilities->inheritable)
        strv_append (&p->capabilities->ambient, o->caps);
    }
  strv_append (&p->env, o->env);
  p->terminal = o->tty;
  if (o->no_new_privs)
    p->no_new_privileges = true;
  if (o->user && apply_user_option (p, o->user, err) < 0)
    return -1;
  if (o->additional_gids_len > 0)
    {
      size_t n = p->user.additional_gids_len + o->additional_gids_len;
      p->user.additional_gids = xrealloc (p->user.additional_gids, n * sizeof (gid_t));
      memcpy (p->user.additional_gids + p->user.additional_gids_len, o->additional_gids,
              o->additional_gids_len * sizeof (gid_t));
      p->user.additional_gids_len = n;
    }
  return 0;
}

static int
load_process (struct exec_ctx *x, struct husk_error **err)
{
  cleanup_free char *path = NULL, *data = NULL;
  struct oci_process *p;
  size_t len;

  xasprintf (&path, "%s/%s/config.json", x->o->root, x->o->id);
  x->config = oci_config_load (path, err);
  if (x->config == NULL)
    return husk_error_wrap (err, "load the container's config");
  if (x->o->process_file)
    {
      if (husk_read_file (x->o->process_file, &data, &len, err) < 0)
        return -1;
      /* Its errors name the file: "F: cwd: ...". */
      p = oci_process_parse (x->o->process_file, data, len, err);
      if (p == NULL)
        return -1;
      oci_process_free (x->config->process);
      x->config->process = p;
      return 0;
    }
  if (x->o->args == NULL || x->o->args[0] == NULL)
    return husk_error_set (err, 0, "exec args cannot be empty");
  if (x->config->process == NULL && (x->config->process = xcalloc (1, sizeof *x->config->process)) == NULL)
    abort ();
  if (merge_options (x->config->process, x->o, err) < 0)
    return -1;
  if (x->config->process->cwd == NULL || x->config->process->cwd[0] != '/')
    return husk_error_set (err, 0, "cwd must be an absolute path");
  return 0;
}

/* Whether the v1 hierarchy of dir has controller ctrl: its files are "<ctrl>.*". */
static bool
dir_has_controller (const char *dir, const char *ctrl)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  size_t n = strlen (ctrl);

  while (d && (de = readdir (d)))
    if (strncmp (de->d_name, ctrl, n) == 0 && de->d_name[n] == '.')
      return true;
  return false;
}

/* The --cgroup entry for dir: "CTRL[,CTRL]:PATH" when one of its controllers
 * is dir's (v1 only), else a bare "PATH", else NULL (the container's cgroup). */
static const char *
sub_cgroup_for (const char *dir, char *const *specs)
{
  cleanup_free char *probe = NULL;
  const char *any = NULL;
  bool v2;

  if (specs == NULL)
    return NULL;
  probe = xconcat (dir, "/cgroup.controllers", NULL);
  v2 = access (probe, F_OK) == 0;
  for (; specs && *specs; specs++)
    {
      const char *colon = strchr (*specs, ':');
      if (colon == NULL)
        {
          any = *specs;
          continue;
        }
      cleanup_free char *ctrls = xstrndup (*specs, (size_t) (colon - *specs));
      char *save = NULL;
      for (char *c = strtok_r (ctrls, ",", &save); c && !v2; c = strtok_r (NULL, ",", &save))
        if (dir_has_controller (dir, c))
          return colon + 1;
    }
  return any;
}

/* Whether ctrl names a v1 hierarchy of this host: a controller field of
 * /proc/self/cgroup ("4:cpu,cpuacct:/..."; "name=systemd" included). */
static bool
v1_controller_known (const char *ctrl)
{
  cleanup_free char *data = NULL;
  size_t n = strlen (ctrl);

  if (husk_read_file ("/proc/self/cgroup", &data, NULL, NULL) < 0)
    return false;
  for (char *lsave = NULL, *line = strtok_r (data, "\n", &lsave); line;
       line = strtok_r (NULL, "\n", &lsave))
    {
      char *c = strchr (line, ':'), *end;
      if (c == NULL || (end = strchr (++c, ':')) == NULL)
        continue;
      *end = '\0';
      for (char *save = NULL, *t = strtok_r (c, ",", &save); t; t = strtok_r (NULL, ",", &save))
        if (strlen (t) == n && strncmp (t, ctrl, n) == 0)
          return true;
    }
  return false;
}

/* One --cgroup argument, "[CTRL[,CTRL]:]PATH": the path must stay inside the
 * container's cgroup, the controllers must exist (v1; runc's words for both). */
static int
check_sub_cgroup (const char *arg, bool v1, struct husk_error **err)
{
  const char *colon = strchr (arg, ':'), *sub = colon ? colon + 1 : arg;
  cleanup_free char *copy = xstrdup (sub);
  cleanup_free char *ctrls = colon ? xstrndup (arg, (size_t) (colon - arg)) : NULL;
  char *save = NULL;

  if (*sub == '\0')
    return husk_error_set (err, 0, "invalid --cgroup argument: empty path");
  for (char *c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    if (strcmp (c, "..") == 0)
      return husk_error_set (err, 0, "bad sub cgroup path `%s` in --cgroup: must stay inside "
                                     "the container's cgroup", sub);
  save = NULL;
  if (ctrls == NULL || !v1)
    return 0;
  for (char *c = strtok_r (ctrls, ",", &save); c; c = strtok_r (NULL, ",", &save))
    if (!v1_controller_known (c))
      return husk_error_set (err, 0, "unknown controller `%s` in --cgroup", c);
  return 0;
}

static int
cgroup_targets (struct exec_ctx *x, struct husk_error **err)
{
  size_t n = 0;
  bool v1 = false;

  while (x->st->cgroup_dirs && x->st->cgroup_dirs[n])
    {
      cleanup_free char *probe = NULL;
      probe = xconcat (x->st->cgroup_dirs[n++], "/cgroup.controllers", NULL);
      v1 = v1 || access (probe, F_OK) < 0;
    }
  for (size_t i = 0; x->o->cgroups && x->o->cgroups[i]; i++)
    if (check_sub_cgroup (x->o->cgroups[i], v1, err) < 0)
      return -1;
  x->cgroup_join = xcalloc (n + 1, sizeof (char *));
  for (size_t i = 0; i < n; i++)
    {
      const char *dir = x->st->cgroup_dirs[i];
      const char *sub = sub_cgroup_for (dir, x->o->cgroups);
      cleanup_free char *target = NULL;
      struct stat sb;

      xasprintf (&target, "%s%s%s", dir, sub ? "/" : "", sub ? sub : "");
      /* A v1 hierarchy has `tasks`: the joiner moves only itself (cgroup.h).
       * One lookup tells that target is there and is such a directory. */
      cleanup_free char *tasks = NULL;
      tasks = xconcat (target, "/tasks", NULL);
      bool v1_dir = access (tasks, F_OK) == 0;
      /* runc's words ("error adding pid N to cgroups: ..."), but before there
       * is a pid. */
      int e = v1_dir ? 0 : stat (target, &sb) < 0 ? errno : S_ISDIR (sb.st_mode) ? 0 : ENOTDIR;
      if (e)
        return husk_error_set (err, e, "error adding pid to cgroup `%s`", target);
      if (v1_dir)
        x->cgroup_join[i] = steal_ptr (tasks);
      else
        {
          xasprintf (&x->cgroup_join[i], "%s/cgroup.procs", target);
          /* cgroup2: the joiner is born there (linux/cgjoin.h), unless it
           * must first run on execCPUAffinity.initial's CPUs outside it. */
          const struct oci_exec_cpu_affinity *a = x->config->process->exec_cpu_affinity;
          if (x->cgroup_clone_dir == NULL && (a == NULL || a->initial == NULL))
            x->cgroup_clone_dir = steal_ptr (target);
        }
    }
  return 0;
}

static int
connect_console (struct exec_ctx *x, struct husk_error **err)
{
  const char *path = x->o->console_socket;
  int sv[2];

  if (!x->config->process->terminal)
    {
      if (path)
        return husk_error_set (err, 0, "cannot use console socket if the process has no tty");
      return 0;
    }
  if (path == NULL)
    {
      if (x->o->detach)
        return husk_error_set (err, 0, "cannot allocate tty if husk will detach without "
                                       "setting console socket");
      /* In the foreground husk holds the pty itself, as `run` does; the
       * process sizes it (console.c) before it can ask for the size. */
      struct winsize ws;
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return husk_error_set (err, errno, "socketpair");
      x->pty_peer = sv[0];
      x->console_fd = sv[1];
      if (husk_foreground_winsize (&ws))
        {
          x->config->process->has_console_size = true;
          x->config->process->console_size.height = ws.ws_row;
          x->config->process->console_size.width = ws.ws_col;
        }
      return 0;
    }
  x->console_fd = husk_console_socket_connect (path, err);
  return x->console_fd < 0 ? -1 : 0;
}

/* --ns: keep only the namespaces named; the others stay the caller's, as with
 * nsenter.  The user namespace only when asked twice (--allow-userns too): in
 * it, uid 0 is the container's root, no longer the host's. */
static int
select_namespaces (struct exec_ctx *x, struct husk_error **err)
{
  unsigned mask = x->o->ns_mask;

  if (mask == 0)
    return 0;
  if ((mask & (1u << OCI_NS_USER)) && !x->o->allow_userns)
    return husk_error_set (err, 0, "--ns user: joining the user namespace changes what root "
                                   "is; add --allow-userns to ask for it");
  for (int t = 0; t < OCI_NS_COUNT; t++)
    if (!(mask & (1u << t)) && x->ns_fds[t] >= 0)
      {
        close (x->ns_fds[t]);
        x->ns_fds[t] = -1;
      }
  return 0;
}

/* The init's /proc directory, checked to be the init (pid + start time) once
 * opened: everything opened through it afterwards belongs to that process. */
static int
open_init (struct exec_ctx *x, struct husk_error **err)
{
  char path[64];

  snprintf (path, sizeof path, "/proc/%d", (int) x->st->pid);
  x->proc_fd = openat (AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (x->proc_fd < 0 || husk_exec_proc_start_time (x->proc_fd) != x->st->start_time)
    return husk_error_set (err, 0, "cannot exec in a stopped container");
  /* A zombie init (killed, not yet reaped) has no namespaces left to join. */
  char state = husk_proc_state (x->st->pid);
  if (state == 'Z' || state == 'X' || state == 0)
    return husk_error_set (err, 0, "cannot exec in a stopped container");
  if (husk_exec_open_namespaces (x->proc_fd, x->ns_fds, err) < 0)
    return -1;
  if (x->ns_fds[OCI_NS_MOUNT] < 0
      && (x->o->ns_mask == 0 || (x->o->ns_mask & (1u << OCI_NS_MOUNT))))
    {
      /* No mount namespace of its own: exec chroots into its root, never the
       * host's (with --ns, only when mnt is named). */
      x->root_fd = openat (x->proc_fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (x->root_fd < 0)
        return husk_error_set (err, errno, "open the container's root");
    }
  return select_namespaces (x, err);
}

static int
check_status (struct exec_ctx *x, struct husk_error **err)
{
  enum husk_status status;

  if (husk_container_load (x->o->root, x->o->id, &x->st, &status, err) < 0)
    return -1;
  if (status == HUSK_STATUS_STOPPED)
    return husk_error_set (err, 0, "cannot exec in a stopped container");
  if (status == HUSK_STATUS_PAUSED && !x->o->ignore_paused)
    return husk_error_set (err, 0, "cannot exec in a paused container (use --ignore-paused "
                                   "to override)");
  return 0;
}

/* exec 2, and 2a: the seccomp agent gets the listener of this process too. */
static int
wait_exec (struct exec_ctx *x, struct husk_error **err)
{
  const struct oci_seccomp *sc = x->config->linux_ ? x->config->linux_->seccomp : NULL;
  int r, listener = -1;

  while ((r = husk_exec_wait_exec (x->sync_fd, &listener, err)) == 1)
    {
      cleanup_free char *json = husk_state_oci_json (x->st, HUSK_STATUS_RUNNING);
      r = sc ? husk_seccomp_send_listener (sc, listener, x->pid, json, err) : 0;
      close (listener);
      listener = -1;
      if (r < 0)
        return -1;
    }
  return r;
}

/* Fork the joiner and follow the protocol of linux/exec.h. */
static int
spawn (struct exec_ctx *x, struct husk_error **err)
{
  struct husk_exec_spawn s = {
    .config = x->config, .process = x->config->process, .id = x->o->id,
    .cgroup = husk_cgjoin_files (x->cgroup_join, x->cgroup_clone_dir), .console_fd = x->console_fd,
    .console_proxied = x->pty_peer >= 0,
    .preserve_fds = x->o->preserve_fds,
  };
  struct husk_sync_msg m;
  int sv[2];

  memcpy (s.ns_fds, x->ns_fds, sizeof s.ns_fds);
  s.root_fd = x->root_fd;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return husk_error_set (err, errno, "socketpair");
  x->sync_fd = sv[0];
  s.sync_fd = sv[1];
  /* Ours, not the children's: the joiner closes them first. */
  int n = 0, mine[] = { sv[0], x->pty_peer, x->proc_fd };
  for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++)
    if (mine[i] >= 0)
      s.close_fds[n++] = mine[i];
  s.close_fds[n] = -1;
  /* The process is the joiner's child; as a subreaper we inherit it when the
   * joiner exits, so that we can wait for it. */
  prctl (PR_SET_CHILD_SUBREAPER, 1);
  x->joiner = husk_exec_spawn (&s, err);
  close (sv[1]);
  if (x->joiner < 0)
    {
      x->joiner = 0;
      return -1;
    }
  if (husk_sync_expect (x->sync_fd, HUSK_SYNC_PID, &m, "joining the container", err) < 0) /* exec 1 */
    return -1;
  free (m.text);
  /* The joiner closed its copy first thing (linux/exeseal.h). */
  husk_exe_seal_release ();
  x->pid = (pid_t) m.value;
  while (waitpid (x->joiner, NULL, 0) < 0 && errno == EINTR)
    ;
  x->joiner = 0;
  /* The process's own orphans go to the container's init (they are in its pid
   * namespace); nothing else is ours to reap. */
  prctl (PR_SET_CHILD_SUBREAPER, 0);
  return wait_exec (x, err);
}

/* --pidfd-socket, once the process runs (see create.c). */
static int
send_pidfd (struct exec_ctx *x, struct husk_error **err)
{
  return husk_pidfd_socket_send_to (x->o->pidfd_socket, x->pid, "setns", err);
}

static void
exec_free (struct exec_ctx *x)
{
  husk_kill_and_reap (x->joiner);
  for (int t = 0; t < OCI_NS_COUNT; t++)
    if (x->ns_fds[t] >= 0)
      close (x->ns_fds[t]);
  int fds[] = { x->proc_fd, x->console_fd, x->pty_peer, x->sync_fd, x->root_fd };
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  strv_free (x->cgroup_join);
  free (x->cgroup_clone_dir);
  oci_config_free (x->config);
  husk_state_free (x->st);
}

int
husk_container_exec (const struct husk_exec_opts *o, int *status, struct husk_error **err)
{
  struct exec_ctx x = { .o = o, .proc_fd = -1, .root_fd = -1, .console_fd = -1, .pty_peer = -1,
                        .sync_fd = -1 };
  sigset_t all, old;
  int ret = -1, master = -1;

  for (int t = 0; t < OCI_NS_COUNT; t++)
    x.ns_fds[t] = -1;
  /* Blocked before the fork so that no signal meant for the process is lost;
   * the joiner unblocks them for itself and the process. */
  sigfillset (&all);
  sigprocmask (SIG_BLOCK, &all, &old);
  /* The seccomp filter is compiled here, on the host, for the joined process
   * to load inside the container. */
  if (check_status (&x, err) < 0 || load_process (&x, err) < 0
      || husk_seccomp_prepare (x.config->linux_ ? x.config->linux_->seccomp : NULL, err) < 0
      || connect_console (&x, err) < 0
      || cgroup_targets (&x, err) < 0 || open_init (&x, err) < 0)
    goto out;
  if (spawn (&x, err) < 0)
    {
      husk_kill_and_reap (x.pid);
      goto out;
    }
  if (x.pty_peer >= 0)
    {
      /* The process sent it (with its pts path) before it reported ready. */
      char name[256];
      master = husk_recv_fd (x.pty_peer, name, sizeof name, NULL, MSG_DONTWAIT);
    }
  if (husk_write_pid_file (x.o->pid_file, x.pid, err) < 0 || send_pidfd (&x, err) < 0)
    {
      husk_kill_and_reap (x.pid);
      goto out;
    }
  *status = 0;
  ret = 0;
  if (!o->detach)
    ret = husk_foreground_wait (x.pid, master, status, err);
out:
  if (master >= 0)
    close (master);
  exec_free (&x);
  sigprocmask (SIG_SETMASK, &old, NULL);
  return ret;
}
