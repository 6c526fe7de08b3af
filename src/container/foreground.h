/* The foreground of `run` and `exec`: husk stays with the process it started. */
#ifndef HUSK_CONTAINER_FOREGROUND_H
#define HUSK_CONTAINER_FOREGROUND_H

#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/types.h>

#include "util/error.h"

/* The caller's window size, when husk's stdin is a terminal: what the pty of
 * a foreground process gets before it starts. */
bool husk_foreground_winsize (struct winsize *ws);

/* Wait for pid, a child of ours, with every signal blocked by the caller (so
 * none was lost before): forward the signals we get to it (SIGWINCH resizes
 * the pty instead when there is one), proxy the pty master (or -1) with our
 * stdin and stdout, with our stdin's terminal raw meanwhile and restored on
 * every way out, reap every child that comes to us (run is a subreaper), and
 * return its status (128+N for signal N) once it is gone and its output is
 * drained. */
int husk_foreground_wait (pid_t pid, int master, int *status, struct husk_error **err);

#endif
