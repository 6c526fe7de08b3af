/* husk create: the parent side of the process model (DESIGN.md).  It reads as a
 * list of steps; every step that changes the host is undone by create_cleanup()
 * when a later one fails, so a failed create leaves no process, cgroup or state
 * directory behind. */
#define _GNU_SOURCE
#include "container/container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "container/internal.h"
#include "linux/exeseal.h"
#include "linux/hooks.h"
#include "linux/intelrdt.h"
#include "linux/namespaces.h"
#include "linux/netdev.h"
#include "linux/rootfs.h"
#include "linux/seccomp.h"
#include "linux/spawn.h"
#include "linux/sync.h"
#include "oci/config.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

struct create_ctx
{
  const struct husk_create_opts *o;
  bool process_filled; /* the config had no process: an empty one stands in */
  char *bundle;
  char *rootfs;
  char *dir; /* state directory */
  int dir_fd; /* locked */
  char *config_data;
  size_t config_len;
  struct oci_config *config;
  struct husk_cgroup *cgroup;
  int *idmap_fds;
  int fifo_fd;
  bool start_by_sync; /* run without exec.fifo (husk_create_opts.start_fd) */
  int console_fd;
  int sync_fd; /* parent's end */
  pid_t stage1;
  pid_t pid; /* the init */
  unsigned long long start_time;
  char *created;
};

static void
create_cleanup (struct create_ctx *x)
{
  /* While the init lives, its network namespace does: a veth dies with it. */
  if (x->pid > 0)
    husk_netdev_move_out (x->config, x->pid);
  husk_kill_and_reap (x->pid);
  if (x->pid > 0)
    husk_intelrdt_destroy (x->config, x->o->id);
  husk_kill_and_reap (x->stage1);
  if (x->cgroup)
    {
      husk_cgroup_destroy (x->cgroup, NULL);
      husk_cgroup_free (x->cgroup);
      x->cgroup = NULL;
    }
  if (x->dir)
    husk_remove_state_dir (x->dir);
}

static void
create_free (struct create_ctx *x)
{
  if (x->sync_fd >= 0)
    close (x->sync_fd);
  if (x->fifo_fd >= 0)
    close (x->fifo_fd);
  if (x->console_fd >= 0 && x->console_fd != x->o->console_fd)
    close (x->console_fd);
  if (x->dir_fd >= 0)
    close (x->dir_fd);
  husk_cgroup_free (x->cgroup);
  husk_idmap_trees_free (x->idmap_fds, x->config ? x->config->mounts_len : 0);
  oci_config_free (x->config);
  free (x->config_data);
  free (x->bundle);
  free (x->rootfs);
  free (x->dir);
  free (x->created);
}

/* A mount destination written as the host's path of a place inside the rootfs
 * names that place in the container, as in runc (which joins only destinations
 * lexically outside the rootfs to it). */
static void
strip_rootfs_prefix (struct oci_config *c, const char *rootfs)
{
  size_t n = strlen (rootfs);

  while (n > 1 && rootfs[n - 1] == '/')
    n--;
  for (size_t i = 0; n > 1 && i < c->mounts_len; i++)
    {
      char *d = c->mounts[i].destination;

      if (d == NULL || strncmp (d, rootfs, n) != 0 || (d[n] != '/' && d[n] != '\0'))
        continue;
      if (d[n] == '\0')
        strcpy (d, "/");
      else
        memmove (d, d + n, strlen (d + n) + 1);
    }
}

