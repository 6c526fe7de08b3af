#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "container/container.h"

static const char usage[] =
    "usage: husk create [options] <container-id>\n"
    "\n"
    "Create a container from a bundle; it waits, blocked before exec, for `husk start`.\n"
    "\n"
    "  -b, --bundle DIR        the bundle (default: the current directory)\n"
    "      --pid-file FILE     write the init's pid to FILE\n"
    "      --console-socket S  send the pty master to the unix socket S (terminal: true)\n"
    "      --pidfd-socket S    send a pidfd of the init to the unix socket S\n"
    "      --preserve-fds N    pass N more fds (3 .. 3+N-1) to the container\n"
    "      --no-pivot          do not use pivot_root (move the root and chroot)\n"
    "      --no-new-keyring    keep the caller's session keyring\n"
    "      --config FILE       the configuration instead of config.json (crun's option;\n"
    "                          a relative FILE is in the bundle)\n"
    "      --no-subreaper      accepted for runc's command line; husk needs the\n"
    "                          subreaper (it reaps the init) and stays one\n";

enum
{
  OPT_PID_FILE = 256,
  OPT_CONSOLE,
  OPT_PRESERVE,
  OPT_NO_PIVOT,
  OPT_NO_KEYRING,
  OPT_NO_SUBREAPER,
  OPT_DETACH,
  OPT_KEEP,
  OPT_PIDFD_SOCKET,
  OPT_CONFIG,
};

static const struct option create_options[] = {
  { "bundle", required_argument, NULL, 'b' },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "console-socket", required_argument, NULL, OPT_CONSOLE },
  { "pidfd-socket", required_argument, NULL, OPT_PIDFD_SOCKET },
  { "preserve-fds", required_argument, NULL, OPT_PRESERVE },
  { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
  { "no-new-keyring", no_argument, NULL, OPT_NO_KEYRING },
  { "no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER },
  { "detach", no_argument, NULL, 'd' },
  { "keep", no_argument, NULL, OPT_KEEP },
  { "config", required_argument, NULL, OPT_CONFIG },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* Shared by create and run (run adds --detach and --keep). */
static int
parse (const struct husk_globals *g, int argc, char **argv, bool is_run, struct husk_run_opts *o,
       bool *help, struct husk_error **err)
{
  int c;
  char *end;

  o->create.root = g->root;
  o->create.systemd_cgroup = g->systemd_cgroup;
  o->create.no_cgroup = g->no_cgroup;
  o->create.rootless = g->is_rootless;
  o->create.console_fd = -1;
  optind = 0;
  opterr = 0;
  while ((c = getopt_long_only (argc, argv, is_run ? "b:dh" : "b:h", create_options, NULL)) != -1)
    switch (c)
      {
      case 'b':
        o->create.bundle = optarg;
        break;
      case OPT_PID_FILE:
        o->create.pid_file = optarg;
        break;
      case OPT_CONSOLE:
        o->create.console_socket = optarg;
        break;
      case OPT_PIDFD_SOCKET:
        o->create.pidfd_socket = optarg;
        break;
      case OPT_PRESERVE:
        o->create.preserve_fds = (int) strtol (optarg, &end, 10);
        if (*end || o->create.preserve_fds < 0)
          return husk_error_set (err, 0, "invalid --preserve-fds value: %s", optarg);
        break;
      case OPT_NO_PIVOT:
        o->create.no_pivot = true;
        break;
      case OPT_NO_KEYRING:
        o->create.no_new_keyring = true;
        break;
      case OPT_NO_SUBREAPER:
        break;
      case OPT_CONFIG:
        o->create.config = optarg;
        break;
      case 'd':
        if (!is_run)
          goto unknown;
        o->detach = true;
        break;
      case OPT_KEEP:
        if (!is_run)
          goto unknown;
        o->keep = true;
        break;
      case 'h':
        *help = true;
        return 0;
      default:
      unknown:
        return husk_error_set (err, 0, "%s: unknown option `%s`", argv[0], argv[optind - 1]);
      }
  return husk_cmd_id (argc, argv, optind, usage, &o->create.id, err);
}

int
husk_cmd_create (const struct husk_globals *g, int argc, char **argv, struct husk_error **err)
{
  struct husk_run_opts o = { 0 };
  bool help = false;
  pid_t pid;

  if (parse (g, argc, argv, false, &o, &help, err) < 0)
    return -1;
  if (help)
    return husk_cmd_usage (usage);
  return husk_container_create (&o.create, &pid, err) < 0 ? -1 : 0;
}

static const char run_usage[] =
    "usage: husk run [options] <container-id>\n"
    "\n"
    "Create and start a container; without --detach, wait for it, forward signals to it,\n"
    "delete it afterwards and exit with its status (128+N when killed by signal N).\n"
    "\n"
    "  -b, --bundle DIR        the bundle (default: the current directory)\n"
    "  -d, --detach            return once the container runs\n"
    "      --keep              keep the container's state after it exits\n"
    "      --pid-file FILE     write the init's pid to FILE\n"
    "      --console-socket S  send the pty master to the unix socket S (terminal: true)\n"
    "      --pidfd-socket S    send a pidfd of the init to the unix socket S\n"
    "      --preserve-fds N    pass N more fds (3 .. 3+N-1) to the container\n"
    "      --no-pivot          do not use pivot_root (move the root and chroot)\n"
    "      --no-new-keyring    keep the caller's session keyring\n"
    "      --config FILE       the configuration instead of config.json (crun's option;\n"
    "                          a relative FILE is in the bundle)\n"
    "      --no-subreaper      accepted for runc's command line; husk needs the\n"
    "                          subreaper (it reaps the init) and stays one\n";

int
husk_cmd_run (const struct husk_globals *g, int argc, char **argv, struct husk_error **err)
{
  struct husk_run_opts o = { 0 };
  bool help = false;
  int status = 0;

  if (parse (g, argc, argv, true, &o, &help, err) < 0)
    return -1;
  if (help)
    return husk_cmd_usage (run_usage);
  if (husk_container_run (&o, &status, err) < 0)
    return -1;
  return status;
}
