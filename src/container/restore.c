/* husk restore: a new container from a bundle and CRIU's images.  It reads as
 * create does (container/create.c): bundle, state directory, cgroup, then
 * CRIU in place of the init; every step that changes the host is undone by
 * restore_cleanup() when a later one fails.
 *
 * CRIU restores into <state dir>/criu-root, a bind of the rootfs (runc's way:
 * the restored mount namespace is built on it and pivots into it); the
 * process tree comes back as our child (rst_sibling), in the container's
 * cgroup (criu joins it before it starts, and cg_root tells CRIU that is
 * the root to restore the tree's cgroups under).  No exec.fifo: the restored
 * container is running, never created. */
#define _GNU_SOURCE
#include "container/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "container/container.h"
#include "container/foreground.h"
#include "container/internal.h"
#include "linux/criu-mounts.h"
#include "linux/criu.h"
#include "linux/hooks.h"
#include "oci/config.h"
#include "oci/jsontree.h"
#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xalloc.h"

struct rst_ctx
{
  const struct husk_restore_opts *o;
  char *bundle, *rootfs, *dir, *criu_root, *created, *log_path, *config_data;
  size_t config_len;
  struct oci_config *config;
  struct husk_cgroup *cgroup;
  int lock, images_fd, work_fd, console_fd;
  int ns_fds[4];
  size_t n_ns;
  bool mounted;
  pid_t pid;
  unsigned long long start_time;
  struct husk_criu_opts opts;
};

static int
load_bundle (struct rst_ctx *x, struct husk_error **err)
{
  cleanup_free char *cfg = NULL, *root = NULL;
  const char *b = x->o->bundle ? x->o->bundle : ".";

  x->bundle = realpath (b, NULL);
  if (x->bundle == NULL)
    return husk_error_set (err, errno, "bundle `%s`", b);
  cfg = xconcat (x->bundle, "/config.json", NULL);
  if (husk_read_file (cfg, &x->config_data, &x->config_len, err) < 0)
    return husk_error_wrap (err, "load config.json");
  x->config = oci_config_parse (x->config_data, x->config_len, err);
  if (x->config == NULL || oci_config_validate (x->config, err) < 0)
    return -1;
  if (x->config->process == NULL)
    return husk_error_set (err, 0, "restore: config.json has no process");
  if (x->config->root->path[0] == '/')
    root = xstrdup (x->config->root->path);
  else xasprintf (&root, "%s/%s", x->bundle, x->config->root->path);
  x->rootfs = realpath (root, NULL);
  if (x->rootfs == NULL)
    return husk_error_set (err, errno, "rootfs `%s`", root);
  if (x->config->process->terminal && x->o->console_socket == NULL)
    return husk_error_set (err, 0, "restore: process.terminal is true: the new pty master goes to "
                                   "--console-socket, which is missing");
  return 0;
}

static int
save_state (struct rst_ctx *x, struct husk_error **err)
{
  struct husk_state st = {
    .id = (char *) x->o->id, .pid = x->pid, .start_time = x->start_time, .bundle = x->bundle,
    .rootfs = x->rootfs, .created = x->created, .owner = getuid (),
    .cgroup_dirs = x->cgroup ? x->cgroup->dirs : NULL, .annotations = x->config->annotations,
    .annotations_len = x->config->annotations_len,
    .config_unneeded = husk_config_unneeded_later (x->config),
  };

  if (husk_state_write (x->dir, &st, err) < 0)
    return -1;
  return x->pid == 0 ? 0 : husk_write_pid_file (x->o->pid_file, x->pid, err);
}

/* mkdir <root>/<id> (the claim of the id), its lock, the config's copy. */
static int
make_state_dir (struct rst_ctx *x, struct husk_error **err)
{
  return husk_claim_state_dir (x->o->root, x->o->id, x->config_data, x->config_len, &x->dir,
                               &x->lock, err);
}

static int
make_cgroup (struct rst_ctx *x, struct husk_error **err)
{
  x->cgroup = husk_cgroup_plan (x->config, x->o->id, x->o->systemd_cgroup, false, err);
  if (x->cgroup == NULL)
    return -1;
  /* Named before any directory exists: `delete --force` finds them all. */
  if (save_state (x, err) < 0 || husk_cgroup_make (x->cgroup, err) < 0)
    return -1;
  return husk_cgroup_apply (x->cgroup, x->config, err);
}

/* The pipes among the dumped init's stdio get ours (runc's descriptors.json):
 * inherit_fd's fd is criu's own fd number, and criu's 0-2 are husk's. */