static int
load_bundle (struct create_ctx *x, struct husk_error **err)
{
  cleanup_free char *cfg_path = NULL, *root = NULL;
  const char *b = x->o->bundle ? x->o->bundle : ".";

  x->bundle = realpath (b, NULL);
  if (x->bundle == NULL)
    return husk_error_set (err, errno, "bundle `%s`", b);
  if (x->o->config && x->o->config[0] == '/')
    cfg_path = xstrdup (x->o->config);
  else if (xasprintf (&cfg_path, "%s/%s", x->bundle, x->o->config ? x->o->config : "config.json") < 0)
    cfg_path = NULL;
  if (cfg_path == NULL)
    abort ();
  if (husk_read_file (cfg_path, &x->config_data, &x->config_len, err) < 0)
    return husk_error_wrap (err, "load %s", x->o->config ? x->o->config : "config.json");
  /* Errors name the document as given: "other.json: process.cwd: ...". */
  x->config = oci_config_parse_named (x->o->config ? x->o->config : "config.json", x->config_data,
                                      x->config_len, err);
  if (x->config == NULL)
    return -1;
  if (x->o->rootless)
    husk_id_maps_default (x->config);
  if (oci_config_validate (x->config, err) < 0)
    return -1;
  /* Here, on the host: the init loads the filter compiled now. */
  if (husk_seccomp_prepare (x->config->linux_ ? x->config->linux_->seccomp : NULL, err) < 0)
    return -1;
  /* The spec makes process optional at create and required at start: the init
   * of such a container sets itself up as root in / with no capability and
   * waits on exec.fifo; `start` refuses it (the saved config has no process). */
  if (x->config->process == NULL)
    {
      x->process_filled = true;
      x->config->process = xcalloc (1, sizeof *x->config->process);
      if (x->config->process == NULL || (x->config->process->cwd = xstrdup ("/")) == NULL)
        abort ();
    }
  if (x->config->root->path[0] == '/')
    root = xstrdup (x->config->root->path);
  else xasprintf (&root, "%s/%s", x->bundle, x->config->root->path);
  x->rootfs = realpath (root, NULL);
  if (x->rootfs == NULL)
    return husk_error_set (err, errno, "rootfs `%s`", root);
  strip_rootfs_prefix (x->config, root);
  strip_rootfs_prefix (x->config, x->rootfs);
  return 0;
}

/* Rootless: what needs privilege over the host itself is refused up front,
 * naming the key, rather than failing half-way with a bare EPERM. */
static int
rootless_refuse (const struct oci_config *c, struct husk_error **err)
{
  const struct oci_linux *l = c->linux_;

  if (l && l->net_devices_len)
    return husk_error_set (err, EPERM,
                           "linux.netDevices: moving a host network device needs CAP_NET_ADMIN "
                           "in the host's network namespace, which a rootless caller has not");
  if (l && l->intel_rdt)
    return husk_error_set (err, EPERM,
                           "linux.intelRdt: the resctrl file system is writable by root only");
  return 0;
}

/* Rootless: only the cgroups we may write (none, unless the host delegated
 * one to us).  With none, a limit the config asks for cannot be kept: say so
 * rather than run the container without it.  Device rules need no cgroup
 * here: in a user namespace no device node can be made, only bound. */
static int
rootless_cgroup (struct create_ctx *x, struct husk_error **err)
{
  struct oci_resources *r = x->config->linux_ ? x->config->linux_->resources : NULL;
  const char *key;

  if (r && r->devices_len)
    {
      husk_debug ("rootless: linux.resources.devices ignored (no device can be made)");
      for (size_t i = 0; i < r->devices_len; i++)
        {
          free (r->devices[i].type);
          free (r->devices[i].access);
        }
      free (r->devices);
      r->devices = NULL;
      r->devices_len = 0;
    }
  husk_cgroup_keep_usable (x->cgroup);
  if (x->cgroup->dirs[0])
    return 0;
  husk_cgroup_free (x->cgroup);
  x->cgroup = NULL;
  key = husk_cgroup_limit_key (r);
  if (key)
    return husk_error_set (err, EPERM,
                           "linux.resources.%s: rootless, and no cgroup is writable by us to "
                           "apply it (none is delegated to this user); remove the limit",
                           key);
  return 0;
}

