/* husk features: the runtime-spec features document (features.md,
 * features-linux.md), the way `runc features` prints it.  Every list is what
 * husk accepts and applies; tests/integration/features.bats checks each entry
 * against a real container. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "linux/criu.h"
#include "oci/jsongen.h"
#include "util/log.h"
#include "oci/config.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

static const char usage[] = "usage: husk features\n"
                            "\n"
                            "Print the features this runtime supports (runtime-spec features "
                            "document, JSON).\n";

static const char *const hooks[] = {
  "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL,
};

/* Exactly the option table of src/linux/mounts.c (features.bats compares them). */
static const char *const mount_options[] = {
  "defaults", "ro", "rw", "suid", "nosuid", "dev", "nodev", "exec", "noexec", "sync", "async",
  "dirsync", "remount", "mand", "nomand", "atime", "noatime", "diratime", "nodiratime",
  "relatime", "norelatime", "strictatime", "nostrictatime", "lazytime", "nolazytime",
  "silent", "loud", "bind", "rbind", "nosymfollow", "symfollow", "iversion", "noiversion",
  "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable",
  "rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec", "rexec", "rnodiratime",
  "rdiratime", "rrelatime", "rnorelatime", "rnoatime", "ratime", "rstrictatime",
  "rnostrictatime", "rnosymfollow", "rsymfollow", "tmpcopyup", "idmap", "ridmap", NULL,
};

/* The names linux/seccomp.c resolves (and the config parser accepts). */
static const char *const seccomp_actions[] = {
  "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
  "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",
  NULL,
};

static const char *const seccomp_operators[] = {
  "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
  "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL,
};

/* The parser's architectures; only those usable on this host are listed. */
static const char *const seccomp_archs[] = {
  "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
  "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",
  "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64",
  "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB", "SCMP_ARCH_X32",
  "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", NULL,
};

