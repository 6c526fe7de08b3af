/* Starting a helper program (ps, newuidmap, newgidmap): posix_spawnp's job,
 * done with fork and execvp.  musl's posix_spawn file actions allocate with
 * its internal allocator, which alone kept musl's mallocng (8 KiB) in the
 * static binary beside husk's own (util/malloc-musl.c). */
#ifndef HUSK_UTIL_CHILD_H
#define HUSK_UTIL_CHILD_H

#include <stdbool.h>
#include <sys/types.h>

/* Start argv[0], searched in PATH as execvp does, with the environment;
 * stdin from /dev/null when null_stdin, stdout on out_fd and stderr on err_fd
 * (-1: inherited).  Every other fd husk holds is close-on-exec.  Returns 0 with
 * *pid, or, as posix_spawnp, the errno of the failure (ENOENT: not found); no
 * child is left then. */
int husk_spawnp (pid_t *pid, char *const argv[], bool null_stdin, int out_fd, int err_fd);

#endif
