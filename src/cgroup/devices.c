/* Device control on cgroup v1: each rule, in order, into devices.allow or
 * devices.deny ("c 1:3 rwm"; "a" alone for all devices, which on devices.deny
 * also clears the exceptions inherited from the parent). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
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

/* The open fd of dir/file in *fd, opened on first use: every rule of a config
 * goes through one open per file (each write(2) is one rule to the kernel). */
static int
rules_fd (const char *dir, const char *file, int *fd, struct husk_error **err)
{
  if (*fd < 0)
    {
      cleanup_free char *p = cg_path (dir, file);
      *fd = openat (AT_FDCWD, p, O_WRONLY | O_CLOEXEC);
      if (*fd < 0)
        return husk_error_set (err, errno, "open `%s`", p);
    }
  return *fd;
}

int
cg_devices_v1 (const char *dir, const struct oci_device_cgroup *rules, size_t n, bool update,
               struct husk_error **err)
{
  cleanup_close int allow = -1, deny = -1;
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
      const char *file = rules[i].allow ? "devices.allow" : "devices.deny";
      int fd = rules_fd (dir, file, rules[i].allow ? &allow : &deny, err);
      ssize_t w;

      if (fd < 0)
        return husk_error_wrap (err, "devices rule %zu", i);
      rule_text (&rules[i], buf, sizeof buf);
      do
        w = write (fd, buf, strlen (buf));
      while (w < 0 && errno == EINTR);
      if (w != (ssize_t) strlen (buf))
        {
          husk_error_set (err, w < 0 ? errno : EIO, "write `%s` to `%s/%s`", buf, dir, file);
          return husk_error_wrap (err, "devices rule %zu", i);
        }
    }
  return 0;
}
