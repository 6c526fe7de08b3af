/* Device control on cgroup v1: each rule, in order, into devices.allow or
 * devices.deny ("c 1:3 rwm"; "a" alone for all devices, which on devices.deny
 * also clears the exceptions inherited from the parent). */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cgroup/internal.h"
#include "util/log.h"

static void
rule_text (const struct oci_device_cgroup *d, char *buf, size_t len)
{
  const char *type = d->type ? d->type : "a";
  char major[24] = "*", minor[24] = "*", access[4] = "", *a = access;
  const char *want = d->access && *d->access ? d->access : "rwm";

  if (d->has_major && d->major >= 0)
    snprintf (major, sizeof major, "%" PRId64, d->major);
  if (d->has_minor && d->minor >= 0)
    snprintf (minor, sizeof minor, "%" PRId64, d->minor);
  /* Only the letters the kernel knows, in its order (runc drops the others). */
  for (const char *k = "rwm"; *k; k++)
    if (strchr (want, *k))
      *a++ = *k;
  if (strcmp (type, "a") == 0 && !d->has_major && !d->has_minor)
    snprintf (buf, len, "a");
  else
    snprintf (buf, len, "%s %s:%s %s", type, major, minor, access);
}

int
cg_devices_v1 (const char *dir, const struct oci_device_cgroup *rules, size_t n, bool update,
               struct husk_error **err)
{
  char buf[96];

  /* An update starts again from "allow all", the state a new cgroup starts in
   * below an unrestricted parent (refused, and then moot, under a restricted one). */
  if (update)
    {
      struct husk_error *e = NULL;
      if (cg_write (dir, "devices.allow", "a", &e) < 0)
        husk_error_free (e);
    }
  for (size_t i = 0; i < n; i++)
    {
      rule_text (&rules[i], buf, sizeof buf);
      if (cg_write (dir, rules[i].allow ? "devices.allow" : "devices.deny", buf, err) < 0)
        return husk_error_wrap (err, "devices rule %zu", i);
    }
  return 0;
}