/* mkdir <root>/<id>: the atomic claim of the id. */
static int
make_state_dir (struct create_ctx *x, struct husk_error **err)
{
  cleanup_free char *path = NULL;

  if (husk_claim_state_dir (x->o->root, x->o->id, x->config_data, x->config_len, &x->dir,
                            &x->dir_fd, err) < 0)
    return -1;
  if (x->start_by_sync)
    return 0;
  path = xconcat (x->dir, "/exec.fifo", NULL);
  /* 0622: the init may have switched to an unprivileged uid when it opens it. */
  if (mkfifo (path, 0622) < 0 || chmod (path, 0622) < 0)
    return husk_error_set (err, errno, "mkfifo `%s`", path);
  x->fifo_fd = openat (AT_FDCWD, path, O_PATH | O_CLOEXEC);
  if (x->fifo_fd < 0)
    return husk_error_set (err, errno, "open `%s`", path);
  return 0;
}

static int
connect_console (struct create_ctx *x, struct husk_error **err)
{
  if (!x->config->process->terminal)
    return 0;
  if (x->o->console_fd >= 0)
    {
      x->console_fd = x->o->console_fd;
      return 0;
    }
  if (x->o->console_socket == NULL)
    return husk_error_set (err, 0,
                           "cannot allocate tty if husk will detach without setting console socket");
  x->console_fd = husk_console_socket_connect (x->o->console_socket, err);
  return x->console_fd < 0 ? -1 : 0;
}

/* The state as the hooks see it (status "creating"). */
static char *
hooks_state_json (struct create_ctx *x, enum husk_status status)
{
  struct husk_state st = {
    .id = (char *) x->o->id, .pid = x->pid, .bundle = x->bundle, .rootfs = x->rootfs,
    .created = x->created, .owner = getuid (), .annotations = x->config->annotations,
    .annotations_len = x->config->annotations_len,
  };
  return husk_state_oci_json (&st, status);
}

static int
run_create_hooks (struct create_ctx *x, struct husk_error **err)
{
  const struct oci_hooks *h = x->config->hooks;
  /* runtime-tools' hooks_stdin expects "created" here; the container is in its
   * final shape once the init waits on exec.fifo, which it does after these. */
  cleanup_free char *json = hooks_state_json (x, HUSK_STATUS_CREATED);

  if (h == NULL)
    return 0;
  if (husk_hooks_run (h->prestart, h->prestart_len, "prestart", json, err) < 0)
    return -1;
  return husk_hooks_run (h->create_runtime, h->create_runtime_len, "createRuntime", json, err);
}

static int
set_oom_score_adj (struct create_ctx *x, struct husk_error **err)
{
  char path[64], val[32];

  if (!x->config->process->has_oom_score_adj)
    return 0;
  snprintf (path, sizeof path, "/proc/%d/oom_score_adj", (int) x->pid);
  snprintf (val, sizeof val, "%d", x->config->process->oom_score_adj);
  return husk_write_file (path, val, strlen (val), err);
}

/* sync 5a: the init's seccomp listener goes to the agent at listenerPath with the
 * container process state ("creating", as runc sends it). */
static int
hand_seccomp_listener (struct create_ctx *x, int fd, struct husk_error **err)
{
  cleanup_close int listener = fd;
  cleanup_free char *json = hooks_state_json (x, HUSK_STATUS_CREATING);
  const struct oci_seccomp *s = x->config->linux_ ? x->config->linux_->seccomp : NULL;

  if (s == NULL || s->listener_path == NULL || s->listener_path[0] == '\0')
    return husk_error_set (err, EPROTO, "sync: a seccomp listener without linux.seccomp.listenerPath");
  return husk_seccomp_send_listener (s, listener, x->pid, json, err);
}

/* While the init mounts: the trees of idmapped binds whose source lies inside
 * the rootfs, each at the init's request (sync 4a, 4b), until it says its mounts
 * are ready (sync 4). */
