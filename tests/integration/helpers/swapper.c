/* swapper A B SECONDS: exchange the names A and B (renameat2 RENAME_EXCHANGE)
 * as fast as possible for at most SECONDS, the racing "second process" of the
 * mount-symlink CVE tests (security-races.bats).  Exits 0 when time is up. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int
main (int argc, char **argv)
{
  time_t end;

  if (argc != 4)
    {
      fprintf (stderr, "usage: swapper A B SECONDS\n");
      return 2;
    }
  end = time (NULL) + atoi (argv[3]);
  while (time (NULL) < end)
    for (int i = 0; i < 1000; i++)
      renameat2 (AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE);
  return 0;
}
