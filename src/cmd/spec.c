/* husk spec [--bundle DIR] [--rootless]: the starter config.json runc writes
 * (runc >= 1.2: no ambient capabilities; a cgroup namespace on cgroup v2), with
 * our spec version and hostname. */
#define _GNU_SOURCE
#include "cmd/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "util/jsongen.h"
#include "util/cleanup.h"
#include "util/fs.h"

#ifndef HUSK_SPEC_VERSION
#define HUSK_SPEC_VERSION "1.3.0"
#endif

#define SPEC_FILE "config.json"

struct spec_mount
{
  const char *destination;
  const char *type;
  const char *source;
  const char *const *options; /* NULL: no "options" key */
};

static const char *const spec_caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
                                         NULL };
static const char *const spec_env[]
    = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL };
static const char *const spec_args[] = { "sh", NULL };

static const char *const opts_dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
static const char *const opts_pts[]
    = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL };
static const char *const opts_shm[]
    = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
static const char *const opts_mqueue[] = { "nosuid", "noexec", "nodev", NULL };
static const char *const opts_sys[] = { "nosuid", "noexec", "nodev", "ro", NULL };
static const char *const opts_cgroup[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };
static const char *const opts_sys_rootless[] = { "rbind", "nosuid", "noexec", "nodev", "ro", NULL };

static const struct spec_mount spec_mounts[] = {
  { "/proc", "proc", "proc", NULL },
  { "/dev", "tmpfs", "tmpfs", opts_dev },
  { "/dev/pts", "devpts", "devpts", opts_pts },
  { "/dev/shm", "tmpfs", "shm", opts_shm },
  { "/dev/mqueue", "mqueue", "mqueue", opts_mqueue },
  { "/sys", "sysfs", "sysfs", opts_sys },
  { "/sys/fs/cgroup", "cgroup", "cgroup", opts_cgroup },
};

/* Rootless (runc's ToRootless): sysfs cannot be mounted without owning the
 * network namespace, so bind the host's; uid=/gid= options name ids that are
 * not mapped.  Unlike runc, the cgroup mount is left out unless a cgroup v2
 * subtree is delegated to the caller: it would show only hierarchies the
 * container can do nothing with. */
static const struct spec_mount spec_sys_rootless = { "/sys", "none", "/sys", opts_sys_rootless };

static const char *const spec_masked[]
    = { "/proc/acpi",       "/proc/asound",     "/proc/kcore",       "/proc/keys",
        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
        "/sys/firmware",    "/proc/scsi",       NULL };
static const char *const spec_readonly[]
    = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL };

static const char spec_usage[]
    = "usage: husk spec [--bundle DIR] [--rootless]\n"
      "\n"
      "Create a starter specification file named \"" SPEC_FILE "\" for the bundle.\n"
      "Its args call \"sh\"; edit it to run what the rootfs contains.\n"
      "\n"
      "Options:\n"
      "  -b, --bundle DIR  path to the root of the bundle directory (default: .)\n"
      "      --rootless    generate a configuration for a rootless container\n"
      "  -h, --help        show this help\n";

static void
gen_process (struct json_gen *g)
{
  json_gen_key (g, "process");
  json_gen_map_open (g);
  json_gen_kv_bool (g, "terminal", true);
  json_gen_key (g, "user");
  json_gen_map_open (g);
  json_gen_kv_int (g, "uid", 0);
  json_gen_kv_int (g, "gid", 0);
  json_gen_map_close (g);
  json_gen_kv_strv (g, "args", spec_args);
  json_gen_kv_strv (g, "env", spec_env);
  json_gen_kv_str (g, "cwd", "/");
  json_gen_key (g, "capabilities");
  json_gen_map_open (g);
  json_gen_kv_strv (g, "bounding", spec_caps);
  json_gen_kv_strv (g, "effective", spec_caps);
  json_gen_kv_strv (g, "permitted", spec_caps);
  json_gen_map_close (g);
  json_gen_key (g, "rlimits");
  json_gen_array_open (g);
  json_gen_map_open (g);
  json_gen_kv_str (g, "type", "RLIMIT_NOFILE");
  json_gen_kv_int (g, "hard", 1024);
  json_gen_kv_int (g, "soft", 1024);
  json_gen_map_close (g);
  json_gen_array_close (g);
  json_gen_kv_bool (g, "noNewPrivileges", true);
  json_gen_map_close (g);
}

