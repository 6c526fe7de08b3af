/* husk: global options, then one command. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/spec.h"
#include "container/state.h"
#include "linux/exeseal.h"
#include "util/log.h"

static const char usage[] =
    "usage: husk [global options] <command> [options] [args]\n"
    "\n"
    "husk is an OCI container runtime: it runs a bundle (config.json + rootfs).\n"
    "\n"
    "commands:\n"
    "  create   create a container (its init waits for start)\n"
    "  start    start a created container\n"
    "  run      create and start a container, and wait for it\n"
    "  state    print the state of a container\n"
    "  kill     send a signal to a container\n"
    "  delete   delete a container\n"
    "  list     list containers\n"
    "  update   change the cgroup resources of a container\n"
    "  pause    freeze every process of a container\n"
    "  resume   thaw a paused container\n"
    "  ps       list the processes of a container\n"
    "  events   print a container's statistics and OOM events\n"
    "  exec     run a new process in a running container\n"
    "  ns       show a container's namespaces and what it shares\n"
    "  features print the features this runtime supports (JSON)\n"
    "  spec     write a default config.json\n"
    "\n"
    "global options:\n"
    "  --root DIR               state directory (default /run/husk; rootless:\n"
    "                           $XDG_RUNTIME_DIR/husk)\n"
    "  --log FILE               append messages to FILE\n"
    "  --log-format text|json   format of the --log file\n"
    "  --debug                  debug messages\n"
    "  --systemd-cgroup         use the systemd cgroup driver\n"
    "  --criu PATH              the criu binary (default: criu in PATH)\n"
    "  --rootless true|false|auto  run without privilege: no cgroup where none is\n"
    "                           writable, the state root of the user (default auto:\n"
    "                           when not root, or in a user namespace)\n"
    "  -v, --version            print the version\n"
    "  -h, --help               this text; `husk <command> --help` for a command\n";

static int
cmd_spec (const struct husk_globals *g, int argc, char **argv, struct husk_error **err)
{
  (void) g;
  return husk_cmd_spec (argc, argv, err);
}

/* enters: the command forks husk processes that run inside a container's
 * namespaces (the init, the processes of exec).  Those must not run from a
 * writable binary: see linux/exeseal.c.  state: it uses the state root. */
static const struct
{
  const char *name;
  husk_cmd_fn fn;
  bool enters;
  bool state;
} commands[] = {
  { "create", husk_cmd_create, true, true },
  { "start", husk_cmd_start, false, true },
  { "run", husk_cmd_run, true, true },
  { "state", husk_cmd_state, false, true },
  { "kill", husk_cmd_kill, false, true },
  { "delete", husk_cmd_delete, false, true },
  { "update", husk_cmd_update, false, true },
  { "pause", husk_cmd_pause, false, true },
  { "resume", husk_cmd_resume, false, true },
  { "ps", husk_cmd_ps, false, true },
  { "events", husk_cmd_events, false, true },
  { "list", husk_cmd_list, false, true },
  { "spec", cmd_spec, false, false },
  { "exec", husk_cmd_exec, true, true },
  { "ns", husk_cmd_ns, false, true },
  { "features", husk_cmd_features, false, false },
};

/* Whether we run in a user namespace other than the initial one: there the
 * uid_map is not the identity over every id ("0 0 4294967295"). */
static bool
in_user_namespace (void)
{
  FILE *f = fopen ("/proc/self/uid_map", "re");
  unsigned long long a, b, n;
  int k;

  if (f == NULL)
    return false;
  k = fscanf (f, "%llu %llu %llu", &a, &b, &n);
  fclose (f);
  return k != 3 || a != 0 || b != 0 || n != 4294967295ULL;
}

/* --rootless: one decision, made here; everything below takes it as given. */
static int
resolve_rootless (struct husk_globals *g, struct husk_error **err)
{
  if (strcmp (g->rootless, "true") == 0)
    g->is_rootless = true;
  else if (strcmp (g->rootless, "false") == 0)
    g->is_rootless = false;
  else if (strcmp (g->rootless, "auto") == 0)
    g->is_rootless = geteuid () != 0 || in_user_namespace ();
  else
    return husk_error_set (err, 0, "invalid --rootless `%s` (true, false or auto)", g->rootless);
  return 0;
}

