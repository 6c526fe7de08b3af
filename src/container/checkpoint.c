/* husk checkpoint: CRIU dumps the container's process tree into an image
 * directory (runc's checkpoint, option for option). */
#define _GNU_SOURCE
#include "container/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "container/container.h"
#include "container/internal.h"
#include "linux/criu-mounts.h"
#include "linux/criu.h"
#include "oci/config.h"
#include "util/jsongen.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

/* CRIU reads this file (runc's name): the host side of the init's stdio. */
#define DESCRIPTORS "descriptors.json"

static int
open_dir (const char *path, bool make, const char *what, struct husk_error **err)
{
  int fd;

  if (make && husk_mkdir_p (path, 0700, err) < 0)
    return husk_error_wrap (err, "%s", what);
  fd = openat (AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return husk_error_set (err, errno, "%s `%s`", what, path);
  return fd;
}

int
husk_criu_common_opts (const struct husk_criu_common *c, bool restore, struct husk_criu_opts *o,
                       int *images_fd, int *work_fd, char **log_path, struct husk_error **err)
{
  const char *image = c->image_path ? c->image_path : "checkpoint";
  const char *log = restore ? "restore.log" : "dump.log";

  /* CRIU opens these through /proc/<our pid>/fd/N: they stay open in husk. */
  *images_fd = open_dir (image, !restore, "image directory", err);
  if (*images_fd < 0)
    return -1;
  if (c->work_path)
    {
      *work_fd = open_dir (c->work_path, true, "work directory", err);
      if (*work_fd < 0)
        return -1;
    }
  xasprintf (log_path, "%s/%s", c->work_path ? c->work_path : image, log);
  o->images_dir_fd = *images_fd;
  o->work_dir_fd = *work_fd;
  o->log_level = 4;
  o->log_file = xstrdup (log);
  o->manage_cgroups = true; /* the older spelling of manage_cgroups_mode */
  o->manage_cgroups_mode = c->manage_cgroups_mode;
  o->notify_scripts = true;
  o->shell_job = c->shell_job;
  o->ext_unix_sk = c->ext_unix_sk;
  o->tcp_established = c->tcp_established;
  o->file_locks = c->file_locks;
  /* husk does not manage network devices: the network namespace is always
   * restored empty (runc's rule), its interfaces are the network manager's. */
  o->empty_ns = c->empty_ns | CLONE_NEWNET;
  o->orphan_pts_master = true;
  o->auto_dedup = c->auto_dedup;
  o->lazy_pages = c->lazy_pages;
  return 0;
}

/* The targets of the init's fds 0-2 (runc's descriptors.json): at restore,
 * the pipes among them are given the restorer's stdio (inherit_fd). */
static int
write_descriptors (const char *image, int images_fd, pid_t pid, struct husk_error **err)
{
  struct json_gen *g = json_gen_new (NULL);
  cleanup_free char *path = NULL, *json = NULL;
  size_t len;

  (void) images_fd;
  json_gen_array_open (g);
  for (int i = 0; i < 3; i++)
    {
      char link[64], target[PATH_MAX];
      ssize_t n;
      snprintf (link, sizeof link, "/proc/%d/fd/%d", (int) pid, i);
      n = readlink (link, target, sizeof target - 1);
      target[n < 0 ? 0 : n] = '\0';
      json_gen_str (g, target);
    }
  json_gen_array_close (g);
  json = json_gen_finish (g, &len);
  path = xconcat (image, "/" DESCRIPTORS, NULL);
  return husk_write_file_atomic (path, json, len, 0600, err);
}

static int
page_server (const char *s, struct husk_criu_opts *o, struct husk_error **err)
{
  const char *colon = strrchr (s, ':');
  char *end;
  long port;

  if (colon == NULL || colon == s || colon[1] == '\0')
    return husk_error_set (err, 0, "use --page-server ADDRESS:PORT to name the page server");
  port = strtol (colon + 1, &end, 10);
  if (*end || port <= 0 || port > 65535)
    return husk_error_set (err, 0, "--page-server `%s`: invalid port number", s);
  o->ps_address = xstrndup (s, (size_t) (colon - s));
  o->ps_port = (int) port;
  return 0;
}

/* Whether CRIU (and the kernel) have a feature: FEATURE_CHECK. */
static int
require_feature (const char *criu, bool mem_track, struct husk_error **err)
{
  struct husk_criu_call c = { .criu = criu, .stdio = { -1, -1, -1 } };
  struct husk_criu_req req = { .type = HUSK_CRIU_FEATURE_CHECK, .feat_mem_track = mem_track,
                               .feat_lazy_pages = !mem_track };
  struct husk_criu_resp r;
  bool ok;

  if (husk_criu_call (&c, &req, &r, err) < 0)
    return -1;
  ok = mem_track ? r.feat_mem_track : r.feat_lazy_pages;
  husk_criu_resp_free (&r);
  if (!ok)
    return husk_error_set (err, EOPNOTSUPP, "%s: criu or the kernel lacks %s",
                           mem_track ? "--pre-dump" : "--lazy-pages",
                           mem_track ? "memory tracking (soft-dirty bits)" : "lazy pages (userfaultfd)");
  return 0;
}

static int
dump_options (const struct husk_checkpoint_opts *o, const struct oci_config *cfg,
              struct husk_criu_opts *opts, struct husk_error **err)
{
  const char *image = o->c.image_path ? o->c.image_path : "checkpoint";

  opts->leave_running = o->leave_running;
  opts->tcp_skip_in_flight = o->tcp_skip_in_flight;
  opts->link_remap = o->link_remap;
  for (size_t i = 0; i < cfg->annotations_len; i++)
    if (strcmp (cfg->annotations[i].key, "org.criu.config") == 0 && cfg->annotations[i].value[0])
      opts->config_file = xstrdup (cfg->annotations[i].value);
  if (o->page_server && page_server (o->page_server, opts, err) < 0)
    return -1;
  if (o->parent_path)
    {
      cleanup_free char *p = NULL;
      struct stat sb;
      if (o->parent_path[0] == '/')
        return husk_error_set (err, 0, "--parent-path must be relative (to the image directory)");
      p = xconcat (image, "/", o->parent_path, NULL);
      if (stat (p, &sb) < 0 || !S_ISDIR (sb.st_mode))
        return husk_error_set (err, access (p, F_OK) < 0 ? errno : ENOTDIR,
                               "invalid --parent-path `%s`", p);
      opts->parent_img = xstrdup (o->parent_path);
      opts->track_mem = true;
    }
  if (o->status_fd >= 0)
    {
      int fl = fcntl (o->status_fd, F_GETFL);
      if (fl < 0)
        return husk_error_set (err, errno, "invalid --status-fd %d", o->status_fd);
      if ((fl & O_ACCMODE) == O_RDONLY)
        return husk_error_set (err, EBADF, "invalid --status-fd %d: not writable", o->status_fd);
      opts->status_fd = o->status_fd;
    }
  return 0;
}

struct dump_ctx
{
  const struct husk_checkpoint_opts *o;
  struct husk_state *st;
  struct oci_config *cfg;
  struct husk_cgroup *cg;
  int lock, images_fd, work_fd;
  char *log_path;
  struct husk_criu_opts opts;
};

static int
load (struct dump_ctx *x, struct husk_error **err)
{
  cleanup_free char *dir = husk_container_dir (x->o->root, x->o->id), *path = NULL, *data = NULL;
  enum husk_status status;
  size_t len;

  if (husk_check_id (x->o->id, err) < 0)
    return -1;
  if (!husk_container_exists (x->o->root, x->o->id))
    return husk_error_set (err, 0, "container does not exist: %s", x->o->id);
  x->lock = husk_lock_dir (dir, err);
  if (x->lock < 0 || husk_container_load (x->o->root, x->o->id, &x->st, &status, err) < 0)
    return -1;
  if (status == HUSK_STATUS_CREATED || status == HUSK_STATUS_STOPPED
      || status == HUSK_STATUS_CREATING)
    return husk_error_set (err, 0, "container %s cannot be checkpointed in %s state", x->o->id,
                           husk_status_name (status));
  path = xconcat (dir, "/config.json", NULL);
  if (husk_read_file (path, &data, &len, err) < 0)
    return husk_error_wrap (err, "container %s", x->o->id);
  x->cfg = oci_config_parse (data, len, err);
  if (x->cfg == NULL)
    return -1;
  x->cg = x->st->cgroup_dirs ? husk_cgroup_from_dirs (x->st->cgroup_dirs) : NULL;
  return 0;
}

static int
dump (struct dump_ctx *x, struct husk_error **err)
{
  const struct husk_checkpoint_opts *o = x->o;
  const char *image = o->c.image_path ? o->c.image_path : "checkpoint";
  struct husk_criu_call call = { .criu = o->c.criu, .stdio = { -1, -1, -1 } };
  struct husk_criu_req req = { .type = o->pre_dump ? HUSK_CRIU_PRE_DUMP : HUSK_CRIU_DUMP,
                               .opts = &x->opts };
  struct husk_criu_resp resp;
  bool pidns = oci_config_namespace (x->cfg, OCI_NS_PID)
               && oci_config_namespace (x->cfg, OCI_NS_PID)->path;

  if (geteuid () != 0)
    return husk_error_set (err, EPERM, "checkpoint: criu needs root (CAP_SYS_ADMIN and "
                                       "CAP_CHECKPOINT_RESTORE); rootless is not supported");
  /* 3.15: an external pid namespace. */
  if (husk_criu_require (o->c.criu, pidns ? 31500 : HUSK_CRIU_MIN_VERSION, err) < 0)
    return -1;
  if (husk_criu_common_opts (&o->c, false, &x->opts, &x->images_fd, &x->work_fd, &x->log_path,
                             err) < 0
      || dump_options (o, x->cfg, &x->opts, err) < 0)
    return -1;
  if ((o->pre_dump && require_feature (o->c.criu, true, err) < 0)
      || (o->c.lazy_pages && require_feature (o->c.criu, false, err) < 0))
    return -1;
  x->opts.root = xstrdup (x->st->rootfs);
  x->opts.pid = x->st->pid;
  if (x->cg && (x->cg->freezer_dir || x->cg->unified_dir))
    x->opts.freeze_cgroup = xstrdup (x->cg->freezer_dir ? x->cg->freezer_dir : x->cg->unified_dir);
  if (husk_criu_namespaces (x->cfg, false, &x->opts, NULL, NULL, 0, err) < 0)
    return -1;
  /* A pre-dump saves memory only: no mounts, no files. */
  if (!o->pre_dump
      && (husk_criu_ext_mounts_cg (x->cfg, x->cg, x->st->pid, false, NULL, &x->opts, err) < 0
          || write_descriptors (image, x->images_fd, x->st->pid, err) < 0))
    return -1;
  call.log_path = x->log_path;
  if (husk_criu_call (&call, &req, &resp, err) < 0)
    return -1;
  husk_criu_resp_free (&resp);
  return 0;
}

int
husk_container_checkpoint (const struct husk_checkpoint_opts *o, struct husk_error **err)
{
  struct dump_ctx x = { .o = o, .lock = -1, .images_fd = -1, .work_fd = -1 };
  int r;

  husk_criu_opts_init (&x.opts);
  r = load (&x, err);
  if (r == 0)
    r = dump (&x, err);
  husk_criu_opts_free (&x.opts);
  if (x.lock >= 0)
    close (x.lock);
  if (x.images_fd >= 0)
    close (x.images_fd);
  if (x.work_fd >= 0)
    close (x.work_fd);
  free (x.log_path);
  husk_cgroup_free (x.cg);
  oci_config_free (x.cfg);
  husk_state_free (x.st);
  /* The processes are gone (CRIU killed them): the container goes too. */
  if (r == 0 && !o->leave_running && !o->pre_dump
      && husk_container_delete (o->root, o->id, true, err) < 0)
    return husk_error_wrap (err, "checkpoint: delete the dumped container");
  return r;
}
