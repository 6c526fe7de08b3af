#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "container/container.h"
#include "util/jsongen.h"
#include "util/child.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

extern char **environ;

static const char usage[] =
    "usage: husk ps [--format table|json] <container-id> [ps options]\n"
    "\n"
    "List the processes of a container: the host's ps(1) (default options -ef), keeping\n"
    "the header and the lines of the container's processes; or, with --format json, a\n"
    "JSON array of their pids.\n"
    "\n"
    "  -f, --format table|json\n";

static const struct option options[] = {
  { "format", required_argument, NULL, 'f' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* Run ps with args and return its output. */
static char *
run_ps (char **args, size_t nargs, struct husk_error **err)
{
  char **argv = xcalloc (nargs + 3, sizeof (char *));
  int pfd[2], st, r;
  pid_t pid;
  char *out = NULL;
  size_t len;

  if (argv == NULL)
    abort ();
  argv[0] = (char *) "ps";
  if (nargs == 0)
    argv[1] = (char *) "-ef";
  for (size_t i = 0; i < nargs; i++)
    argv[i + 1] = args[i];
  if (pipe2 (pfd, O_CLOEXEC) < 0)
    {
      free (argv);
      return husk_error_set (err, errno, "ps: pipe"), NULL;
    }
  r = husk_spawnp (&pid, argv, false, pfd[1], -1);
  free (argv);
  close (pfd[1]);
  if (r != 0)
    {
      close (pfd[0]);
      return husk_error_set (err, r, "ps: run `ps`"), NULL;
    }
  r = husk_read_fd (pfd[0], &out, &len, err);
  close (pfd[0]);
  while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
    ;
  if (r < 0)
    return NULL;
  if (!WIFEXITED (st) || WEXITSTATUS (st) != 0)
    {
      free (out);
      return husk_error_set (err, 0, "ps: `ps` failed (exit status %d)", WIFEXITED (st) ? WEXITSTATUS (st) : -1),
             NULL;
    }
  return out;
}

/* The index of the PID column in ps's header line. */
static int
pid_column (const char *header)
{
  cleanup_free char *h = xstrdup (header);
  int i = 0;

  for (char *s = h, *save = NULL, *t; (t = strtok_r (s, " \t", &save)); s = NULL, i++)
    if (strcmp (t, "PID") == 0)
      return i;
  return -1;
}

static bool
line_pid_in (const char *line, int col, const pid_t *pids, size_t n)
{
  cleanup_free char *l = xstrdup (line);
  int i = 0;

  for (char *s = l, *save = NULL, *t; (t = strtok_r (s, " \t", &save)); s = NULL, i++)
    if (i == col)
      {
        pid_t p = (pid_t) atoi (t);
        for (size_t k = 0; k < n; k++)
          if (pids[k] == p)
            return true;
        return false;
      }
  return false;
}

static int
print_table (char **args, size_t nargs, const pid_t *pids, size_t n, struct husk_error **err)
{
  cleanup_free char *out = run_ps (args, nargs, err);
  char *nl, *line;
  int col;

  if (out == NULL)
    return -1;
  nl = strchr (out, '\n');
  if (nl)
    *nl = '\0';
  col = pid_column (out);
  if (col < 0)
    return husk_error_set (err, 0, "ps: no PID column in the output of ps (header `%s`)", out);
  printf ("%s\n", out);
  for (line = nl ? nl + 1 : NULL; line && *line; line = nl ? nl + 1 : NULL)
    {
      nl = strchr (line, '\n');
      if (nl)
        *nl = '\0';
      if (line_pid_in (line, col, pids, n))
        printf ("%s\n", line);
    }
  return 0;
}

/* The pids as one JSON array ([1,2,3]), as runc prints them. */
static void
print_json (const pid_t *pids, size_t n)
{
  struct json_gen *g = json_gen_new (NULL);
  cleanup_free char *out = NULL;

  json_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    json_gen_int (g, pids[i]);
  json_gen_array_close (g);
  out = json_gen_finish (g, NULL);
  printf ("%s\n", out);
}

int
husk_cmd_ps (const struct husk_globals *g, int argc, char **argv, struct husk_error **err)
{
  const char *format = "table", *id;
  cleanup_free pid_t *pids = NULL;
  size_t n = 0, nargs;
  int c;

  optind = 0;
  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "+f:h", options, NULL)) != -1)
    switch (c)
      {
      case 'f':
        format = optarg;
        break;
      case 'h':
        return husk_cmd_usage (usage);
      default:
        return husk_error_set (err, 0, "ps: unknown option `%s`", argv[optind - 1]);
      }
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return husk_error_set (err, 0, "ps: invalid format `%s` (table or json)", format);
  if (optind >= argc)
    return husk_error_set (err, 0, "ps: requires a container id\n%s", usage);
  id = argv[optind++];
  if (optind < argc && strcmp (argv[optind], "--") == 0)
    optind++;
  nargs = (size_t) (argc - optind);
  if (husk_cmd_result (g, id, husk_container_pids (g->root, id, &pids, &n, err), err) < 0)
    return -1;
  if (strcmp (format, "json") == 0)
    {
      if (nargs)
        return husk_error_set (err, 0, "ps: ps options do not go with --format json");
      print_json (pids, n);
      return 0;
    }
  return print_table (argv + optind, nargs, pids, n, err);
}