static void
print_version (void)
{
  printf ("husk version %s\ncommit: %s\nspec: %s\n", HUSK_VERSION, HUSK_COMMIT, HUSK_SPEC_VERSION);
}

/* "--root=X", "--root X", "-root X": the value of a global option, or NULL. */
static const char *
option_value (int argc, char **argv, int *i, const char *name, bool *matched)
{
  const char *a = argv[*i] + (argv[*i][1] == '-' ? 2 : 1);
  size_t n = strlen (name);

  *matched = false;
  if (strncmp (a, name, n) != 0 || (a[n] != '\0' && a[n] != '='))
    return NULL;
  *matched = true;
  if (a[n] == '=')
    return a + n + 1;
  if (*i + 1 >= argc)
    return NULL;
  return argv[++*i];
}

/* Global options come before the command, in any order.  Returns the index of the
 * command, argc when there is none, or -1 on error. */
static int
parse_globals (int argc, char **argv, struct husk_globals *g, struct husk_error **err)
{
  static const char *valued[] = { "root", "log", "log-format", "rootless", "criu", NULL };
  int i;

  for (i = 1; i < argc && argv[i][0] == '-'; i++)
    {
      const char *a = argv[i] + (argv[i][1] == '-' ? 2 : 1);
      bool matched = false;
      int k;
      if (strcmp (a, "debug") == 0)
        g->debug = true;
      else if (strcmp (a, "systemd-cgroup") == 0)
        g->systemd_cgroup = true;
      else if (strcmp (a, "v") == 0 || strcmp (a, "version") == 0)
        {
          print_version ();
          exit (0);
        }
      else if (strcmp (a, "h") == 0 || strcmp (a, "help") == 0)
        {
          fputs (usage, stdout);
          exit (0);
        }
      else
        {
          for (k = 0; valued[k]; k++)
            {
              const char *v = option_value (argc, argv, &i, valued[k], &matched);
              if (!matched)
                continue;
              if (v == NULL)
                return husk_error_set (err, 0, "option --%s needs a value", valued[k]);
              if (k == 0)
                g->root = v;
              else if (k == 1)
                g->log = v;
              else if (k == 2)
                g->log_format = v;
              else if (k == 3)
                g->rootless = v;
              break;
            }
          if (!matched)
            return husk_error_set (err, 0, "unknown global option `%s`", argv[i]);
        }
    }
  return i;
}

int
main (int argc, char **argv)
{
  struct husk_globals g = { .log_format = "text", .rootless = "auto" };
  struct husk_error *err = NULL;
  char *root = NULL;
  int idx, ret = -1;

  idx = parse_globals (argc, argv, &g, &err);
  if (idx >= 0 && resolve_rootless (&g, &err) < 0)
    idx = -1;
  if (idx >= 0 && g.root == NULL)
    g.root = root = husk_state_root_default (g.is_rootless);
  if (idx >= 0 && strcmp (g.log_format, "text") != 0 && strcmp (g.log_format, "json") != 0)
    idx = husk_error_set (&err, 0, "invalid --log-format `%s` (text or json)", g.log_format);
  if (idx >= 0
      && husk_log_init (g.log, strcmp (g.log_format, "json") == 0 ? HUSK_LOG_JSON : HUSK_LOG_TEXT,
                        g.debug, &err) < 0)
    idx = -1;
  if (idx < 0)
    goto fail;
  if (idx >= argc)
    {
      fputs (usage, stderr);
      free (root);
      return 1;
    }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (argv[idx], commands[i].name) == 0)
      {
        /* Once, before anything else happens: the re-exec keeps argv, the
         * environment, the pid and every fd (the --log fd is close-on-exec
         * and opened again). */
        if (commands[i].enters && husk_exe_seal (argv, &err) < 0)
          goto fail;
        if (commands[i].state && husk_state_root_prepare (g.root, g.is_rootless, &err) < 0)
          goto fail;
        ret = commands[i].fn (&g, argc - idx, argv + idx, &err);
        break;
      }
  if (err == NULL && ret < 0)
    husk_error_set (&err, 0, "unknown command `%s` (see husk --help)", argv[idx]);
  if (ret >= 0)
    {
      free (root);
      return ret;
    }
fail:
  free (root);
  husk_log_error (err);
  husk_error_free (err);
  return 1;
}
