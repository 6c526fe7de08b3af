/* Driving CRIU (checkpoint/restore in userspace) through its RPC interface: husk
 * starts `criu swrk 3` with one end of a SOCK_SEQPACKET socketpair as its fd 3,
 * sends one criu_req, answers the notifications CRIU sends while it works
 * (notify_scripts), and reads the final criu_resp (linux/criu-rpc.h).  CRIU's
 * text output is never read. */
#ifndef HUSK_LINUX_CRIU_H
#define HUSK_LINUX_CRIU_H

#include <signal.h>
#include <stddef.h>

#include "linux/cgjoin.h"
#include "linux/criu-rpc.h"
#include "util/error.h"

/* The oldest CRIU husk drives (what runc asks for): 3.0, as major*10000 +
 * minor*100 + sublevel. */
#define HUSK_CRIU_MIN_VERSION 30000

/* A notification (resp->notify_script, resp->notify_pid); fd: an fd CRIU sent
 * with it (orphan-pts-master), or -1; the callee owns it. */
typedef int (*husk_criu_notify_fn) (const struct husk_criu_resp *resp, int fd, void *data,
                                    struct husk_error **err);

struct husk_criu_call
{
  const char *criu; /* the global --criu, or NULL: "criu" in PATH */
  struct husk_cgjoin cgroup; /* criu joins it before it starts (restore); fn NULL: none */
  int stdio[3]; /* criu's stdin, stdout, stderr; -1: /dev/null */
  const int *extra_fds; /* become criu's fds 4, 5, ... (inherit_fd) */
  size_t extra_len;
  const sigset_t *sigmask; /* criu's signal mask; NULL: the caller's */
  husk_criu_notify_fn notify;
  void *data;
  const char *log_path; /* CRIU's log, named in errors; may be NULL */
};

/* The criu binary: an absolute path, or NULL with an error that says what is
 * needed when there is none (or it is not executable). */
char *husk_criu_find (const char *criu, struct husk_error **err);

/* One request and its answer: 0 with *resp filled (the caller frees it), or -1
 * (CRIU said no, died, or answered what was not asked). */
int husk_criu_call (const struct husk_criu_call *c, const struct husk_criu_req *req,
                    struct husk_criu_resp *resp, struct husk_error **err);

/* CRIU's version (major*10000 + minor*100 + sublevel) in *version. */
int husk_criu_version (const char *criu, int *version, struct husk_error **err);
/* Fails, naming what is needed, when CRIU is missing or older than min. */
int husk_criu_require (const char *criu, int min, struct husk_error **err);
/* `criu check` (its exit status): 0 when CRIU can work on this kernel. */
int husk_criu_check (const char *criu, struct husk_error **err);

#endif
