/* Unit tests for husk's D-Bus client (cgroup/dbus.h, cgroup/dbus-wire.c,
 * cgroup/dbus.c): the bytes of what the systemd driver sends (compared with
 * what libsystemd's sd-bus 252 sent for the same calls, captured once from a
 * fake systemd on a socket), marshalling and padding checked by hand against
 * the specification, hostile messages refused without a crash, and a real
 * dbus-daemon (Debian's dbus-daemon, when installed) as the peer: EXTERNAL
 * authentication, Hello, GetId, ListNames, a signal, error replies. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cgroup/dbus.h"
#include "cgroup/systemd.h"
#include "util/error.h"

#include "tap.h"

/* The condition first: the message's arguments (an error's text) may be
 * what the condition fills in, and C leaves the order of arguments open. */
#define check(cond, ...)                                                                      \
  do                                                                                          \
    {                                                                                         \
      bool ok_ = (cond);                                                                      \
      result (ok_, __VA_ARGS__);                                                              \
    }                                                                                         \
  while (0)

/* Captured from husk built with libsystemd 252 (sd-bus) against a fake
 * systemd: unit husk-t1.scope in system.slice, pid 11948; the properties
 * of a config with memory.limit 100000000, cpu shares 512, quota 50000,
 * period 100000, cpus "0-1", pids.limit 100.  Replies built by the fake. */
static const char REPLY_O[] =
  "6c02010124000000650000001f000000050175000400000007017300040000003a312e32"
  "0000000008016700016f00001f0000002f6f72672f667265656465736b746f702f737973"
  "74656d64312f6a6f622f3700"
  ;
static const char JOB_REMOVED[] =
  "6c04010145000000660000008a00000001016f00190000002f6f72672f66726565646573"
  "6b746f702f73797374656d64310000000000000002017300200000006f72672e66726565"
  "6465736b746f702e73797374656d64312e4d616e61676572000000000000000003017300"
  "0a0000004a6f6252656d6f76656400000000000007017300040000003a312e3200000000"
  "0801670004756f737300000000000000070000001f0000002f6f72672f66726565646573"
  "6b746f702f73797374656d64312f6a6f622f37000d0000006875736b2d74312e73636f70"
  "6500000004000000646f6e6500"
  ;
static const char ERROR_NOSUCHUNIT[] =
  "6c03010117000000670000004f000000050175000200000004017300230000006f72672e"
  "667265656465736b746f702e73797374656d64312e4e6f53756368556e69740000000000"
  "07017300040000003a312e3200000000080167000173000012000000556e69742078206e"
  "6f74206c6f616465642e00"
  ;
static const char GET_V_S[] =
  "6c02010130000000680000001f000000050175000200000007017300040000003a312e32"
  "00000000080167000176000001730000270000002f757365722e736c6963652f75736572"
  "2d302e736c6963652f7573657240302e7365727669636500"
  ;
static const char LIST_AS[] =
  "6c020101290000006900000030000000050175000300000007017300140000006f72672e"
  "667265656465736b746f702e444275730000000008016700026173002500000014000000"
  "6f72672e667265656465736b746f702e4442757300000000040000003a312e3900"
  ;
static const char SD_START_TRANSIENT_UNIT[] =
  "6c0100015001000004000000b600000001016f00190000002f6f72672f66726565646573"
  "6b746f702f73797374656d64310000000000000003017300120000005374617274547261"
  "6e7369656e74556e697400000000000002017300200000006f72672e667265656465736b"
  "746f702e73797374656d64312e4d616e6167657200000000000000000601730018000000"
  "6f72672e667265656465736b746f702e73797374656d6431000000000000000008016700"
  "10737361287376296128736128737629290000000d0000006875736b2d74312e73636f70"
  "65000000070000007265706c6163650024010000000000000b0000004465736372697074"
  "696f6e00017300001c0000006875736b20636f6e7461696e6572206875736b2d74312e73"
  "636f70650000000005000000536c696365000173000000000c00000073797374656d2e73"
  "6c69636500000000000000000800000044656c6567617465000162000100000000000000"
  "0400000050494473000261750000000004000000ac2e00001300000044656661756c7444"
  "6570656e64656e63696573000162000000000000100000004d656d6f72794163636f756e"
  "74696e670001620001000000000000000d0000004350554163636f756e74696e67000162"
  "0000000001000000000000000c000000494f4163636f756e74696e670001620001000000"
  "0f0000005461736b734163636f756e74696e6700016200000100000000000000"
  ;
static const char SD_SET_UNIT_PROPERTIES[] =
  "6c010001e800000002000000ad00000001016f00190000002f6f72672f66726565646573"
  "6b746f702f73797374656d6431000000000000000301730011000000536574556e697450"
  "726f706572746965730000000000000002017300200000006f72672e667265656465736b"
  "746f702e73797374656d64312e4d616e6167657200000000000000000601730018000000"
  "6f72672e667265656465736b746f702e73797374656d6431000000000000000008016700"
  "0773626128737629000000000d0000006875736b2d74312e73636f706500000001000000"
  "c800000000000000090000004d656d6f72794d6178000174000000000000000000e1f505"
  "000000000900000043505557656967687400017400000000000000001400000000000000"
  "1200000043505551756f7461506572696f645553656300017400000000000000a0860100"
  "000000001200000043505551756f74615065725365635553656300017400000000000000"
  "20a10700000000000b000000416c6c6f7765644350557300026179000100000003000000"
  "00000000080000005461736b734d6178000174006400000000000000"
  ;

