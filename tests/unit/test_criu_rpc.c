/* Unit tests for linux/criu-rpc.c (TAP): CRIU's RPC messages on the protobuf
 * wire.  Golden bytes pin the field numbers and encodings (a round trip alone
 * would pass with a wrong number on both sides); the round trips read back
 * every field husk sends, and decode every answer husk reads. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/criu-rpc.h"

#include "tap.h"

static bool
bytes_are (const struct husk_pb_buf *b, const unsigned char *want, size_t n)
{
  if (b->len != n || memcmp (b->data, want, n) != 0)
    {
      printf ("# got %zu bytes:", b->len);
      for (size_t i = 0; i < b->len; i++)
        printf (" %02x", b->data[i]);
      printf ("\n");
      return false;
    }
  return true;
}

static void
test_golden (void)
{
  struct husk_criu_opts o;
  struct husk_criu_req req = { .type = HUSK_CRIU_VERSION };
  struct husk_pb_buf b = { 0 };
  static const unsigned char version[] = { 0x08, 0x0a };
  /* type DUMP; opts { images_dir_fd 5, pid 42, leave_running true } */
  static const unsigned char dump[] = { 0x08, 0x01, 0x12, 0x06, 0x08, 0x05, 0x10, 0x2a, 0x18, 0x01 };
  /* images_dir_fd -1: ten bytes; log_file "a" (field 10, wire 2: key 0x52) */
  static const unsigned char neg[] = { 0x08, 0x02, 0x12, 0x0e, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0xff, 0x01, 0x52, 0x01, 'a' };
  /* FEATURE_CHECK with features { mem_track } (criu_req field 5) */
  static const unsigned char feat[] = { 0x08, 0x09, 0x2a, 0x02, 0x08, 0x01 };
  /* NOTIFY ack: notify_success (field 3) */
  static const unsigned char ack[] = { 0x08, 0x06, 0x18, 0x01 };
  /* manage_cgroups_mode (34: two-byte key 0x90 0x02) SOFT, empty_ns (38) CLONE_NEWNET */
  static const unsigned char cg[] = { 0x08, 0x01, 0x12, 0x0c, 0x08, 0x03, 0x90, 0x02, 0x03,
                                      0xb0, 0x02, 0x80, 0x80, 0x80, 0x80, 0x04 };

  husk_criu_req_encode (&req, &b);
  result (bytes_are (&b, version, sizeof version), "VERSION request is 08 0a");
  husk_pb_buf_free (&b);

  husk_criu_opts_init (&o);
  o.images_dir_fd = 5;
  o.pid = 42;
  o.leave_running = true;
  req = (struct husk_criu_req) { .type = HUSK_CRIU_DUMP, .opts = &o };
  husk_criu_req_encode (&req, &b);
  result (bytes_are (&b, dump, sizeof dump), "DUMP with images_dir_fd, pid, leave_running");
  husk_pb_buf_free (&b);

  husk_criu_opts_init (&o);
  o.log_file = strdup ("a");
  req = (struct husk_criu_req) { .type = HUSK_CRIU_RESTORE, .opts = &o };
  husk_criu_req_encode (&req, &b);
  result (bytes_are (&b, neg, sizeof neg), "a negative int32 takes ten bytes; a string field");
  husk_pb_buf_free (&b);
  husk_criu_opts_free (&o);

  req = (struct husk_criu_req) { .type = HUSK_CRIU_FEATURE_CHECK, .feat_mem_track = true };
  husk_criu_req_encode (&req, &b);
  result (bytes_are (&b, feat, sizeof feat), "FEATURE_CHECK asks for mem_track");
  husk_pb_buf_free (&b);

  req = (struct husk_criu_req) { .type = HUSK_CRIU_NOTIFY, .notify_success = true };
  husk_criu_req_encode (&req, &b);
  result (bytes_are (&b, ack, sizeof ack), "the NOTIFY acknowledgement");
  husk_pb_buf_free (&b);

  husk_criu_opts_init (&o);
  o.images_dir_fd = 3;
  o.manage_cgroups_mode = HUSK_CRIU_CG_SOFT;
  o.empty_ns = CLONE_NEWNET;
  req = (struct husk_criu_req) { .type = HUSK_CRIU_DUMP, .opts = &o };
  husk_criu_req_encode (&req, &b);
  result (bytes_are (&b, cg, sizeof cg), "two-byte field keys (34, 38), a 5-byte varint");
  husk_pb_buf_free (&b);
}

