/* CRIU's RPC messages on the protobuf wire: see criu-rpc.h.  Field numbers are
 * those of images/rpc.proto in CRIU's source, named at each use. */
#define _GNU_SOURCE
#include "linux/criu-rpc.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
reserve (struct husk_pb_buf *b, size_t more)
{
  if (b->len + more <= b->cap)
    return;
  b->cap = (b->len + more) * 2 + 64;
  b->data = xrealloc (b->data, b->cap);
}

static void
put_raw_varint (struct husk_pb_buf *b, uint64_t v)
{
  reserve (b, 10);
  do
    {
      unsigned char c = v & 0x7f;
      v >>= 7;
      b->data[b->len++] = c | (v ? 0x80 : 0);
    }
  while (v);
}

static void
put_key (struct husk_pb_buf *b, uint32_t field, enum husk_pb_wire wire)
{
  put_raw_varint (b, ((uint64_t) field << 3) | wire);
}

void
husk_pb_put_varint (struct husk_pb_buf *b, uint32_t field, uint64_t v)
{
  put_key (b, field, HUSK_PB_VARINT);
  put_raw_varint (b, v);
}

void
husk_pb_put_int32 (struct husk_pb_buf *b, uint32_t field, int32_t v)
{
  husk_pb_put_varint (b, field, (uint64_t) (int64_t) v);
}

void
husk_pb_put_bytes (struct husk_pb_buf *b, uint32_t field, const void *p, size_t n)
{
  put_key (b, field, HUSK_PB_LEN);
  put_raw_varint (b, n);
  reserve (b, n);
  if (n)
    memcpy (b->data + b->len, p, n);
  b->len += n;
}

void
husk_pb_put_string (struct husk_pb_buf *b, uint32_t field, const char *s)
{
  if (s)
    husk_pb_put_bytes (b, field, s, strlen (s));
}

void
husk_pb_put_message (struct husk_pb_buf *b, uint32_t field, const struct husk_pb_buf *m)
{
  husk_pb_put_bytes (b, field, m->data, m->len);
}