static uint8_t *
unhex (const char *hex, size_t *n)
{
  size_t l = strlen (hex) / 2;
  uint8_t *p = malloc (l ? l : 1);
  for (size_t i = 0; i < l; i++)
    sscanf (hex + 2 * i, "%2hhx", &p[i]);
  *n = l;
  return p;
}

static char *
tohex (const uint8_t *p, size_t n)
{
  char *s = malloc (2 * n + 1);
  for (size_t i = 0; i < n; i++)
    sprintf (s + 2 * i, "%02x", p[i]);
  s[2 * n] = 0;
  return s;
}

/* The whole message c with body, serial, as hex. */
static char *
build_hex (const struct dbus_call *c, uint32_t serial, const struct dbus_buf *body)
{
  struct dbus_buf m;
  struct husk_error *err = NULL;
  char *h;

  if (dbus_message_build (c, serial, body, &m, &err) < 0)
    {
      husk_error_release (&err);
      return strdup ("(refused)");
    }
  h = tohex (m.p, m.n);
  dbus_buf_free (&m);
  return h;
}

static void
same_hex (const char *got, const char *want, const char *what)
{
  size_t i = 0;
  while (got[i] && got[i] == want[i])
    i++;
  check (strcmp (got, want) == 0, "%s: the same bytes as sd-bus (first difference at byte %zu)",
          what, i / 2);
}

#define SD_CALL(m, s)                                                                         \
  ((struct dbus_call){ .dest = "org.freedesktop.systemd1", .path = "/org/freedesktop/systemd1", \
                       .iface = "org.freedesktop.systemd1.Manager", .member = (m), .sig = (s) })

static void
test_systemd_bodies (void)
{
  struct husk_cgroup cg = { .unit = (char *) "husk-t1.scope", .slice = (char *) "system.slice" };
  struct dbus_call start = SD_CALL ("StartTransientUnit", "ssa(sv)a(sa(sv))");
  struct dbus_call set = SD_CALL ("SetUnitProperties", "sba(sv)");
  struct dbus_buf body = { 0 };
  struct cg_sd_props p = { 0 };
  static const uint8_t cpus[] = { 3 };
  char *h;

  cg_sd_start_body (&cg, 11948, &body);
  h = build_hex (&start, 4, &body);
  same_hex (h, SD_START_TRANSIENT_UNIT, "StartTransientUnit");
  free (h);
  dbus_buf_free (&body);

  cg_sd_props_add (&p, "MemoryMax", CG_SD_U64, 100000000);
  cg_sd_props_add (&p, "CPUWeight", CG_SD_U64, 20);
  cg_sd_props_add (&p, "CPUQuotaPeriodUSec", CG_SD_U64, 100000);
  cg_sd_props_add (&p, "CPUQuotaPerSecUSec", CG_SD_U64, 500000);
  cg_sd_props_add (&p, "AllowedCPUs", CG_SD_BYTES, 0);
  p.v[p.n - 1].bytes = malloc (1);
  memcpy (p.v[p.n - 1].bytes, cpus, 1);
  p.v[p.n - 1].n = 1;
  cg_sd_props_add (&p, "TasksMax", CG_SD_U64, 100);
  cg_sd_set_body ("husk-t1.scope", &p, &body);
  h = build_hex (&set, 2, &body);
  same_hex (h, SD_SET_UNIT_PROPERTIES, "SetUnitProperties");
  free (h);
  dbus_buf_free (&body);
  cg_sd_props_free (&p);
}

