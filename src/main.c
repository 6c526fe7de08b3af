/* husk: global options, then one command. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/spec.h"
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
    "  features print the features this runtime supports (JSON)\n"
    "  spec     write a default config.json\n"
    "\n"
    "global options:\n"
    "  --root DIR               state directory (default /run/husk)\n"
    "  --log FILE               append messages to FILE\n"
    "  --log-format text|json   format of the --log file\n"
    "  --debug                  debug messages\n"
    "  --systemd-cgroup         use the systemd cgroup driver\n"
    "  --rootless true|false|auto\n"
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
 * writable binary: see linux/exeseal.c. */
static const struct
{
  const char *name;
  husk_cmd_fn fn;
  bool enters;
} commands[] = {
  { "create", husk_cmd_create, true },
  { "start", husk_cmd_start, false },
  { "run", husk_cmd_run, true },
  { "state", husk_cmd_state, false },
  { "kill", husk_cmd_kill, false },
  { "delete", husk_cmd_delete, false },
  { "update", husk_cmd_update, false },
  { "pause", husk_cmd_pause, false },
  { "resume", husk_cmd_resume, false },
  { "ps", husk_cmd_ps, false },
  { "events", husk_cmd_events, false },
  { "list", husk_cmd_list, false },
  { "spec", cmd_spec, false },
  { "exec", husk_cmd_exec, true },
  { "features", husk_cmd_features, false },
};

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
  struct husk_globals g = { .root = "/run/husk", .log_format = "text", .rootless = "auto" };
  struct husk_error *err = NULL;
  int idx, ret = -1;

  idx = parse_globals (argc, argv, &g, &err);
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
        ret = commands[i].fn (&g, argc - idx, argv + idx, &err);
        break;
      }
  if (err == NULL && ret < 0)
    husk_error_set (&err, 0, "unknown command `%s` (see husk --help)", argv[idx]);
  if (ret >= 0)
    return ret;
fail:
  husk_log_error (err);
  husk_error_free (err);
  return 1;
}
