/* Signal names, and `kill`: the init, or every process of the container's cgroup. */
#define _GNU_SOURCE
#include "container/container.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "oci/config.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static const struct
{
  const char *name;
  int sig;
} signals[] = {
  { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
  { "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS },
  { "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
  { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
  { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
  { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
  { "WINCH", SIGWINCH }, { "IO", SIGIO }, { "POLL", SIGPOLL }, { "PWR", SIGPWR },
  { "SYS", SIGSYS },
};

int
husk_parse_signal (const char *s, struct husk_error **err)
{
  const char *name = s;
  char *end;

  if (s == NULL || *s == '\0')
    return husk_error_set (err, 0, "invalid signal: empty");
  if (isdigit ((unsigned char) *s))
    {
      long v = strtol (s, &end, 10);
      /* 0 sends nothing: it checks that the target exists (kill(2), runc). */
      if (*end || v < 0 || v > SIGRTMAX)
        return husk_error_set (err, 0, "invalid signal: %s", s);
      return (int) v;
    }
  if (strncasecmp (name, "SIG", 3) == 0)
    name += 3;
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    if (strcasecmp (name, signals[i].name) == 0)
      return signals[i].sig;
  if (strncasecmp (name, "RTMIN", 5) == 0 || strncasecmp (name, "RTMAX", 5) == 0)
    {
      int base = strncasecmp (name, "RTMIN", 5) == 0 ? SIGRTMIN : SIGRTMAX;
      long off = name[5] ? strtol (name + 5, &end, 10) : 0;
      if (name[5] && *end)
        return husk_error_set (err, 0, "unknown signal \"%s\"", s);
      if (base + off >= SIGRTMIN && base + off <= SIGRTMAX)
        return (int) (base + off);
    }
  return husk_error_set (err, 0, "unknown signal \"%s\"", s);
}

/* Through a pidfd, checked against the start time after it is open: the signal
 * cannot reach a process that reused the pid. */
static int
signal_init (const struct husk_state *st, const char *id, int sig, struct husk_error **err)
{
  cleanup_close int pfd = (int) syscall (SYS_pidfd_open, st->pid, 0);

  if (pfd >= 0)
    {
      if (!husk_state_pid_alive (st))
        return husk_error_set (err, 0, "container not running");
      if (syscall (SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
        return husk_error_set (err, errno, "kill container %s", id);
      return 0;
    }
  if (kill (st->pid, sig) < 0)
    return husk_error_set (err, errno, "kill container %s", id);
  return 0;
}

/* --all: every process of the cgroup, whether or not the init still lives.
 * Without a pid namespace of its own (the host's, or one shared with a pod's
 * sandbox) the init's exit leaves its children running in the cgroup, and
 * containerd's shim relies on `kill --all ID KILL` to end them.  Like runc, a
 * stopped container with no cgroup left has nothing to signal: success. */
static int
signal_cgroup (const struct husk_state *st, enum husk_status status, const char *id, int sig,
               struct husk_error **err)
{
  struct husk_cgroup *cg;
  struct husk_error *kerr = NULL;
  int ret;

  if (st->cgroup_dirs == NULL || st->cgroup_dirs[0] == NULL)
    return status == HUSK_STATUS_STOPPED ? 0 : signal_init (st, id, sig, err);
  cg = husk_cgroup_from_dirs (st->cgroup_dirs);
  ret = husk_cgroup_kill_all (cg, sig, &kerr);
  husk_cgroup_free (cg);
  if (ret < 0 && status == HUSK_STATUS_STOPPED && kerr && kerr->errnum == ENOENT)
    ret = 0;
  if (ret < 0 && err)
    {
      husk_error_free (*err);
      *err = kerr;
    }
  else
    husk_error_free (kerr);
  return ret;
}

/* Whether the container shares a pid namespace (the host's, or one joined by
 * path): then its init is not special, SIGKILL of the init alone would leave
 * the rest running, and runc kills the whole cgroup, even once the init is gone. */
static bool
shares_pid_ns (const char *root, const char *id)
{
  cleanup_free char *dir = husk_container_dir (root, id), *path = NULL;
  const struct oci_namespace *ns;
  struct oci_config *c;
  bool shared;

  path = xconcat (dir, "/config.json", NULL);
  c = oci_config_load (path, NULL);
  if (c == NULL)
    return false;
  ns = oci_config_namespace (c, OCI_NS_PID);
  shared = ns == NULL || ns->path != NULL;
  oci_config_free (c);
  return shared;
}

int
husk_container_kill (const char *root, const char *id, int sig, bool all, struct husk_error **err)
{
  struct husk_state *st = NULL;
  enum husk_status status;
  int ret;

  if (husk_container_load (root, id, &st, &status, err) < 0)
    return -1;
  if (!all && sig == SIGKILL && shares_pid_ns (root, id))
    all = true;
  if (all)
    ret = signal_cgroup (st, status, id, sig, err);
  else if (status == HUSK_STATUS_STOPPED)
    ret = husk_error_set (err, 0, "container not running");
  else
    ret = signal_init (st, id, sig, err);
  husk_state_free (st);
  return ret;
}
