/* husk error convention
 *
 * A fallible function takes `struct husk_error **err` as its last argument and
 * returns a negative value (or NULL) on failure, after filling *err with
 * husk_error_set().  The error keeps the errno of the failure (0 when there is
 * none) and a message built with printf.  Messages are lowercase, name the object
 * ("open `/run/husk/x/state.json`"), and never include strerror(): the printer
 * appends ": <strerror>" when errno is set.
 *
 * At a layer boundary, add context with husk_error_wrap(), which prefixes the
 * existing message ("create container: " + inner).
 *
 * Best effort: a caller that does not want the error passes err = NULL (a
 * cleanup, `run`'s final delete).  Every function accepts it: set, wrap, release
 * and propagate do nothing with NULL, and no function reads through err itself.
 * To tolerate a specific errno, a function calls the fallible callee with a
 * local `struct husk_error *e = NULL`, inspects e->errnum, then releases it
 * (husk_error_release(&e)) or hands it up (husk_error_propagate(err, &e)) —
 * never `(*err)->errnum`, which crashes when the caller passed NULL.
 *
 * Only main() prints an error (husk_log_error(), stderr plus the --log file).
 * Children in the create path send errors over the sync channel as
 * {errnum, message} and the parent rebuilds them with husk_error_set().
 */
#ifndef HUSK_UTIL_ERROR_H
#define HUSK_UTIL_ERROR_H

struct husk_error
{
  int errnum;
  char *msg;
  int exit_status; /* main()'s exit status for this error; 0: the usual 1 */
};

/* Always returns -1 so that `return husk_error_set (err, errno, "...")` reads well. */
int husk_error_set (struct husk_error **err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* Prefix the message of *err with the formatted context and ": ".  Returns -1. */
int husk_error_wrap (struct husk_error **err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
/* The whole text: msg, plus ": strerror(errnum)" when errnum != 0.  Caller frees. */
char *husk_error_text (const struct husk_error *e);
void husk_error_free (struct husk_error *e);
/* Move *src into *dst (freeing it when dst is NULL); *src becomes NULL.
 * Returns -1. */
int husk_error_propagate (struct husk_error **dst, struct husk_error **src);
/* The exit status main() returns for *err instead of 1 (runc's `exec` fails
 * with 255, so that its own errors differ from the process's exit codes).
 * Returns -1. */
int husk_error_set_exit_status (struct husk_error **err, int status);
/* Free *err and set it to NULL. */
void husk_error_release (struct husk_error **err);

#endif
