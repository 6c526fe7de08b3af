/* husk checkpoint and husk restore: runc's options (what docker, containerd and
 * podman pass), parsed here; container/checkpoint.c and restore.c do the work. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "container/checkpoint.h"
#include "linux/criu-rpc.h"

static const char usage[] =
    "usage: husk checkpoint [options] <container-id>\n"
    "\n"
    "Save a running container's processes with CRIU (criu 3.0 or later, as root).\n"
    "Unless --leave-running or --pre-dump, the container is deleted afterwards.\n"
    "\n"
    "      --image-path DIR         the image directory (default: ./checkpoint)\n"
    "      --work-path DIR          CRIU's work files and log (default: the image directory)\n"
    "      --parent-path DIR        the previous (pre-)dump, relative to --image-path\n"
    "      --leave-running          leave the processes running afterwards\n"
    "      --pre-dump               dump memory only, leave the container running\n"
    "      --tcp-established        allow open TCP connections\n"
    "      --tcp-skip-in-flight     skip TCP connections not yet established\n"
    "      --link-remap             link unlinked but open files back when possible\n"
    "      --ext-unix-sk            allow external unix sockets\n"
    "      --shell-job              allow a shell job (a tty shared with the caller)\n"
    "      --file-locks             dump file locks\n"
    "      --manage-cgroups-mode M  soft, full, strict or ignore (default: CRIU's, soft)\n"
    "      --empty-ns NS            create NS but do not dump its contents (network)\n"
    "      --auto-dedup             deduplicate memory images\n"
    "      --lazy-pages             leave memory for a page server (userfaultfd)\n"
    "      --page-server ADDR:PORT  send the memory to a page server\n"
    "      --status-fd FD           CRIU writes \\0 to FD when lazy pages are ready\n";

static const char restore_usage[] =
    "usage: husk restore [options] <container-id>\n"
    "\n"
    "Create a container from a bundle and a checkpoint's images (CRIU, as root).  Without\n"
    "--detach, wait for it, forward signals to it, delete it afterwards and exit with its\n"
    "status.\n"
    "\n"
    "  -b, --bundle DIR             the bundle (default: the current directory)\n"
    "      --image-path DIR         the image directory (default: ./checkpoint)\n"
    "      --work-path DIR          CRIU's work files and log (default: the image directory)\n"
    "  -d, --detach                 return once the container runs\n"
    "      --pid-file FILE          write the restored init's pid to FILE\n"
    "      --console-socket S       send the new pty master to the unix socket S (a tty)\n"
    "      --no-subreaper           do not become the subreaper of the restored tree\n"
    "      --no-pivot               accepted (CRIU builds the mount namespace itself)\n"
    "      --tcp-established        allow open TCP connections\n"
    "      --ext-unix-sk            allow external unix sockets\n"
    "      --shell-job              allow a shell job\n"
    "      --file-locks             restore file locks\n"
    "      --manage-cgroups-mode M  soft, full, strict or ignore\n"
    "      --empty-ns NS            create NS but do not restore its contents (network)\n"
    "      --auto-dedup             deduplicate memory images\n"
    "      --lazy-pages             fetch memory lazily from a page server\n"
    "      --lsm-profile TYPE:NAME  the LSM profile of the restored processes (criu 3.16)\n"
    "      --lsm-mount-context CTX  the LSM mount context (criu 3.16)\n";

enum
{
  O_IMAGE = 256, O_WORK, O_PARENT, O_LEAVE, O_PRE, O_TCP, O_TCP_SKIP, O_LINK, O_EXT_UNIX,
  O_SHELL, O_LOCKS, O_CGMODE, O_EMPTY_NS, O_DEDUP, O_LAZY, O_PS, O_STATUS_FD, O_PID_FILE,
  O_CONSOLE, O_NO_SUBREAPER, O_NO_PIVOT, O_LSM, O_LSM_MNT,
};

static const struct option checkpoint_options[] = {
  { "image-path", required_argument, NULL, O_IMAGE },
  { "work-path", required_argument, NULL, O_WORK },
  { "parent-path", required_argument, NULL, O_PARENT },
  { "leave-running", no_argument, NULL, O_LEAVE },
  { "pre-dump", no_argument, NULL, O_PRE },
  { "tcp-established", no_argument, NULL, O_TCP },
  { "tcp-skip-in-flight", no_argument, NULL, O_TCP_SKIP },
  { "link-remap", no_argument, NULL, O_LINK },
  { "ext-unix-sk", no_argument, NULL, O_EXT_UNIX },
  { "shell-job", no_argument, NULL, O_SHELL },
  { "file-locks", no_argument, NULL, O_LOCKS },
  { "manage-cgroups-mode", required_argument, NULL, O_CGMODE },
  { "empty-ns", required_argument, NULL, O_EMPTY_NS },
  { "auto-dedup", no_argument, NULL, O_DEDUP },
  { "lazy-pages", no_argument, NULL, O_LAZY },
  { "page-server", required_argument, NULL, O_PS },
  { "status-fd", required_argument, NULL, O_STATUS_FD },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static const struct option restore_options[] = {
  { "bundle", required_argument, NULL, 'b' },
  { "image-path", required_argument, NULL, O_IMAGE },
  { "work-path", required_argument, NULL, O_WORK },
  { "detach", no_argument, NULL, 'd' },
  { "pid-file", required_argument, NULL, O_PID_FILE },
  { "console-socket", required_argument, NULL, O_CONSOLE },
  { "no-subreaper", no_argument, NULL, O_NO_SUBREAPER },
  { "no-pivot", no_argument, NULL, O_NO_PIVOT },
  { "tcp-established", no_argument, NULL, O_TCP },
  { "ext-unix-sk", no_argument, NULL, O_EXT_UNIX },
  { "shell-job", no_argument, NULL, O_SHELL },
  { "file-locks", no_argument, NULL, O_LOCKS },
  { "manage-cgroups-mode", required_argument, NULL, O_CGMODE },
  { "empty-ns", required_argument, NULL, O_EMPTY_NS },
  { "auto-dedup", no_argument, NULL, O_DEDUP },
  { "lazy-pages", no_argument, NULL, O_LAZY },
  { "lsm-profile", required_argument, NULL, O_LSM },
  { "lsm-mount-context", required_argument, NULL, O_LSM_MNT },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static int
cg_mode (const char *s, int *mode, struct husk_error **err)
{
  static const struct
  {
    const char *name;
    int mode;
  } modes[] = { { "soft", HUSK_CRIU_CG_SOFT }, { "full", HUSK_CRIU_CG_FULL },
                { "strict", HUSK_CRIU_CG_STRICT }, { "ignore", HUSK_CRIU_CG_IGNORE } };

  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
    if (strcmp (s, modes[i].name) == 0)
      {
        *mode = modes[i].mode;
        return 0;
      }
  return husk_error_set (err, 0, "invalid --manage-cgroups-mode `%s` (soft, full, strict or ignore)", s);
}

/* The options both commands have; 1 when c was one of them. */
static int
common_option (int c, struct husk_criu_common *o, struct husk_error **err)
{
  switch (c)
    {
    case O_IMAGE: o->image_path = optarg; return 1;
    case O_WORK: o->work_path = optarg; return 1;
    case O_TCP: o->tcp_established = true; return 1;
    case O_EXT_UNIX: o->ext_unix_sk = true; return 1;
    case O_SHELL: o->shell_job = true; return 1;
    case O_LOCKS: o->file_locks = true; return 1;
    case O_DEDUP: o->auto_dedup = true; return 1;
    case O_LAZY: o->lazy_pages = true; return 1;
    case O_CGMODE: return cg_mode (optarg, &o->manage_cgroups_mode, err) < 0 ? -1 : 1;
    case O_EMPTY_NS:
      /* Only the network namespace: its contents belong to whoever set it up
       * (CNI); CRIU must restore every other namespace to restore the tree. */
      if (strcmp (optarg, "network") != 0)
        return husk_error_set (err, 0, "--empty-ns `%s`: only `network` is supported (the other "
                                       "namespaces hold state the processes need)", optarg);
      o->empty_ns |= CLONE_NEWNET;
      return 1;
    }
  return 0;
}

