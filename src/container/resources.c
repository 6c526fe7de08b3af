/* update, pause, resume, ps, events: the commands that act on the cgroup of an
 * existing container. */
#define _GNU_SOURCE
#include "container/container.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "container/internal.h"
#include "oci/config.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* The container's state and cgroup, for a command that needs it alive (and, with
 * lock, holding the container's lock).  The caller frees both and closes *lock. */
static int
open_cgroup (const char *root, const char *id, int *lock, struct husk_state **st,
             enum husk_status *status, struct husk_cgroup **cg, struct husk_error **err)
{
  cleanup_free char *dir = husk_container_dir (root, id);
  struct husk_error *e = NULL;

  *cg = NULL;
  *st = NULL;
  /* The lock first, then the state: what was read before waiting for a create
   * or delete that held it would be stale. */
  if (lock && husk_check_id (id, err) < 0)
    return -1;
  if (lock && (*lock = husk_lock_dir (dir, &e)) < 0)
    {
      if (e->errnum != ENOENT)
        return husk_error_propagate (err, &e);
      husk_error_release (&e);
      return husk_error_set (err, 0, "container does not exist: %s", id);
    }
  if (husk_container_load (root, id, st, status, err) < 0)
    goto fail;
  if (*status == HUSK_STATUS_STOPPED)
    {
      husk_error_set (err, 0, "container %s is not running", id);
      goto fail;
    }
  if ((*st)->cgroup_dirs == NULL || (*st)->cgroup_dirs[0] == NULL)
    {
      husk_error_set (err, ENOENT, "container %s has no cgroup", id);
      goto fail;
    }
  *cg = husk_cgroup_from_dirs ((*st)->cgroup_dirs);
  return 0;
fail:
  if (lock && *lock >= 0)
    {
      close (*lock);
      *lock = -1;
    }
  husk_state_free (*st);
  *st = NULL;
  return -1;
}

static struct oci_config *
saved_config (const char *root, const char *id)
{
  cleanup_free char *dir = husk_container_dir (root, id), *path = NULL;

  path = xconcat (dir, "/config.json", NULL);
  return oci_config_load (path, NULL);
}

int
husk_container_update (const char *root, const char *id, const struct oci_resources *r,
                       struct husk_error **err)
{
  struct husk_state *st;
  enum husk_status status;
  struct husk_cgroup *cg;
  cleanup_close int lock = -1;
  struct oci_config *c = NULL;
  int ret;

  if (open_cgroup (root, id, &lock, &st, &status, &cg, err) < 0)
    return -1;
  /* The device rules of the container's config, for the defaults: only when the
   * update sets device rules. */
  if (r->devices_len)
    c = saved_config (root, id);
  ret = husk_cgroup_update (cg, r, c, err);
  oci_config_free (c);
  husk_cgroup_free (cg);
  husk_state_free (st);
  return ret;
}

static int
set_frozen (const char *root, const char *id, bool frozen, struct husk_error **err)
{
  struct husk_state *st;
  enum husk_status status;
  struct husk_cgroup *cg;
  cleanup_close int lock = -1;
  int ret = -1;

  if (open_cgroup (root, id, &lock, &st, &status, &cg, err) < 0)
    return -1;
  if (frozen && status != HUSK_STATUS_RUNNING && status != HUSK_STATUS_CREATED)
    husk_error_set (err, 0, "container %s is not running: %s", id, husk_status_name (status));
  else if (!frozen && status != HUSK_STATUS_PAUSED)
    husk_error_set (err, 0, "container %s is not paused: %s", id, husk_status_name (status));
  else
    ret = husk_cgroup_freeze (cg, frozen, err);
  husk_cgroup_free (cg);
  husk_state_free (st);
  return ret;
}

int
husk_container_pause (const char *root, const char *id, struct husk_error **err)
{
  return set_frozen (root, id, true, err);
}

int
husk_container_resume (const char *root, const char *id, struct husk_error **err)
{
  return set_frozen (root, id, false, err);
}

