/* scall: make one system call and print what it returned, for the seccomp tests.
 *
 *   scall NAME|NUMBER [ARG...]
 *
 * An ARG that starts with '/' is passed as a pointer to that string; any other is
 * a number (strtoull base 0: 0x.., 0.., and -N wrap as the kernel sees them).
 * Prints "ret=R errno=E" (E is 0 on success) and exits 0, so that a test reads
 * the result from the output; a syscall that kills the process shows in the
 * exit status instead. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct
{
  const char *name;
  long nr;
} calls[] = {
  { "acct", SYS_acct },
  { "chdir", SYS_chdir },
  { "clone3", 435 },
  { "getcwd", SYS_getcwd },
  { "getpgid", SYS_getpgid },
  { "getpid", SYS_getpid },
  { "getpriority", SYS_getpriority },
  { "getsid", SYS_getsid },
  { "keyctl", SYS_keyctl },
  { "mkdir", SYS_mkdir },
  { "mkdirat", SYS_mkdirat },
  { "mount", SYS_mount },
  { "openat2", 437 },
  { "personality", SYS_personality },
  { "sched_get_priority_max", SYS_sched_get_priority_max },
  { "sched_get_priority_min", SYS_sched_get_priority_min },
  { "umask", SYS_umask },
  { "unshare", SYS_unshare },
};

int
main (int argc, char **argv)
{
  long nr = -1, ret;
  unsigned long a[6] = { 0 };
  char *end;

  if (argc < 2 || argc > 8)
    {
      fprintf (stderr, "usage: scall NAME|NUMBER [ARG...] (at most 6)\n");
      return 2;
    }
  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
    if (strcmp (calls[i].name, argv[1]) == 0)
      nr = calls[i].nr;
  if (nr < 0)
    {
      nr = strtol (argv[1], &end, 0);
      if (*end != '\0' || nr < 0)
        {
          fprintf (stderr, "scall: unknown syscall %s\n", argv[1]);
          return 2;
        }
    }
  for (int i = 2; i < argc; i++)
    a[i - 2] = argv[i][0] == '/' ? (unsigned long) argv[i] : strtoull (argv[i], NULL, 0);
  errno = 0;
  ret = syscall (nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  printf ("ret=%ld errno=%d\n", ret, ret < 0 ? errno : 0);
  return 0;
}