static int
inherit_stdio (struct rst_ctx *x, struct husk_error **err)
{
  const char *image = x->o->c.image_path ? x->o->c.image_path : "checkpoint";
  cleanup_free char *path = NULL, *data = NULL;
  json_val v;
  size_t len;

  path = xconcat (image, "/descriptors.json", NULL);
  if (husk_read_file (path, &data, &len, err) < 0)
    return husk_error_wrap (err, "restore: not a checkpoint of husk or runc");
  v = json_tree_parse (path, data, len, NULL);
  if (!json_is_array (v))
    {
      json_tree_free (v);
      return husk_error_set (err, EINVAL, "`%s`: not a JSON array", path);
    }
  for (size_t i = 0; i < v->u.array.len && i < 3; i++)
    {
      const char *s = json_string_of (v->u.array.values[i]);
      char fd[16];
      if (s == NULL || husk_strstr (s, "pipe:") == NULL)
        continue;
      snprintf (fd, sizeof fd, "%zu", i);
      husk_criu_kv_add (&x->opts.inherit_fd, &x->opts.inherit_fd_len, s, fd);
    }
  json_tree_free (v);
  return 0;
}

/* cg_root: the container's cgroup is the root under which CRIU puts the
 * restored tree's cgroups, in each hierarchy (no ctrl: the cgroup2 one). */
static void
cgroup_roots (struct rst_ctx *x)
{
  for (size_t i = 0; x->cgroup && x->cgroup->dirs[i]; i++)
    {
      const char *dir = x->cgroup->dirs[i], *mp = x->cgroup->mountpoints[i];
      const char *rel = mp && strncmp (dir, mp, strlen (mp)) == 0 ? dir + strlen (mp) : dir;
      const char *ctrl = x->cgroup->controllers[i];
      husk_criu_kv_add (&x->opts.cg_root, &x->opts.cg_root_len, ctrl && *ctrl ? ctrl : NULL,
                        *rel ? rel : "/");
    }
}

static int
bind_root (struct rst_ctx *x, struct husk_error **err)
{
  xasprintf (&x->criu_root, "%s/criu-root", x->dir);
  if (mkdir (x->criu_root, 0755) < 0)
    return husk_error_set (err, errno, "mkdir `%s`", x->criu_root);
  if (mount (x->rootfs, x->criu_root, NULL, MS_BIND | MS_REC, NULL) < 0)
    return husk_error_set (err, errno, "bind the rootfs on `%s`", x->criu_root);
  x->mounted = true;
  return 0;
}

static void
unbind_root (struct rst_ctx *x)
{
  if (x->mounted)
    umount2 (x->criu_root, MNT_DETACH);
  x->mounted = false;
  if (x->criu_root)
    rmdir (x->criu_root);
}

static int
connect_console (struct rst_ctx *x, struct husk_error **err)
{
  if (x->o->console_socket == NULL)
    return 0;
  x->console_fd = husk_console_socket_connect (x->o->console_socket, err);
  return x->console_fd < 0 ? -1 : 0;
}

static int
restore_options (struct rst_ctx *x, struct husk_error **err)
{
  const struct husk_restore_opts *o = x->o;

  if (husk_criu_common_opts (&o->c, true, &x->opts, &x->images_fd, &x->work_fd, &x->log_path,
                             err) < 0)
    return -1;
  if ((o->lsm_profile || o->lsm_mount_context) && husk_criu_require (o->c.criu, 31600, err) < 0)
    return husk_error_wrap (err, "--lsm-profile and --lsm-mount-context");
  x->opts.lsm_profile = o->lsm_profile ? xstrdup (o->lsm_profile) : NULL;
  x->opts.lsm_mount_context = o->lsm_mount_context ? xstrdup (o->lsm_mount_context) : NULL;
  x->opts.evasive_devices = true;
  x->opts.rst_sibling = true; /* the tree comes back as husk's child */
  if (bind_root (x, err) < 0)
    return -1;
  x->opts.root = xstrdup (x->criu_root);
  if (husk_criu_namespaces (x->config, true, &x->opts, x->ns_fds, &x->n_ns, 4, err) < 0
      || husk_criu_restore_mountpoints (x->config, x->rootfs, x->bundle, err) < 0
      || husk_criu_ext_mounts_cg (x->config, x->cgroup, 0, true, x->bundle, &x->opts, err) < 0
      || inherit_stdio (x, err) < 0)
    return -1;
  cgroup_roots (x);
  return 0;
}

