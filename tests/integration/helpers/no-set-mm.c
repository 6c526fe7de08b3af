/* Run a command where prctl(PR_SET_MM, ...) fails with EPERM (a seccomp filter,
 * inherited across its exec), as on a kernel without CONFIG_CHECKPOINT_RESTORE
 * or for a caller with neither CAP_SYS_ADMIN nor CAP_CHECKPOINT_RESTORE: husk
 * then makes its read-only copy its exe by executing itself again from it
 * (security-exe.bats).
 *
 *   no-set-mm CMD [ARG...] */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  struct sock_filter code[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 0, 3),
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, args[0])),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, PR_SET_MM, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { .len = sizeof code / sizeof code[0], .filter = code };

  if (argc < 2)
    {
      fprintf (stderr, "usage: no-set-mm CMD [ARG...]\n");
      return 2;
    }
  /* Root (CAP_SYS_ADMIN) may install a filter without no_new_privs, which
   * would change what the command under test does. */
  if (syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
    {
      perror ("seccomp");
      return 1;
    }
  execvp (argv[1], argv + 1);
  perror (argv[1]);
  return 127;
}