/* The test's own reading of criu_opts, field by field. */
struct seen
{
  int images_dir_fd, pid, work_dir_fd, log_level, cg_mode, status_fd, ps_port;
  unsigned empty_ns;
  char log_file[64], root[64], parent[64], freeze[64], ps_addr[64];
  bool leave_running, shell_job, notify, rst_sibling, orphan, manage_cgroups, track_mem;
  int n_ext_mnt, n_inherit, n_cg_root, n_external, n_join;
  char ext_mnt[4][2][64], inherit_key[4][64], cg_root[4][2][64], external[4][64], join[4][2][64];
  int inherit_fd[4];
  bool malformed;
};

static void
copy (char *dst, const struct husk_pb_field *f)
{
  snprintf (dst, 64, "%.*s", (int) f->n, (const char *) f->p);
}

static void
read_pair (const struct husk_pb_field *f, char a[64], char b[64], int *ib)
{
  const unsigned char *cur = f->p, *end = f->p + f->n;
  struct husk_pb_field g;

  while (husk_pb_next (&cur, end, &g) > 0)
    if (g.num == 1)
      copy (a, &g);
    else if (g.num == 2 && ib)
      *ib = (int) (int32_t) g.v;
    else if (g.num == 2)
      copy (b, &g);
}

static void
read_opts (const struct husk_pb_field *opts, struct seen *s)
{
  const unsigned char *cur = opts->p, *end = opts->p + opts->n;
  struct husk_pb_field f;
  int k;

  while ((k = husk_pb_next (&cur, end, &f)) > 0)
    switch (f.num)
      {
      case 1: s->images_dir_fd = (int) (int32_t) f.v; break;
      case 2: s->pid = (int) f.v; break;
      case 3: s->leave_running = f.v; break;
      case 7: s->shell_job = f.v; break;
      case 9: s->log_level = (int) f.v; break;
      case 10: copy (s->log_file, &f); break;
      case 11: read_pair (&f, s->ps_addr, NULL, &s->ps_port); break;
      case 12: s->notify = f.v; break;
      case 13: copy (s->root, &f); break;
      case 14: copy (s->parent, &f); break;
      case 15: s->track_mem = f.v; break;
      case 17: s->work_dir_fd = (int) f.v; break;
      case 23: read_pair (&f, s->ext_mnt[s->n_ext_mnt][0], s->ext_mnt[s->n_ext_mnt][1], NULL);
        s->n_ext_mnt++; break;
      case 24: s->manage_cgroups = f.v; break;
      case 25: read_pair (&f, s->cg_root[s->n_cg_root][0], s->cg_root[s->n_cg_root][1], NULL);
        s->n_cg_root++; break;
      case 26: s->rst_sibling = f.v; break;
      case 27: read_pair (&f, s->inherit_key[s->n_inherit], NULL, &s->inherit_fd[s->n_inherit]);
        s->n_inherit++; break;
      case 34: s->cg_mode = (int) f.v; break;
      case 37: copy (s->external[s->n_external++], &f); break;
      case 38: s->empty_ns = (unsigned) f.v; break;
      case 39: read_pair (&f, s->join[s->n_join][0], s->join[s->n_join][1], NULL);
        s->n_join++; break;
      case 44: copy (s->freeze, &f); break;
      case 49: s->status_fd = (int) f.v; break;
      case 50: s->orphan = f.v; break;
      default: printf ("# unexpected field %u\n", f.num); s->malformed = true;
      }
  if (k < 0)
    s->malformed = true;
}

