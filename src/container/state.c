#define _GNU_SOURCE
#include "container/state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "oci/jsontree.h"
#include "util/jsongen.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

static const char *
or_empty (const char *s)
{
  return s ? s : "";
}

static void
gen_annotations (struct json_gen *g, const struct husk_state *st)
{
  json_gen_key (g, "annotations");
  json_gen_map_open (g);
  for (size_t i = 0; i < st->annotations_len; i++)
    json_gen_kv_str (g, st->annotations[i].key, or_empty (st->annotations[i].value));
  json_gen_map_close (g);
}

/* The summary: what `list` prints of a container, kept as the target of a
 * symlink beside state.json, so that list reads it with one readlinkat and no
 * open, read, close or JSON parser (systemd keeps small records in /run the same
 * way).  A symlink is created whole or not at all.  It is a cache: it names the
 * inode, size and mtime of the state.json it was made from, and a summary that
 * is missing, malformed or does not match the state.json beside it is ignored
 * (list reads state.json then, as for the state directory of an older husk).
 *
 *   husk-summary-1 INO SIZE MTIME_SEC MTIME_NSEC PID START_TIME OWNER
 *   LEN(id) LEN(created) LEN(bundle) LEN(rootfs) <id><created><bundle><rootfs>
 *
 * on one line: numbers in decimal, each followed by one space, then the four
 * strings back to back (a path may hold any byte but NUL). */
#define SUMMARY_MAGIC "husk-summary-1 "

static void
summary_write (const char *dir, const struct husk_state *st)
{
  cleanup_free char *path = NULL, *target = NULL;
  const char *id = or_empty (st->id), *created = or_empty (st->created);
  const char *bundle = or_empty (st->bundle), *rootfs = or_empty (st->rootfs);
  struct stat sb;

  path = xconcat (dir, "/state.json", NULL);
  if (lstat (path, &sb) < 0)
    return;
  xasprintf (&target, SUMMARY_MAGIC "%llu %llu %lld %ld %d %llu %u %zu %zu %zu %zu %s%s%s%s",
             (unsigned long long) sb.st_ino, (unsigned long long) sb.st_size,
             (long long) sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec, (int) st->pid, st->start_time,
             (unsigned) st->owner, strlen (id), strlen (created), strlen (bundle), strlen (rootfs),
             id, created, bundle, rootfs);
  free (path);
  path = xconcat (dir, "/" HUSK_STATE_SUMMARY, NULL);
  /* Too long a target (long paths) fails: list reads state.json then. */
  if (strlen (target) < PATH_MAX && symlink (target, path) < 0)
    return;
}

int
husk_state_write (const char *dir, const struct husk_state *st, struct husk_error **err)
{
  struct json_gen *g = json_gen_new (NULL);
  cleanup_free char *path = NULL, *summary = NULL, *json = NULL;
  size_t len;

  json_gen_map_open (g);
  json_gen_kv_str (g, "id", or_empty (st->id));
  json_gen_kv_int (g, "pid", st->pid);
  json_gen_kv_int (g, "start_time", (long long) st->start_time);
  json_gen_kv_str (g, "bundle", or_empty (st->bundle));
  json_gen_kv_str (g, "rootfs", or_empty (st->rootfs));
  json_gen_kv_str (g, "created", or_empty (st->created));
  json_gen_kv_int (g, "owner", st->owner);
  if (st->config_unneeded)
    json_gen_kv_bool (g, "config_unneeded", true);
  json_gen_key (g, "cgroup_dirs");
  json_gen_strv (g, (const char *const *) st->cgroup_dirs);
  gen_annotations (g, st);
  json_gen_map_close (g);
  json = json_gen_finish (g, &len);
  /* The old summary goes first and the new one comes last: a crash in between
   * leaves none, never one that disagrees with state.json. */
  summary = xconcat (dir, "/" HUSK_STATE_SUMMARY, NULL);
  if (unlink (summary) < 0 && errno != ENOENT)
    return husk_error_set (err, errno, "remove `%s`", summary);
  path = xconcat (dir, "/state.json", NULL);
  if (husk_write_file_atomic (path, json, len, 0600, err) < 0)
    return -1;
  summary_write (dir, st);
  return 0;
}

