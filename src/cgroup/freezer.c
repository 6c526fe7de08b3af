/* Freezing and signalling every process of a cgroup.
 *
 * v1: freezer.state; FROZEN is asked for and the kernel answers FREEZING until
 * every task has stopped, so the request is repeated until it reads FROZEN.
 * v2 (and a hybrid host without a v1 freezer): cgroup.freeze, done when
 * cgroup.events says "frozen 1". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"

#define FREEZE_TIMEOUT_MS 5000

static void
sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

static bool
v2_frozen (const char *dir, bool want)
{
  uint64_t v;
  return cg_read_key (dir, "cgroup.events", "frozen", &v) && (v == 1) == want;
}

static int
freeze_v1 (const char *dir, bool frozen, struct husk_error **err)
{
  const char *want = frozen ? "FROZEN" : "THAWED";

  for (int ms = 0; ms < FREEZE_TIMEOUT_MS; ms++)
    {
      cleanup_free char *state = NULL;
      /* Asking again moves on tasks that were busy (in a vfork, say) last time. */
      if (ms % 10 == 0 && cg_write (dir, "freezer.state", want, err) < 0)
        return -1;
      state = cg_read (dir, "freezer.state");
      if (state && strcmp (state, want) == 0)
        return 0;
      sleep_ms (1);
    }
  if (frozen)
    cg_write (dir, "freezer.state", "THAWED", NULL);
  return husk_error_set (err, ETIMEDOUT, "`%s/freezer.state` did not become %s", dir, want);
}

/* v2 tells when "frozen" changes: cgroup.events polls POLLPRI on every change
 * of its keys, so the wait ends when the kernel says so, not on a sleep's tick.
 * (Each poll is capped, and the file read again, in case a kernel notifies
 * late.) */
static int
freeze_v2 (const char *dir, bool frozen, struct husk_error **err)
{
  cleanup_free char *events = cg_path (dir, "cgroup.events");
  cleanup_close int fd = -1;
  struct timespec t0, t;

  if (cg_write (dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
    return -1;
  fd = openat (AT_FDCWD, events, O_RDONLY | O_CLOEXEC);
  clock_gettime (CLOCK_MONOTONIC, &t0);
  for (;;)
    {
      char buf[256];
      ssize_t n;
      long ms;

      /* Each read through fd also re-arms its POLLPRI (kernfs compares the
       * file's event count with the one it had at the fd's last read). */
      if (fd >= 0 && (n = pread (fd, buf, sizeof buf - 1, 0)) > 0)
        {
          uint64_t v;

          buf[n] = '\0';
          if (cg_key_value (buf, "frozen", &v) && (v == 1) == frozen)
            return 0;
        }
      else if (v2_frozen (dir, frozen))
        return 0;
      clock_gettime (CLOCK_MONOTONIC, &t);
      ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
      if (ms >= FREEZE_TIMEOUT_MS)
        break;
      if (fd >= 0)
        {
          struct pollfd p = { .fd = fd, .events = POLLPRI };
          poll (&p, 1, 10);
        }
      else
        sleep_ms (1);
    }
  if (frozen)
    cg_write (dir, "cgroup.freeze", "0", NULL);
  return husk_error_set (err, ETIMEDOUT, "`%s/cgroup.events` did not say frozen %d", dir,
                         frozen ? 1 : 0);
}

int
husk_cgroup_freeze (const struct husk_cgroup *cg, bool frozen, struct husk_error **err)
{
  if (cg->freezer_dir)
    return freeze_v1 (cg->freezer_dir, frozen, err);
  if (cg->unified_dir && cg_exists (cg->unified_dir, "cgroup.freeze"))
    return freeze_v2 (cg->unified_dir, frozen, err);
  return husk_error_set (err, ENODEV, "this host has no cgroup freezer (v1 freezer or cgroup.freeze)");
}

bool
husk_cgroup_is_frozen (const struct husk_cgroup *cg)
{
  if (cg->freezer_dir)
    {
      cleanup_free char *state = cg_read (cg->freezer_dir, "freezer.state");
      return state && strcmp (state, "FROZEN") == 0;
    }
  if (cg->unified_dir)
    {
      cleanup_free char *f = cg_read (cg->unified_dir, "cgroup.freeze");
      return f && f[0] == '1';
    }
  return false;
}

int
husk_cgroup_kill_all (const struct husk_cgroup *cg, int sig, struct husk_error **err)
{
  pid_t *pids = NULL;
  size_t n = 0;
  bool was_frozen, froze = false;
  int ret = 0;

  /* cgroup.kill (Linux 5.14) kills the whole subtree at once, forks included. */
  if (sig == SIGKILL && cg->unified_dir && cg_exists (cg->unified_dir, "cgroup.kill"))
    return cg_write (cg->unified_dir, "cgroup.kill", "1", err);
  /* Otherwise freeze first, so that nothing forks between listing and signalling
   * (runc's signalAllProcesses).  Without a freezer: best effort.  Signal 0
   * only asks whether each exists: no need to stop anything. */
  /* An empty cgroup stays empty (only its members fork into it, and exec is
   * refused to a stopped container): nothing to freeze or signal.  The usual
   * case: delete of a stopped container. */
  if (sig != 0 && husk_cgroup_pids (cg, &pids, &n, NULL) == 0 && n == 0)
    return 0;
  free (pids);
  pids = NULL;
  n = 0;
  was_frozen = husk_cgroup_is_frozen (cg);
  if (sig != 0 && !was_frozen && husk_cgroup_freeze (cg, true, NULL) == 0)
    froze = true;
  if (husk_cgroup_pids (cg, &pids, &n, err) < 0)
    ret = -1;
  for (size_t i = 0; ret == 0 && i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      ret = husk_error_set (err, errno, "kill %d", (int) pids[i]);
  /* A paused container stays paused, unless it is to die: a v1-frozen task
   * handles even SIGKILL only once thawed. */
  if (froze || (was_frozen && sig == SIGKILL))
    husk_cgroup_freeze (cg, false, NULL);
  free (pids);
  return ret;
}