int
husk_cmd_checkpoint (const struct husk_globals *g, int argc, char **argv, struct husk_error **err)
{
  struct husk_checkpoint_opts o = { .root = g->root, .status_fd = -1,
                                    .c = { .criu = g->criu, .manage_cgroups_mode = -1 } };
  char *end;
  int c, k;

  optind = 0;
  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "+h", checkpoint_options, NULL)) != -1)
    {
      if ((k = common_option (c, &o.c, err)) != 0)
        {
          if (k < 0)
            return -1;
          continue;
        }
      switch (c)
        {
        case O_PARENT: o.parent_path = optarg; break;
        case O_LEAVE: o.leave_running = true; break;
        case O_PRE: o.pre_dump = true; break;
        case O_TCP_SKIP: o.tcp_skip_in_flight = true; break;
        case O_LINK: o.link_remap = true; break;
        case O_PS: o.page_server = optarg; break;
        case O_STATUS_FD:
          o.status_fd = (int) strtol (optarg, &end, 10);
          if (*end || o.status_fd < 0)
            return husk_error_set (err, 0, "invalid --status-fd value: %s", optarg);
          break;
        case 'h':
          return husk_cmd_usage (usage);
        default:
          return husk_error_set (err, 0, "checkpoint: unknown option `%s`", argv[optind - 1]);
        }
    }
  if (husk_cmd_id (argc, argv, optind, usage, &o.id, err) < 0)
    return -1;
  if (o.status_fd >= 0 && !o.c.lazy_pages)
    return husk_error_set (err, 0, "--status-fd is only for --lazy-pages");
  return husk_cmd_result (g, o.id, husk_container_checkpoint (&o, err), err) < 0 ? -1 : 0;
}

int
husk_cmd_restore (const struct husk_globals *g, int argc, char **argv, struct husk_error **err)
{
  struct husk_restore_opts o = { .root = g->root, .systemd_cgroup = g->systemd_cgroup,
                                 .c = { .criu = g->criu, .manage_cgroups_mode = -1 } };
  int c, k, status = 0;

  optind = 0;
  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "+b:dh", restore_options, NULL)) != -1)
    {
      if ((k = common_option (c, &o.c, err)) != 0)
        {
          if (k < 0)
            return -1;
          continue;
        }
      switch (c)
        {
        case 'b': o.bundle = optarg; break;
        case 'd': o.detach = true; break;
        case O_PID_FILE: o.pid_file = optarg; break;
        case O_CONSOLE: o.console_socket = optarg; break;
        case O_NO_SUBREAPER: o.no_subreaper = true; break;
        case O_NO_PIVOT: break;
        case O_LSM: o.lsm_profile = optarg; break;
        case O_LSM_MNT: o.lsm_mount_context = optarg; break;
        case 'h':
          return husk_cmd_usage (restore_usage);
        default:
          return husk_error_set (err, 0, "restore: unknown option `%s`", argv[optind - 1]);
        }
    }
  if (husk_cmd_id (argc, argv, optind, restore_usage, &o.id, err) < 0)
    return -1;
  if (g->is_rootless)
    return husk_error_set (err, EPERM, "restore: rootless is not supported (criu needs root)");
  if (husk_container_restore (&o, &status, err) < 0)
    return -1;
  return status;
}
