/* fork for the static musl build only (the Makefile leaves this file out of a
 * glibc build), as malloc-musl.c and printf-musl.c are.
 *
 * Why: musl's fork, for threaded programs, runs the pthread_atfork handlers
 * and takes every lock of the C library (stdio, the allocator...) around the
 * system call.  husk has one thread and registers no handler, so all of it is
 * _Fork: the system call with signals blocked, and the child's thread id and
 * lock state set right (it still is what every husk fork calls).  561 bytes
 * of code fewer. */
#define _GNU_SOURCE
#include <unistd.h>

pid_t
fork (void)
{
  return _Fork ();
}
