/* start, state, kill, delete, list: the commands that act on an existing container. */
#define _GNU_SOURCE
#include "container/container.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "container/internal.h"
#include "linux/hooks.h"
#include "linux/intelrdt.h"
#include "linux/netdev.h"
#include "linux/sync.h"
#include "oci/config.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/sort.h"
#include "util/str.h"
#include "util/xalloc.h"

int
husk_check_id (const char *id, struct husk_error **err)
{
  if (id == NULL || *id == '\0')
    return husk_error_set (err, 0, "container id cannot be empty");
  if (!isalnum ((unsigned char) id[0]))
    return husk_error_set (err, 0, "invalid container id format: %s", id);
  for (const char *p = id; *p; p++)
    if (!isalnum ((unsigned char) *p) && !strchr ("_+.-", *p))
      return husk_error_set (err, 0, "invalid container id format: %s", id);
  if (strlen (id) > 1024)
    return husk_error_set (err, 0, "invalid container id format: %s", id);
  return 0;
}

char *
husk_container_dir (const char *root, const char *id)
{
  char *p = NULL;

  p = xconcat (root, "/", id, NULL);
  return p;
}

int
husk_lock_dir (const char *dir, struct husk_error **err)
{
  int fd = openat (AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat sb;

  if (fd < 0)
    return husk_error_set (err, errno, "open state directory `%s`", dir);
  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        int e = errno;
        close (fd);
        return husk_error_set (err, e, "lock `%s`", dir);
      }
  /* The lock's holder may have been a `delete` that removed the directory. */
  if (fstat (fd, &sb) < 0 || sb.st_nlink == 0)
    {
      close (fd);
      return husk_error_set (err, ENOENT, "state directory `%s` was removed", dir);
    }
  return fd;
}

bool
husk_container_exists (const char *root, const char *id)
{
  cleanup_free char *path = NULL;

  if (husk_check_id (id, NULL) < 0)
    return false;
  xasprintf (&path, "%s/%s/state.json", root, id);
  return access (path, F_OK) == 0;
}

void
husk_remove_state_dir (const char *dir)
{
  /* The summary before the state.json it summarizes. */
  static const char *files[] = { HUSK_STATE_SUMMARY, "state.json", "config.json", "exec.fifo", NULL };
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  char path[4096];

  for (int i = 0; files[i]; i++)
    {
      snprintf (path, sizeof path, "%s/%s", dir, files[i]);
      unlink (path);
    }
  /* Leftover temp files of an interrupted atomic write. */
  d = opendir (dir);
  while (d && (de = readdir (d)))
    if (husk_strstr (de->d_name, ".tmp-"))
      {
        snprintf (path, sizeof path, "%s/%s", dir, de->d_name);
        unlink (path);
      }
  rmdir (dir);
}

static int
pidfd_open_ (pid_t pid)
{
  return (int) syscall (SYS_pidfd_open, pid, 0);
}