int
husk_container_pids (const char *root, const char *id, pid_t **pids, size_t *n,
                     struct husk_error **err)
{
  struct husk_state *st;
  enum husk_status status;
  struct husk_cgroup *cg;
  int ret;

  /* Stopped, as runc: whatever its cgroup still holds (processes the init left
   * behind without a pid namespace of its own), none once the cgroup is gone. */
  if (husk_container_load (root, id, &st, &status, err) < 0)
    return -1;
  if (status == HUSK_STATUS_STOPPED)
    {
      *pids = NULL;
      *n = 0;
      cg = st->cgroup_dirs && st->cgroup_dirs[0] ? husk_cgroup_from_dirs (st->cgroup_dirs) : NULL;
      if (cg && husk_cgroup_pids (cg, pids, n, NULL) < 0)
        *n = 0;
      husk_cgroup_free (cg);
      husk_state_free (st);
      return 0;
    }
  husk_state_free (st);
  if (open_cgroup (root, id, NULL, &st, &status, &cg, err) < 0)
    return -1;
  ret = husk_cgroup_pids (cg, pids, n, err);
  husk_cgroup_free (cg);
  husk_state_free (st);
  return ret;
}

/* {"type":TYPE,"id":ID[,"data":STATS]} on one line, to the callback. */
static int
emit (const char *type, const char *id, const struct husk_cgroup *cg, husk_event_fn fn, void *data)
{
  cleanup_free char *json = husk_event_json (type, id, cg);

  return fn (json, data);
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait up to ms for an OOM notification; true when the kill counter moved (or,
 * on v1, the eventfd fired: memory.oom_control reports under_oom as well). */
static bool
wait_oom (const struct husk_cgroup *cg, int fd, int ms, uint64_t *kills)
{
  struct pollfd p = { .fd = fd, .events = POLLIN };
  char buf[4096];
  uint64_t now;

  if (fd < 0)
    {
      usleep ((useconds_t) ms * 1000);
      p.revents = 0;
    }
  else if (poll (&p, 1, ms) <= 0)
    p.revents = 0;
  if (fd >= 0 && (p.revents & POLLIN))
    while (read (fd, buf, sizeof buf) > 0)
      ;
  now = husk_cgroup_oom_kills (cg);
  if (now > *kills || (p.revents & POLLIN && cg->unified_dir == NULL))
    {
      *kills = now;
      return true;
    }
  *kills = now;
  return false;
}

int
husk_container_events (const char *root, const char *id, bool stats_once, unsigned interval_ms,
                       husk_event_fn fn, void *data, struct husk_error **err)
{
  struct husk_state *st;
  enum husk_status status;
  struct husk_cgroup *cg;
  cleanup_close int ofd = -1;
  uint64_t kills;
  int ret = 0;

  if (open_cgroup (root, id, NULL, &st, &status, &cg, err) < 0)
    return -1;
  if (stats_once)
    {
      ret = emit ("stats", id, cg, fn, data) < 0 ? husk_error_set (err, EPIPE, "events: write") : 0;
      goto out;
    }
  /* Without a memory controller there are no OOM events, only stats. */
  ofd = husk_cgroup_oom_fd (cg, NULL);
  kills = husk_cgroup_oom_kills (cg);
  for (int64_t next = now_ms (); husk_state_pid_alive (st);)
    {
      int64_t left = next - now_ms ();
      if (left <= 0)
        {
          if (emit ("stats", id, cg, fn, data) < 0)
            break;
          next = now_ms () + interval_ms;
          continue;
        }
      if (wait_oom (cg, ofd, left > 200 ? 200 : (int) left, &kills) && emit ("oom", id, NULL, fn, data) < 0)
        break;
    }
  /* The init may have been the one OOM killed. */
  if (husk_cgroup_oom_kills (cg) > kills)
    emit ("oom", id, NULL, fn, data);
out:
  husk_cgroup_free (cg);
  husk_state_free (st);
  return ret;
}
