/* husk's own D-Bus client: just what the systemd driver (systemd.c) needs.
 *
 * The wire format (the D-Bus specification, "Message Protocol"): writing is
 * little-endian; reading takes either byte order.  Every message read is
 * validated as a whole before anything looks at it: its length (at most 128
 * MiB, arrays 64 MiB), the header fields' types, each value's alignment and
 * zero padding, booleans 0 or 1, strings NUL-terminated UTF-8 without NUL,
 * object paths and signatures well-formed, containers nested at most 32 deep
 * (arrays, structs) and 64 in all (with variants), and the body exactly as
 * long as its signature says.
 *
 * A connection (dbus.c) is a unix socket with blocking semantics through
 * poll and a deadline: no call waits longer than 25 s (sd-bus's default), and
 * a caller that waits for a signal gives its own deadline.  Authentication is
 * EXTERNAL with the identity the server reads from the socket (as sd-bus
 * sends it: "AUTH EXTERNAL", then an empty DATA), so that a caller in a user
 * namespace is who the bus sees; no file descriptors are passed. */
#ifndef HUSK_CGROUP_DBUS_H
#define HUSK_CGROUP_DBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define DBUS_MAX_MESSAGE (128u << 20)
#define DBUS_MAX_ARRAY (64u << 20)
#define DBUS_MAX_NESTING 32 /* arrays, and structs; 64 in all with variants */
/* sd-bus's default for a method call. */
#define DBUS_CALL_TIMEOUT_USEC (25ULL * 1000 * 1000)

enum dbus_msg_type
{
  DBUS_METHOD_CALL = 1,
  DBUS_METHOD_RETURN = 2,
  DBUS_ERROR = 3,
  DBUS_SIGNAL = 4,
};
#define DBUS_FLAG_NO_REPLY_EXPECTED 0x1

/* --- writing ----------------------------------------------------------- */

/* A body being written.  The caller writes the values in the order of the
 * signature it then gives dbus_message_build; a string that is not UTF-8 (or
 * an object path or signature that is malformed) marks the buffer bad, and
 * the message is refused. */
struct dbus_buf
{
  uint8_t *p;
  size_t n, cap;
  bool bad;
};

void dbus_buf_free (struct dbus_buf *b);
void dbus_put_y (struct dbus_buf *b, uint8_t v);
void dbus_put_b (struct dbus_buf *b, bool v);
void dbus_put_u (struct dbus_buf *b, uint32_t v);
void dbus_put_t (struct dbus_buf *b, uint64_t v);
void dbus_put_s (struct dbus_buf *b, const char *s);
void dbus_put_o (struct dbus_buf *b, const char *path);
void dbus_put_g (struct dbus_buf *b, const char *sig);
/* An array whose elements start with type code elem ('(' for structs): the
 * length is filled in by dbus_array_end with what begin returned. */
size_t dbus_array_begin (struct dbus_buf *b, char elem);
void dbus_array_end (struct dbus_buf *b, size_t at, char elem);
/* A struct or dict entry: aligned to 8.  A variant is its signature
 * (dbus_put_g) followed by the value. */
void dbus_struct_begin (struct dbus_buf *b);

struct dbus_call
{
  const char *dest, *path, *iface, *member;
  const char *sig; /* the body's signature ("" or NULL: no body) */
  uint8_t flags;
};

/* The whole message: the header (fields in sd-bus's order: path, member,
 * interface, destination, signature) and body.  -1 with *err when the body is
 * bad or a name or the signature is malformed. */
int dbus_message_build (const struct dbus_call *c, uint32_t serial, const struct dbus_buf *body,
                        struct dbus_buf *out, struct husk_error **err);

/* --- reading ----------------------------------------------------------- */

struct dbus_msg
{
  uint8_t *data; /* the whole message (owned) */
  size_t len;
  bool be; /* big-endian */
  uint8_t type, flags;
  uint32_t serial, reply_serial; /* reply_serial 0: none */
  /* Header fields, pointing into data; NULL when absent (sig: ""). */
  const char *path, *iface, *member, *error_name, *dest, *sender, *sig;
  size_t body; /* offset of the body in data */
};

/* The total length of the message whose fixed 16-byte header is p; -1 with
 * *err when that header is not one of a message husk accepts. */
int dbus_msg_length (const uint8_t *p, size_t *len, struct husk_error **err);
/* Validate data[0..len) as one message and fill *m, which takes data (also
 * on failure: it is freed then). */