void
husk_kill_and_reap (pid_t pid)
{
  if (pid <= 0)
    return;
  kill (pid, SIGKILL);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

int
husk_wait_pid_gone (pid_t pid, int timeout_ms)
{
  cleanup_close int pfd = pidfd_open_ (pid);

  if (pfd >= 0)
    {
      struct pollfd p = { .fd = pfd, .events = POLLIN };
      int r = poll (&p, 1, timeout_ms);
      waitpid (pid, NULL, WNOHANG);
      return r > 0 ? 0 : -1;
    }
  for (int waited = 0; waited < timeout_ms; waited += 10)
    {
      char s = husk_proc_state (pid);
      if (s == 0 || s == 'Z' || s == 'X')
        return 0;
      usleep (10000);
    }
  return -1;
}

int
husk_container_load (const char *root, const char *id, struct husk_state **st,
                     enum husk_status *status, struct husk_error **err)
{
  cleanup_free char *dir = NULL;
  struct husk_error *e = NULL;

  if (husk_check_id (id, err) < 0)
    return -1;
  dir = husk_container_dir (root, id);
  *st = husk_state_read (dir, &e);
  if (*st == NULL)
    {
      if (e->errnum == ENOENT || e->errnum == ENOTDIR)
        {
          /* No such directory, or a create still in progress (or killed
           * before writing its state). */
          husk_error_release (&e);
          return husk_error_set (err, 0, "container does not exist: %s", id);
        }
      return husk_error_propagate (err, &e);
    }
  if (status)
    *status = husk_state_status (*st, dir);
  return 0;
}

int
husk_container_load_listed (const char *root, int root_fd, const char *id, struct husk_state **st,
                            enum husk_status *status, struct husk_error **err)
{
  if (husk_check_id (id, err) < 0)
    return -1;
  *st = root_fd >= 0 ? husk_state_read_summary (root_fd, id) : NULL;
  /* No live init (no process with its pid, a zombie, or a pid reused by a
   * process of another start time): stopped, whatever else state.json says.
   * The summary holds the pid and start time that tell: an init left a zombie
   * by a parent that does not reap costs one read of /proc/PID/stat, not
   * state.json. */
  if (*st && !husk_state_pid_alive (*st))
    {
      *status = HUSK_STATUS_STOPPED;
      return 0;
    }
  /* A live init: created, running or paused, told apart as `state` does it. */
  husk_state_free (*st);
  return husk_container_load (root, id, st, status, err);
}

/* Take the container's lock, then load its state: a command that loaded first
 * would act on what it read before a `create` or `delete` holding the lock
 * finished (the first state of a create in progress says pid 0, "stopped").
 * *lock: the locked fd, set even when the load fails (the caller closes it);
 * -1 with *absent when the state directory does not exist (or a `delete`
 * removed it while we waited). */
static int
lock_and_load (const char *root, const char *id, int *lock, bool *absent, struct husk_state **st,
               enum husk_status *status, struct husk_error **err)
{
  cleanup_free char *dir = NULL;
  struct husk_error *e = NULL;

  *lock = -1;
  *absent = false;
  *st = NULL;
  if (husk_check_id (id, err) < 0)
    return -1;
  dir = husk_container_dir (root, id);
  *lock = husk_lock_dir (dir, &e);
  if (*lock < 0)
    {
      if (e->errnum != ENOENT)
        return husk_error_propagate (err, &e);
      husk_error_release (&e);
      *absent = true;
      return husk_error_set (err, 0, "container does not exist: %s", id);
    }
  return husk_container_load (root, id, st, status, err);
}

/* Release the init blocked on exec.fifo: open the read side (non-blocking, so a
 * dead init cannot hang us), wait for its byte, remove the fifo. */
static int
open_exec_fifo (const char *dir, const struct husk_state *st, struct husk_error **err)
{
  cleanup_free char *fifo = NULL;
  cleanup_close int fd = -1;
  char c;

  fifo = xconcat (dir, "/exec.fifo", NULL);
  fd = openat (AT_FDCWD, fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return husk_error_set (err, errno, "open exec fifo `%s`", fifo);
  for (bool started = false;;)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      int r = poll (&p, 1, 100);
      if (r < 0 && errno != EINTR)
        return husk_error_set (err, errno, "poll exec fifo");
      if (r > 0)
        {
          ssize_t n = read (fd, &c, 1);
          if (n == 1 && !started)
            {
              /* The init is released; it can no longer be started twice. */
              started = true;
              unlink (fifo);
              continue;
            }
          /* EOF after the byte: the init exec'd (its write end was O_CLOEXEC). */
          if (n == 0 && started)
            return 0;
        }
      if (!husk_state_pid_alive (st))
        {
          if (started)
            return 0;
          return husk_error_set (err, 0, "container init exited before it was started");
        }
    }
}

bool
husk_config_unneeded_later (const struct oci_config *c)
{
  const struct oci_linux *l = c->linux_;

  return c->process != NULL
         && (c->hooks == NULL || (c->hooks->poststart_len == 0 && c->hooks->poststop_len == 0))
         && (l == NULL || (l->net_devices_len == 0 && l->intel_rdt == NULL));
}

static struct oci_config *
load_saved_config (const char *dir)
{
  cleanup_free char *path = NULL;

  path = xconcat (dir, "/config.json", NULL);
  return oci_config_load (path, NULL);
}

/* poststop: the spec says a failing hook is logged as a warning and the remaining
 * hooks and the lifecycle go on, so each runs on its own. */
static void
run_hooks_warn (const struct oci_hook *hooks, size_t n, const char *kind,
                const struct husk_state *st, enum husk_status status)
{
  cleanup_free char *json = NULL;

  if (n == 0)
    return;
  json = husk_state_oci_json (st, status);
  for (size_t i = 0; i < n; i++)
    {
      struct husk_error *herr = NULL;
      if (husk_hooks_run (&hooks[i], 1, kind, json, &herr) < 0)
        {
          cleanup_free char *t = husk_error_text (herr);
          husk_warn ("%s (hook #%zu)", t, i);
          husk_error_free (herr);
        }
    }
}

static int destroy (const char *dir, struct husk_state *st, enum husk_status status,
                    struct husk_error **err);

/* poststart: the spec asks for a warning only, but runc and crun fail `start` and
 * tear the container down, and their clients rely on it (a container whose
 * setup hook failed must not keep running unseen). */
static int
run_poststart (const char *dir, const struct oci_config *c, struct husk_state *st,
               struct husk_error **err)
{
  cleanup_free char *json = NULL;

  if (c == NULL || c->hooks == NULL || c->hooks->poststart_len == 0)
    return 0;
  json = husk_state_oci_json (st, HUSK_STATUS_RUNNING);
  if (husk_hooks_run (c->hooks->poststart, c->hooks->poststart_len, "poststart", json, err) == 0)
    return 0;
  destroy (dir, st, husk_state_status (st, dir), NULL);
  return -1;
}

int
husk_container_start (const char *root, const char *id, struct husk_error **err)
{
  struct husk_state *st = NULL;
  enum husk_status status;
  cleanup_free char *dir = NULL;
  cleanup_close int lock = -1;
  struct oci_config *c = NULL;
  bool absent;
  int ret = -1;

  if (lock_and_load (root, id, &lock, &absent, &st, &status, err) < 0)
    return -1;
  dir = husk_container_dir (root, id);
  if (status == HUSK_STATUS_STOPPED)
    {
      husk_error_set (err, 0, "cannot start a container that has stopped");
      goto out;
    }
  if (status != HUSK_STATUS_CREATED)
    {
      husk_error_set (err, 0, "cannot start an already running container");
      goto out;
    }
  c = st->config_unneeded ? NULL : load_saved_config (dir);
  /* The spec makes process optional at create and required at start: the init
   * of such a container waits on exec.fifo with nothing to execute. */
  if (c && c->process == NULL)
    {
      husk_error_set (err, 0, "cannot start container %s: config.json has no process", id);
      goto out;
    }
  if (open_exec_fifo (dir, st, err) < 0 || run_poststart (dir, c, st, err) < 0)
    goto out;
  ret = 0;
out:
  oci_config_free (c);
  husk_state_free (st);
  return ret;
}

int
husk_container_start_run (int start_fd, struct husk_error **err)
{
  struct husk_sync_msg m;
  int r;

  /* EOF: the init executed the process (the socket closes on exec), or died,
   * which the exit status tells. */
  r = husk_sync_recv_or_eof (start_fd, &m, "its exec", err);
  close (start_fd);
  if (r <= 0)
    return r;
  free (m.text);
  if (m.fd >= 0)
    close (m.fd);
  return husk_error_set (err, EPROTO, "sync: unexpected message %d", (int) m.type);
}

/* A paused container's tasks take even SIGKILL only once thawed (v1 freezer). */
static void
thaw (const struct husk_cgroup *cg)
{
  if (husk_cgroup_is_frozen (cg))
    husk_cgroup_freeze (cg, false, NULL);
}

/* Kill whatever lives, run poststop, remove cgroup and state. */
static int
destroy (const char *dir, struct husk_state *st, enum husk_status status, struct husk_error **err)
{
  struct husk_cgroup *cg = NULL;
  struct oci_config *c = st->config_unneeded ? NULL : load_saved_config (dir);
  int ret = 0;

  if (st->cgroup_dirs && st->cgroup_dirs[0])
    cg = husk_cgroup_from_dirs (st->cgroup_dirs);
  /* The devices go back while the container's network namespace exists: when
   * it dies, the kernel destroys a veth and renames a physical device. */
  husk_netdev_move_out (c, status != HUSK_STATUS_STOPPED ? st->pid : 0);
  if (status != HUSK_STATUS_STOPPED)
    {
      kill (st->pid, SIGKILL);
      if (cg)
        {
          husk_cgroup_kill_all (cg, SIGKILL, NULL);
          thaw (cg);
        }
      husk_wait_pid_gone (st->pid, 10000);
    }
  /* Of a stopped container nearly always each cgroup is an empty leaf, which
   * one rmdir removes: tried first (listing cgroup.procs in every hierarchy
   * was a sixth of `delete`).  A process still there makes it fail: one
   * outside the init's pid namespace (a shared one), or a cgroup that exiting
   * tasks keep busy a moment longer.  Then, as before: kill what is left,
   * remove the rest, waiting for busy ones. */
  if (cg && (status != HUSK_STATUS_STOPPED || husk_cgroup_remove_if_empty (cg) < 0))
    {
      husk_cgroup_kill_all (cg, SIGKILL, NULL);
      if (husk_cgroup_destroy (cg, err) < 0)
        ret = -1;
    }
  husk_cgroup_free (cg);
  husk_intelrdt_destroy (c, st->id);
  if (c && c->hooks)
    run_hooks_warn (c->hooks->poststop, c->hooks->poststop_len, "poststop", st,
                    HUSK_STATUS_STOPPED);
  oci_config_free (c);
  husk_remove_state_dir (dir);
  return ret;
}

int
husk_container_delete (const char *root, const char *id, bool force, struct husk_error **err)
{
  struct husk_state *st = NULL;
  enum husk_status status;
  cleanup_free char *dir = NULL;
  cleanup_close int lock = -1;
  struct husk_error *e = NULL;
  bool absent;
  int ret = -1;

  if (lock_and_load (root, id, &lock, &absent, &st, &status, &e) < 0)
    {
      /* runc: --force of a container that does not exist succeeds. */
      if (absent && force)
        {
          husk_error_release (&e);
          return 0;
        }
      /* Locked, the state directory is here but its state.json is missing (a
       * create killed before writing it) or corrupt: --force removes it. */
      if (lock < 0 || !force || e->errnum != 0)
        return husk_error_propagate (err, &e);
      husk_error_release (&e);
      dir = husk_container_dir (root, id);
      husk_remove_state_dir (dir);
      return 0;
    }
  dir = husk_container_dir (root, id);
  /* The spec: deleting a container that is not stopped is an error and has no
   * effect.  (runc also deletes a `created` one; --force does that here.) */
  if (!force && status != HUSK_STATUS_STOPPED)
    {
      husk_error_set (err, 0, "cannot delete container %s that is not stopped: %s", id,
                      husk_status_name (status));
      goto out;
    }
  ret = destroy (dir, st, status, err);
out:
  husk_state_free (st);
  return ret;
}

/* ids in strcmp order (runc's list is in the order of its sorted ReadDir).  musl's
 * qsort, a smoothsort that moves elements with memcpy, was a fifth of `list`'s
 * instructions; husk_sort is a merge sort. */
static int
cmp_id (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

char **
husk_container_list (const char *root, struct husk_error **err)
{
  cleanup_dir DIR *d = opendir (root);
  struct dirent *de;
  char **ids = xcalloc (1, sizeof (char *));
  size_t n = 0, cap = sizeof (char *);

  if (ids == NULL)
    abort ();
  if (d == NULL)
    {
      if (errno == ENOENT)
        return ids;
      free (ids);
      husk_error_set (err, errno, "open state root `%s`", root);
      return NULL;
    }
  while ((de = readdir (d)))
    {
      /* One scan: a directory without a state.json (a create in progress)
       * is skipped by whoever loads it, not probed here. */
      if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
        continue;
      /* Doubling: growing by one would copy the array at each entry where
       * realloc moves it (musl's does), quadratic in the number of containers. */
      ids = xgrow (ids, &cap, (n + 2) * sizeof (char *), 16 * sizeof (char *));
      ids[n++] = xstrdup (de->d_name);
      ids[n] = NULL;
    }
  husk_sort (ids, n, sizeof *ids, cmp_id);
  return ids;
}

int
husk_claim_state_dir (const char *root, const char *id, const char *config_data,
                      size_t config_len, char **dir, int *lock, struct husk_error **err)
{
  cleanup_free char *path = NULL;

  if (husk_mkdir_p (root, 0700, err) < 0)
    return husk_error_wrap (err, "create state root");
  path = husk_container_dir (root, id);
  if (mkdir (path, 0711) < 0)
    {
      if (errno == EEXIST)
        return husk_error_set (err, 0, "container with id exists: %s", id);
      return husk_error_set (err, errno, "create state directory `%s`", path);
    }
  *dir = steal_ptr (path);
  *lock = husk_lock_dir (*dir, err);
  if (*lock < 0)
    return -1;
  path = xconcat (*dir, "/config.json", NULL);
  return husk_write_file_atomic (path, config_data, config_len, 0600, err);
}