static int
serve_mount_trees (struct create_ctx *x, struct husk_error **err)
{
  struct husk_sync_msg m;

  for (;;)
    {
      cleanup_close int tree = -1;

      if (husk_sync_recv (x->sync_fd, &m, "its mounts were ready", err) < 0)
        return -1;
      free (m.text);
      if (m.type == HUSK_SYNC_HOOKS_PLS)
        return 0;
      if (m.type != HUSK_SYNC_MOUNT_PLS)
        return husk_error_set (err, EPROTO, "sync: unexpected message %d", (int) m.type);
      tree = husk_idmap_tree_in_container (x->config, x->bundle, x->rootfs, x->pid, m.value, err);
      if (tree < 0 || husk_sync_send_fd (x->sync_fd, HUSK_SYNC_MOUNT_FD, tree, err) < 0)
        return -1;
    }
}

/* state.json; with PID_FILE, once the init exists, --pid-file too. */
static int
save_state (struct create_ctx *x, bool pid_file, struct husk_error **err)
{
  struct husk_state st = {
    .id = (char *) x->o->id, .pid = x->pid, .start_time = x->start_time, .bundle = x->bundle,
    .rootfs = x->rootfs, .created = x->created, .owner = getuid (),
    .cgroup_dirs = x->cgroup ? x->cgroup->dirs : NULL, .annotations = x->config->annotations,
    .annotations_len = x->config->annotations_len,
    .config_unneeded = !x->process_filled && husk_config_unneeded_later (x->config),
  };

  if (husk_state_write (x->dir, &st, err) < 0)
    return -1;
  return x->pid == 0 || !pid_file ? 0 : husk_write_pid_file (x->o->pid_file, x->pid, err);
}

/* The parent's half of the sync protocol (see linux/sync.h). */
static int
sync_with_children (struct create_ctx *x, struct husk_error **err)
{
  struct husk_sync_msg m;
  struct husk_error *e = NULL;
  cleanup_free char *json = NULL;

  /* Until the init's namespaces exist (sync 3): stage 1 reports the init's
   * pid, a direct init (x->pid known from the fork) reports itself. */
  for (;;)
    {
      if (husk_sync_recv (x->sync_fd, &m, "reporting its pid", err) < 0)
        return -1;
      free (m.text);
      if (m.type == HUSK_SYNC_USERMAP_PLS) /* sync 1 */
        {
          if (husk_write_id_maps ((pid_t) m.value, x->config, err) < 0)
            return -1;
          if (husk_sync_send (x->sync_fd, HUSK_SYNC_USERMAP_ACK, 0, 0, NULL, err) < 0) /* sync 2 */
            return -1;
          continue;
        }
      if (m.type != HUSK_SYNC_PID) /* sync 3 */
        return husk_error_set (err, EPROTO, "sync: unexpected message %d", (int) m.type);
      if (x->stage1 > 0)
        {
          x->pid = (pid_t) m.value;
          while (waitpid (x->stage1, NULL, 0) < 0 && errno == EINTR)
            ;
          x->stage1 = 0;
        }
      break;
    }
  /* Stage 1 closed its copy on its first step, a direct init parks the mount
   * before its pivot (linux/exeseal.h): our close dissolves it now, while the
   * init works, or nothing once it is parked. */
  husk_exe_seal_release ();
  x->start_time = husk_proc_start_time (x->pid);
  if (set_oom_score_adj (x, err) < 0)
    return -1;
  /* Before the init goes on to anything of the container's (runc's order). */
  if (husk_intelrdt_apply (x->config, x->o->id, x->pid, err) < 0
      || husk_netdev_move_in (x->config, x->pid, err) < 0)
    return -1;
  if (serve_mount_trees (x, err) < 0) /* sync 4a, 4b, 4 */
    return -1;
  /* The limits go on now, as runc sets them at procHooks: the init exists and has
   * made its device nodes, so a pids.limit of 1 or a deny-all device rule cannot
   * break the fork of the init or its mknods; the hooks and the user's process
   * run under them. */
  if (x->cgroup && husk_cgroup_apply (x->cgroup, x->config, err) < 0)
    return -1;
  if (run_create_hooks (x, err) < 0)
    return -1;
  /* run: the init executes the process as soon as it is ready (sync 6), so the
   * state that names it is written before it can be (it waits for sync 5
   * before its identity changes); meanwhile it still mounts. */
  if (x->start_by_sync && save_state (x, false, err) < 0)
    return -1;
  json = hooks_state_json (x, HUSK_STATUS_CREATED);
  if (husk_sync_send (x->sync_fd, HUSK_SYNC_HOOKS_ACK, 0, 0, json, &e) < 0) /* sync 5 */
    {
      /* An init that does not wait for sync 5 before it pivots (linux/init.c)
       * may have failed meanwhile and closed its end: its ERROR is read next. */
      if (e->errnum != EPIPE && e->errnum != ECONNRESET)
        return husk_error_propagate (err, &e);
      husk_error_release (&e);
    }
  if (husk_sync_recv (x->sync_fd, &m, "it was ready to start", err) < 0)
    return -1;
  free (m.text);
  if (m.type == HUSK_SYNC_SECCOMP_FD) /* sync 5a */
    {
      if (hand_seccomp_listener (x, m.fd, err) < 0)
        return -1;
      if (husk_sync_expect (x->sync_fd, HUSK_SYNC_READY, &m, "it was ready to start", err) < 0)
        return -1;
      free (m.text);
    }
  else if (m.type != HUSK_SYNC_READY) /* sync 6 */
    return husk_error_set (err, EPROTO, "sync: unexpected message %d", (int) m.type);
  return 0;
}

