/* husk features: the runtime-spec features document (features.md,
 * features-linux.md), the way `runc features` prints it.  Every list is what
 * husk accepts and applies; tests/integration/features.bats checks each entry
 * against a real container. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "linux/criu.h"
#include "linux/seccomp.h"
#include "util/jsongen.h"
#include "util/log.h"
#include "oci/config.h"
#include "oci/names.h"

static const char usage[] = "usage: husk features\n"
                            "\n"
                            "Print the features this runtime supports (runtime-spec features "
                            "document, JSON).\n";

static const char *const hooks[] = {
  "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL,
};

/* The names of a table of oci/names.h. */
static void
kv_names (struct json_gen *g, const char *k, const struct oci_name *t)
{
  json_gen_key (g, k);
  json_gen_array_open (g);
  for (; t->name; t++)
    json_gen_str (g, t->name);
  json_gen_array_close (g);
}

static void
gen_seccomp (struct json_gen *g)
{
  json_gen_key (g, "seccomp");
  json_gen_map_open (g);
  json_gen_kv_bool (g, "enabled", true);
  kv_names (g, "actions", oci_seccomp_actions);
  kv_names (g, "operators", oci_seccomp_operators);
  /* Only the architectures usable on this host. */
  json_gen_key (g, "archs");
  json_gen_array_open (g);
  for (const struct oci_name *a = oci_seccomp_archs; a->name; a++)
    if (husk_seccomp_arch_usable (a->name))
      json_gen_str (g, a->name);
  json_gen_array_close (g);
  kv_names (g, "knownFlags", oci_seccomp_flags);
  json_gen_key (g, "supportedFlags");
  json_gen_array_open (g);
  for (const struct oci_name *f = oci_seccomp_flags; f->name; f++)
    if (husk_seccomp_flag_supported ((unsigned long) f->value))
      json_gen_str (g, f->name);
  json_gen_array_close (g);
  json_gen_map_close (g);
}

/* Every capability the parser knows ("CAP_CHOWN" ...). */
static void
gen_capabilities (struct json_gen *g)
{
  kv_names (g, "capabilities", oci_capabilities);
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
  struct json_gen *g = json_gen_new ("    ");

  json_gen_map_open (g);
  json_gen_kv_str (g, "ociVersionMin", "1.0.0");
  json_gen_kv_str (g, "ociVersionMax", HUSK_SPEC_VERSION);
  json_gen_kv_strv (g, "hooks", hooks);
  json_gen_key (g, "mountOptions");
  json_gen_array_open (g);
  for (const struct oci_mount_option *o = oci_mount_options; o->name; o++)
    json_gen_str (g, o->name);
  json_gen_array_close (g);
  gen_linux (g);
  json_gen_key (g, "annotations");
  json_gen_map_open (g);
  /* No io.github.seccomp.libseccomp.version: husk uses no libseccomp (runc
   * and crun built without it leave the key out too). */
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
  printf ("%s\n", json);
  free (json);
  return 0;
}