/* Padding and lengths checked by hand against the specification. */
static void
test_marshal_by_hand (void)
{
  struct dbus_buf b = { 0 };
  struct dbus_call c = { .path = "/", .member = "M", .sig = "ssa(sv)a(sa(sv))" };
  size_t at, at2, at3;
  char *h;

  /* s "a": length 1, 'a', NUL.  Then b true at 8 (aligned to 4 already). */
  dbus_put_s (&b, "a");
  dbus_put_b (&b, true);
  h = tohex (b.p, b.n);
  check (strcmp (h, "010000006100000001000000") == 0, "s then b: 4-byte alignment with zeros (%s)",
          h);
  free (h);
  /* t after a byte: 7 bytes of padding. */
  dbus_buf_free (&b);
  dbus_put_y (&b, 0xff);
  dbus_put_t (&b, 0x0102030405060708ULL);
  h = tohex (b.p, b.n);
  check (strcmp (h, "ff000000000000000807060504030201") == 0, "y then t: 8-byte alignment (%s)",
          h);
  free (h);
  /* An empty array of structs: its length 0, then padding to 8 for the
   * (absent) first element, not counted. */
  dbus_buf_free (&b);
  dbus_put_u (&b, 1);
  dbus_put_y (&b, 1);
  at = dbus_array_begin (&b, '(');
  dbus_array_end (&b, at, '(');
  h = tohex (b.p, b.n);
  check (strcmp (h, "01000000010000000000000000000000") == 0,
          "empty a(sv) after u, y: length at 8, padded to 16 (%s)", h);
  free (h);
  /* ssa(sv)a(sa(sv)) with b, t, s, as, ay, u values (as, ay, au in variants). */
  dbus_buf_free (&b);
  dbus_put_s (&b, "u");
  dbus_put_s (&b, "m");
  at = dbus_array_begin (&b, '(');
  dbus_struct_begin (&b);
  dbus_put_s (&b, "B");
  dbus_put_g (&b, "b");
  dbus_put_b (&b, false);
  dbus_struct_begin (&b);
  dbus_put_s (&b, "T");
  dbus_put_g (&b, "t");
  dbus_put_t (&b, 1);
  dbus_struct_begin (&b);
  dbus_put_s (&b, "A");
  dbus_put_g (&b, "as");
  at2 = dbus_array_begin (&b, 's');
  dbus_put_s (&b, "x");
  dbus_put_s (&b, "yz");
  dbus_array_end (&b, at2, 's');
  dbus_struct_begin (&b);
  dbus_put_s (&b, "Y");
  dbus_put_g (&b, "ay");
  at2 = dbus_array_begin (&b, 'y');
  dbus_put_y (&b, 7);
  dbus_array_end (&b, at2, 'y');
  dbus_struct_begin (&b);
  dbus_put_s (&b, "U");
  dbus_put_g (&b, "au");
  at2 = dbus_array_begin (&b, 'u');
  dbus_put_u (&b, 9);
  dbus_array_end (&b, at2, 'u');
  dbus_array_end (&b, at, '(');
  at = dbus_array_begin (&b, '(');
  dbus_struct_begin (&b);
  dbus_put_s (&b, "n");
  at3 = dbus_array_begin (&b, '(');
  dbus_array_end (&b, at3, '(');
  dbus_array_end (&b, at, '(');
  h = tohex (b.p, b.n);
  /* Worked out by hand, offsets in the body:
   *   0 s "u", pad   8 s "m", pad   16 a(sv) length 116 (24..140), pad to 24
   *  24 ( s "B"  30 g "b"  33 pad  36 b 0
   *  40 ( s "T"  46 g "t"  49 pad  56 t 1
   *  64 ( s "A"  70 g "as"  74 pad  76 as length 15: 80 s "x", pad  88 s "yz"
   *  95 pad  96 ( s "Y"  102 g "ay"  106 pad  108 ay length 1: 112 07
   * 113 pad 120 ( s "U"  126 g "au"  130 pad  132 au length 4: 136 u 9
   * 140 a(sa(sv)) length 16 (144..160): 144 ( s "n", pad  152 a(sv) length 0,
   *     padded to 160 for its absent first struct */
  check (strcmp (h, "0100000075000000"
                     "010000006d000000"
                     "7400000000000000"
                     "0100000042000162" "0000000000000000"
                     "0100000054000174" "0000000000000000" "0100000000000000"
                     "0100000041000261" "730000000f000000" "0100000078000000" "02000000797a0000"
                     "0100000059000261" "7900000001000000" "0700000000000000"
                     "0100000055000261" "7500000004000000" "09000000"
                     "10000000" "010000006e000000" "00000000" "00000000")
              == 0,
          "ssa(sv)a(sa(sv)) with b, t, as, ay, au: every length and pad as worked out by hand");
  free (h);
  /* The header of that call: fields (yv) each at 8, then the body at 8. */
  h = build_hex (&c, 7, &b);
  check (strncmp (h, "6c010001a000000007000000", 24) == 0, "header: l, call, flags 0, v1, "
          "body length 160, serial 7 (%.32s)", h);
  free (h);
  dbus_buf_free (&b);
  /* Strings that are not UTF-8, paths and signatures that are malformed,
   * and a body without its signature are refused. */
  dbus_put_s (&b, "\xff");
  check (b.bad, "a string that is not UTF-8 is refused");
  dbus_buf_free (&b);
  dbus_put_o (&b, "/a//b");
  check (b.bad, "a malformed object path is refused");
  dbus_buf_free (&b);
  dbus_put_g (&b, "a");
  check (b.bad, "a malformed signature is refused");
  h = build_hex (&c, 8, &b);
  check (strcmp (h, "(refused)") == 0, "a message with a bad body is not built");
  free (h);
  dbus_buf_free (&b);
  c.sig = "s";
  h = build_hex (&c, 1, &b);
  check (strcmp (h, "(refused)") == 0, "a signature without a body is not built");
  free (h);
}

static int
parse_hex (const char *hex, struct dbus_msg *m)
{
  size_t n;
  uint8_t *p = unhex (hex, &n);
  struct husk_error *err = NULL;
  int r = dbus_msg_parse (p, n, m, &err);
  husk_error_release (&err);
  return r;
}

