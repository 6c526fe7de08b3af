/* AppArmor and SELinux labels for the container process.  The detection follows
 * runc: AppArmor is enabled when securityfs has it and the module parameter says
 * Y (libcontainer/apparmor); SELinux when selinuxfs is mounted and the current
 * label is not "kernel" (go-selinux GetEnabled). */
#define _GNU_SOURCE
#include "linux/lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "linux/procfs.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

#define SELINUX_MAGIC 0xf97cff8c

static int apparmor_state = -1;
static int selinux_state = -1;

static bool
read_first_line (const char *path, char *buf, size_t size)
{
  int fd = openat (AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
  ssize_t n;

  if (fd < 0)
    return false;
  n = read (fd, buf, size - 1);
  close (fd);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  buf[strcspn (buf, "\n")] = '\0';
  return true;
}

bool
husk_apparmor_enabled (void)
{
  char buf[8];
  struct stat st;

  if (apparmor_state < 0)
    apparmor_state = stat ("/sys/kernel/security/apparmor", &st) == 0
                     && read_first_line ("/sys/module/apparmor/parameters/enabled", buf, sizeof buf)
                     && buf[0] == 'Y';
  return apparmor_state;
}

bool
husk_selinux_enabled (void)
{
  char buf[256];
  struct statfs sfs;

  if (selinux_state < 0)
    selinux_state = statfs ("/sys/fs/selinux", &sfs) == 0 && (unsigned long) sfs.f_type == SELINUX_MAGIC
                    && read_first_line ("/proc/thread-self/attr/current", buf, sizeof buf)
                    && strcmp (buf, "kernel") != 0;
  return selinux_state;
}

/* Write value into thread-self/attr/<attr> below procfd (linux/procfs.h: no
 * mount crossed, no magic link, the file on procfs): something bind-mounted over
 * an attr file cannot take the label. */
static int
write_attr (int procfd, const char *attr, const char *value, struct husk_error **err)
{
  char path[64];

  snprintf (path, sizeof path, "thread-self/attr/%s", attr);
  return husk_procfs_write (procfd, path, true, value, err);
}

bool
husk_lsm_wanted (const struct oci_process *p)
{
  return (p->apparmor_profile && p->apparmor_profile[0] && husk_apparmor_enabled ())
         || (p->selinux_label && p->selinux_label[0] && husk_selinux_enabled ());
}

int
husk_lsm_prepare (const struct oci_config *c, const struct oci_process *p,
                  struct husk_error **err)
{
  const char *mount_label = c->linux_ ? c->linux_->mount_label : NULL;

  /* Both refused rather than run the process unconfined (runc's validator and
   * its apparmor.ApplyProfile do the same). */
  if (p->apparmor_profile && p->apparmor_profile[0] && !husk_apparmor_enabled ())
    return husk_error_set (err, 0,
                           "process.apparmorProfile \"%s\" is specified, but apparmor is not "
                           "enabled on this host",
                           p->apparmor_profile);
  if (p->selinux_label && p->selinux_label[0] && !husk_selinux_enabled ())
    return husk_error_set (err, 0,
                           "selinux label is specified in config, but selinux is disabled or not supported");
  if (mount_label && mount_label[0] && !husk_selinux_enabled ())
    husk_debug ("selinux is not enabled on this host: linux.mountLabel \"%s\" is ignored", mount_label);
  return 0;
}

static int
apply_apparmor (const char *profile, int procfd, struct husk_error **err)
{
  cleanup_free char *value = NULL;
  struct husk_error *e = NULL;

  xasprintf (&value, "exec %s", profile);
  /* Linux 5.8+ has the per-LSM directory; older kernels only the shared file. */
  if (write_attr (procfd, "apparmor/exec", value, &e) == 0)
    return 0;
  if (e->errnum != ENOENT)
    {
      husk_error_propagate (err, &e);
      return husk_error_wrap (err, "apply apparmor profile \"%s\"", profile);
    }
  husk_error_release (&e);
  if (write_attr (procfd, "exec", value, err) < 0)
    return husk_error_wrap (err, "apply apparmor profile \"%s\"", profile);
  return 0;
}

int
husk_lsm_apply (const struct oci_process *p, int procfd, struct husk_error **err)
{

  /* Both take effect at our execve: until then the init keeps its label. */
  if (p->apparmor_profile && p->apparmor_profile[0] && husk_apparmor_enabled ()
      && apply_apparmor (p->apparmor_profile, procfd, err) < 0)
    return -1;
  if (p->selinux_label && p->selinux_label[0] && husk_selinux_enabled ())
    {
      /* keycreate first, as runc: the session keyring joined next gets the label. */
      if (write_attr (procfd, "keycreate", p->selinux_label, err) < 0
          || write_attr (procfd, "exec", p->selinux_label, err) < 0)
        return husk_error_wrap (err, "set selinux label \"%s\"", p->selinux_label);
    }
  return 0;
}

char *
husk_lsm_mount_data (const struct oci_config *c, const char *data)
{
  const char *label = c->linux_ ? c->linux_->mount_label : NULL;
  char *out;

  if (label == NULL || label[0] == '\0' || !husk_selinux_enabled ())
    return NULL;
  xasprintf (&out, "%s%scontext=\"%s\"", data ? data : "", data && data[0] ? "," : "", label);
  return out;
}
