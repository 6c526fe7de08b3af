/* husk ns ID [--format table|json], husk ns --graph: a container's namespaces,
 * what it shares with the host and with other containers, and how to enter
 * each (container/ns.c gathers, this prints). */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "container/container.h"
#include "linux/namespaces.h"
#include "util/jsongen.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static const char usage[] =
    "usage: husk ns [--format table|json] <container-id>\n"
    "       husk ns --graph\n"
    "\n"
    "Show a container's eight namespaces as the host sees them (/proc/PID/ns):\n"
    "each one's inode, whether it is new, the host's, or shared with other\n"
    "containers (by id), how the config made it (created, joined by path, or\n"
    "inherited from the host), and the command that enters it.  Then the user\n"
    "namespace's uid and gid maps, the time namespace's offsets and the cgroup the\n"
    "init is in (the root a new cgroup namespace shows).\n"
    "\n"
    "  -f, --format F   table (default) or json\n"
    "  -g, --graph      the sharing between every container and the host, as a\n"
    "                   Graphviz DOT graph (`husk ns --graph | dot -Tsvg >ns.svg`)\n";

static const struct option options[] = {
  { "format", required_argument, NULL, 'f' },
  { "graph", no_argument, NULL, 'g' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* nsenter's option for each type. */
static const char *
nsenter_flag (enum oci_ns_type t)
{
  static const char *flags[] = {
    [OCI_NS_PID] = "--pid",     [OCI_NS_NETWORK] = "--net", [OCI_NS_MOUNT] = "--mount",
    [OCI_NS_IPC] = "--ipc",     [OCI_NS_UTS] = "--uts",     [OCI_NS_USER] = "--user",
    [OCI_NS_CGROUP] = "--cgroup", [OCI_NS_TIME] = "--time",
  };
  return flags[t];
}

/* "new", "host" or "shared with a,b" (caller frees). */
static char *
state_text (const struct husk_ns_entry *e)
{
  char *s;

  if (!e->present)
    return xstrdup ("-");
  /* Every container that inherits one of the host's has it too: no news. */
  if (e->host)
    return xstrdup ("host");
  s = xstrdup (e->shared_with ? "shared" : "new");
  for (size_t i = 0; e->shared_with && e->shared_with[i]; i++)
    {
      char *t = xconcat (s, i ? "," : " with ", e->shared_with[i], NULL);
      free (s);
      s = t;
    }
  return s;
}

/* Colour only for a terminal, and never with NO_COLOR set (no-color.org). */
static bool
use_colour (void)
{
  const char *nc = getenv ("NO_COLOR");

  return isatty (STDOUT_FILENO) && (nc == NULL || *nc == '\0');
}

static const char *
colour_of (const struct husk_ns_entry *e)
{
  if (!e->present)
    return "";
  if (e->host)
    return "\033[33m"; /* yellow: the host's */
  return e->shared_with ? "\033[36m" : "\033[32m"; /* cyan: shared; green: its own */
}

static void
print_block (const char *title, const char *text)
{
  if (text == NULL || *text == '\0')
    return;
  printf ("\n%s:\n", title);
  for (const char *p = text; *p;)
    {
      const char *nl = strchrnul (p, '\n');
      printf ("  %.*s\n", (int) (nl - p), p);
      p = *nl ? nl + 1 : nl;
    }
}

static void
print_table (const struct husk_ns_report *r)
{
  bool colour = use_colour ();
  int w_state = 5, w_made = 4;
  char *states[OCI_NS_COUNT];

  for (int i = 0; i < OCI_NS_COUNT; i++)
    {
      const struct husk_ns_entry *e = &r->ns[husk_ns_report_type (i)];
      states[i] = state_text (e);
      if ((int) strlen (states[i]) > w_state)
        w_state = (int) strlen (states[i]);
      if ((int) strlen (e->made) > w_made)
        w_made = (int) strlen (e->made);
    }
  printf ("container %s, init pid %d on the host (%s)\n\n", r->id, (int) r->pid,
          husk_status_name (r->status));
  printf ("%-6s  %-10s  %-*s  %-*s  %s\n", "NS", "INODE", w_state, "STATE", w_made, "MADE",
          "ENTER");
  for (int i = 0; i < OCI_NS_COUNT; i++)
    {
      enum oci_ns_type t = husk_ns_report_type (i);
      const struct husk_ns_entry *e = &r->ns[t];
      const char *name = husk_ns_proc_name (t);
      char ino[32] = "-";

      if (e->present)
        snprintf (ino, sizeof ino, "%llu", e->ino);
      printf ("%-6s  %-10s  %s%-*s%s  %-*s  ", name, ino, colour ? colour_of (e) : "", w_state,
              states[i], colour && *colour_of (e) ? "\033[0m" : "", w_made, e->made);
      if (e->present && !e->host)
        printf ("nsenter -t %d %s | husk exec --ns %s %s\n", (int) r->pid, nsenter_flag (t), name,
                r->id);
      else
        printf ("-\n");
      free (states[i]);
    }
  print_block ("user namespace uid_map (inside, outside, count)", r->uid_map);
  print_block ("user namespace gid_map (inside, outside, count)", r->gid_map);
  print_block ("time namespace offsets", r->time_offsets);
  print_block ("the init's cgroup (the root a new cgroup namespace shows)", r->cgroup_root);
}

static void
print_json (const struct husk_ns_report *r)
{
  struct json_gen *g = json_gen_new ("    ");
  cleanup_free char *out = NULL;

  json_gen_map_open (g);
  json_gen_kv_str (g, "id", r->id);
  json_gen_kv_int (g, "pid", r->pid);
  json_gen_kv_str (g, "status", husk_status_name (r->status));
  json_gen_key (g, "namespaces");
  json_gen_array_open (g);
  for (int i = 0; i < OCI_NS_COUNT; i++)
    {
      enum oci_ns_type t = husk_ns_report_type (i);
      const struct husk_ns_entry *e = &r->ns[t];
      const char *name = husk_ns_proc_name (t);
      cleanup_free char *nsenter = NULL, *hexec = NULL;

      if (!e->present)
        continue;
      if (xasprintf (&nsenter, "nsenter -t %d %s", (int) r->pid, nsenter_flag (t)) < 0
          || xasprintf (&hexec, "husk exec --ns %s %s", name, r->id) < 0)
        abort ();
      json_gen_map_open (g);
      json_gen_kv_str (g, "type", oci_ns_type_name (t));
      json_gen_kv_str (g, "name", name);
      json_gen_kv_int (g, "inode", (long long) e->ino);
      json_gen_kv_int (g, "device", (long long) e->dev);
      json_gen_kv_str (g, "state", e->host ? "host" : e->shared_with ? "shared" : "new");
      json_gen_key (g, "sharedWith");
      json_gen_strv (g, (const char *const *) e->shared_with);
      json_gen_kv_str (g, "made", e->made);
      json_gen_kv_str (g, "nsenter", nsenter);
      json_gen_kv_str (g, "huskExec", hexec);
      json_gen_map_close (g);
    }
  json_gen_array_close (g);
  json_gen_kv_str (g, "uidMap", r->uid_map);
  json_gen_kv_str (g, "gidMap", r->gid_map);
  json_gen_kv_str (g, "timeOffsets", r->time_offsets);
  json_gen_kv_str (g, "cgroup", r->cgroup_root);
  json_gen_map_close (g);
  out = json_gen_finish (g, NULL);
  fputs (out, stdout);
}

/* DOT: a node per container and one for the host, a node per namespace that a
 * container has (type and inode), an edge from each owner to each namespace. */
static int
print_graph (const char *root, struct husk_error **err)
{
  unsigned long long hino[OCI_NS_COUNT], hdev[OCI_NS_COUNT];
  char **ids = husk_container_list (root, err);
  struct husk_ns_report **rs;
  size_t n = 0, k = 0;

  if (ids == NULL)
    return -1;
  while (ids[n])
    n++;
  rs = xcalloc (n + 1, sizeof *rs);
  for (size_t i = 0; i < n; i++)
    if (husk_container_ns (root, ids[i], &rs[k], NULL) == 0)
      k++;
  husk_host_ns (hino, hdev);
  printf ("graph husk {\n  rankdir=LR;\n  node [fontname=\"monospace\"];\n");
  printf ("  \"host\" [shape=box, style=filled, fillcolor=\"#f0e68c\", label=\"host\\n(pid 1)\"];\n");
  for (size_t i = 0; i < k; i++)
    printf ("  \"c:%s\" [shape=box, style=filled, fillcolor=\"#add8e6\", label=\"%s\\n(pid %d)\"];\n",
            rs[i]->id, rs[i]->id, (int) rs[i]->pid);
  /* Each namespace once, with its edges: the host's own only when a container
   * shares it (else the picture is the host's eight with no one attached). */
  for (int t = 0; t < OCI_NS_COUNT; t++)
    for (size_t i = 0; i < k; i++)
      {
        const struct husk_ns_entry *e = &rs[i]->ns[t];
        bool seen = false;
        if (!e->present)
          continue;
        for (size_t j = 0; j < i && !seen; j++)
          seen = rs[j]->ns[t].present && rs[j]->ns[t].ino == e->ino && rs[j]->ns[t].dev == e->dev;
        if (seen)
          continue;
        printf ("  \"%s:%llu\" [shape=ellipse, label=\"%s\\n%llu\"%s];\n",
                husk_ns_proc_name ((enum oci_ns_type) t), e->ino,
                husk_ns_proc_name ((enum oci_ns_type) t), e->ino,
                e->host ? ", style=filled, fillcolor=\"#fffacd\"" : "");
        if (e->host)
          printf ("  \"host\" -- \"%s:%llu\";\n", husk_ns_proc_name ((enum oci_ns_type) t), e->ino);
        for (size_t j = i; j < k; j++)
          if (rs[j]->ns[t].present && rs[j]->ns[t].ino == e->ino && rs[j]->ns[t].dev == e->dev)
            printf ("  \"c:%s\" -- \"%s:%llu\";\n", rs[j]->id,
                    husk_ns_proc_name ((enum oci_ns_type) t), e->ino);
      }
  printf ("}\n");
  for (size_t i = 0; i < k; i++)
    husk_ns_report_free (rs[i]);
  free (rs);
  for (size_t i = 0; i < n; i++)
    free (ids[i]);
  free (ids);
  return 0;
}

int
husk_cmd_ns (const struct husk_globals *g, int argc, char **argv, struct husk_error **err)
{
  const char *format = "table", *id;
  struct husk_ns_report *r = NULL;
  bool graph = false;
  int c;

  optind = 0;
  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "+f:gh", options, NULL)) != -1)
    switch (c)
      {
      case 'f':
        format = optarg;
        break;
      case 'g':
        graph = true;
        break;
      case 'h':
        return husk_cmd_usage (usage);
      default:
        return husk_error_set (err, 0, "ns: unknown option `%s`", argv[optind - 1]);
      }
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return husk_error_set (err, 0, "ns: invalid format `%s` (table or json)", format);
  if (graph)
    {
      if (optind != argc)
        return husk_error_set (err, 0, "ns: --graph takes no container id (it shows them all)");
      return print_graph (g->root, err);
    }
  if (husk_cmd_id (argc, argv, optind, usage, &id, err) < 0)
    return -1;
  if (husk_cmd_result (g, id, husk_container_ns (g->root, id, &r, err), err) < 0)
    return -1;
  if (strcmp (format, "json") == 0)
    print_json (r);
  else
    print_table (r);
  husk_ns_report_free (r);
  return 0;
}