/* CRIU's notifications while it restores (notify_scripts). */
static int
on_notify (const struct husk_criu_resp *r, int fd, void *data, struct husk_error **err)
{
  struct rst_ctx *x = data;
  const char *s = r->notify_script ? r->notify_script : "";
  const struct oci_hooks *h = x->config->hooks;

  if (strcmp (s, "orphan-pts-master") == 0)
    {
      /* The restored tty's new master, for whoever held the old one. */
      cleanup_close int master = fd;
      if (master < 0)
        return husk_error_set (err, EPROTO, "criu sent orphan-pts-master without an fd");
      if (x->console_fd < 0)
        return husk_error_set (err, 0, "restore: the container has a tty: --console-socket is needed");
      return husk_send_fd (x->console_fd, master, "/dev/console", 12,
                           "send pty master to the console socket", err);
    }
  if (fd >= 0)
    close (fd);
  if (strcmp (s, "setup-namespaces") == 0 && h)
    {
      /* The namespaces exist, the processes do not run yet: where create
       * runs prestart and createRuntime. */
      cleanup_free char *json = NULL;
      struct husk_state st = { .id = (char *) x->o->id, .pid = r->notify_pid,
                               .bundle = x->bundle, .rootfs = x->rootfs, .created = x->created,
                               .owner = getuid (), .annotations = x->config->annotations,
                               .annotations_len = x->config->annotations_len };
      json = husk_state_oci_json (&st, HUSK_STATUS_CREATED);
      if (husk_hooks_run (h->prestart, h->prestart_len, "prestart", json, err) < 0
          || husk_hooks_run (h->create_runtime, h->create_runtime_len, "createRuntime", json, err)
                 < 0)
        return -1;
    }
  else if (strcmp (s, "post-restore") == 0)
    {
      x->pid = r->notify_pid;
      x->start_time = husk_proc_start_time (x->pid);
      return save_state (x, err);
    }
  return 0;
}

static int
run_criu (struct rst_ctx *x, const sigset_t *mask, struct husk_error **err)
{
  struct husk_criu_call call = {
    .criu = x->o->c.criu, .cgroup = husk_cgjoin_cgroup (x->cgroup), .stdio = { 0, 1, 2 },
    .extra_fds = x->ns_fds, .extra_len = x->n_ns, .sigmask = mask, .notify = on_notify, .data = x,
    .log_path = x->log_path,
  };
  struct husk_criu_req req = { .type = HUSK_CRIU_RESTORE, .opts = &x->opts };
  struct husk_criu_resp resp;

  if (husk_criu_call (&call, &req, &resp, err) < 0)
    return -1;
  if (resp.restore_pid > 0 && resp.restore_pid != x->pid)
    {
      x->pid = resp.restore_pid;
      x->start_time = husk_proc_start_time (x->pid);
    }
  husk_criu_resp_free (&resp);
  if (x->pid <= 0)
    return husk_error_set (err, EPROTO, "criu restore: no pid of the restored process");
  return save_state (x, err);
}

static void
restore_cleanup (struct rst_ctx *x)
{
  husk_kill_and_reap (x->pid);
  x->pid = 0;
  unbind_root (x);
  if (x->cgroup)
    husk_cgroup_destroy (x->cgroup, NULL);
  if (x->dir)
    husk_remove_state_dir (x->dir);
}

static void
restore_free (struct rst_ctx *x)
{
  int fds[] = { x->lock, x->images_fd, x->work_fd, x->console_fd };

  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  for (size_t i = 0; i < x->n_ns; i++)
    close (x->ns_fds[i]);
  husk_criu_opts_free (&x->opts);
  husk_cgroup_free (x->cgroup);
  oci_config_free (x->config);
  free (x->config_data);
  free (x->bundle);
  free (x->rootfs);
  free (x->dir);
  free (x->criu_root);
  free (x->created);
  free (x->log_path);
}

int
husk_container_restore (const struct husk_restore_opts *o, int *status, struct husk_error **err)
{
  struct rst_ctx x = { .o = o, .lock = -1, .images_fd = -1, .work_fd = -1, .console_fd = -1 };
  sigset_t all, old;
  int ret = -1;

  husk_criu_opts_init (&x.opts);
  *status = 0;
  if (husk_check_id (o->id, err) < 0)
    return -1;
  if (geteuid () != 0)
    return husk_error_set (err, EPERM, "restore: criu needs root (CAP_SYS_ADMIN and "
                                       "CAP_CHECKPOINT_RESTORE); rootless is not supported");
  if (load_bundle (&x, err) < 0 || husk_criu_require (o->c.criu, HUSK_CRIU_MIN_VERSION, err) < 0)
    goto out;
  if (make_state_dir (&x, err) < 0)
    goto fail;
  x.created = husk_now_rfc3339 ();
  if (make_cgroup (&x, err) < 0 || restore_options (&x, err) < 0 || connect_console (&x, err) < 0)
    goto fail;
  /* Blocked before the tree exists, so that no signal for it (SIGCHLD
   * included) is lost; criu runs with our mask as it was. */
  sigfillset (&all);
  sigprocmask (SIG_BLOCK, &all, &old);
  if (!o->detach && !o->no_subreaper)
    prctl (PR_SET_CHILD_SUBREAPER, 1);
  if (run_criu (&x, &old, err) < 0)
    {
      sigprocmask (SIG_SETMASK, &old, NULL);
      goto fail;
    }
  unbind_root (&x);
  close (x.lock);
  x.lock = -1;
  ret = 0;
  if (!o->detach)
    {
      ret = husk_foreground_wait (x.pid, -1, status, err);
      husk_container_delete (o->root, o->id, true, NULL);
    }
  sigprocmask (SIG_SETMASK, &old, NULL);
  goto out;
fail:
  restore_cleanup (&x);
out:
  restore_free (&x);
  return ret;
}
