#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "container/container.h"
#include "util/xalloc.h"

static const char usage[] =
    "usage: husk exec [options] <container-id> <command> [args...]\n"
    "       husk exec [options] --process FILE <container-id>\n"
    "\n"
    "Run a new process in a running container: in its namespaces and cgroup, with\n"
    "the container's process settings (env, cwd, user, capabilities, rlimits,\n"
    "noNewPrivileges, seccomp) unless an option overrides them.  Without --detach,\n"
    "wait for it and exit with its status (128+N when killed by signal N).\n"
    "\n"
    "  -p, --process FILE       the process as a runtime-spec process JSON (the\n"
    "                           options below that describe the process are ignored)\n"
    "  -d, --detach             return once the process runs\n"
    "      --pid-file FILE      write the process's pid to FILE\n"
    "      --console-socket S   send the pty master to the unix socket S (with --tty)\n"
    "      --pidfd-socket S     send a pidfd of the process to the unix socket S\n"
    "  -t, --tty                give the process a pty\n"
    "      --cwd DIR            the working directory\n"
    "  -e, --env KEY=VALUE      add an environment variable (repeatable)\n"
    "  -u, --user UID[:GID]     the user (the gid stays the config's if not given)\n"
    "  -g, --additional-gids G  add a supplementary group (repeatable)\n"
    "  -c, --cap CAP            add a capability to the bounding, effective and\n"
    "                           permitted sets (repeatable)\n"
    "      --no-new-privs       set no_new_privs\n"
    "      --apparmor PROFILE   the AppArmor profile\n"
    "      --process-label L    the SELinux label\n"
    "      --preserve-fds N     pass N more fds (3 .. 3+N-1) to the process\n"
    "      --cgroup [CTRL[,CTRL]:]PATH  join this existing sub-cgroup of the container's\n"
    "                           (for the given v1 controllers, or all) (repeatable)\n"
    "      --ignore-paused      exec even when the container is paused\n"
    "      --ns NS[,NS...]      join only these of the container's namespaces, the\n"
    "                           rest stay the caller's (like nsenter): cgroup, ipc,\n"
    "                           mnt, net, pid, time, uts, user, or all (every one\n"
    "                           but user); without mnt the command is the host's\n"
    "      --allow-userns       let --ns join the user namespace (its root is not\n"
    "                           the host's root: asked for explicitly)\n";

enum
{
  OPT_PID_FILE = 256,
  OPT_CONSOLE,
  OPT_CWD,
  OPT_NNP,
  OPT_APPARMOR,
  OPT_LABEL,
  OPT_PRESERVE,
  OPT_CGROUP,
  OPT_IGNORE_PAUSED,
  OPT_NS,
  OPT_ALLOW_USERNS,
  OPT_PIDFD_SOCKET,
};