int dbus_msg_parse (uint8_t *data, size_t len, struct dbus_msg *m, struct husk_error **err);
void dbus_msg_free (struct dbus_msg *m);

/* Reading a validated body in signature order.  Each read checks that the
 * next type is the one asked for; -1 (no husk_error: the caller names what it
 * expected) when it is not. */
struct dbus_iter
{
  const struct dbus_msg *m;
  const char *sig, *rest; /* rest: the outer signature after a variant */
  char elem; /* an array's: its element type, read over and over */
  size_t pos, end;
};

void dbus_iter_init (struct dbus_iter *it, const struct dbus_msg *m);
int dbus_read_u (struct dbus_iter *it, uint32_t *v);
/* type 's', 'o' or 'g'; *s points into the message. */
int dbus_read_str (struct dbus_iter *it, char type, const char **s);
/* Enter a variant whose signature must be sig; its value is read next. */
int dbus_read_variant (struct dbus_iter *it, const char *sig);
/* An array of a basic type elem: sub then reads its elements, until
 * dbus_iter_done. */
int dbus_read_array (struct dbus_iter *it, char elem, struct dbus_iter *sub);
bool dbus_iter_done (const struct dbus_iter *it);

/* Validation helpers (also for what husk writes). */
bool dbus_valid_utf8 (const char *s, size_t n);
bool dbus_valid_path (const char *s, size_t n);
bool dbus_valid_signature (const char *s, size_t n);

/* --- a connection (dbus.c) -------------------------------------------- */

struct husk_dbus;

/* An error the peer replied with. */
struct dbus_error
{
  char *name, *message;
};

/* Connect to the first address of a D-Bus address list ("unix:path=..." or
 * "unix:abstract=...", ';'-separated, values %-escaped) that answers and
 * authenticate; bus: a message bus (say Hello), else a peer (systemd's
 * private socket).  -1 with *err naming the address. */
int husk_dbus_connect (const char *address, bool bus, struct husk_dbus **out,
                       struct husk_error **err);
/* The addresses of the system bus and the caller's session bus, as sd-bus
 * finds them ($DBUS_SYSTEM_BUS_ADDRESS, $DBUS_SESSION_BUS_ADDRESS,
 * $XDG_RUNTIME_DIR/bus); NULL with *err when there is none. */
char *husk_dbus_system_address (void);
char *husk_dbus_session_address (struct husk_error **err);
/* "unix:path=" + path escaped as addresses want. */
char *husk_dbus_unix_address (const char *path);
bool husk_dbus_is_bus (const struct husk_dbus *b);
/* A call husk_dbus_close sends before it closes the socket (c's strings
 * must outlive b; body is copied). */
void husk_dbus_on_close (struct husk_dbus *b, const struct dbus_call *c, const struct dbus_buf *body);
void husk_dbus_close (struct husk_dbus *b);

/* Signals that arrive while husk waits (for a reply, or in husk_dbus_wait)
 * go to fn. */
void husk_dbus_on_signal (struct husk_dbus *b, void (*fn) (void *data, const struct dbus_msg *m),
                          void *data);
/* Send c and wait for its reply (DBUS_CALL_TIMEOUT_USEC).  0 with *reply
 * (reply may be NULL: read nothing); -1 with *err, and e (may be NULL) filled
 * when the peer replied with an error: *err then says "NAME: message". */
int husk_dbus_call (struct husk_dbus *b, const struct dbus_call *c, const struct dbus_buf *body,
                    struct dbus_msg *reply, struct dbus_error *e, struct husk_error **err);
/* Send without waiting (flags should say NO_REPLY_EXPECTED). */
int husk_dbus_send (struct husk_dbus *b, const struct dbus_call *c, const struct dbus_buf *body,
                    struct husk_error **err);
/* Read and dispatch messages until done(data) or the deadline (CLOCK_MONOTONIC
 * usec): -1 with ETIMEDOUT then. */
int husk_dbus_wait (struct husk_dbus *b, uint64_t deadline, bool (*done) (void *data), void *data,
                    struct husk_error **err);

void dbus_error_free (struct dbus_error *e);
bool dbus_error_is (const struct dbus_error *e, const char *name);
/* The errno for an error name (sd-bus's table for the names husk meets, and
 * org.freedesktop.DBus.Error.* ; EIO otherwise). */
int dbus_error_errno (const char *name);
uint64_t dbus_now_usec (void);

#endif
