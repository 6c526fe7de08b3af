/* Unit tests for how a process joins a cgroup by itself (cgroup/cgroup.h):
 * a v1 hierarchy's `tasks` only while single-threaded, else cgroup.procs
 * (TAP output). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/cgroup.h"

#include "tap.h"

static int pipe_fds[2];

static void *
park (void *arg)
{
  char c;
  (void) arg;
  /* Alive until main closes the pipe. */
  while (read (pipe_fds[0], &c, 1) > 0)
    ;
  return NULL;
}

int
main (void)
{
  pthread_t t;

  result (strcmp (husk_cgroup_self_file (true, true), "tasks") == 0,
          "v1, single-threaded: tasks");
  result (strcmp (husk_cgroup_self_file (true, false), "cgroup.procs") == 0,
          "v1, threads: cgroup.procs (tasks would leave them behind)");
  result (strcmp (husk_cgroup_self_file (false, true), "cgroup.procs") == 0,
          "cgroup2: cgroup.procs (no tasks file)");
  result (husk_single_threaded (), "one thread: single-threaded");
  if (pipe (pipe_fds) < 0 || pthread_create (&t, NULL, park, NULL) != 0)
    {
      result (false, "start a second thread");
      return tap_done ();
    }
  result (!husk_single_threaded (), "a second thread: not single-threaded");
  close (pipe_fds[1]);
  pthread_join (t, NULL);
  return tap_done ();
}
