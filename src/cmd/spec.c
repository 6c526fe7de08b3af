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
#include <yajl/yajl_gen.h>

#include "cmd/cmd.h"
#include "util/cleanup.h"

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
gen_str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static void
gen_key_str (yajl_gen g, const char *key, const char *value)
{
  gen_str (g, key);
  gen_str (g, value);
}

static void
gen_key_int (yajl_gen g, const char *key, long long value)
{
  gen_str (g, key);
  yajl_gen_integer (g, value);
}

static void
gen_key_bool (yajl_gen g, const char *key, bool value)
{
  gen_str (g, key);
  yajl_gen_bool (g, value);
}

static void
gen_key_strv (yajl_gen g, const char *key, const char *const *v)
{
  gen_str (g, key);
  yajl_gen_array_open (g);
  for (; *v; v++)
    gen_str (g, *v);
  yajl_gen_array_close (g);
}

static void
gen_process (yajl_gen g)
{
  gen_str (g, "process");
  yajl_gen_map_open (g);
  gen_key_bool (g, "terminal", true);
  gen_str (g, "user");
  yajl_gen_map_open (g);
  gen_key_int (g, "uid", 0);
  gen_key_int (g, "gid", 0);
  yajl_gen_map_close (g);
  gen_key_strv (g, "args", spec_args);
  gen_key_strv (g, "env", spec_env);
  gen_key_str (g, "cwd", "/");
  gen_str (g, "capabilities");
  yajl_gen_map_open (g);
  gen_key_strv (g, "bounding", spec_caps);
  gen_key_strv (g, "effective", spec_caps);
  gen_key_strv (g, "permitted", spec_caps);
  yajl_gen_map_close (g);
  gen_str (g, "rlimits");
  yajl_gen_array_open (g);
  yajl_gen_map_open (g);
  gen_key_str (g, "type", "RLIMIT_NOFILE");
  gen_key_int (g, "hard", 1024);
  gen_key_int (g, "soft", 1024);
  yajl_gen_map_close (g);
  yajl_gen_array_close (g);
  gen_key_bool (g, "noNewPrivileges", true);
  yajl_gen_map_close (g);
}

static void
gen_mount (yajl_gen g, const struct spec_mount *m, bool rootless)
{
  const char *const *o;

  yajl_gen_map_open (g);
  gen_key_str (g, "destination", m->destination);
  gen_key_str (g, "type", m->type);
  gen_key_str (g, "source", m->source);
  if (m->options)
    {
      gen_str (g, "options");
      yajl_gen_array_open (g);
      for (o = m->options; *o; o++)
        if (!rootless || (strncmp (*o, "uid=", 4) != 0 && strncmp (*o, "gid=", 4) != 0))
          gen_str (g, *o);
      yajl_gen_array_close (g);
    }
  yajl_gen_map_close (g);
}

static bool cgroup2_unified (void);

/* Whether the caller's own cgroup (cgroup v2 only) is writable by it: a
 * delegated subtree, such as a systemd user slice. */
static bool
cgroup_delegated (void)
{
  FILE *f;
  char line[4096], path[4200];
  bool ok = false;

  if (!cgroup2_unified () || (f = fopen ("/proc/self/cgroup", "re")) == NULL)
    return false;
  while (fgets (line, sizeof line, f))
    if (strncmp (line, "0::", 3) == 0)
      {
        line[strcspn (line, "\n")] = '\0';
        snprintf (path, sizeof path, "/sys/fs/cgroup%s", line + 3);
        ok = access (path, W_OK) == 0;
      }
  fclose (f);
  return ok;
}

static void
gen_mounts (yajl_gen g, bool rootless)
{
  size_t i;
  bool delegated = rootless && cgroup_delegated ();

  gen_str (g, "mounts");
  yajl_gen_array_open (g);
  for (i = 0; i < sizeof spec_mounts / sizeof spec_mounts[0]; i++)
    {
      const struct spec_mount *m = &spec_mounts[i];
      if (rootless && strcmp (m->destination, "/sys") == 0)
        m = &spec_sys_rootless;
      if (rootless && !delegated && strcmp (m->type, "cgroup") == 0)
        continue;
      gen_mount (g, m, rootless);
    }
  yajl_gen_array_close (g);
}