static void
gen_mount (struct json_gen *g, const struct spec_mount *m, bool rootless)
{
  const char *const *o;

  json_gen_map_open (g);
  json_gen_kv_str (g, "destination", m->destination);
  json_gen_kv_str (g, "type", m->type);
  json_gen_kv_str (g, "source", m->source);
  if (m->options)
    {
      json_gen_key (g, "options");
      json_gen_array_open (g);
      for (o = m->options; *o; o++)
        if (!rootless || (strncmp (*o, "uid=", 4) != 0 && strncmp (*o, "gid=", 4) != 0))
          json_gen_str (g, *o);
      json_gen_array_close (g);
    }
  json_gen_map_close (g);
}

static bool cgroup2_unified (void);

/* Whether the caller's own cgroup (cgroup v2 only) is writable by it: a
 * delegated subtree, such as a systemd user slice. */
static bool
cgroup_delegated (void)
{
  cleanup_free char *data = NULL;
  char path[4200];
  bool ok = false;

  if (!cgroup2_unified () || husk_read_file ("/proc/self/cgroup", &data, NULL, NULL) < 0)
    return false;
  for (char *save = NULL, *line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    if (strncmp (line, "0::", 3) == 0)
      {
        snprintf (path, sizeof path, "/sys/fs/cgroup%s", line + 3);
        ok = access (path, W_OK) == 0;
      }
  return ok;
}

static void
gen_mounts (struct json_gen *g, bool rootless)
{
  size_t i;
  bool delegated = rootless && cgroup_delegated ();

  json_gen_key (g, "mounts");
  json_gen_array_open (g);
  for (i = 0; i < sizeof spec_mounts / sizeof spec_mounts[0]; i++)
    {
      const struct spec_mount *m = &spec_mounts[i];
      if (rootless && strcmp (m->destination, "/sys") == 0)
        m = &spec_sys_rootless;
      if (rootless && !delegated && strcmp (m->type, "cgroup") == 0)
        continue;
      gen_mount (g, m, rootless);
    }
  json_gen_array_close (g);
}

static void
gen_id_mapping (struct json_gen *g, const char *key, unsigned host_id)
{
  json_gen_key (g, key);
  json_gen_array_open (g);
  json_gen_map_open (g);
  json_gen_kv_int (g, "containerID", 0);
  json_gen_kv_int (g, "hostID", host_id);
  json_gen_kv_int (g, "size", 1);
  json_gen_map_close (g);
  json_gen_array_close (g);
}

static bool
cgroup2_unified (void)
{
  struct statfs fs;

  return statfs ("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

static void
gen_namespaces (struct json_gen *g, bool rootless)
{
  const char *types[8];
  size_t n = 0, i;

  types[n++] = "pid";
  if (!rootless) /* a rootless container cannot set up a network namespace's links */
    types[n++] = "network";
  types[n++] = "ipc";
  types[n++] = "uts";
  types[n++] = "mount";
  if (cgroup2_unified ())
    types[n++] = "cgroup";
  if (rootless)
    types[n++] = "user";

  json_gen_key (g, "namespaces");
  json_gen_array_open (g);
  for (i = 0; i < n; i++)
    {
      json_gen_map_open (g);
      json_gen_kv_str (g, "type", types[i]);
      json_gen_map_close (g);
    }
  json_gen_array_close (g);
}

static void
gen_linux (struct json_gen *g, bool rootless)
{
  json_gen_key (g, "linux");
  json_gen_map_open (g);
  if (rootless)
    {
      gen_id_mapping (g, "uidMappings", (unsigned) geteuid ());
      gen_id_mapping (g, "gidMappings", (unsigned) getegid ());
    }
  else
    {
      /* Rootless containers get no cgroup settings at all. */
      json_gen_key (g, "resources");
      json_gen_map_open (g);
      json_gen_key (g, "devices");
      json_gen_array_open (g);
      json_gen_map_open (g);
      json_gen_kv_bool (g, "allow", false);
      json_gen_kv_str (g, "access", "rwm");
      json_gen_map_close (g);
      json_gen_array_close (g);
      json_gen_map_close (g);
    }
  gen_namespaces (g, rootless);
  json_gen_kv_strv (g, "maskedPaths", spec_masked);
  json_gen_kv_strv (g, "readonlyPaths", spec_readonly);
  json_gen_map_close (g);
}

static void
gen_spec (struct json_gen *g, bool rootless)
{
  json_gen_map_open (g);
  json_gen_kv_str (g, "ociVersion", HUSK_SPEC_VERSION);
  gen_process (g);
  json_gen_key (g, "root");
  json_gen_map_open (g);
  json_gen_kv_str (g, "path", "rootfs");
  json_gen_kv_bool (g, "readonly", true);
  json_gen_map_close (g);
  json_gen_kv_str (g, "hostname", "husk");
  gen_mounts (g, rootless);
  gen_linux (g, rootless);
  json_gen_map_close (g);
}

static int
write_all (int fd, const char *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      buf += n;
      len -= (size_t) n;
    }
  return 0;
}

static int
write_spec (const char *bundle, const char *buf, size_t len, struct husk_error **err)
{
  cleanup_close int dirfd = -1;
  cleanup_close int fd = -1;

  dirfd = openat (AT_FDCWD, bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return husk_error_set (err, errno, "open bundle `%s`", bundle);
  /* O_EXCL: never overwrite, not even through a dangling symlink. */
  fd = openat (dirfd, SPEC_FILE, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0 && errno == EEXIST)
    return husk_error_set (err, 0, "File " SPEC_FILE " exists. Remove it first");
  if (fd < 0)
    return husk_error_set (err, errno, "create `%s/" SPEC_FILE "`", bundle);
  /* The beautified output already ends with a newline. */
  if (write_all (fd, buf, len) < 0 || close (steal_fd (fd)) < 0)
    {
      int saved = errno;
      unlinkat (dirfd, SPEC_FILE, 0);
      return husk_error_set (err, saved, "write `%s/" SPEC_FILE "`", bundle);
    }
  return 0;
}

int
husk_cmd_spec (int argc, char **argv, struct husk_error **err)
{
  static const struct option long_opts[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "rootless", no_argument, NULL, 'r' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *bundle = ".";
  bool rootless = false;
  cleanup_free char *json = NULL;
  struct json_gen *g;
  size_t len;
  int c;

  optind = 0; /* reset GNU getopt: main() may have parsed its own options */
  opterr = 0;
  while ((c = getopt_long_only (argc, argv, ":b:h", long_opts, NULL)) != -1)
    {
      switch (c)
        {
        case 'b':
          bundle = optarg;
          break;
        case 'r':
          rootless = true;
          break;
        case 'h':
          return husk_cmd_usage (spec_usage);
        case ':':
          return husk_error_set (err, 0, "spec: option `%s` requires an argument",
                                 argv[optind - 1]);
        default:
          return husk_error_set (err, 0, "spec: unknown option `%s`", argv[optind - 1]);
        }
    }
  if (optind < argc)
    return husk_error_set (err, 0, "\"spec\" requires exactly 0 argument(s)");

  g = json_gen_new ("\t");
  gen_spec (g, rootless);
  json = json_gen_finish (g, &len);
  return write_spec (bundle, json, len, err);
}
