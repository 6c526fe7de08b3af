/* timeit: the benchmark's clock (contrib/bench/bench.sh).
 *
 *   timeit [-n N] [-p P] [-i IDLE_MS] [-c CGROUP_DIR] [-q] -- CMD [ARG...]
 *
 * Sleeps IDLE_MS (a cold start: the caches the previous command warmed have
 * cooled a little, the CPU may have gone idle), then runs CMD N times in P
 * parallel streams (each stream runs its share back to back) and prints one line:
 *
 *   <wall microseconds for all N> <largest peak RSS of a run, KiB> <failures>
 *
 * "{}" in an argument becomes the run's number (0 .. N-1): unique container ids.
 * With -c, each run first moves itself into CGROUP_DIR (a v1 memory cgroup: its
 * `tasks`, else cgroup.procs), for the smallest-memory-limit probe.  -q sends
 * the command's stdout and stderr to /dev/null (else only stdout).  The exit
 * status is 1 when a run failed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *cgroup_dir;
static int quiet;

static void
join_cgroup (void)
{
  char path[4096];
  int fd;

  snprintf (path, sizeof path, "%s/tasks", cgroup_dir);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    {
      snprintf (path, sizeof path, "%s/cgroup.procs", cgroup_dir);
      fd = open (path, O_WRONLY | O_CLOEXEC);
    }
  if (fd < 0 || write (fd, "0", 1) != 1)
    {
      perror (path);
      _exit (126);
    }
  close (fd);
}

static pid_t
spawn (char **argv, int argc, long index)
{
  char num[32], **a = calloc ((size_t) argc + 1, sizeof *a);
  pid_t pid;

  if (a == NULL)
    abort ();
  snprintf (num, sizeof num, "%ld", index);
  for (int i = 0; i < argc; i++)
    {
      char *p = strstr (argv[i], "{}");
      if (p == NULL)
        a[i] = argv[i];
      else if (asprintf (&a[i], "%.*s%s%s", (int) (p - argv[i]), argv[i], num, p + 2) < 0)
        abort ();
    }
  pid = fork ();
  if (pid == 0)
    {
      int null = open ("/dev/null", O_WRONLY);
      dup2 (null, 1);
      if (quiet)
        dup2 (null, 2);
      if (cgroup_dir)
        join_cgroup ();
      execvp (a[0], a);
      _exit (127);
    }
  for (int i = 0; i < argc; i++)
    if (a[i] != argv[i])
      free (a[i]);
  free (a);
  return pid;
}

static long long
now_us (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

int
main (int argc, char **argv)
{
  long n = 1, p = 1, idle = 0, next = 0, running = 0, failures = 0, maxrss = 0;
  long long t0;
  int opt;

  while ((opt = getopt (argc, argv, "+n:p:i:c:q")) != -1)
    switch (opt)
      {
      case 'n': n = atol (optarg); break;
      case 'p': p = atol (optarg); break;
      case 'i': idle = atol (optarg); break;
      case 'c': cgroup_dir = optarg; break;
      case 'q': quiet = 1; break;
      default:
        fprintf (stderr, "usage: timeit [-n N] [-p P] [-i IDLE_MS] [-c CGROUP] [-q] -- CMD...\n");
        return 2;
      }
  if (optind >= argc || n < 1 || p < 1)
    {
      fprintf (stderr, "timeit: no command\n");
      return 2;
    }
  if (idle > 0)
    {
      struct timespec ts = { idle / 1000, (idle % 1000) * 1000000L };
      while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
        ;
    }
  t0 = now_us ();
  for (; running < p && next < n; running++)
    if (spawn (argv + optind, argc - optind, next++) < 0)
      failures++;
  while (running > 0)
    {
      struct rusage ru;
      int status;
      pid_t pid = wait4 (-1, &status, 0, &ru);
      if (pid < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      running--;
      if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        failures++;
      if (ru.ru_maxrss > maxrss)
        maxrss = ru.ru_maxrss;
      if (next < n && spawn (argv + optind, argc - optind, next++) > 0)
        running++;
    }
  printf ("%lld %ld %ld\n", now_us () - t0, maxrss, failures);
  return failures ? 1 : 0;
}