/* sync 0: the v1 cgroup directories, made while the child (the direct init,
 * or stage 1) makes its namespaces; it joins them once told. */
static int
cgroup_late (struct create_ctx *x, struct husk_error **err)
{
  struct husk_error *e = NULL;

  if (husk_cgroup_make_late (x->cgroup, err) < 0)
    return -1;
  /* A child already dead makes this fail (EPIPE): sync_with_children reads
   * why it died. */
  if (husk_sync_send (x->sync_fd, HUSK_SYNC_CGROUP_MADE, 0, 0, NULL, &e) < 0)
    husk_error_release (&e);
  return 0;
}

static int
spawn (struct create_ctx *x, struct husk_error **err)
{
  int sv[2];
  struct husk_spawn s = {
    .config = x->config, .id = x->o->id, .bundle = x->bundle, .rootfs = x->rootfs,
    .cgroup = husk_cgjoin_cgroup (x->cgroup), .fifo_fd = x->fifo_fd,
    .start_by_sync = x->start_by_sync, .console_fd = x->console_fd,
    .console_proxied = x->o->console_fd >= 0,
    .preserve_fds = x->o->preserve_fds, .no_pivot = x->o->no_pivot, .idmap_fds = x->idmap_fds,
    .no_new_keyring = x->o->no_new_keyring,
  };
  cleanup_free char *listen_fds = NULL;
  char *extra_env[3] = { NULL, NULL, NULL };
  const char *lf = getenv ("LISTEN_FDS");
  bool direct;
  pid_t pid;

  /* systemd socket activation: pass the fds and tell the container about them. */
  if (lf && atoi (lf) > 0)
    {
      xasprintf (&listen_fds, "LISTEN_FDS=%d", atoi (lf));
      extra_env[0] = listen_fds;
      extra_env[1] = (char *) "LISTEN_PID=1";
      s.extra_env = extra_env;
      if (s.preserve_fds < atoi (lf))
        s.preserve_fds = atoi (lf);
    }
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return husk_error_set (err, errno, "socketpair");
  x->sync_fd = sv[0];
  s.sync_fd = sv[1];
  s.close_fds[0] = sv[0];
  s.close_fds[1] = x->dir_fd;
  s.close_fds[2] = -1;
  /* As a child subreaper the init is reparented to us when stage 1 exits, so a
   * failed create can reap it, and `run` can wait for it (a direct init is our
   * child from the start). */
  prctl (PR_SET_CHILD_SUBREAPER, 1);
  pid = husk_spawn (&s, &direct, err);
  close (sv[1]);
  if (pid < 0)
    return -1;
  if (direct)
    x->pid = pid;
  else
    x->stage1 = pid;
  if (s.cgroup.made_late && cgroup_late (x, err) < 0)
    return -1;
  return sync_with_children (x, err);
}

