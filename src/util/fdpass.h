/* Passing one fd over a unix socket (SCM_RIGHTS) with a data payload: the pty
 * master to a console socket, a seccomp listener to its agent, fds over the sync
 * channel.  The payload is sent whole or the call fails. */
#ifndef HUSK_UTIL_FDPASS_H
#define HUSK_UTIL_FDPASS_H

#include <stddef.h>

#include "util/error.h"

/* Connect a stream socket (close-on-exec) to the unix socket at path; `what`
 * names it in errors ("connect to console socket `PATH`: ..."). */
int husk_unix_connect (const char *path, const char *what, struct husk_error **err);
/* Send data (len bytes, at least 1) with fd attached.  `what` names the message
 * in errors ("send pty master to the console socket: ..."). */
int husk_send_fd (int sock, int fd, const void *data, size_t len, const char *what,
                  struct husk_error **err);
/* Receive one message into buf (up to len bytes; *got set when not NULL) and
 * return the fd it carried (O_CLOEXEC), or -1 (errno set; EBADMSG when the
 * message had no fd).  flags as for recvmsg (e.g. MSG_DONTWAIT). */
int husk_recv_fd (int sock, void *buf, size_t len, size_t *got, int flags);

#endif
