/* The messages of CRIU's RPC interface (`criu swrk`), and the protobuf wire
 * format they travel in.
 *
 * CRIU speaks protocol buffers (proto2) on a SOCK_SEQPACKET socket: one message
 * per packet, no length prefix.  husk does not link protobuf-c or CRIU's
 * generated code: the wire format needs only varints and length-delimited
 * fields, and the interface is the field numbers of CRIU's images/rpc.proto
 * (criu_req, criu_opts, criu_resp), which CRIU keeps stable.  Only the fields
 * husk sends or reads are known here; an unknown field of a response is skipped
 * as protobuf requires.
 */
#ifndef HUSK_LINUX_CRIU_RPC_H
#define HUSK_LINUX_CRIU_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- the wire format --- */

enum husk_pb_wire
{
  HUSK_PB_VARINT = 0,
  HUSK_PB_I64 = 1,
  HUSK_PB_LEN = 2,
  HUSK_PB_I32 = 5,
};

/* A growing output buffer (aborts when memory runs out, like asprintf users). */
struct husk_pb_buf
{
  unsigned char *data;
  size_t len, cap;
};

void husk_pb_put_varint (struct husk_pb_buf *b, uint32_t field, uint64_t v);
/* int32 as protobuf encodes it: a negative value takes ten bytes (sign-extended). */
void husk_pb_put_int32 (struct husk_pb_buf *b, uint32_t field, int32_t v);
void husk_pb_put_bytes (struct husk_pb_buf *b, uint32_t field, const void *p, size_t n);
/* Nothing for NULL: an unset optional field. */
void husk_pb_put_string (struct husk_pb_buf *b, uint32_t field, const char *s);
/* An embedded message: its bytes as a length-delimited field. */
void husk_pb_put_message (struct husk_pb_buf *b, uint32_t field, const struct husk_pb_buf *m);
void husk_pb_buf_free (struct husk_pb_buf *b);

/* One field of a message being read. */
struct husk_pb_field
{
  uint32_t num;
  enum husk_pb_wire wire;
  uint64_t v; /* VARINT, I64, I32 */
  const unsigned char *p; /* LEN */
  size_t n;
};

/* The next field from *cur (< end): 1 with *f filled, 0 at the end, -1 when
 * the bytes are not a well-formed message (a cut varint, a length past the
 * end, an unknown wire type). */
int husk_pb_next (const unsigned char **cur, const unsigned char *end, struct husk_pb_field *f);

/* --- CRIU's messages --- */

enum husk_criu_type
{
  HUSK_CRIU_DUMP = 1,
  HUSK_CRIU_RESTORE = 2,
  HUSK_CRIU_CHECK = 3,
  HUSK_CRIU_PRE_DUMP = 4,
  HUSK_CRIU_NOTIFY = 6,
  HUSK_CRIU_FEATURE_CHECK = 9,
  HUSK_CRIU_VERSION = 10,
};

/* criu_cg_mode */
enum husk_criu_cg_mode
{
  HUSK_CRIU_CG_IGNORE = 0,
  HUSK_CRIU_CG_SOFT = 3,
  HUSK_CRIU_CG_FULL = 4,
  HUSK_CRIU_CG_STRICT = 5,
  HUSK_CRIU_CG_DEFAULT = 6,
};

struct husk_criu_kv
{
  char *key, *val;
};

/* criu_opts: what husk sets.  Strings and arrays are owned (husk_criu_opts_free);
 * false booleans, NULL strings, -1 fds and empty arrays are not sent. */
struct husk_criu_opts
{
  int images_dir_fd; /* required by the proto */
  int work_dir_fd; /* -1: none */
  int pid; /* 0: none */
  int log_level; /* 0: CRIU's default */
  char *log_file, *root, *parent_img, *freeze_cgroup, *config_file;
  char *lsm_profile, *lsm_mount_context;
  bool leave_running, ext_unix_sk, tcp_established, evasive_devices, shell_job, file_locks;
  bool notify_scripts, track_mem, auto_dedup, link_remap, manage_cgroups, rst_sibling;
  bool tcp_skip_in_flight, lazy_pages, orphan_pts_master;
  int manage_cgroups_mode; /* enum husk_criu_cg_mode, or -1: unset */
  uint32_t empty_ns; /* CLONE_NEW* flags; 0: unset */
  int status_fd; /* -1: none */
  char *ps_address; /* page server; NULL: none */
  int ps_port;
  struct husk_criu_kv *ext_mnt; /* ext_mount_map: key, val */
  size_t ext_mnt_len;
  struct husk_criu_kv *inherit_fd; /* key, and val = the fd number in decimal */
  size_t inherit_fd_len;
  struct husk_criu_kv *cg_root; /* ctrl (NULL: every controller), path */
  size_t cg_root_len;
  struct husk_criu_kv *join_ns; /* ns, ns_file */
  size_t join_ns_len;
  char **external;
  size_t external_len;
};

void husk_criu_opts_init (struct husk_criu_opts *o);
void husk_criu_opts_free (struct husk_criu_opts *o);
/* Append to one of the repeated fields (copies the strings; val may be NULL
 * only for cg_root's ctrl, passed as key). */
void husk_criu_kv_add (struct husk_criu_kv **v, size_t *len, const char *key, const char *val);
void husk_criu_external_add (struct husk_criu_opts *o, const char *s);

struct husk_criu_req
{
  enum husk_criu_type type;
  const struct husk_criu_opts *opts; /* NULL: none */
  bool notify_success;
  /* FEATURE_CHECK: the features asked about */
  bool feat_mem_track, feat_lazy_pages;
};

/* The request's bytes (caller frees b->data). */
void husk_criu_req_encode (const struct husk_criu_req *r, struct husk_pb_buf *b);

struct husk_criu_resp
{
  enum husk_criu_type type;
  bool success;
  bool dump_restored;
  int restore_pid;
  char *notify_script;
  int notify_pid;
  int cr_errno;
  char *cr_errmsg;
  bool has_features, feat_mem_track, feat_lazy_pages;
  bool has_version;
  int major, minor, sublevel;
  char *gitid;
  int status;
};

/* 0, or -1 when the bytes are not a criu_resp (malformed, or type or success
 * missing: both are required). */
int husk_criu_resp_decode (const void *p, size_t n, struct husk_criu_resp *r);
void husk_criu_resp_free (struct husk_criu_resp *r);
const char *husk_criu_type_name (enum husk_criu_type t);

#endif