static void
test_read (void)
{
  struct dbus_msg m;
  struct dbus_iter it, sub;
  const char *s, *a, *b, *c;
  uint32_t u;
  int ok;

  ok = parse_hex (REPLY_O, &m) == 0;
  dbus_iter_init (&it, &m);
  check (ok && m.type == DBUS_METHOD_RETURN && m.reply_serial == 4 && strcmp (m.sender, ":1.2") == 0
              && dbus_read_str (&it, 'o', &s) == 0 && strcmp (s, "/org/freedesktop/systemd1/job/7") == 0
              && dbus_iter_done (&it),
          "a method return: reply_serial, sender, the job's path");
  check (dbus_read_str (&it, 'o', &s) < 0, "no reading past the signature");
  dbus_msg_free (&m);

  ok = parse_hex (JOB_REMOVED, &m) == 0;
  dbus_iter_init (&it, &m);
  check (ok && m.type == DBUS_SIGNAL && strcmp (m.member, "JobRemoved") == 0
              && strcmp (m.iface, "org.freedesktop.systemd1.Manager") == 0
              && dbus_read_u (&it, &u) == 0 && u == 7 && dbus_read_str (&it, 'o', &a) == 0
              && dbus_read_str (&it, 's', &b) == 0 && dbus_read_str (&it, 's', &c) == 0
              && strcmp (b, "husk-t1.scope") == 0 && strcmp (c, "done") == 0,
          "JobRemoved: uoss");
  dbus_iter_init (&it, &m);
  check (dbus_read_str (&it, 's', &s) < 0, "a read of the wrong type fails");
  dbus_msg_free (&m);

  ok = parse_hex (ERROR_NOSUCHUNIT, &m) == 0;
  dbus_iter_init (&it, &m);
  check (ok && m.type == DBUS_ERROR && strcmp (m.error_name, "org.freedesktop.systemd1.NoSuchUnit") == 0
              && dbus_read_str (&it, 's', &s) == 0 && strcmp (s, "Unit x not loaded.") == 0,
          "an error: its name and message");
  dbus_msg_free (&m);

  ok = parse_hex (GET_V_S, &m) == 0;
  dbus_iter_init (&it, &m);
  check (ok && dbus_read_variant (&it, "s") == 0 && dbus_read_str (&it, 's', &s) == 0
              && strcmp (s, "/user.slice/user-0.slice/user@0.service") == 0,
          "Properties.Get: v holding s");
  dbus_iter_init (&it, &m);
  check (dbus_read_variant (&it, "u") < 0, "a variant of another type is refused");
  dbus_msg_free (&m);

  ok = parse_hex (LIST_AS, &m) == 0;
  dbus_iter_init (&it, &m);
  ok = ok && dbus_read_array (&it, 's', &sub) == 0 && dbus_read_str (&sub, 's', &a) == 0
       && dbus_read_str (&sub, 's', &b) == 0 && dbus_iter_done (&sub);
  check (ok && strcmp (a, "org.freedesktop.DBus") == 0 && strcmp (b, ":1.9") == 0,
          "an array of strings");
  dbus_msg_free (&m);
}

/* A valid message with byte i set to v: parse must not crash; returns its
 * result. */
static int
parse_patched (const char *hex, size_t i, uint8_t v, size_t cut)
{
  size_t n;
  uint8_t *p = unhex (hex, &n);
  struct dbus_msg m;
  struct husk_error *err = NULL;
  int r;

  if (i < n)
    p[i] = v;
  if (cut && cut < n)
    n = cut;
  r = dbus_msg_parse (p, n, &m, &err);
  if (r == 0)
    dbus_msg_free (&m);
  else if (err == NULL)
    r = 1; /* refused without saying why: counted as accepted, and fails */
  husk_error_release (&err);
  return r;
}

/* A message of signature sig whose body is body (hex), built around the
 * REPLY_O header. */
static int
parse_body (const char *sig, const char *body_hex)
{
  struct dbus_buf h = { 0 }, f = { 0 };
  size_t n;
  uint8_t *body = unhex (body_hex, &n);
  struct dbus_msg m;
  struct husk_error *err = NULL;
  int r;

  /* fields: REPLY_SERIAL 1, SIGNATURE sig */
  dbus_struct_begin (&f);
  dbus_put_y (&f, 5);
  dbus_put_g (&f, "u");
  dbus_put_u (&f, 1);
  dbus_struct_begin (&f);
  dbus_put_y (&f, 8);
  dbus_put_g (&f, "g");
  dbus_put_y (&f, (uint8_t) strlen (sig));
  for (const char *s = sig; *s; s++)
    dbus_put_y (&f, (uint8_t) *s);
  dbus_put_y (&f, 0);
  dbus_put_y (&h, 'l');
  dbus_put_y (&h, DBUS_METHOD_RETURN);
  dbus_put_y (&h, 0);
  dbus_put_y (&h, 1);
  dbus_put_u (&h, (uint32_t) n);
  dbus_put_u (&h, 9);
  dbus_put_u (&h, (uint32_t) f.n);
  for (size_t i = 0; i < f.n; i++)
    dbus_put_y (&h, f.p[i]);
  while (h.n % 8)
    dbus_put_y (&h, 0);
  for (size_t i = 0; i < n; i++)
    dbus_put_y (&h, body[i]);
  free (body);
  dbus_buf_free (&f);
  r = dbus_msg_parse (h.p, h.n, &m, &err);
  if (r == 0)
    dbus_msg_free (&m);
  husk_error_release (&err);
  return r;
}