static const struct option options[] = {
  { "process", required_argument, NULL, 'p' },
  { "detach", no_argument, NULL, 'd' },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "console-socket", required_argument, NULL, OPT_CONSOLE },
  { "pidfd-socket", required_argument, NULL, OPT_PIDFD_SOCKET },
  { "tty", no_argument, NULL, 't' },
  { "cwd", required_argument, NULL, OPT_CWD },
  { "env", required_argument, NULL, 'e' },
  { "user", required_argument, NULL, 'u' },
  { "additional-gids", required_argument, NULL, 'g' },
  { "cap", required_argument, NULL, 'c' },
  { "no-new-privs", no_argument, NULL, OPT_NNP },
  { "apparmor", required_argument, NULL, OPT_APPARMOR },
  { "process-label", required_argument, NULL, OPT_LABEL },
  { "preserve-fds", required_argument, NULL, OPT_PRESERVE },
  { "cgroup", required_argument, NULL, OPT_CGROUP },
  { "ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED },
  { "ns", required_argument, NULL, OPT_NS },
  { "allow-userns", no_argument, NULL, OPT_ALLOW_USERNS },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* The vectors point into argv: only the arrays are ours. */
struct exec_args
{
  struct husk_exec_opts o;
  size_t n_env, n_caps, n_cgroups;
};

static void
push (char ***v, size_t *n, char *s)
{
  *v = xrealloc (*v, (*n + 2) * sizeof (char *));
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

static int
push_gid (struct husk_exec_opts *o, const char *s, struct husk_error **err)
{
  char *end;
  long long v;

  errno = 0;
  v = strtoll (s, &end, 10);
  if (*s == '\0' || *end || errno || v < 0 || v > 0xfffffffeLL)
    return husk_error_set (err, 0, "additional-gids must be a positive number: %s", s);
  o->additional_gids = xrealloc (o->additional_gids, (o->additional_gids_len + 1) * sizeof (gid_t));
  o->additional_gids[o->additional_gids_len++] = (gid_t) v;
  return 0;
}

static int
parse_option (struct exec_args *a, int c, char **argv, struct husk_error **err)
{
  struct husk_exec_opts *o = &a->o;
  char *end;

  switch (c)
    {
    case 'p': o->process_file = optarg; break;
    case 'd': o->detach = true; break;
    case OPT_PID_FILE: o->pid_file = optarg; break;
    case OPT_CONSOLE: o->console_socket = optarg; break;
    case OPT_PIDFD_SOCKET: o->pidfd_socket = optarg; break;
    case 't': o->tty = true; break;
    case OPT_CWD: o->cwd = optarg; break;
    case 'e': push (&o->env, &a->n_env, optarg); break;
    case 'u': o->user = optarg; break;
    case 'g': return push_gid (o, optarg, err);
    case 'c': push (&o->caps, &a->n_caps, optarg); break;
    case OPT_NNP: o->no_new_privs = true; break;
    case OPT_APPARMOR: o->apparmor = optarg; break;
    case OPT_LABEL: o->process_label = optarg; break;
    case OPT_PRESERVE:
      o->preserve_fds = (int) strtol (optarg, &end, 10);
      if (*optarg == '\0' || *end || o->preserve_fds < 0)
        return husk_error_set (err, 0, "invalid --preserve-fds value: %s", optarg);
      break;
    case OPT_CGROUP: push (&o->cgroups, &a->n_cgroups, optarg); break;
    case OPT_IGNORE_PAUSED: o->ignore_paused = true; break;
    case OPT_NS: return husk_parse_ns_list (optarg, &o->ns_mask, err);
    case OPT_ALLOW_USERNS: o->allow_userns = true; break;
    default:
      return husk_error_set (err, 0, "exec: unknown option `%s`", argv[optind - 1]);
    }
  return 0;
}

static void
exec_args_free (struct exec_args *a)
{
  free (a->o.env);
  free (a->o.caps);
  free (a->o.cgroups);
  free (a->o.additional_gids);
}

int
husk_cmd_exec (const struct husk_globals *g, int argc, char **argv, struct husk_error **err)
{
  struct exec_args a = { .o = { .root = g->root } };
  int c, status = 0, ret = -1;

  optind = 0;
  opterr = 0;
  /* "+": options end at the container id; what follows is the command's. */
  while ((c = getopt_long_only (argc, argv, "+p:dte:u:g:c:h", options, NULL)) != -1)
    {
      if (c == 'h')
        {
          exec_args_free (&a);
          return husk_cmd_usage (usage);
        }
      if (parse_option (&a, c, argv, err) < 0)
        goto out;
    }
  if (optind >= argc)
    {
      husk_error_set (err, 0, "exec: requires at least 1 argument (the container id)\n%s", usage);
      goto out;
    }
  a.o.id = argv[optind];
  a.o.args = argv + optind + 1;
  if (a.o.process_file && a.o.args[0])
    {
      husk_error_set (err, 0, "exec: --process and a command are mutually exclusive");
      goto out;
    }
  /* From here on a failure of ours exits 255, as runc's: a caller tells it from
   * any exit code of the process's own. */
  if (husk_cmd_result (g, a.o.id, husk_container_exec (&a.o, &status, err), err) == 0)
    ret = status;
  else
    husk_error_set_exit_status (err, 255);
out:
  exec_args_free (&a);
  return ret;
}
