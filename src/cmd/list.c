#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "container/container.h"
#include "container/state.h"
#include "linux/namespaces.h"
#include "util/jsongen.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/num.h"
#include "util/xalloc.h"

static const char usage[] =
    "usage: husk list [--format table|json] [-q] [--ns]\n"
    "\n"
    "List the containers under the state root.\n"
    "\n"
    "  -f, --format F   table (default) or json\n"
    "  -q, --quiet      print only the ids\n"
    "      --ns         a column per namespace: its inode, or `host` for the\n"
    "                   host's (two containers sharing one show the same number)\n";

static const struct option options[] = {
  { "format", required_argument, NULL, 'f' },
  { "quiet", no_argument, NULL, 'q' },
  { "ns", no_argument, NULL, 'n' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

struct row
{
  struct husk_state *st;
  enum husk_status status;
  char owner[64];
};

/* The last uid's name is kept: the lookup reads the whole of /etc/passwd each
 * time, and the containers under one root nearly always share an owner. */
static void
owner_name (uid_t uid, char *buf, size_t len)
{
  static char last[64];
  static uid_t last_uid;
  static bool have;

  if (!have || uid != last_uid)
    {
      cleanup_free char *name = husk_passwd_field (uid, 0);
      if (name)
        snprintf (last, sizeof last, "%s", name);
      else
        snprintf (last, sizeof last, "#%u", (unsigned) uid);
      last_uid = uid;
      have = true;
    }
  if (len)
    {
      size_t l = strnlen (last, len - 1);
      memcpy (buf, last, l);
      buf[l] = '\0';
    }
}

/* A state.json written by an older husk, or by one killed mid-write, may lack a
 * field: never print "(null)".  A missing time is the zero time, as runc has it. */
#define ZERO_TIME "0001-01-01T00:00:00Z"

static const char *
or_default (const char *s, const char *dflt)
{
  return s && *s ? s : dflt;
}

/* A row being built: printf's "%-*s" without its format interpreter, and one
 * fwrite a row (a thousand rows of six fields). */
struct line
{
  char *buf;
  size_t len, cap;
};

/* s, then spaces up to width w, then sep. */
static void
put_cell (struct line *l, const char *s, size_t w, const char *sep)
{
  size_t n = strlen (s), m = strlen (sep), need = l->len + (n > w ? n : w) + m;

  l->buf = xgrow (l->buf, &l->cap, need, 128);
  memcpy (l->buf + l->len, s, n);
  l->len += n;
  for (; n < w; n++)
    l->buf[l->len++] = ' ';
  memcpy (l->buf + l->len, sep, m);
  l->len += m;
}

static void
print_table (struct row *rows, size_t n)
{
  size_t w[4] = { 2, 3, 6, 6 };
  struct line line = { 0 };
  char buf[24], *pid;

  for (size_t i = 0; i < n; i++)
    {
      pid = husk_itoa (rows[i].status == HUSK_STATUS_STOPPED ? 0 : rows[i].st->pid, buf);
      size_t l[4] = { strlen (rows[i].st->id), strlen (pid),
                      strlen (husk_status_name (rows[i].status)),
                      strlen (or_default (rows[i].st->bundle, "")) };
      for (int k = 0; k < 4; k++)
        if (l[k] > w[k])
          w[k] = l[k];
    }
  printf ("%-*s   %-*s   %-*s   %-*s   %-30s   %s\n", (int) w[0], "ID", (int) w[1], "PID",
          (int) w[2], "STATUS", (int) w[3], "BUNDLE", "CREATED", "OWNER");
  for (size_t i = 0; i < n; i++)
    {
      pid = husk_itoa (rows[i].status == HUSK_STATUS_STOPPED ? 0 : rows[i].st->pid, buf);
      line.len = 0;
      put_cell (&line, rows[i].st->id, w[0], "   ");
      put_cell (&line, pid, w[1], "   ");
      put_cell (&line, husk_status_name (rows[i].status), w[2], "   ");
      put_cell (&line, or_default (rows[i].st->bundle, ""), w[3], "   ");
      put_cell (&line, or_default (rows[i].st->created, ZERO_TIME), 30, "   ");
      put_cell (&line, rows[i].owner, 0, "\n");
      fwrite (line.buf, 1, line.len, stdout);
    }
  free (line.buf);
}

/* --ns: the inode of each namespace of a running container's init, "host"
 * where it is the host's, "-" when stopped or unreadable. */
static void
print_ns_table (struct row *rows, size_t n)
{
  unsigned long long hino[OCI_NS_COUNT], hdev[OCI_NS_COUNT];
  size_t w = 2;

  husk_host_ns (hino, hdev);
  for (size_t i = 0; i < n; i++)
    if (strlen (rows[i].st->id) > w)
      w = strlen (rows[i].st->id);
  printf ("%-*s  %-7s", (int) w, "ID", "STATUS");
  for (int k = 0; k < OCI_NS_COUNT; k++)
    printf (k + 1 < OCI_NS_COUNT ? "  %-10s" : "  %s", husk_ns_proc_name (husk_ns_report_type (k)));
  printf ("\n");
  for (size_t i = 0; i < n; i++)
    {
      unsigned long long ino[OCI_NS_COUNT] = { 0 }, dev[OCI_NS_COUNT] = { 0 };
      bool live = rows[i].status != HUSK_STATUS_STOPPED && rows[i].st->pid > 0;

      if (live)
        husk_pid_ns (rows[i].st->pid, ino, dev);
      printf ("%-*s  %-7s", (int) w, rows[i].st->id, husk_status_name (rows[i].status));
      for (int k = 0; k < OCI_NS_COUNT; k++)
        {
          enum oci_ns_type t = husk_ns_report_type (k);
          char cell[32] = "-";
          if (ino[t] && ino[t] == hino[t] && dev[t] == hdev[t])
            snprintf (cell, sizeof cell, "host");
          else if (ino[t])
            snprintf (cell, sizeof cell, "%llu", ino[t]);
          printf (k + 1 < OCI_NS_COUNT ? "  %-10s" : "  %s", cell);
        }
      printf ("\n");
    }
}

static void
print_json (struct row *rows, size_t n)
{
  struct json_gen *g = json_gen_new (NULL);
  cleanup_free char *out = NULL;

  json_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    {
      const struct husk_state *st = rows[i].st;
      json_gen_map_open (g);
      json_gen_kv_str (g, "ociVersion", HUSK_SPEC_VERSION);
      json_gen_kv_str (g, "id", st->id);
      json_gen_kv_int (g, "pid", rows[i].status == HUSK_STATUS_STOPPED ? 0 : st->pid);
      json_gen_kv_str (g, "status", husk_status_name (rows[i].status));
      json_gen_kv_str (g, "bundle", or_default (st->bundle, ""));
      json_gen_kv_str (g, "rootfs", or_default (st->rootfs, ""));
      json_gen_kv_str (g, "created", or_default (st->created, ZERO_TIME));
      json_gen_kv_str (g, "owner", rows[i].owner);
      json_gen_map_close (g);
    }
  json_gen_array_close (g);
  out = json_gen_finish (g, NULL);
  printf ("%s\n", out);
}

int
husk_cmd_list (const struct husk_globals *g, int argc, char **argv, struct husk_error **err)
{
  const char *format = "table";
  bool quiet = false, ns = false;
  cleanup_close int root_fd = -1;
  char **ids;
  struct row *rows;
  size_t n = 0, k = 0;
  int c;

  optind = 0;
  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "f:qh", options, NULL)) != -1)
    switch (c)
      {
      case 'n':
        ns = true;
        break;
      case 'f':
        format = optarg;
        break;
      case 'q':
        quiet = true;
        break;
      case 'h':
        return husk_cmd_usage (usage);
      default:
        return husk_error_set (err, 0, "list: unknown option `%s`", argv[optind - 1]);
      }
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return husk_error_set (err, 0, "list: invalid format `%s` (table or json)", format);
  /* runc: a missing default root is an empty list, a missing --root an error. */
  if (g->root_given && access (g->root, F_OK) < 0)
    return husk_error_set (err, errno, "state root `%s`", g->root);
  ids = husk_container_list (g->root, err);
  if (ids == NULL)
    return -1;
  root_fd = openat (AT_FDCWD, g->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  while (ids[n])
    n++;
  rows = xcalloc (n + 1, sizeof *rows);
  for (size_t i = 0; i < n; i++)
    {
      struct husk_error *e = NULL;
      if (husk_container_load_listed (g->root, root_fd, ids[i], &rows[k].st, &rows[k].status, &e)
          < 0)
        {
          /* Listed, but unreadable (a corrupt state.json): say so, go on;
           * `delete --force` removes it. */
          cleanup_free char *t = husk_error_text (e);
          if (husk_container_exists (g->root, ids[i]))
            husk_warn ("container %s: %s", ids[i], t);
          husk_error_free (e);
          continue;
        }
      owner_name (rows[k].st->owner, rows[k].owner, sizeof rows[k].owner);
      k++;
    }
  /* One write per 64 KiB, not per BUFSIZ (musl's is 1 KiB). */
  static char obuf[1 << 16];
  setvbuf (stdout, obuf, _IOFBF, sizeof obuf);
  if (quiet)
    for (size_t i = 0; i < k; i++)
      printf ("%s\n", rows[i].st->id);
  else if (strcmp (format, "json") == 0)
    print_json (rows, k);
  else if (ns)
    print_ns_table (rows, k);
  else
    print_table (rows, k);
  for (size_t i = 0; i < k; i++)
    husk_state_free (rows[i].st);
  for (size_t i = 0; i < n; i++)
    free (ids[i]);
  free (ids);
  free (rows);
  return 0;
}