static void
test_hostile (void)
{
  static const char *const all[]
      = { REPLY_O, JOB_REMOVED, ERROR_NOSUCHUNIT, GET_V_S, LIST_AS };
  size_t n, refused = 0, total = 0;
  struct husk_error *err = NULL;
  uint8_t hdr[16];
  char deep[200];

  /* Every truncation of every message is refused. */
  for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
    {
      free (unhex (all[k], &n));
      for (size_t cut = 1; cut < n; cut++, total++)
        refused += parse_patched (all[k], (size_t) -1, 0, cut) < 0;
    }
  check (refused == total, "every truncated message is refused (%zu of %zu)", refused, total);
  /* Every single byte changed to each of a few values: no crash (ASan in
   * make check-asan), and most are refused. */
  refused = total = 0;
  for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
    {
      free (unhex (all[k], &n));
      for (size_t i = 0; i < n; i++)
        for (unsigned v = 0; v < 256; v += 17, total++)
          refused += parse_patched (all[k], i, (uint8_t) v, 0) < 0;
    }
  check (refused > 0, "single-byte changes of the messages: no crash (%zu of %zu refused)",
          refused, total);

  /* Lengths: body or fields length past 128 MiB. */
  memcpy (hdr, "l\2\0\1\xff\xff\xff\xff\1\0\0\0\0\0\0\0", 16);
  check (dbus_msg_length (hdr, &n, &err) < 0 && err->errnum == EMSGSIZE,
          "a body of 4 GiB is refused before anything is read");
  husk_error_release (&err);
  memcpy (hdr, "l\2\0\1\0\0\0\0\1\0\0\0\0\0\0\x08", 16);
  check (dbus_msg_length (hdr, &n, &err) < 0, "header fields of 128 MiB are refused");
  husk_error_release (&err);
  memcpy (hdr, "l\2\0\2\0\0\0\0\1\0\0\0\0\0\0\0", 16);
  check (dbus_msg_length (hdr, &n, &err) < 0, "protocol version 2 is refused");
  husk_error_release (&err);
  memcpy (hdr, "B\2\0\1\0\0\0\x10\0\0\0\1\0\0\0\x08", 16);
  check (dbus_msg_length (hdr, &n, &err) == 0 && n == 16 + 8 + 16,
          "a big-endian header's lengths are read big-endian");
  husk_error_release (&err);

  /* Bodies against their signature. */
  check (parse_body ("s", "010000006100") == 0, "body s \"a\" is accepted");
  check (parse_body ("s", "ffffff0f61000000") < 0, "a string length past the end is refused");
  check (parse_body ("s", "0100000061010000") < 0, "a string without its NUL is refused");
  check (parse_body ("s", "02000000610000") < 0, "a string with a NUL inside is refused");
  check (parse_body ("s", "01000000ff00") < 0, "a string that is not UTF-8 is refused");
  check (parse_body ("o", "030000002f2f6100") < 0, "a malformed object path is refused");
  check (parse_body ("yu", "0100000002000000") == 0, "y then u after zero padding is accepted");
  check (parse_body ("yu", "0101000002000000") < 0, "a padding byte that is not zero is refused");
  check (parse_body ("b", "02000000") < 0, "a boolean of 2 is refused");
  check (parse_body ("au", "0500000001000000020000") < 0,
          "an array whose length cuts an element is refused");
  check (parse_body ("au", "1000000001000000") < 0, "an array longer than the body is refused");
  check (parse_body ("ay", "00000010") < 0, "an array of 256 MiB is refused");
  check (parse_body ("u", "0100000000") < 0, "bytes after the body's values are refused");
  check (parse_body ("v", "0168000000000000") < 0, "a variant holding a file descriptor is refused");
  check (parse_body ("v", "0275750001000000") < 0, "a variant of two types is refused");
  check (parse_body ("v", "01610000") < 0, "a variant of an incomplete type is refused");
  check (parse_body ("a{sv}", "0000000000000000") == 0, "an empty a{sv} is accepted");
  check (parse_body ("a{sv}", "00000000") < 0,
          "an empty a{sv} without the padding of its first entry is refused");
  check (parse_body ("a{vs}", "00000000") < 0, "a dict entry with a variant key is refused");

  /* Header fields: an unknown one (code 200, an array of strings) is
   * skipped; REPLY_SERIAL as a string is refused. */
  {
    struct dbus_msg m;
    check (parse_hex ("6c020001000000000100000022000000"
                      "0501750001000000" "c802617300000000" "0e000000" "0100000078000000"
                      "010000007900" "000000000000",
                      &m) == 0
               && m.reply_serial == 1,
           "an unknown header field of type as is skipped");
    dbus_msg_free (&m);
    check (parse_hex ("6c02000100000000010000000e000000" "0501730001000000" "31000000", &m) < 0,
           "REPLY_SERIAL as a string is refused");
    check (parse_hex ("6c02000100000000010000000e000000" "0501750001000000" "31000000", &m) < 0,
           "(the same with a u: its value 1, then 2 stray bytes in the fields)");
  }

  /* Signatures nested past 32 arrays or structs. */
  memset (deep, 'a', 32);
  deep[32] = 'y';
  deep[33] = 0;
  check (dbus_valid_signature (deep, 33), "32 nested arrays are a valid signature");
  memset (deep, 'a', 33);
  deep[33] = 'y';
  deep[34] = 0;
  check (!dbus_valid_signature (deep, 34), "33 nested arrays are refused");
  memset (deep, '(', 33);
  deep[33] = 'y';
  memset (deep + 34, ')', 33);
  deep[67] = 0;
  check (!dbus_valid_signature (deep, 67), "33 nested structs are refused");
  check (!dbus_valid_signature ("()", 2) && !dbus_valid_signature ("(y", 2)
              && !dbus_valid_signature ("a", 1) && !dbus_valid_signature ("{sv}", 4)
              && !dbus_valid_signature ("a{svs}", 6) && !dbus_valid_signature ("z", 1),
          "malformed signatures are refused");

  /* Variants in variants, 70 deep (each "v" then the next): refused past 64,
   * without recursing further. */
  {
    char body[70 * 3 * 2 + 16] = "";
    for (int i = 0; i < 70; i++)
      strcat (body, "017600");
    strcat (body, "01790007");
    check (parse_body ("v", body) < 0, "variants nested 70 deep are refused");
    body[0] = 0;
    for (int i = 0; i < 10; i++)
      strcat (body, "017600");
    strcat (body, "01790007");
    check (parse_body ("v", body) == 0, "variants nested 10 deep are accepted");
  }
}