void
husk_pb_buf_free (struct husk_pb_buf *b)
{
  free (b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

static int
get_varint (const unsigned char **cur, const unsigned char *end, uint64_t *v)
{
  uint64_t r = 0;

  for (int shift = 0; shift < 64; shift += 7)
    {
      if (*cur >= end)
        return -1;
      r |= (uint64_t) (**cur & 0x7f) << shift;
      if ((*(*cur)++ & 0x80) == 0)
        {
          *v = r;
          return 0;
        }
    }
  return -1;
}

int
husk_pb_next (const unsigned char **cur, const unsigned char *end, struct husk_pb_field *f)
{
  uint64_t key, n;

  if (*cur >= end)
    return 0;
  if (get_varint (cur, end, &key) < 0 || (key >> 3) == 0 || (key >> 3) > UINT32_MAX)
    return -1;
  memset (f, 0, sizeof *f);
  f->num = (uint32_t) (key >> 3);
  f->wire = (enum husk_pb_wire) (key & 7);
  switch (f->wire)
    {
    case HUSK_PB_VARINT:
      return get_varint (cur, end, &f->v) < 0 ? -1 : 1;
    case HUSK_PB_I64:
    case HUSK_PB_I32:
      n = f->wire == HUSK_PB_I64 ? 8 : 4;
      if ((size_t) (end - *cur) < n)
        return -1;
      for (uint64_t i = 0; i < n; i++)
        f->v |= (uint64_t) (*cur)[i] << (8 * i);
      *cur += n;
      return 1;
    case HUSK_PB_LEN:
      if (get_varint (cur, end, &n) < 0 || n > (uint64_t) (end - *cur))
        return -1;
      f->p = *cur;
      f->n = (size_t) n;
      *cur += n;
      return 1;
    }
  return -1; /* groups (3, 4) and 6, 7: not in CRIU's messages */
}

/* --- criu_opts --- */

void
husk_criu_opts_init (struct husk_criu_opts *o)
{
  memset (o, 0, sizeof *o);
  o->images_dir_fd = -1;
  o->work_dir_fd = -1;
  o->status_fd = -1;
  o->manage_cgroups_mode = -1;
}

static void
kv_free (struct husk_criu_kv *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (v[i].key);
      free (v[i].val);
    }
  free (v);
}

void
husk_criu_opts_free (struct husk_criu_opts *o)
{
  free (o->log_file);
  free (o->root);
  free (o->parent_img);
  free (o->freeze_cgroup);
  free (o->config_file);
  free (o->lsm_profile);
  free (o->lsm_mount_context);
  free (o->ps_address);
  kv_free (o->ext_mnt, o->ext_mnt_len);
  kv_free (o->inherit_fd, o->inherit_fd_len);
  kv_free (o->cg_root, o->cg_root_len);
  kv_free (o->join_ns, o->join_ns_len);
  for (size_t i = 0; i < o->external_len; i++)
    free (o->external[i]);
  free (o->external);
  husk_criu_opts_init (o);
}


void
husk_criu_kv_add (struct husk_criu_kv **v, size_t *len, const char *key, const char *val)
{
  *v = xrealloc (*v, (*len + 1) * sizeof **v);
  (*v)[*len].key = xstrdup (key);
  (*v)[*len].val = xstrdup (val);
  (*len)++;
}

void
husk_criu_external_add (struct husk_criu_opts *o, const char *s)
{
  o->external = xrealloc (o->external, (o->external_len + 1) * sizeof *o->external);
  o->external[o->external_len++] = xstrdup (s);
}

static void
put_bool (struct husk_pb_buf *b, uint32_t field, bool v)
{
  if (v)
    husk_pb_put_varint (b, field, 1);
}

/* A repeated message of two fields: 1 = key, 2 = val (ext_mount_map,
 * join_namespace, cgroup_root: strings; inherit_fd: 2 is an int32). */
static void
put_pairs (struct husk_pb_buf *b, uint32_t field, const struct husk_criu_kv *v, size_t n,
           bool val_is_int)
{
  for (size_t i = 0; i < n; i++)
    {
      struct husk_pb_buf m = { 0 };
      husk_pb_put_string (&m, 1, v[i].key);
      if (val_is_int)
        husk_pb_put_int32 (&m, 2, (int32_t) atoi (v[i].val));
      else
        husk_pb_put_string (&m, 2, v[i].val);
      husk_pb_put_message (b, field, &m);
      husk_pb_buf_free (&m);
    }
}

static void
opts_encode (const struct husk_criu_opts *o, struct husk_pb_buf *b)
{
  husk_pb_put_int32 (b, 1, o->images_dir_fd); /* images_dir_fd */
  if (o->pid > 0)
    husk_pb_put_int32 (b, 2, o->pid);
  put_bool (b, 3, o->leave_running);
  put_bool (b, 4, o->ext_unix_sk);
  put_bool (b, 5, o->tcp_established);
  put_bool (b, 6, o->evasive_devices);
  put_bool (b, 7, o->shell_job);
  put_bool (b, 8, o->file_locks);
  if (o->log_level > 0)
    husk_pb_put_int32 (b, 9, o->log_level);
  husk_pb_put_string (b, 10, o->log_file);
  if (o->ps_address)
    {
      struct husk_pb_buf ps = { 0 }; /* criu_page_server_info: address 1, port 2 */
      husk_pb_put_string (&ps, 1, o->ps_address);
      husk_pb_put_int32 (&ps, 2, o->ps_port);
      husk_pb_put_message (b, 11, &ps);
      husk_pb_buf_free (&ps);
    }
  put_bool (b, 12, o->notify_scripts);
  husk_pb_put_string (b, 13, o->root);
  husk_pb_put_string (b, 14, o->parent_img);
  put_bool (b, 15, o->track_mem);
  put_bool (b, 16, o->auto_dedup);
  if (o->work_dir_fd >= 0)
    husk_pb_put_int32 (b, 17, o->work_dir_fd);
  put_bool (b, 18, o->link_remap);
  put_pairs (b, 23, o->ext_mnt, o->ext_mnt_len, false); /* ext_mnt */
  put_bool (b, 24, o->manage_cgroups);
  for (size_t i = 0; i < o->cg_root_len; i++) /* cg_root: ctrl 1 (optional), path 2 */
    {
      struct husk_pb_buf m = { 0 };
      husk_pb_put_string (&m, 1, o->cg_root[i].key);
      husk_pb_put_string (&m, 2, o->cg_root[i].val);
      husk_pb_put_message (b, 25, &m);
      husk_pb_buf_free (&m);
    }
  put_bool (b, 26, o->rst_sibling);
  put_pairs (b, 27, o->inherit_fd, o->inherit_fd_len, true); /* inherit_fd */
  if (o->manage_cgroups_mode >= 0)
    husk_pb_put_varint (b, 34, (uint64_t) o->manage_cgroups_mode);
  for (size_t i = 0; i < o->external_len; i++)
    husk_pb_put_string (b, 37, o->external[i]);
  if (o->empty_ns)
    husk_pb_put_varint (b, 38, o->empty_ns);
  put_pairs (b, 39, o->join_ns, o->join_ns_len, false); /* join_ns */
  husk_pb_put_string (b, 44, o->freeze_cgroup);
  put_bool (b, 46, o->tcp_skip_in_flight);
  put_bool (b, 48, o->lazy_pages);
  if (o->status_fd >= 0)
    husk_pb_put_int32 (b, 49, o->status_fd);
  put_bool (b, 50, o->orphan_pts_master);
  husk_pb_put_string (b, 51, o->config_file);
  husk_pb_put_string (b, 53, o->lsm_profile);
  husk_pb_put_string (b, 63, o->lsm_mount_context);
}

void
husk_criu_req_encode (const struct husk_criu_req *r, struct husk_pb_buf *b)
{
  husk_pb_put_varint (b, 1, (uint64_t) r->type); /* criu_req.type */
  if (r->opts)
    {
      struct husk_pb_buf o = { 0 };
      opts_encode (r->opts, &o);
      husk_pb_put_message (b, 2, &o); /* criu_req.opts */
      husk_pb_buf_free (&o);
    }
  put_bool (b, 3, r->notify_success);
  if (r->type == HUSK_CRIU_FEATURE_CHECK)
    {
      struct husk_pb_buf f = { 0 }; /* criu_features: mem_track 1, lazy_pages 2 */
      put_bool (&f, 1, r->feat_mem_track);
      put_bool (&f, 2, r->feat_lazy_pages);
      husk_pb_put_message (b, 5, &f); /* criu_req.features */
      husk_pb_buf_free (&f);
    }
}

/* --- criu_resp --- */

static char *
dup_bytes (const struct husk_pb_field *f)
{
  char *s = xstrndup ((const char *) f->p, f->n);
  return s;
}

/* Calls fn for each field of the embedded message f; -1 when it is malformed
 * or not length-delimited. */
static int
each_field (const struct husk_pb_field *f, void (*fn) (const struct husk_pb_field *, void *),
            void *data)
{
  const unsigned char *cur = f->p, *end = f->p + f->n;
  struct husk_pb_field g;
  int k;

  if (f->wire != HUSK_PB_LEN)
    return -1;
  while ((k = husk_pb_next (&cur, end, &g)) > 0)
    fn (&g, data);
  return k;
}

static void
dump_field (const struct husk_pb_field *f, void *data)
{
  struct husk_criu_resp *r = data;
  if (f->num == 1 && f->wire == HUSK_PB_VARINT) /* criu_dump_resp.restored */
    r->dump_restored = f->v != 0;
}

static void
restore_field (const struct husk_pb_field *f, void *data)
{
  struct husk_criu_resp *r = data;
  if (f->num == 1 && f->wire == HUSK_PB_VARINT) /* criu_restore_resp.pid */
    r->restore_pid = (int) (int32_t) f->v;
}

static void
notify_field (const struct husk_pb_field *f, void *data)
{
  struct husk_criu_resp *r = data;
  if (f->num == 1 && f->wire == HUSK_PB_LEN && r->notify_script == NULL) /* script */
    r->notify_script = dup_bytes (f);
  else if (f->num == 2 && f->wire == HUSK_PB_VARINT) /* pid */
    r->notify_pid = (int) (int32_t) f->v;
}

static void
features_field (const struct husk_pb_field *f, void *data)
{
  struct husk_criu_resp *r = data;
  if (f->wire != HUSK_PB_VARINT)
    return;
  if (f->num == 1) /* criu_features.mem_track */
    r->feat_mem_track = f->v != 0;
  else if (f->num == 2) /* lazy_pages */
    r->feat_lazy_pages = f->v != 0;
}

static void
version_field (const struct husk_pb_field *f, void *data)
{
  struct husk_criu_resp *r = data;
  if (f->num == 3 && f->wire == HUSK_PB_LEN && r->gitid == NULL) /* gitid */
    r->gitid = dup_bytes (f);
  else if (f->wire != HUSK_PB_VARINT)
    return;
  else if (f->num == 1) /* major_number */
    r->major = (int) (int32_t) f->v;
  else if (f->num == 2) /* minor_number */
    r->minor = (int) (int32_t) f->v;
  else if (f->num == 4) /* sublevel */
    r->sublevel = (int) (int32_t) f->v;
}

static int
resp_field (const struct husk_pb_field *f, struct husk_criu_resp *r, bool *has_type,
            bool *has_success)
{
  switch (f->num)
    {
    case 1: /* type */
      *has_type = f->wire == HUSK_PB_VARINT;
      r->type = (enum husk_criu_type) f->v;
      return 0;
    case 2: /* success */
      *has_success = f->wire == HUSK_PB_VARINT;
      r->success = f->v != 0;
      return 0;
    case 3: /* dump */
      return each_field (f, dump_field, r);
    case 4: /* restore */
      return each_field (f, restore_field, r);
    case 5: /* notify */
      return each_field (f, notify_field, r);
    case 7: /* cr_errno */
      r->cr_errno = (int) (int32_t) f->v;
      return 0;
    case 8: /* features */
      r->has_features = true;
      return each_field (f, features_field, r);
    case 9: /* cr_errmsg */
      if (f->wire == HUSK_PB_LEN && r->cr_errmsg == NULL)
        r->cr_errmsg = dup_bytes (f);
      return 0;
    case 10: /* version */
      r->has_version = true;
      return each_field (f, version_field, r);
    case 11: /* status */
      r->status = (int) (int32_t) f->v;
      return 0;
    default: /* ps (6) and fields of later CRIUs */
      return 0;
    }
}

int
husk_criu_resp_decode (const void *p, size_t n, struct husk_criu_resp *r)
{
  const unsigned char *cur = p, *end = cur + n;
  bool has_type = false, has_success = false;
  struct husk_pb_field f;
  int k;

  memset (r, 0, sizeof *r);
  while ((k = husk_pb_next (&cur, end, &f)) > 0)
    if (resp_field (&f, r, &has_type, &has_success) < 0)
      {
        k = -1;
        break;
      }
  if (k < 0 || !has_type || !has_success)
    {
      husk_criu_resp_free (r);
      return -1;
    }
  return 0;
}

void
husk_criu_resp_free (struct husk_criu_resp *r)
{
  free (r->notify_script);
  free (r->cr_errmsg);
  free (r->gitid);
  memset (r, 0, sizeof *r);
}

const char *
husk_criu_type_name (enum husk_criu_type t)
{
  switch (t)
    {
    case HUSK_CRIU_DUMP:
      return "dump";
    case HUSK_CRIU_RESTORE:
      return "restore";
    case HUSK_CRIU_CHECK:
      return "check";
    case HUSK_CRIU_PRE_DUMP:
      return "pre-dump";
    case HUSK_CRIU_NOTIFY:
      return "notify";
    case HUSK_CRIU_FEATURE_CHECK:
      return "feature check";
    case HUSK_CRIU_VERSION:
      return "version";
    }
  return "?";
}