static void
gen_id_mapping (yajl_gen g, const char *key, unsigned host_id)
{
  gen_str (g, key);
  yajl_gen_array_open (g);
  yajl_gen_map_open (g);
  gen_key_int (g, "containerID", 0);
  gen_key_int (g, "hostID", host_id);
  gen_key_int (g, "size", 1);
  yajl_gen_map_close (g);
  yajl_gen_array_close (g);
}

static bool
cgroup2_unified (void)
{
  struct statfs fs;

  return statfs ("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

static void
gen_namespaces (yajl_gen g, bool rootless)
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

  gen_str (g, "namespaces");
  yajl_gen_array_open (g);
  for (i = 0; i < n; i++)
    {
      yajl_gen_map_open (g);
      gen_key_str (g, "type", types[i]);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
}

static void
gen_linux (yajl_gen g, bool rootless)
{
  gen_str (g, "linux");
  yajl_gen_map_open (g);
  if (rootless)
    {
      gen_id_mapping (g, "uidMappings", (unsigned) geteuid ());
      gen_id_mapping (g, "gidMappings", (unsigned) getegid ());
    }
  else
    {
      /* Rootless containers get no cgroup settings at all. */
      gen_str (g, "resources");
      yajl_gen_map_open (g);
      gen_str (g, "devices");
      yajl_gen_array_open (g);
      yajl_gen_map_open (g);
      gen_key_bool (g, "allow", false);
      gen_key_str (g, "access", "rwm");
      yajl_gen_map_close (g);
      yajl_gen_array_close (g);
      yajl_gen_map_close (g);
    }
  gen_namespaces (g, rootless);
  gen_key_strv (g, "maskedPaths", spec_masked);
  gen_key_strv (g, "readonlyPaths", spec_readonly);
  yajl_gen_map_close (g);
}

static void
gen_spec (yajl_gen g, bool rootless)
{
  yajl_gen_map_open (g);
  gen_key_str (g, "ociVersion", HUSK_SPEC_VERSION);
  gen_process (g);
  gen_str (g, "root");
  yajl_gen_map_open (g);
  gen_key_str (g, "path", "rootfs");
  gen_key_bool (g, "readonly", true);
  yajl_gen_map_close (g);
  gen_key_str (g, "hostname", "husk");
  gen_mounts (g, rootless);
  gen_linux (g, rootless);
  yajl_gen_map_close (g);
}

static int
write_all (int fd, const unsigned char *buf, size_t len)
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
write_spec (const char *bundle, const unsigned char *buf, size_t len, struct husk_error **err)
{
  cleanup_close int dirfd = -1;
  cleanup_close int fd = -1;

  dirfd = open (bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return husk_error_set (err, errno, "open bundle `%s`", bundle);
  /* O_EXCL: never overwrite, not even through a dangling symlink. */
  fd = openat (dirfd, SPEC_FILE, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0 && errno == EEXIST)
    return husk_error_set (err, 0, "File " SPEC_FILE " exists. Remove it first");
  if (fd < 0)
    return husk_error_set (err, errno, "create `%s/" SPEC_FILE "`", bundle);
  /* yajl's beautified output already ends with a newline. */
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
  const unsigned char *buf;
  size_t len;
  yajl_gen g;
  int c, ret;

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

  g = yajl_gen_alloc (NULL);
  if (g == NULL)
    return husk_error_set (err, ENOMEM, "yajl_gen_alloc");
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_config (g, yajl_gen_indent_string, "\t");
  gen_spec (g, rootless);
  if (yajl_gen_get_buf (g, &buf, &len) != yajl_gen_status_ok)
    ret = husk_error_set (err, 0, "generate " SPEC_FILE);
  else
    ret = write_spec (bundle, buf, len, err);
  yajl_gen_free (g);
  return ret;
}