static void
test_addresses (void)
{
  struct husk_dbus *b = NULL;
  struct husk_error *err = NULL;
  char *a = husk_dbus_unix_address ("/run/user/1000/my bus%");

  check (strcmp (a, "unix:path=/run/user/1000/my%20bus%25") == 0, "a path escaped as an address (%s)", a);
  free (a);
  check (husk_dbus_connect ("unix:path=/x%zz", true, &b, &err) < 0 && err->errnum == EINVAL,
          "a bad %%-escape is refused");
  husk_error_release (&err);
  check (husk_dbus_connect ("tcp:host=localhost,port=1", true, &b, &err) < 0
              && err->errnum == EAFNOSUPPORT,
          "an address without a unix socket is refused");
  husk_error_release (&err);
  check (husk_dbus_connect ("tcp:host=x;unix:path=/nonexistent/husk-test,guid=00", true, &b, &err) < 0
              && err->errnum == ENOENT && strstr (err->msg, "unix:path=/nonexistent/husk-test"),
          "the unix entry of a list is tried, its error names it (%s)", err ? err->msg : "");
  husk_error_release (&err);
  setenv ("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/x", 1);
  a = husk_dbus_system_address ();
  check (strcmp (a, "unix:path=/x") == 0, "$DBUS_SYSTEM_BUS_ADDRESS is the system bus");
  free (a);
  unsetenv ("DBUS_SYSTEM_BUS_ADDRESS");
  a = husk_dbus_system_address ();
  check (strcmp (a, "unix:path=/run/dbus/system_bus_socket") == 0, "else sd-bus's default");
  free (a);
  unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  setenv ("XDG_RUNTIME_DIR", "/run/user/7 x", 1);
  a = husk_dbus_session_address (NULL);
  check (a && strcmp (a, "unix:path=/run/user/7%20x/bus") == 0, "the session bus: $XDG_RUNTIME_DIR/bus");
  free (a);
  unsetenv ("XDG_RUNTIME_DIR");
  a = husk_dbus_session_address (&err);
  check (a == NULL && err && err->errnum == ENOMEDIUM, "no session bus without XDG_RUNTIME_DIR");
  husk_error_release (&err);
}

/* --- a fake server: what a hostile or broken peer does ----------------- */

/* Listen on a socket in dir; the child accepts one connection, reads the
 * client's first bytes, writes reply (len bytes) and waits for the client to
 * close.  Returns the child's pid; *addr the address. */
static pid_t
fake_server (const char *dir, const char *reply, size_t len, char **addr)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  int l = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  pid_t pid;

  snprintf (sa.sun_path, sizeof sa.sun_path, "%s/bus", dir);
  unlink (sa.sun_path);
  if (l < 0 || bind (l, (struct sockaddr *) &sa, sizeof sa) < 0 || listen (l, 1) < 0)
    abort ();
  *addr = husk_dbus_unix_address (sa.sun_path);
  pid = fork ();
  if (pid == 0)
    {
      char buf[4096];
      int c = accept (l, NULL, NULL);
      if (c < 0 || read (c, buf, sizeof buf) <= 0)
        _exit (1);
      if (len && write (c, reply, len) != (ssize_t) len)
        _exit (1);
      while (read (c, buf, sizeof buf) > 0)
        ;
      _exit (0);
    }
  close (l);
  return pid;
}

static void
reap (pid_t pid)
{
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
}

