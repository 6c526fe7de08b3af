/* husk: global options, then one command. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/spec.h"
#include "container/state.h"
#include "linux/exeseal.h"
#include "util/fs.h"
#include "util/log.h"

/* The release of runc whose command line (and bats suite) husk follows. */
#define HUSK_RUNC_CLI_VERSION "1.5.0"

/* runc's layout (NAME:, USAGE:, COMMANDS:, GLOBAL OPTIONS:), under the name we
 * were invoked as. */
static void
print_usage (FILE *f)
{
  const char *prog = program_invocation_short_name;

  fprintf (f,
           "NAME:\n"
           "   %s - a drop-in for runc - Open Container Initiative runtime\n"
           "\n"
           "%s is an OCI container runtime with runc's command line: it runs a bundle\n"
           "(config.json + rootfs).\n"
           "\n"
           "USAGE:\n"
           "   %s [global options] <command> [command options] [arguments...]\n"
           "\n"
           "COMMANDS:\n",
           prog, prog, prog);
  husk_cmd_list_commands (f);
  fputs ("\n"
         "GLOBAL OPTIONS:\n"
         "   --root DIR               state directory (default /run/husk; rootless:\n"
         "                            $XDG_RUNTIME_DIR/husk)\n"
         "   --log FILE               append messages to FILE (default: stderr)\n"
         "   --log-format text|json   format of the log (logrus's text, or JSON lines)\n"
         "   --debug                  debug messages\n"
         "   --systemd-cgroup         use the systemd cgroup driver\n"
         "   --cgroup-manager cgroupfs|systemd|disabled\n"
         "                            crun's spelling: the cgroupfs driver (default),\n"
         "                            the systemd driver, or no cgroup at all\n"
         "   --criu PATH              the criu binary (default: criu in PATH)\n"
         "   --rootless true|false|auto  run without privilege: no cgroup where none is\n"
         "                            writable, the state root of the user (default auto:\n"
         "                            when not root, or in a user namespace)\n"
         "   -v, --version            print the version\n"
         "   -h, --help               this text; `husk help <command>` for a command\n",
         f);
}

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
  { "checkpoint", husk_cmd_checkpoint, false, true },
  { "restore", husk_cmd_restore, false, true },
};

/* husk help [command]: the usage of husk, or of the command (its --help). */
static int
help (const struct husk_globals *g, int argc, char **argv, struct husk_error **err)
{
  char help_opt[] = "--help";

  if (argc < 2)
    {
      print_usage (stdout);
      return 0;
    }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      {
        char *args[] = { argv[1], help_opt, NULL };
        return commands[i].fn (g, 2, args, err);
      }
  return husk_error_set (err, 0, "No help topic for '%s'", argv[1]);
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
    g->is_rootless = geteuid () != 0 || husk_running_in_userns ();
  else
    return husk_error_set (err, 0, "invalid --rootless `%s` (true, false or auto)", g->rootless);
  return 0;
}

static void
print_version (void)
{
  /* husk's own version first: Docker shows what follows "version" on the first
   * line.  The runc command line followed comes after. */
  printf ("husk version %s\ncommit: %s\nspec: %s\nrunc command line: %s\n", HUSK_VERSION,
          HUSK_COMMIT, HUSK_SPEC_VERSION, HUSK_RUNC_CLI_VERSION);
}

/* crun's --cgroup-manager: cgroupfs, systemd (our --systemd-cgroup) or disabled
 * (no cgroup at all).  The last one given wins, --systemd-cgroup included. */
static int
set_cgroup_manager (struct husk_globals *g, const char *v, struct husk_error **err)
{
  g->systemd_cgroup = strcmp (v, "systemd") == 0;
  g->no_cgroup = strcmp (v, "disabled") == 0;
  if (!g->systemd_cgroup && !g->no_cgroup && strcmp (v, "cgroupfs") != 0)
    return husk_error_set (err, 0, "invalid --cgroup-manager `%s` (cgroupfs, systemd or disabled)",
                           v);
  return 0;
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
  static const char *valued[]
      = { "root", "log", "log-format", "rootless", "criu", "cgroup-manager", NULL };
  int i;

  for (i = 1; i < argc && argv[i][0] == '-'; i++)
    {
      const char *a = argv[i] + (argv[i][1] == '-' ? 2 : 1);
      bool matched = false;
      int k;
      if (strcmp (a, "debug") == 0)
        g->debug = true;
      else if (strcmp (a, "systemd-cgroup") == 0)
        {
          g->systemd_cgroup = true;
          g->no_cgroup = false;
        }
      else if (strcmp (a, "v") == 0 || strcmp (a, "version") == 0)
        {
          print_version ();
          exit (0);
        }
      else if (strcmp (a, "h") == 0 || strcmp (a, "help") == 0)
        {
          print_usage (stdout);
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
              else if (k == 5 && set_cgroup_manager (g, v, err) < 0)
                return -1;
              else if (k == 4)
                g->criu = v;
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
  g.root_given = g.root != NULL;
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
      print_usage (stderr);
      free (root);
      return 1;
    }
  if (strcmp (argv[idx], "help") == 0)
    {
      ret = help (&g, argc - idx, argv + idx, &err);
      if (ret >= 0)
        {
          free (root);
          return ret;
        }
      goto fail;
    }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (argv[idx], commands[i].name) == 0)
      {
        /* Once, before anything else happens: in place, or by a re-exec that
         * keeps argv, the environment, the pid and every fd (the --log fd is
         * close-on-exec and opened again). */
        if (commands[i].enters && husk_exe_seal (argv, &err) < 0)
          goto fail;
        if (commands[i].state && husk_state_root_prepare (g.root, g.is_rootless, &err) < 0)
          goto fail;
        ret = commands[i].fn (&g, argc - idx, argv + idx, &err);
        break;
      }
  if (err == NULL && ret < 0)
    husk_error_set (&err, 0, "unknown command: No help topic for '%s' (see %s --help)", argv[idx],
                    program_invocation_short_name);
  if (ret >= 0)
    {
      free (root);
      return ret;
    }
fail:
  free (root);
  husk_log_error (err);
  ret = err && err->exit_status ? err->exit_status : 1;
  husk_error_free (err);
  return ret;
}
