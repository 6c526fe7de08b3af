/* linux.intelRdt over resctrl: see intelrdt.h. */
#define _GNU_SOURCE
#include "linux/intelrdt.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xalloc.h"

#define RDTGROUP_SUPER_MAGIC 0x7655821
#define DEFAULT_RESCTRL "/sys/fs/resctrl"

/* Where resctrl is mounted: the default place, else the first resctrl mount in
 * mountinfo (runc's Root()).  NULL when it is not mounted. */
static char *
resctrl_root (void)
{
  cleanup_free char *data = NULL;
  struct statfs sfs;

  if (statfs (DEFAULT_RESCTRL, &sfs) == 0 && sfs.f_type == RDTGROUP_SUPER_MAGIC)
    return xstrdup (DEFAULT_RESCTRL);
  /* The table create read for the cgroup layout, if it did (util/fs.h). */
  if (husk_read_mountinfo (&data, false, NULL) < 0)
    return NULL;
  for (char *save = NULL, *line = strtok_r (data, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    {
      /* id parent major:minor root mountpoint options... - fstype source super */
      char mnt[4096];
      const char *sep = husk_strstr (line, " - ");
      if (sep && strncmp (sep + 3, "resctrl ", 8) == 0
          && husk_word (line, 4, mnt, sizeof mnt))
        return xstrdup (mnt); /* mount points with spaces are octal-escaped; resctrl's are not */
    }
  return NULL;
}

static bool
has_info (const char *root, const char *what)
{
  cleanup_free char *p = NULL;
  struct stat st;

  xasprintf (&p, "%s/info/%s", root, what);
  return stat (p, &st) == 0;
}

/* runc's intelrdtCheck, with the reason spelled out.  o: where linux was read. */
static int
check (const struct oci_origin *o, const struct oci_intel_rdt *r, const char *root,
       struct husk_error **err)
{
  const char *clos = r->clos_id;

  if (root == NULL)
    return oci_error (err, 0, o,
                      "intelRdt: intelRdt is specified in config, but Intel RDT is "
                      "not enabled (no resctrl filesystem is mounted at " DEFAULT_RESCTRL ")");
  if (clos && (strcmp (clos, ".") == 0 || strcmp (clos, "..") == 0 || strchr (clos, '/')))
    return oci_error (err, 0, o, "intelRdt.closID: invalid closID \"%s\"", clos);
  if (r->l3_cache_schema && r->l3_cache_schema[0] && !has_info (root, "L3"))
    return oci_error (err, 0, o, "intelRdt.l3CacheSchema: Intel RDT/CAT is not enabled");
  if (r->mem_bw_schema && r->mem_bw_schema[0] && !has_info (root, "MB"))
    return oci_error (err, 0, o, "intelRdt.memBwSchema: Intel RDT/MBA is not enabled");
  return 0;
}

/* resctrl explains a refused write in info/last_cmd_status. */
static int
wrap_last_cmd (const char *root, struct husk_error **err)
{
  cleanup_free char *p = NULL, *status = NULL;
  size_t len;

  xasprintf (&p, "%s/info/last_cmd_status", root);
  if (husk_read_file (p, &status, &len, NULL) == 0)
    {
      status[strcspn (status, "\n")] = '\0';
      return husk_error_wrap (err, "resctrl (last_cmd_status: %s)", status);
    }
  return -1;
}

/* line and a newline appended to *text, unless line is NULL or empty. */
static void
add_line (char **text, const char *line)
{
  char *t;

  if (line == NULL || *line == '\0')
    return;
  t = xconcat (*text, line, "\n", NULL);
  free (*text);
  *text = t;
}

static int
write_schemata (const struct oci_intel_rdt *r, const char *root, const char *dir,
                struct husk_error **err)
{
  cleanup_free char *text = xstrdup (""), *p = NULL;

  /* One line each: L3, MB, then the schemata. */
  add_line (&text, r->l3_cache_schema);
  add_line (&text, r->mem_bw_schema);
  for (char **s = r->schemata; s && *s; s++)
    add_line (&text, *s);
  if (*text == '\0')
    return 0;
  p = xconcat (dir, "/schemata", NULL);
  if (husk_write_file (p, text, strlen (text), err) < 0)
    return wrap_last_cmd (root, err);
  return 0;
}

static int
join (const char *root, const char *dir, pid_t pid, struct husk_error **err)
{
  cleanup_free char *p = NULL;
  char buf[32];

  p = xconcat (dir, "/tasks", NULL);
  snprintf (buf, sizeof buf, "%d", (int) pid);
  if (husk_write_file (p, buf, strlen (buf), err) < 0)
    return wrap_last_cmd (root, err);
  return 0;
}

static bool
wants_monitoring (const struct oci_intel_rdt *r)
{
  return r->enable_monitoring || r->enable_cmt || r->enable_mbm;
}

int
husk_intelrdt_apply (const struct oci_config *c, const char *id, pid_t pid, struct husk_error **err)
{
  const struct oci_intel_rdt *r = c->linux_ ? c->linux_->intel_rdt : NULL;
  cleanup_free char *root = NULL, *dir = NULL, *mon = NULL;
  bool no_schemata;

  if (r == NULL)
    return 0;
  root = resctrl_root ();
  if (check (&c->linux_->origin, r, root, err) < 0)
    return -1;
  dir = xconcat (root, "/", r->clos_id && r->clos_id[0] ? r->clos_id : id, NULL);
  no_schemata = !(r->l3_cache_schema && r->l3_cache_schema[0])
                && !(r->mem_bw_schema && r->mem_bw_schema[0]) && !(r->schemata && r->schemata[0]);
  /* The spec: a closID without schemata names a group configured beforehand. */
  if (r->clos_id && r->clos_id[0] && no_schemata && access (dir, F_OK) < 0)
    return husk_error_set (err, errno,
                           "linux.intelRdt: clos dir `%s` not accessible (must be pre-created when "
                           "schemata, l3CacheSchema and memBwSchema are empty)", dir);
  if (mkdir (dir, 0755) < 0 && errno != EEXIST)
    {
      husk_error_set (err, errno, "linux.intelRdt: create `%s`", dir);
      return wrap_last_cmd (root, err);
    }
  if (write_schemata (r, root, dir, err) < 0 || join (root, dir, pid, err) < 0)
    return husk_error_wrap (err, "linux.intelRdt");
  if (!wants_monitoring (r))
    return 0;
  xasprintf (&mon, "%s/mon_groups/%s", dir, id);
  if (mkdir (mon, 0755) < 0 && errno != EEXIST)
    {
      husk_error_set (err, errno, "linux.intelRdt: create monitoring group `%s`", mon);
      return wrap_last_cmd (root, err);
    }
  if (join (root, mon, pid, err) < 0)
    return husk_error_wrap (err, "linux.intelRdt: monitoring group");
  return 0;
}

void
husk_intelrdt_destroy (const struct oci_config *c, const char *id)
{
  const struct oci_intel_rdt *r = c && c->linux_ ? c->linux_->intel_rdt : NULL;
  cleanup_free char *root = NULL, *dir = NULL;

  if (r == NULL || (root = resctrl_root ()) == NULL)
    return;
  /* Removing a control group removes its monitoring groups with it. */
  if (r->clos_id && r->clos_id[0])
    {
      if (!wants_monitoring (r))
        return;
      xasprintf (&dir, "%s/%s/mon_groups/%s", root, r->clos_id, id);
    }
  else
    dir = xconcat (root, "/", id, NULL);
  if (rmdir (dir) < 0 && errno != ENOENT)
    husk_warn ("linux.intelRdt: remove `%s`: %s", dir, strerror (errno));
}
