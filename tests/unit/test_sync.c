/* linux/sync.c: a message of the wrong type releases what it carried (its text
 * and a passed fd), a text longer than a message holds arrives with the
 * middle elided and the marker saying so, and a child's last ERROR is read
 * even when it exited with a message of ours unread. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linux/sync.h"
#include "tap.h"

static int
count_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  struct dirent *de;
  int n = 0;

  while (d && (de = readdir (d)))
    if (de->d_name[0] != '.')
      n++;
  if (d)
    closedir (d);
  return n;
}

int
main (void)
{
  struct husk_sync_msg m;
  struct husk_error *err = NULL;
  int sv[2], devnull, before;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return 1;
  devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC);

  /* An fd passed with a message the receiver did not expect: closed, not leaked. */
  before = count_fds ();
  husk_sync_send_fd (sv[0], HUSK_SYNC_SECCOMP_FD, devnull, NULL);
  int r = husk_sync_expect (sv[1], HUSK_SYNC_USERMAP_ACK, &m, "a test step", &err);
  result (r < 0 && err != NULL && strstr (err->msg, "expected message") != NULL,
          "a message of the wrong type is an error (%s)", err ? err->msg : "none");
  result (count_fds () == before, "its passed fd is closed (fds before %d, after %d)", before,
          count_fds ());
  husk_error_release (&err);

  /* The expected type: the fd is the caller's. */
  husk_sync_send_fd (sv[0], HUSK_SYNC_SECCOMP_FD, devnull, NULL);
  r = husk_sync_expect (sv[1], HUSK_SYNC_SECCOMP_FD, &m, "a test step", &err);
  result (r == 0 && m.fd >= 0 && count_fds () == before + 1, "the expected type hands the fd over");
  if (m.fd >= 0)
    close (m.fd);

  /* A text of 200 KiB: the start and the end arrive, the middle is elided with a marker. */
  size_t len = 200 * 1024;
  char *big = malloc (len + 1);
  memset (big, 'a', len);
  memcpy (big, "BEGIN", 5);
  memcpy (big + len - 3, "END", 3);
  big[len] = '\0';
  r = husk_sync_send (sv[0], HUSK_SYNC_ERROR, 5, 0, big, NULL);
  result (r == 0, "a long text is sent");
  r = husk_sync_recv (sv[1], &m, "a test step", &err);
  result (r < 0 && err && strncmp (err->msg, "BEGIN", 5) == 0
              && strcmp (err->msg + strlen (err->msg) - 3, "END") == 0,
          "its start and its end arrive");
  result (err && strstr (err->msg, "bytes elided ...]") != NULL && strlen (err->msg) < len,
          "the middle is elided, with the marker");
  husk_error_release (&err);
  free (big);

  /* A child that fails and exits with our last message unread in its queue: the
   * kernel reports ECONNRESET once on our end, and its ERROR, sent before it
   * exited, is still there behind it (husk_sync_recv and _recv_or_eof). */
  for (int eof = 0; eof < 2; eof++)
    {
      int p[2];

      if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) < 0)
        return 1;
      husk_sync_send (p[0], HUSK_SYNC_HOOKS_ACK, 0, 0, "unread", NULL);
      husk_sync_send (p[1], HUSK_SYNC_ERROR, 22, 0, "the child's reason", NULL);
      close (p[1]);
      r = eof ? husk_sync_recv_or_eof (p[0], &m, "a test step", &err)
              : husk_sync_recv (p[0], &m, "a test step", &err);
      result (r < 0 && err && strcmp (err->msg, "the child's reason") == 0 && err->errnum == 22,
              "%s: the error of a child gone with a message unread is read, not ECONNRESET (%s)",
              eof ? "recv_or_eof" : "recv", err ? err->msg : "none");
      husk_error_release (&err);
      close (p[0]);
    }
  close (devnull);
  return tap_done ();
}
