/* husk features: the runtime-spec features document (features.md,
 * features-linux.md), the way `runc features` prints it.  Every list is what
 * husk accepts and applies; tests/integration/features.bats checks each entry
 * against a real container. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "cmd/cmd.h"
#include "linux/criu.h"
#include "linux/seccomp.h"
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

static void
str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static void
key_bool (yajl_gen g, const char *k, bool v)
{
  str (g, k);
  yajl_gen_bool (g, v);
}

static void
key_strv (yajl_gen g, const char *k, const char *const *v)
{
  str (g, k);
  yajl_gen_array_open (g);
  for (; *v; v++)
    str (g, *v);
  yajl_gen_array_close (g);
}

/* The names of a table of oci/names.h. */
static void
key_names (yajl_gen g, const char *k, const struct oci_name *t)
{
  str (g, k);
  yajl_gen_array_open (g);
  for (; t->name; t++)
    str (g, t->name);
  yajl_gen_array_close (g);
}

static void
gen_seccomp (yajl_gen g)
{
  str (g, "seccomp");
  yajl_gen_map_open (g);
  key_bool (g, "enabled", true);
  key_names (g, "actions", oci_seccomp_actions);
  key_names (g, "operators", oci_seccomp_operators);
  /* Only the architectures usable on this host. */
  str (g, "archs");
  yajl_gen_array_open (g);
  for (const struct oci_name *a = oci_seccomp_archs; a->name; a++)
    if (husk_seccomp_arch_usable (a->name))
      str (g, a->name);
  yajl_gen_array_close (g);
  key_names (g, "knownFlags", oci_seccomp_flags);
  str (g, "supportedFlags");
  yajl_gen_array_open (g);
  for (const struct oci_name *f = oci_seccomp_flags; f->name; f++)
    if (husk_seccomp_flag_supported ((unsigned long) f->value))
      str (g, f->name);
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
}

/* Every capability libcap names ("CAP_CHOWN" ...), which the parser accepts. */
static void
gen_capabilities (yajl_gen g)
{
  str (g, "capabilities");
  yajl_gen_array_open (g);
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
          str (g, name);
        }
      cap_free (name);
    }
  yajl_gen_array_close (g);
}

static void
gen_object (yajl_gen g, const char *k, const char *inner, bool v)
{
  str (g, k);
  yajl_gen_map_open (g);
  key_bool (g, inner, v);
  yajl_gen_map_close (g);
}

static void
gen_linux (yajl_gen g)
{
  str (g, "linux");
  yajl_gen_map_open (g);
  str (g, "namespaces");
  yajl_gen_array_open (g);
  for (int t = 0; t < OCI_NS_COUNT; t++)
    str (g, oci_ns_type_name ((enum oci_ns_type) t));
  yajl_gen_array_close (g);
  gen_capabilities (g);
  str (g, "cgroup");
  yajl_gen_map_open (g);
  key_bool (g, "v1", true);
  key_bool (g, "v2", true);
  key_bool (g, "systemd", true);
  key_bool (g, "systemdUser", true);
  key_bool (g, "rdma", true);
  yajl_gen_map_close (g);
  gen_seccomp (g);
  /* Whether husk applies the labels, whatever this host's LSM (features-linux.md). */
  gen_object (g, "apparmor", "enabled", true);
  gen_object (g, "selinux", "enabled", true);
  gen_object (g, "intelRdt", "enabled", false);
  str (g, "mountExtensions");
  yajl_gen_map_open (g);
  gen_object (g, "idmap", "enabled", true);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
}

static char *
features_json (const char *criu_version, bool criu_ok)
{
  const struct scmp_version *v = seccomp_version ();
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  char version[64];
  size_t len;
  char *out;

  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_config (g, yajl_gen_indent_string, "    ");
  yajl_gen_map_open (g);
  str (g, "ociVersionMin");
  str (g, "1.0.0");
  str (g, "ociVersionMax");
  str (g, HUSK_SPEC_VERSION);
  key_strv (g, "hooks", hooks);
  str (g, "mountOptions");
  yajl_gen_array_open (g);
  for (const struct oci_mount_option *o = oci_mount_options; o->name; o++)
    str (g, o->name);
  yajl_gen_array_close (g);
  gen_linux (g);
  str (g, "annotations");
  yajl_gen_map_open (g);
  snprintf (version, sizeof version, "%u.%u.%u", v->major, v->minor, v->micro);
  str (g, "io.github.seccomp.libseccomp.version");
  str (g, version);
  /* runc's key: checkpoint and restore work here (criu found, new enough,
   * and its own check passes on this kernel). */
  str (g, "org.opencontainers.runc.checkpoint.enabled");
  str (g, criu_ok ? "true" : "false");
  if (criu_version)
    {
      str (g, "run.husk.criu.version");
      str (g, criu_version);
    }
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  out = strndup ((const char *) buf, len);
  yajl_gen_free (g);
  return out;
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