static void
test_fake_server (void)
{
  char dir[] = "/tmp/husk-test-dbus-XXXXXX", *addr, bus[64];
  struct husk_dbus *b = NULL;
  struct husk_error *err = NULL;
  static const char huge[] = "DATA\r\nOK 0123456789abcdef0123456789abcdef\r\n"
                             "l\2\0\1\0\0\0\x10\1\0\0\0\x08\0\0\0";
  pid_t pid;

  if (mkdtemp (dir) == NULL)
    abort ();
  snprintf (bus, sizeof bus, "%s/bus", dir);

  pid = fake_server (dir, "REJECTED EXTERNAL\r\n", 19, &addr);
  check (husk_dbus_connect (addr, false, &b, &err) < 0 && err && err->errnum == EACCES
              && strstr (err->msg, "refused the authentication"),
          "a server that rejects the authentication: %s", err ? err->msg : "no error");
  husk_error_release (&err);
  reap (pid);
  free (addr);

  /* A peer that answers OK, then a message header declaring 256 MiB. */
  pid = fake_server (dir, huge, sizeof huge - 1, &addr);
  if (husk_dbus_connect (addr, false, &b, &err) == 0)
    {
      struct dbus_call c = { .path = "/", .member = "Ping" };
      check (husk_dbus_call (b, &c, NULL, NULL, NULL, &err) < 0 && err->errnum == EMSGSIZE,
              "a reply declaring 256 MiB is refused: %s", err ? err->msg : "no error");
    }
  else
    check (false, "connect to the fake peer: %s", err ? err->msg : "");
  husk_error_release (&err);
  husk_dbus_close (b);
  b = NULL;
  reap (pid);
  free (addr);

  /* A peer that answers OK and closes on the call. */
  pid = fake_server (dir, "DATA\r\nOK 0123456789abcdef0123456789abcdef\r\n", 43, &addr);
  if (husk_dbus_connect (addr, false, &b, &err) == 0)
    {
      struct dbus_call c = { .path = "/", .member = "Ping" };
      kill (pid, SIGKILL);
      check (husk_dbus_call (b, &c, NULL, NULL, NULL, &err) < 0
                  && (err->errnum == ECONNRESET || err->errnum == EPIPE),
              "a peer that goes away: %s", err ? err->msg : "no error");
    }
  else
    check (false, "connect to the fake peer: %s", err ? err->msg : "");
  husk_error_release (&err);
  husk_dbus_close (b);
  b = NULL;
  reap (pid);
  free (addr);
  unlink (bus);
  rmdir (dir);
}

/* --- the reference implementation: a private dbus-daemon --------------- */

struct name_seen
{
  const char *name;
  bool seen;
};

static void
on_name_acquired (void *data, const struct dbus_msg *m)
{
  struct name_seen *w = data;
  struct dbus_iter it;
  const char *name;

  dbus_iter_init (&it, m);
  if (strcmp (m->member, "NameAcquired") == 0 && dbus_read_str (&it, 's', &name) == 0
      && strcmp (name, w->name) == 0)
    w->seen = true;
}

static bool
name_seen (void *data)
{
  return ((struct name_seen *) data)->seen;
}

static bool
never (void *data)
{
  return false;
}

#define BUS_CALL(m, s)                                                                        \
  ((struct dbus_call){ .dest = "org.freedesktop.DBus", .path = "/org/freedesktop/DBus",       \
                       .iface = "org.freedesktop.DBus", .member = (m), .sig = (s) })

static void
test_daemon_calls (struct husk_dbus *b)
{
  struct dbus_call getid = BUS_CALL ("GetId", NULL), list = BUS_CALL ("ListNames", NULL);
  struct dbus_call req = BUS_CALL ("RequestName", "su"), bad = BUS_CALL ("NoSuchMethod", NULL);
  struct dbus_call owner = BUS_CALL ("GetNameOwner", "s");
  struct dbus_error e = { 0 };
  struct husk_error *err = NULL;
  struct dbus_msg m;
  struct dbus_iter it, sub;
  struct dbus_buf body = { 0 };
  struct name_seen w = { .name = "org.husk.Test" };
  const char *s = "";
  size_t names = 0;
  bool ours = false;
  uint32_t u = 0;
  uint64_t t0;

  check (husk_dbus_call (b, &getid, NULL, &m, NULL, &err) == 0, "GetId");
  dbus_iter_init (&it, &m);
  check (dbus_read_str (&it, 's', &s) == 0 && strlen (s) == 32, "GetId: 32 hex digits (%s)", s);
  dbus_msg_free (&m);

  check (husk_dbus_call (b, &list, NULL, &m, NULL, &err) == 0, "ListNames");
  dbus_iter_init (&it, &m);
  if (dbus_read_array (&it, 's', &sub) == 0)
    while (!dbus_iter_done (&sub) && dbus_read_str (&sub, 's', &s) == 0)
      {
        names++;
        ours = ours || strcmp (s, "org.freedesktop.DBus") == 0;
      }
  check (ours && names >= 2, "ListNames: %zu names, org.freedesktop.DBus among them", names);
  dbus_msg_free (&m);

  /* A signal: NameAcquired follows RequestName's reply (or comes with it). */
  husk_dbus_on_signal (b, on_name_acquired, &w);
  dbus_put_s (&body, "org.husk.Test");
  dbus_put_u (&body, 0);
  check (husk_dbus_call (b, &req, &body, &m, NULL, &err) == 0, "RequestName");
  dbus_iter_init (&it, &m);
  check (dbus_read_u (&it, &u) == 0 && u == 1, "RequestName: primary owner (%u)", u);
  dbus_msg_free (&m);
  dbus_buf_free (&body);
  check (husk_dbus_wait (b, dbus_now_usec () + 5000000, name_seen, &w, &err) == 0 && w.seen,
          "the NameAcquired signal arrives");
  husk_dbus_on_signal (b, NULL, NULL);

  /* Errors: the name and message the daemon gave, as errnos sd-bus gives. */
  check (husk_dbus_call (b, &bad, NULL, NULL, &e, &err) < 0
              && dbus_error_is (&e, "org.freedesktop.DBus.Error.UnknownMethod") && err
              && err->errnum == EBADR && strstr (err->msg, "UnknownMethod") && e.message && *e.message,
          "an unknown method: UnknownMethod, EBADR (%s)", err ? err->msg : "");
  dbus_error_free (&e);
  husk_error_release (&err);
  dbus_put_s (&body, "org.husk.Nobody");
  check (husk_dbus_call (b, &owner, &body, NULL, &e, &err) < 0
              && dbus_error_is (&e, "org.freedesktop.DBus.Error.NameHasNoOwner") && err->errnum == ENXIO,
          "a name without owner: NameHasNoOwner, ENXIO (%s)", err ? err->msg : "");
  dbus_error_free (&e);
  husk_error_release (&err);
  dbus_buf_free (&body);
  /* A bad argument the daemon refuses: its error, not a broken connection. */
  dbus_put_s (&body, "not a bus name");
  check (husk_dbus_call (b, &owner, &body, NULL, &e, &err) < 0 && e.name != NULL,
          "an invalid name: %s", e.name ? e.name : "no error");
  dbus_error_free (&e);
  husk_error_release (&err);
  dbus_buf_free (&body);
  check (husk_dbus_call (b, &getid, NULL, NULL, NULL, &err) == 0,
          "the connection still works after errors");

  /* A wait that nothing ends stops at its deadline. */
  t0 = dbus_now_usec ();
  check (husk_dbus_wait (b, t0 + 200000, never, NULL, &err) < 0 && err->errnum == ETIMEDOUT
              && dbus_now_usec () - t0 < 2000000,
          "a wait ends at its deadline (ETIMEDOUT)");
  husk_error_release (&err);
}