/* A decimal number and the space after it; NULL when that is not what p has. */
static const char *
summary_num (const char *p, const char *end, unsigned long long max, unsigned long long *v)
{
  const char *start = p;
  unsigned long long n = 0;

  for (; p < end && *p >= '0' && *p <= '9'; p++)
    {
      unsigned d = (unsigned) (*p - '0');
      if (n > (max - d) / 10)
        return NULL;
      n = n * 10 + d;
    }
  if (p == start || p == end || *p != ' ')
    return NULL;
  *v = n;
  return p + 1;
}

/* "<id>/<leaf>" into out, without printf (list does this twice per container);
 * false when it does not fit. */
static bool
id_path (char *out, size_t size, const char *id, const char *leaf)
{
  size_t a = strlen (id), b = strlen (leaf);

  if (a + 1 + b + 1 > size)
    return false;
  memcpy (out, id, a);
  out[a] = '/';
  memcpy (out + a + 1, leaf, b + 1);
  return true;
}

struct husk_state *
husk_state_read_summary (int root_fd, const char *id)
{
  enum { INO, SIZE, MSEC, MNSEC, PID, START, OWNER, LID, LCREATED, LBUNDLE, LROOTFS, NUMS };
  static const unsigned long long max[NUMS] = {
    [INO] = ULLONG_MAX, [SIZE] = LLONG_MAX, [MSEC] = LLONG_MAX, [MNSEC] = 999999999,
    [PID] = INT_MAX, [START] = ULLONG_MAX, [OWNER] = UINT_MAX, [LID] = PATH_MAX,
    [LCREATED] = PATH_MAX, [LBUNDLE] = PATH_MAX, [LROOTFS] = PATH_MAX,
  };
  unsigned long long v[NUMS];
  char path[PATH_MAX], buf[PATH_MAX];
  const char *p = buf, *end;
  struct husk_state *st;
  struct stat sb;
  ssize_t n;

  if (!id_path (path, sizeof path, id, HUSK_STATE_SUMMARY))
    return NULL;
  n = readlinkat (root_fd, path, buf, sizeof buf);
  if (n < (ssize_t) strlen (SUMMARY_MAGIC) || n == (ssize_t) sizeof buf
      || memcmp (buf, SUMMARY_MAGIC, strlen (SUMMARY_MAGIC)) != 0)
    return NULL;
  end = buf + n;
  p += strlen (SUMMARY_MAGIC);
  for (int i = 0; i < NUMS; i++)
    if ((p = summary_num (p, end, max[i], &v[i])) == NULL)
      return NULL;
  if (v[LID] + v[LCREATED] + v[LBUNDLE] + v[LROOTFS] != (unsigned long long) (end - p))
    return NULL;
  /* Made from the state.json that is there now? */
  if (!id_path (path, sizeof path, id, "state.json")
      || fstatat (root_fd, path, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG (sb.st_mode)
      || (unsigned long long) sb.st_ino != v[INO] || (unsigned long long) sb.st_size != v[SIZE]
      || (unsigned long long) sb.st_mtim.tv_sec != v[MSEC]
      || (unsigned long long) sb.st_mtim.tv_nsec != v[MNSEC])
    return NULL;
  st = xcalloc (1, sizeof *st);
  st->pid = (pid_t) v[PID];
  st->start_time = v[START];
  st->owner = (uid_t) v[OWNER];
  /* A symlink's target holds no NUL: each field is exactly its length. */
  st->id = xmemdupz (p, v[LID]);
  p += v[LID];
  st->created = xmemdupz (p, v[LCREATED]);
  p += v[LCREATED];
  st->bundle = xmemdupz (p, v[LBUNDLE]);
  p += v[LBUNDLE];
  st->rootfs = xmemdupz (p, v[LROOTFS]);
  return st;
}

static const char *
tree_str (json_val root, const char *key)
{
  return json_string_of (json_object_get (root, key));
}

static long long
tree_int (json_val root, const char *key)
{
  json_val v = json_object_get (root, key);
  return json_is_integer (v) ? v->u.number.i : 0;
}

static char *
dup_or_null (const char *s)
{
  return s ? xstrdup (s) : NULL;
}

static void
read_lists (json_val root, struct husk_state *st)
{
  json_val dirs = json_object_get (root, "cgroup_dirs");
  json_val ann = json_object_get (root, "annotations");
  size_t n = json_is_array (dirs) ? dirs->u.array.len : 0;

  st->cgroup_dirs = xcalloc (n + 1, sizeof (char *));
  for (size_t i = 0, j = 0; i < n; i++)
    {
      const char *str = json_string_of (dirs->u.array.values[i]);
      if (str)
        st->cgroup_dirs[j++] = xstrdup (str);
    }
  if (!json_is_object (ann))
    return;
  n = ann->u.object.len;
  st->annotations = xcalloc (n + 1, sizeof (struct oci_kv));
  for (size_t i = 0; i < n; i++)
    {
      const char *str = json_string_of (ann->u.object.values[i]);
      st->annotations[st->annotations_len].key = xstrdup (ann->u.object.keys[i]);
      st->annotations[st->annotations_len].value = xstrdup (str ? str : "");
      st->annotations_len++;
    }
}

struct husk_state *
husk_state_read (const char *dir, struct husk_error **err)
{
  cleanup_free char *path = NULL, *data = NULL;
  struct husk_state *st;
  json_val root;
  size_t len;

  path = xconcat (dir, "/state.json", NULL);
  if (husk_read_file (path, &data, &len, err) < 0)
    return NULL;
  root = json_tree_parse ("state.json", data, len, NULL);
  if (!json_is_object (root))
    {
      json_tree_free (root);
      husk_error_set (err, 0, "corrupt state file `%s`", path);
      return NULL;
    }
  st = xcalloc (1, sizeof *st);
  st->id = dup_or_null (tree_str (root, "id"));
  st->pid = (pid_t) tree_int (root, "pid");
  st->start_time = (unsigned long long) tree_int (root, "start_time");
  st->bundle = dup_or_null (tree_str (root, "bundle"));
  st->rootfs = dup_or_null (tree_str (root, "rootfs"));
  st->created = dup_or_null (tree_str (root, "created"));
  st->owner = (uid_t) tree_int (root, "owner");
  st->config_unneeded = json_is_true (json_object_get (root, "config_unneeded"));
  read_lists (root, st);
  json_tree_free (root);
  if (st->id == NULL)
    {
      husk_state_free (st);
      husk_error_set (err, 0, "corrupt state file `%s`", path);
      return NULL;
    }
  return st;
}

void
husk_state_free (struct husk_state *st)
{
  if (st == NULL)
    return;
  free (st->id);
  free (st->bundle);
  free (st->rootfs);
  free (st->created);
  for (size_t i = 0; st->cgroup_dirs && st->cgroup_dirs[i]; i++)
    free (st->cgroup_dirs[i]);
  free (st->cgroup_dirs);
  for (size_t i = 0; i < st->annotations_len; i++)
    {
      free (st->annotations[i].key);
      free (st->annotations[i].value);
    }
  free (st->annotations);
  free (st);
}

bool
husk_state_pid_alive (const struct husk_state *st)
{
  unsigned long long start = 0;
  char s;

  if (st->pid <= 0)
    return false;
  /* No process has the pid: kill costs a tenth of a failed open in /proc. */
  if (kill (st->pid, 0) < 0 && errno == ESRCH)
    return false;
  s = husk_proc_stat (st->pid, &start);
  if (s == 0 || s == 'Z' || s == 'X')
    return false;
  /* A pid reused by another process has another start time. */
  return start == st->start_time;
}

enum husk_status
husk_state_status (const struct husk_state *st, const char *dir)
{
  cleanup_free char *fifo = NULL;
  struct stat sb;

  if (!husk_state_pid_alive (st))
    return HUSK_STATUS_STOPPED;
  fifo = xconcat (dir, "/exec.fifo", NULL);
  if (stat (fifo, &sb) == 0)
    return HUSK_STATUS_CREATED;
  if (st->cgroup_dirs && st->cgroup_dirs[0])
    {
      struct husk_cgroup *cg = husk_cgroup_from_dirs (st->cgroup_dirs);
      bool frozen = husk_cgroup_is_frozen (cg);
      husk_cgroup_free (cg);
      if (frozen)
        return HUSK_STATUS_PAUSED;
    }
  return HUSK_STATUS_RUNNING;
}

const char *
husk_status_name (enum husk_status s)
{
  switch (s)
    {
    case HUSK_STATUS_CREATING:
      return "creating";
    case HUSK_STATUS_CREATED:
      return "created";
    case HUSK_STATUS_RUNNING:
      return "running";
    case HUSK_STATUS_PAUSED:
      return "paused";
    case HUSK_STATUS_STOPPED:
      return "stopped";
    }
  return "unknown";
}

char *
husk_state_oci_json (const struct husk_state *st, enum husk_status status)
{
  struct json_gen *g = json_gen_new ("  ");
  char owner[32] = "";

  json_gen_map_open (g);
  json_gen_kv_str (g, "ociVersion", HUSK_SPEC_VERSION);
  json_gen_kv_str (g, "id", or_empty (st->id));
  json_gen_kv_int (g, "pid", status == HUSK_STATUS_STOPPED ? 0 : st->pid);
  json_gen_kv_str (g, "status", husk_status_name (status));
  json_gen_kv_str (g, "bundle", or_empty (st->bundle));
  json_gen_kv_str (g, "rootfs", or_empty (st->rootfs));
  json_gen_kv_str (g, "created", or_empty (st->created));
  if (st->owner != 0)
    snprintf (owner, sizeof owner, "%u", (unsigned) st->owner);
  json_gen_kv_str (g, "owner", owner);
  if (st->annotations_len)
    gen_annotations (g, st);
  json_gen_map_close (g);
  return json_gen_finish (g, NULL);
}

char *
husk_now_rfc3339 (void)
{
  char buf[40];

  husk_rfc3339_now (buf, sizeof buf);
  return xstrdup (buf);
}

char *
husk_state_root_default (bool rootless)
{
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  char *out = NULL;
  char run_user[64];
  struct stat st;

  if (!rootless)
    return xstrdup ("/run/husk");
  if (xdg && xdg[0] == '/')
    {
      out = xconcat (xdg, "/husk", NULL);
      return out;
    }
  /* What pam_systemd would have set: used only when it is really ours. */
  snprintf (run_user, sizeof run_user, "/run/user/%u", (unsigned) geteuid ());
  if (lstat (run_user, &st) == 0 && S_ISDIR (st.st_mode) && st.st_uid == geteuid ()
      && (st.st_mode & 022) == 0)
    {
      out = xconcat (run_user, "/husk", NULL);
      return out;
    }
  xasprintf (&out, "/tmp/husk-%u", (unsigned) geteuid ());
  return out;
}

int
husk_state_root_prepare (const char *root, bool rootless, struct husk_error **err)
{
  struct stat st;

  if (!rootless)
    return 0;
  /* Not mkdir -p: every directory made here is checked, and a missing parent
   * (an unset-up XDG_RUNTIME_DIR) is better reported than invented. */
  if (mkdir (root, 0700) < 0 && errno != EEXIST)
    return husk_error_set (err, errno, "create state root `%s`", root);
  if (lstat (root, &st) < 0)
    return husk_error_set (err, errno, "state root `%s`", root);
  if (!S_ISDIR (st.st_mode))
    return husk_error_set (err, ENOTDIR, "state root `%s`: not a directory (a symlink?)", root);
  if (st.st_uid != geteuid ())
    return husk_error_set (err, EPERM,
                           "state root `%s`: owned by uid %u, not by us (uid %u); another "
                           "user could change our containers' state",
                           root, (unsigned) st.st_uid, (unsigned) geteuid ());
  if ((st.st_mode & 022) != 0)
    return husk_error_set (err, EPERM,
                           "state root `%s`: mode %03o lets other users write in it (want 0700)",
                           root, (unsigned) (st.st_mode & 0777));
  return 0;
}