static void
test_request_round_trip (void)
{
  struct husk_criu_opts o;
  struct husk_criu_req req = { .type = HUSK_CRIU_RESTORE, .opts = &o };
  struct husk_pb_buf b = { 0 };
  struct husk_pb_field f;
  struct seen s = { 0 };
  const unsigned char *cur, *end;
  int type = -1, k;

  husk_criu_opts_init (&o);
  o.images_dir_fd = 7;
  o.work_dir_fd = 8;
  o.pid = 4242;
  o.log_level = 4;
  o.log_file = strdup ("restore.log");
  o.root = strdup ("/run/husk/c1/criu-root");
  o.parent_img = strdup ("../pre");
  o.freeze_cgroup = strdup ("/sys/fs/cgroup/husk/c1");
  o.leave_running = o.shell_job = o.notify_scripts = o.rst_sibling = true;
  o.orphan_pts_master = o.manage_cgroups = o.track_mem = true;
  o.manage_cgroups_mode = HUSK_CRIU_CG_STRICT;
  o.empty_ns = CLONE_NEWNET;
  o.status_fd = 9;
  o.ps_address = strdup ("10.0.0.1");
  o.ps_port = 27000;
  husk_criu_kv_add (&o.ext_mnt, &o.ext_mnt_len, "/data", "/srv/data");
  husk_criu_kv_add (&o.ext_mnt, &o.ext_mnt_len, "/dev/null", "/dev/null");
  husk_criu_kv_add (&o.inherit_fd, &o.inherit_fd_len, "pipe:[1234]", "1");
  husk_criu_kv_add (&o.inherit_fd, &o.inherit_fd_len, "extRootNetNS", "4");
  husk_criu_kv_add (&o.cg_root, &o.cg_root_len, NULL, "/husk/c1");
  husk_criu_kv_add (&o.cg_root, &o.cg_root_len, "cpu,cpuacct", "/husk/c1");
  husk_criu_kv_add (&o.join_ns, &o.join_ns_len, "ipc", "/proc/1/ns/ipc");
  husk_criu_external_add (&o, "net[4026531840]:extRootNetNS");
  husk_criu_req_encode (&req, &b);

  cur = b.data;
  end = b.data + b.len;
  while ((k = husk_pb_next (&cur, end, &f)) > 0)
    if (f.num == 1)
      type = (int) f.v;
    else if (f.num == 2 && f.wire == HUSK_PB_LEN)
      read_opts (&f, &s);
    else
      s.malformed = true;
  result (k == 0 && !s.malformed && type == HUSK_CRIU_RESTORE, "request: type, opts, nothing else");
  result (s.images_dir_fd == 7 && s.work_dir_fd == 8 && s.pid == 4242 && s.log_level == 4
              && s.status_fd == 9,
          "request: the int fields");
  result (strcmp (s.log_file, "restore.log") == 0 && strcmp (s.root, "/run/husk/c1/criu-root") == 0
              && strcmp (s.parent, "../pre") == 0 && strcmp (s.freeze, "/sys/fs/cgroup/husk/c1") == 0,
          "request: the strings");
  result (s.leave_running && s.shell_job && s.notify && s.rst_sibling && s.orphan
              && s.manage_cgroups && s.track_mem,
          "request: the booleans");
  result (s.cg_mode == HUSK_CRIU_CG_STRICT && s.empty_ns == CLONE_NEWNET, "request: the enums");
  result (strcmp (s.ps_addr, "10.0.0.1") == 0 && s.ps_port == 27000, "request: the page server");
  result (s.n_ext_mnt == 2 && strcmp (s.ext_mnt[0][0], "/data") == 0
              && strcmp (s.ext_mnt[0][1], "/srv/data") == 0
              && strcmp (s.ext_mnt[1][1], "/dev/null") == 0,
          "request: ext_mnt in order");
  result (s.n_inherit == 2 && strcmp (s.inherit_key[0], "pipe:[1234]") == 0 && s.inherit_fd[0] == 1
              && strcmp (s.inherit_key[1], "extRootNetNS") == 0 && s.inherit_fd[1] == 4,
          "request: inherit_fd with int fds");
  result (s.n_cg_root == 2 && s.cg_root[0][0][0] == '\0' && strcmp (s.cg_root[0][1], "/husk/c1") == 0
              && strcmp (s.cg_root[1][0], "cpu,cpuacct") == 0,
          "request: cg_root, ctrl left out when NULL");
  result (s.n_join == 1 && strcmp (s.join[0][0], "ipc") == 0 && s.n_external == 1
              && strcmp (s.external[0], "net[4026531840]:extRootNetNS") == 0,
          "request: join_ns and external");
  husk_pb_buf_free (&b);
  husk_criu_opts_free (&o);
}