static const struct
{
  const char *name;
  unsigned long flag;
} seccomp_flags[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

/* What the kernel knows, probed as libseccomp and runc do: with a NULL filter,
 * EFAULT means the flag was accepted, EINVAL that it is unknown.  Nothing is
 * loaded.  WAIT_KILLABLE_RECV exists only together with a listener. */
static bool
kernel_has_flag (unsigned long flag)
{
  if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  return syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
}

/* Whether a profile may list the architecture here: libseccomp must know it,
 * and add it to a filter of this host (it refuses the other endianness). */
static bool
arch_usable (const char *name)
{
  char lower[32];
  scmp_filter_ctx ctx;
  uint32_t arch;
  size_t i;
  int r;

  for (i = 0; name[10 + i] && i < sizeof lower - 1; i++)
    lower[i] = (char) tolower ((unsigned char) name[10 + i]);
  lower[i] = '\0';
  arch = seccomp_arch_resolve_name (lower);
  if (arch == 0 || (ctx = seccomp_init (SCMP_ACT_ALLOW)) == NULL)
    return false;
  r = seccomp_arch_add (ctx, arch);
  seccomp_release (ctx);
  return r == 0 || r == -EEXIST;
}

static void
gen_seccomp (struct json_gen *g)
{
  json_gen_key (g, "seccomp");
  json_gen_map_open (g);
  json_gen_kv_bool (g, "enabled", true);
  json_gen_kv_strv (g, "actions", seccomp_actions);
  json_gen_kv_strv (g, "operators", seccomp_operators);
  json_gen_key (g, "archs");
  json_gen_array_open (g);
  for (const char *const *a = seccomp_archs; *a; a++)
    if (arch_usable (*a))
      json_gen_str (g, *a);
  json_gen_array_close (g);
  json_gen_key (g, "knownFlags");
  json_gen_array_open (g);
  for (size_t i = 0; i < sizeof seccomp_flags / sizeof seccomp_flags[0]; i++)
    json_gen_str (g, seccomp_flags[i].name);
  json_gen_array_close (g);
  json_gen_key (g, "supportedFlags");
  json_gen_array_open (g);
  for (size_t i = 0; i < sizeof seccomp_flags / sizeof seccomp_flags[0]; i++)
    if (kernel_has_flag (seccomp_flags[i].flag))
      json_gen_str (g, seccomp_flags[i].name);
  json_gen_array_close (g);
  json_gen_map_close (g);
}

/* Every capability libcap names ("CAP_CHOWN" ...), which the parser accepts. */
static void
gen_capabilities (struct json_gen *g)
{
  json_gen_key (g, "capabilities");
  json_gen_array_open (g);
  for (cap_value_t v = 0; v < 64; v++)
    {
      char *name = cap_to_name (v);
      if (name == NULL)
        continue;
      /* libcap prints a number for a capability it has no name for. */
      if (!isdigit ((unsigned char) name[0]))
        {
          for (char *c = name; *c; c++)
            *c = (char) toupper ((unsigned char) *c);
          json_gen_str (g, name);
        }
      cap_free (name);
    }
  json_gen_array_close (g);
}

static void
gen_object (struct json_gen *g, const char *k, const char *inner, bool v)
{
  json_gen_key (g, k);
  json_gen_map_open (g);
  json_gen_kv_bool (g, inner, v);
  json_gen_map_close (g);
}

static void
gen_linux (struct json_gen *g)
{
  json_gen_key (g, "linux");
  json_gen_map_open (g);
  json_gen_key (g, "namespaces");
  json_gen_array_open (g);
  for (int t = 0; t < OCI_NS_COUNT; t++)
    json_gen_str (g, oci_ns_type_name ((enum oci_ns_type) t));
  json_gen_array_close (g);
  gen_capabilities (g);
  json_gen_key (g, "cgroup");
  json_gen_map_open (g);
  json_gen_kv_bool (g, "v1", true);
  json_gen_kv_bool (g, "v2", true);
  json_gen_kv_bool (g, "systemd", true);
  json_gen_kv_bool (g, "systemdUser", true);
  json_gen_kv_bool (g, "rdma", true);
  json_gen_map_close (g);
  gen_seccomp (g);
  /* Whether husk applies the labels, whatever this host's LSM (features-linux.md). */
  gen_object (g, "apparmor", "enabled", true);
  gen_object (g, "selinux", "enabled", true);
  gen_object (g, "intelRdt", "enabled", false);
  json_gen_key (g, "mountExtensions");
  json_gen_map_open (g);
  gen_object (g, "idmap", "enabled", true);
  json_gen_map_close (g);
  json_gen_map_close (g);
}

static char *
features_json (const char *criu_version, bool criu_ok)
{
  const struct scmp_version *v = seccomp_version ();
  struct json_gen *g = json_gen_new ("    ");
  char version[64];

  json_gen_map_open (g);
  json_gen_kv_str (g, "ociVersionMin", "1.0.0");
  json_gen_kv_str (g, "ociVersionMax", HUSK_SPEC_VERSION);
  json_gen_kv_strv (g, "hooks", hooks);
  json_gen_kv_strv (g, "mountOptions", mount_options);
  gen_linux (g);
  json_gen_key (g, "annotations");
  json_gen_map_open (g);
  snprintf (version, sizeof version, "%u.%u.%u", v->major, v->minor, v->micro);
  json_gen_kv_str (g, "io.github.seccomp.libseccomp.version", version);
  /* runc's key: checkpoint and restore work here (criu found, new enough,
   * and its own check passes on this kernel). */
  json_gen_kv_str (g, "org.opencontainers.runc.checkpoint.enabled", criu_ok ? "true" : "false");
  if (criu_version)
    json_gen_kv_str (g, "run.husk.criu.version", criu_version);
  json_gen_map_close (g);
  json_gen_map_close (g);
  return json_gen_finish (g, NULL);
}

int
husk_cmd_features (const struct husk_globals *gl, int argc, char **argv, struct husk_error **err)
{
  static const struct option options[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  char *json;
  int c;

  optind = 0;
  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "h", options, NULL)) != -1)
    {
      if (c == 'h')
        return husk_cmd_usage (usage);
      return husk_error_set (err, 0, "features: unknown option `%s`", argv[optind - 1]);
    }
  if (optind < argc)
    return husk_error_set (err, 0, "features: takes no arguments");
  {
    struct husk_error *e = NULL;
    char v[32] = "";
    int n = 0;
    bool ok = husk_criu_version (gl->criu, &n, &e) == 0;

    if (ok)
      snprintf (v, sizeof v, "%d.%d.%d", n / 10000, n / 100 % 100, n % 100);
    ok = ok && n >= HUSK_CRIU_MIN_VERSION && husk_criu_check (gl->criu, &e) == 0;
    if (e)
      {
        char *why = husk_error_text (e);
        husk_debug ("checkpoint: %s", why);
        free (why);
      }
    husk_error_release (&e);
    json = features_json (v[0] ? v : NULL, ok);
  }
  if (json == NULL)
    return husk_error_set (err, ENOMEM, "features: cannot format the document");
  printf ("%s\n", json);
  free (json);
  return 0;
}