static void
test_daemon (void)
{
  int out[2];
  char addr[512];
  ssize_t n = 0;
  pid_t pid;
  struct husk_dbus *b = NULL;
  struct husk_error *err = NULL;
  struct pollfd p;

  if (access ("/usr/bin/dbus-daemon", X_OK) != 0)
    {
      printf ("ok %d - # skip dbus-daemon is not installed (Debian: dbus-daemon)\n", ++n_tests);
      return;
    }
  if (pipe2 (out, O_CLOEXEC) < 0)
    abort ();
  pid = fork ();
  if (pid == 0)
    {
      int null = open ("/dev/null", O_WRONLY);
      dup2 (out[1], 1);
      dup2 (null, 2);
      execl ("/usr/bin/dbus-daemon", "dbus-daemon", "--session", "--print-address", "--nofork",
             (char *) NULL);
      _exit (127);
    }
  close (out[1]);
  p = (struct pollfd){ .fd = out[0], .events = POLLIN };
  while (n < (ssize_t) sizeof addr - 1 && poll (&p, 1, 10000) > 0)
    {
      ssize_t r = read (out[0], addr + n, sizeof addr - 1 - (size_t) n);
      if (r <= 0)
        break;
      n += r;
      if (memchr (addr, '\n', (size_t) n))
        break;
    }
  close (out[0]);
  addr[n] = 0;
  addr[strcspn (addr, "\n")] = 0;
  check (n > 0, "dbus-daemon --session prints its address (%s)", addr);
  if (n > 0)
    {
      check (husk_dbus_connect (addr, true, &b, &err) == 0,
              "connect, authenticate (EXTERNAL), Hello: %s", err ? err->msg : "ok");
      husk_error_release (&err);
      if (b)
        test_daemon_calls (b);
      husk_dbus_close (b);
      /* A peer (no Hello) to a bus: the daemon wants Hello first and drops us. */
      b = NULL;
    }
  kill (pid, SIGTERM);
  waitpid (pid, NULL, 0);
}

/* Error names to errno values: each of the three prefixes, a name that only
 * starts like one, one that ends like one, and nothing at all. */
static void
test_error_errno (void)
{
  static const struct
  {
    const char *name;
    int want;
  } cases[] = {
    { "org.freedesktop.DBus.Error.NameHasNoOwner", ENXIO },
    { "org.freedesktop.DBus.Error.AccessDenied", EACCES },
    { "org.freedesktop.DBus.Error.ObjectPathInUse", EBUSY },
    { "org.freedesktop.systemd1.NoSuchUnit", ENOENT },
    { "org.freedesktop.systemd1.UnitExists", EEXIST },
    { "org.freedesktop.systemd1.UnitInactive", ENOLINK },
    { "System.Error.ENOENT", ENOENT },
    { "System.Error.EOPNOTSUPP", EOPNOTSUPP },
    { "System.Error.EWHATEVER", EIO },
    { "org.freedesktop.DBus.Error.NoSuchUnit", EIO },  /* systemd's name, the bus's prefix */
    { "org.freedesktop.systemd1.NoSuchUnitX", EIO },
    { "org.freedesktop.DBus.Error.", EIO },
    { "com.example.NoSuchUnit", EIO },
    { "", EIO },
    { NULL, EIO },
  };
  bool ok = true;

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (dbus_error_errno (cases[i].name) != cases[i].want)
      {
        printf ("# %s: %d, not %d\n", cases[i].name ? cases[i].name : "(null)",
                dbus_error_errno (cases[i].name), cases[i].want);
        ok = false;
      }
  check (ok, "error names to errno: the bus's, systemd's, System.Error.E*, and EIO for the rest");
}

int
main (void)
{
  signal (SIGPIPE, SIG_IGN);
  test_error_errno ();
  test_systemd_bodies ();
  test_marshal_by_hand ();
  test_read ();
  test_hostile ();
  test_addresses ();
  test_fake_server ();
  test_daemon ();
  return tap_done ();
}