static void
test_responses (void)
{
  struct husk_pb_buf b = { 0 }, sub = { 0 };
  struct husk_criu_resp r;
  /* What criu 3.17.1 answers to VERSION: { 3, 17, sublevel 1 } */
  static const unsigned char version[] = { 0x08, 0x0a, 0x10, 0x01, 0x52, 0x06,
                                           0x08, 0x03, 0x10, 0x11, 0x20, 0x01 };
  static const unsigned char cut[] = { 0x08, 0x02, 0x10, 0x01, 0x22, 0x05, 0x08 };
  static const unsigned char cut_varint[] = { 0x08, 0x82 };
  static const unsigned char no_success[] = { 0x08, 0x01 };
  static const unsigned char group[] = { 0x08, 0x01, 0x10, 0x01, 0x0b };

  result (husk_criu_resp_decode (version, sizeof version, &r) == 0 && r.success && r.has_version
              && r.type == HUSK_CRIU_VERSION && r.major == 3 && r.minor == 17 && r.sublevel == 1,
          "response: VERSION 3.17.1 (golden bytes)");
  husk_criu_resp_free (&r);

  husk_pb_put_varint (&b, 1, HUSK_CRIU_NOTIFY);
  husk_pb_put_varint (&b, 2, 1);
  husk_pb_put_string (&sub, 1, "post-restore");
  husk_pb_put_int32 (&sub, 2, 777);
  husk_pb_put_message (&b, 5, &sub);
  husk_pb_put_varint (&b, 99, 5); /* a field of a later CRIU */
  husk_pb_put_string (&b, 98, "later");
  result (husk_criu_resp_decode (b.data, b.len, &r) == 0 && r.type == HUSK_CRIU_NOTIFY
              && r.notify_script && strcmp (r.notify_script, "post-restore") == 0
              && r.notify_pid == 777,
          "response: a notification; unknown fields are skipped");
  husk_criu_resp_free (&r);
  husk_pb_buf_free (&b);
  husk_pb_buf_free (&sub);

  husk_pb_put_varint (&b, 1, HUSK_CRIU_RESTORE);
  husk_pb_put_varint (&b, 2, 1);
  husk_pb_put_int32 (&sub, 1, 4321);
  husk_pb_put_message (&b, 4, &sub);
  result (husk_criu_resp_decode (b.data, b.len, &r) == 0 && r.type == HUSK_CRIU_RESTORE
              && r.restore_pid == 4321,
          "response: RESTORE with the restored pid");
  husk_criu_resp_free (&r);
  husk_pb_buf_free (&b);
  husk_pb_buf_free (&sub);

  husk_pb_put_varint (&b, 1, HUSK_CRIU_DUMP);
  husk_pb_put_varint (&b, 2, 0);
  husk_pb_put_int32 (&b, 7, 16);
  husk_pb_put_string (&b, 9, "dump failed");
  result (husk_criu_resp_decode (b.data, b.len, &r) == 0 && !r.success && r.cr_errno == 16
              && r.cr_errmsg && strcmp (r.cr_errmsg, "dump failed") == 0,
          "response: a failure with cr_errno and cr_errmsg");
  husk_criu_resp_free (&r);
  husk_pb_buf_free (&b);

  husk_pb_put_varint (&b, 1, HUSK_CRIU_FEATURE_CHECK);
  husk_pb_put_varint (&b, 2, 1);
  husk_pb_put_varint (&sub, 1, 1);
  husk_pb_put_varint (&sub, 2, 0);
  husk_pb_put_message (&b, 8, &sub);
  result (husk_criu_resp_decode (b.data, b.len, &r) == 0 && r.has_features && r.feat_mem_track
              && !r.feat_lazy_pages,
          "response: FEATURE_CHECK features");
  husk_criu_resp_free (&r);
  husk_pb_buf_free (&b);
  husk_pb_buf_free (&sub);

  result (husk_criu_resp_decode (cut, sizeof cut, &r) < 0, "malformed: a length past the end");
  result (husk_criu_resp_decode (cut_varint, sizeof cut_varint, &r) < 0, "malformed: a cut varint");
  result (husk_criu_resp_decode (no_success, sizeof no_success, &r) < 0,
          "malformed: the required success is missing");
  result (husk_criu_resp_decode (group, sizeof group, &r) < 0, "malformed: a group wire type");
}

int
main (void)
{
  test_golden ();
  test_request_round_trip ();
  test_responses ();
  return tap_done ();
}