/* --pidfd-socket, once the init exists. */
static int
send_pidfd (struct create_ctx *x, struct husk_error **err)
{
  return husk_pidfd_socket_send_to (x->o->pidfd_socket, x->pid, "standard", err);
}

int
husk_container_create (const struct husk_create_opts *o, pid_t *pid, struct husk_error **err)
{
  struct create_ctx x = { .o = o, .dir_fd = -1, .fifo_fd = -1, .console_fd = -1, .sync_fd = -1 };
  int ret = -1;

  if (husk_check_id (o->id, err) < 0)
    return -1;
  if (load_bundle (&x, err) < 0)
    goto out;
  /* run's start is then only the wait for the init's execve, which follows its
   * READY at once (husk_container_start_run): crun's run has no exec.fifo
   * either.  A poststart hook or a config without
   * a process needs `start` as it is; so does a seccomp filter, which the init
   * loads before it waits: the fifo needs openat and write, which runc's own
   * profiles allow, the socket a read that a profile may deny. */
  x.start_by_sync = o->start_fd && !x.process_filled
                    && (x.config->hooks == NULL || x.config->hooks->poststart_len == 0)
                    && (x.config->linux_ == NULL || x.config->linux_->seccomp == NULL);
  if (make_state_dir (&x, err) < 0)
    goto fail;
  x.created = husk_now_rfc3339 ();
  if (!o->no_cgroup
      && (x.cgroup = husk_cgroup_plan (x.config, o->id, o->systemd_cgroup, o->rootless, err)) == NULL)
    goto fail;
  if (o->rootless
      && (rootless_refuse (x.config, err) < 0 || (x.cgroup && rootless_cgroup (&x, err) < 0)))
    goto fail;
  /* The v1 directories are made while the init makes its namespaces (spawn,
   * cgroup_late): two CPUs at work instead of one.  Not for systemd's scope,
   * nor rootless, whose cgroups are joined by the process itself. */
  if (x.cgroup && !x.cgroup->unit && !o->rootless && x.cgroup->layout != HUSK_CGROUP_V2)
    x.cgroup->v1_late = true;
  /* A first state (pid 0: "stopped") naming the cgroup before any directory of
   * it exists: if husk is killed from here on, `delete --force` finds every
   * cgroup directory husk made and every process in it. */
  if (x.cgroup && husk_cgroup_check_unused (x.cgroup, err) < 0)
    {
      /* Another's cgroup, or one left frozen: not ours to remove. */
      husk_cgroup_free (x.cgroup);
      x.cgroup = NULL;
      goto fail;
    }
  if (save_state (&x, false, err) < 0 || (x.cgroup && husk_cgroup_make (x.cgroup, err) < 0))
    goto fail;
  x.idmap_fds = husk_idmap_trees_make (x.config, x.bundle, x.rootfs, err);
  if (x.idmap_fds == NULL)
    goto fail;
  /* run's state is written already (sync_with_children): the pid file only. */
  if (connect_console (&x, err) < 0 || spawn (&x, err) < 0 || send_pidfd (&x, err) < 0
      || (x.start_by_sync ? husk_write_pid_file (o->pid_file, x.pid, err)
                          : save_state (&x, true, err))
             < 0)
    goto fail;
  *pid = x.pid;
  if (x.start_by_sync)
    {
      *o->start_fd = x.sync_fd;
      x.sync_fd = -1;
    }
  ret = 0;
  goto out;
fail:
  create_cleanup (&x);
out:
  create_free (&x);
  return ret;
}
