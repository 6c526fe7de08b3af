/* The systemd driver's bus side (systemd.h): sd-bus calls on the manager. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "cgroup/sdbus.h"
#include "cgroup/systemd.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
/* A transient scope's job is quick; this bounds a systemd that hangs. */
#define JOB_TIMEOUT_USEC (60ULL * 1000 * 1000)

static void
bus_unrefp (sd_bus **b)
{
  if (*b)
    sd_bus_flush_close_unref (*b);
}
static void
msg_unrefp (sd_bus_message **m)
{
  if (*m)
    sd_bus_message_unref (*m);
}
static void
slot_unrefp (sd_bus_slot **s)
{
  if (*s)
    sd_bus_slot_unref (*s);
}
static void
bus_error_freep (sd_bus_error *e)
{
  if (husk_sdbus_loaded ())
    sd_bus_error_free (e);
}
#define cleanup_bus __attribute__ ((cleanup (bus_unrefp)))
#define cleanup_msg __attribute__ ((cleanup (msg_unrefp)))
#define cleanup_slot __attribute__ ((cleanup (slot_unrefp)))
#define cleanup_bus_error __attribute__ ((cleanup (bus_error_freep)))

static bool
systemd_is_init (void)
{
  struct stat st;
  return lstat ("/run/systemd/system", &st) == 0 && S_ISDIR (st.st_mode);
}

/* addr's value escaped as D-Bus addresses want: bytes other than
 * [-0-9A-Za-z_/.\\] as %xx. */
static char *
address_escape (const char *path)
{
  static const char hex[] = "0123456789abcdef";
  char *out = xmalloc (strlen (path) * 3 + 1), *o = out;
  for (const unsigned char *p = (const unsigned char *) path; *p; p++)
    if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
        || strchr ("-_/.\\", *p))
      *o++ = (char) *p;
    else
      {
        *o++ = '%';
        *o++ = hex[*p >> 4];
        *o++ = hex[*p & 15];
      }
  *o = '\0';
  return out;
}

/* A peer connection to a manager's private socket. */
static int
bus_open_private (const char *path, sd_bus **out)
{
  sd_bus *b = NULL;
  cleanup_free char *esc = address_escape (path), *addr = NULL;

  xasprintf (&addr, "unix:path=%s", esc);
  if (sd_bus_new (&b) < 0)
    return -1;
  if (sd_bus_set_address (b, addr) >= 0 && sd_bus_start (b) >= 0)
    {
      *out = b;
      return 0;
    }
  sd_bus_unref (b);
  return -1;
}

/* The caller's own manager (systemd --user): its private socket first, which
 * needs no dbus-daemon for the user (Debian's dbus-user-session), else the
 * session bus ($DBUS_SESSION_BUS_ADDRESS, $XDG_RUNTIME_DIR/bus), as runc. */
static int
user_bus_open (sd_bus **out, bool *direct, struct husk_error **err)
{
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  cleanup_free char *dir = NULL, *priv = NULL;
  int r;

  if (xdg && *xdg)
    dir = xstrdup (xdg);
  else if (xasprintf (&dir, "/run/user/%u", (unsigned) geteuid ()) < 0)
    dir = NULL;
  if (dir == NULL || xasprintf (&priv, "%s/systemd/private", dir) < 0)
    abort ();
  if (bus_open_private (priv, out) == 0)
    {
      *direct = true;
      return 0;
    }
  r = sd_bus_open_user (out);
  if (r >= 0)
    return 0;
  return husk_error_set (err, -r,
                         "--systemd-cgroup as an unprivileged user needs systemd --user: cannot "
                         "connect to `%s` nor to the session bus (%s)%s",
                         priv, getenv ("DBUS_SESSION_BUS_ADDRESS") ? "$DBUS_SESSION_BUS_ADDRESS"
                                                                   : "$XDG_RUNTIME_DIR/bus",
                         xdg && *xdg ? "" : "; XDG_RUNTIME_DIR is not set");
}

/* systemd's private socket first when root (no dbus-daemon in the way, and
 * what systemctl uses), else the system bus, as runc's go-systemd does in the
 * other order; user: the caller's own manager (user_bus_open).  *direct: a
 * peer connection, whose messages carry no sender. */
static int
bus_open (bool user, sd_bus **out, bool *direct, struct husk_error **err)
{
  sd_bus *b = NULL;
  int r = -ENOENT;

  *direct = false;
  if (husk_sdbus_load (err) < 0)
    return -1;
  if (user)
    return user_bus_open (out, direct, err);
  if (geteuid () == 0 && bus_open_private ("/run/systemd/private", out) == 0)
    {
      *direct = true;
      return 0;
    }
  r = sd_bus_open_system (&b);
  if (r >= 0)
    {
      *out = b;
      return 0;
    }
  return husk_error_set (err, -r,
                         "--systemd-cgroup: cannot connect to systemd on the system bus "
                         "(/run/systemd/private / dbus)%s",
                         systemd_is_init () ? "" : ": systemd is not the init of this host "
                                                   "(no /run/systemd/system)");
}

/* The error of a failed call: the bus error's text names what systemd says. */
static int
call_error (struct husk_error **err, int r, const sd_bus_error *e, const char *what,
            const char *unit)
{
  return husk_error_set (err, e && e->name ? sd_bus_error_get_errno (e) : -r,
                         "systemd: %s `%s`%s%s", what, unit, e && e->message ? ": " : "",
                         e && e->message ? e->message : "");
}

struct job_wait
{
  const char *path; /* the job's object path, once the call returned it */
  char *result; /* JobRemoved's result ("done", "failed", ...) */
  bool seen_other; /* a JobRemoved came before the path was known */
};

static int
on_job_removed (sd_bus_message *m, void *userdata, sd_bus_error *e)
{
  struct job_wait *w = userdata;
  uint32_t id;
  const char *path, *unit, *result;

  if (sd_bus_message_read (m, "uoss", &id, &path, &unit, &result) < 0)
    return 0;
  if (w->path && strcmp (path, w->path) == 0 && w->result == NULL)
    w->result = xstrdup (result);
  return 0;
}

static uint64_t
now_usec (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Process messages until JobRemoved names w->path.  The match was added before
 * the call that made the job, and sd-bus queues what arrives during that call,
 * so the signal cannot be missed. */
static int
job_wait (sd_bus *bus, struct job_wait *w, const char *unit, struct husk_error **err)
{
  uint64_t deadline = now_usec () + JOB_TIMEOUT_USEC;

  while (w->result == NULL)
    {
      int r = sd_bus_process (bus, NULL);
      if (r < 0)
        return husk_error_set (err, -r, "systemd: wait for the job of unit `%s`", unit);
      if (r > 0)
        continue;
      uint64_t now = now_usec ();
      if (now >= deadline)
        return husk_error_set (err, ETIMEDOUT, "systemd: the job of unit `%s` did not finish",
                               unit);
      r = sd_bus_wait (bus, deadline - now);
      if (r < 0)
        return husk_error_set (err, -r, "systemd: wait for the job of unit `%s`", unit);
    }
  return 0;
}

static int
match_job_removed (sd_bus *bus, bool direct, sd_bus_slot **slot, struct job_wait *w,
                   const char *unit, struct husk_error **err)
{
  cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
  int r = sd_bus_match_signal (bus, slot, direct ? NULL : SD_DEST, SD_PATH, SD_MANAGER,
                               "JobRemoved", on_job_removed, w);
  if (r < 0)
    return husk_error_set (err, -r, "systemd: subscribe to the jobs of unit `%s`", unit);
  /* On a bus (not its private socket) systemd sends the manager's signals only
   * while some client has subscribed. */
  if (!direct
      && (r = sd_bus_call_method (bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", &e, NULL, ""))
             < 0)
    return call_error (err, r, &e, "subscribe to the jobs of unit", unit);
  return 0;
}

static int
append_prop (sd_bus_message *m, const struct cg_sd_prop *p)
{
  int r;

  switch (p->type)
    {
    case CG_SD_U64:
      return sd_bus_message_append (m, "(sv)", p->name, "t", p->u);
    case CG_SD_BOOL:
      return sd_bus_message_append (m, "(sv)", p->name, "b", (int) p->u);
    case CG_SD_STR:
      return sd_bus_message_append (m, "(sv)", p->name, "s", p->s);
    case CG_SD_PIDS:
      return sd_bus_message_append (m, "(sv)", p->name, "au", 1, (uint32_t) p->u);
    case CG_SD_BYTES:
      if ((r = sd_bus_message_open_container (m, 'r', "sv")) < 0
          || (r = sd_bus_message_append (m, "s", p->name)) < 0
          || (r = sd_bus_message_open_container (m, 'v', "ay")) < 0
          || (r = sd_bus_message_append_array (m, 'y', p->bytes, p->n)) < 0
          || (r = sd_bus_message_close_container (m)) < 0)
        return r;
      return sd_bus_message_close_container (m);
    }
  return -EINVAL;
}

static int
append_props (sd_bus_message *m, const struct cg_sd_props *p)
{
  int r = sd_bus_message_open_container (m, 'a', "(sv)");

  for (size_t i = 0; r >= 0 && i < p->n; i++)
    r = append_prop (m, &p->v[i]);
  return r < 0 ? r : sd_bus_message_close_container (m);
}

/* A unit-name method of the manager without a reply worth reading. */
static int
unit_call (sd_bus *bus, const char *method, const char *unit, sd_bus_error *e)
{
  cleanup_msg sd_bus_message *reply = NULL;
  return sd_bus_call_method (bus, SD_DEST, SD_PATH, SD_MANAGER, method, e, &reply, "s", unit);
}

int
cg_sd_user_manager_cgroup (char **out, struct husk_error **err)
{
  cleanup_bus sd_bus *bus = NULL;
  cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
  bool direct;
  char *cg = NULL;
  int r;

  *out = NULL;
  if (bus_open (true, &bus, &direct, err) < 0)
    return -1;
  r = sd_bus_get_property_string (bus, SD_DEST, SD_PATH, SD_MANAGER, "ControlGroup", &e, &cg);
  if (r < 0)
    return husk_error_set (err, e.name ? sd_bus_error_get_errno (&e) : -r,
                           "systemd --user: read the manager's ControlGroup%s%s",
                           e.message ? ": " : "", e.message ? e.message : "");
  if (cg[0] != '/' || strstr (cg, "/..") || strstr (cg, "//"))
    {
      husk_error_set (err, 0, "systemd --user: the manager's ControlGroup `%s` is not a cgroup", cg);
      free (cg);
      return -1;
    }
  *out = cg;
  return 0;
}

int
cg_sd_attach_self (const char *dir, struct husk_error **err)
{
  cleanup_bus sd_bus *bus = NULL;
  cleanup_msg sd_bus_message *reply = NULL;
  cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
  cleanup_free char *unit = NULL, *prefix = NULL;
  const char *sub = "";
  bool direct, user = false;
  size_t l = strlen (dir);

  /* The scope is the longest prefix of dir shaped as a user's unit's cgroup;
   * the rest is the sub-cgroup (exec --cgroup). */
  while (l > 0 && unit == NULL)
    {
      free (prefix);
      prefix = xstrndup (dir, l);
      unit = cg_sd_unit_of_path (prefix, &user);
      if (unit && !user)
        return 0;
      if (unit)
        sub = dir[l] == '/' ? dir + l + 1 : dir + l;
      else
        while (l > 0 && dir[--l] != '/')
          ;
    }
  if (unit == NULL)
    return 0;
  if (bus_open (true, &bus, &direct, err) < 0)
    return -1;
  if (sd_bus_call_method (bus, SD_DEST, SD_PATH, SD_MANAGER, "AttachProcessesToUnit", &e, &reply,
                          "ssau", unit, sub, 1, (uint32_t) getpid ())
      < 0)
    return call_error (err, -EIO, &e, "attach the process to unit", unit);
  return 1;
}

int
cg_sd_check_new (const struct husk_cgroup *cg, bool *exists, struct husk_error **err)
{
  cleanup_bus sd_bus *bus = NULL;
  cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
  bool direct;
  int r;

  *exists = false;
  if (bus_open (cg->user_manager, &bus, &direct, err) < 0)
    return -1;
  /* GetUnit knows only loaded units: a failed leftover of a crashed container
   * is loaded until reset, an active one is someone's. */
  if (unit_call (bus, "GetUnit", cg->unit, &e) < 0)
    {
      if (sd_bus_error_has_name (&e, "org.freedesktop.systemd1.NoSuchUnit"))
        return 0;
      return call_error (err, -EIO, &e, "look up unit", cg->unit);
    }
  sd_bus_error_free (&e);
  unit_call (bus, "ResetFailedUnit", cg->unit, NULL);
  r = unit_call (bus, "GetUnit", cg->unit, &e);
  if (r < 0 && sd_bus_error_has_name (&e, "org.freedesktop.systemd1.NoSuchUnit"))
    return 0;
  *exists = true;
  return husk_error_set (err, EEXIST, "systemd unit `%s` already exists", cg->unit);
}

static void
start_props (const struct husk_cgroup *cg, pid_t pid, struct cg_sd_props *p)
{
  static const char *const accounting[] = { "MemoryAccounting", "CPUAccounting", "IOAccounting",
                                            "TasksAccounting" };
  struct cg_sd_prop *x;

  cg_sd_props_add (p, "Description", CG_SD_STR, 0);
  x = &p->v[p->n - 1];
  xasprintf (&x->s, "husk container %s", cg->unit);
  cg_sd_props_add (p, "Slice", CG_SD_STR, 0);
  p->v[p->n - 1].s = xstrdup (cg->slice);
  /* The scope's cgroup is ours below it (sub-cgroups, controllers, the
   * device program): systemd keeps out. */
  cg_sd_props_add (p, "Delegate", CG_SD_BOOL, 1);
  cg_sd_props_add (p, "PIDs", CG_SD_PIDS, (uint64_t) pid);
  /* No ordering against shutdown.target or the like: the container's engine
   * decides when it stops. */
  cg_sd_props_add (p, "DefaultDependencies", CG_SD_BOOL, 0);
  /* Accounting on, as runc: the controllers are then enabled for the scope
   * whatever limits come later. */
  for (size_t i = 0; i < sizeof accounting / sizeof accounting[0]; i++)
    cg_sd_props_add (p, accounting[i], CG_SD_BOOL, 1);
}

static int
start_once (sd_bus *bus, const struct husk_cgroup *cg, const struct cg_sd_props *p,
            struct job_wait *w, sd_bus_error *e)
{
  cleanup_msg sd_bus_message *m = NULL, *reply = NULL;
  const char *job;
  int r;

  if ((r = sd_bus_message_new_method_call (bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
                                           "StartTransientUnit")) < 0
      || (r = sd_bus_message_append (m, "ss", cg->unit, "replace")) < 0
      || (r = append_props (m, p)) < 0 || (r = sd_bus_message_append (m, "a(sa(sv))", 0)) < 0)
    return r;
  if ((r = sd_bus_call (bus, m, 0, e, &reply)) < 0)
    return r;
  if ((r = sd_bus_message_read (reply, "o", &job)) < 0)
    return r;
  w->path = xstrdup (job);
  return 0;
}

int
cg_sd_start (const struct husk_cgroup *cg, pid_t pid, struct husk_error **err)
{
  cleanup_bus sd_bus *bus = NULL;
  cleanup_slot sd_bus_slot *slot = NULL;
  cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
  struct cg_sd_props p = { 0 };
  struct job_wait w = { 0 };
  bool direct;
  int r, ret = -1;

  if (bus_open (cg->user_manager, &bus, &direct, err) < 0 || match_job_removed (bus, direct, &slot, &w, cg->unit, err) < 0)
    return -1;
  start_props (cg, pid, &p);
  r = start_once (bus, cg, &p, &w, &e);
  if (r < 0 && sd_bus_error_has_name (&e, "org.freedesktop.systemd1.UnitExists"))
    {
      /* A failed unit of that name stays loaded until reset (runc retries
       * once the same way). */
      sd_bus_error_free (&e);
      unit_call (bus, "ResetFailedUnit", cg->unit, NULL);
      r = start_once (bus, cg, &p, &w, &e);
      if (r < 0 && sd_bus_error_has_name (&e, "org.freedesktop.systemd1.UnitExists"))
        {
          husk_error_set (err, EEXIST, "systemd unit `%s` already exists", cg->unit);
          goto out;
        }
    }
  if (r < 0)
    {
      call_error (err, r, &e, "start transient unit", cg->unit);
      goto out;
    }
  if (job_wait (bus, &w, cg->unit, err) < 0)
    goto out;
  if (strcmp (w.result, "done") != 0)
    {
      unit_call (bus, "ResetFailedUnit", cg->unit, NULL);
      husk_error_set (err, 0, "systemd: the job starting unit `%s` ended with `%s` (see "
                      "`journalctl -u %s`)", cg->unit, w.result, cg->unit);
      goto out;
    }
  ret = 0;
out:
  cg_sd_props_free (&p);
  free ((char *) w.path);
  free (w.result);
  return ret;
}

int
cg_sd_set (const struct husk_cgroup *cg, const struct cg_sd_props *p, struct husk_error **err)
{
  cleanup_bus sd_bus *bus = NULL;
  cleanup_msg sd_bus_message *m = NULL, *reply = NULL;
  cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
  bool direct;
  int r;

  if (p->n == 0)
    return 0;
  if (bus_open (cg->user_manager, &bus, &direct, err) < 0)
    {
      /* Without systemd on this host the unit cannot be one (a cgroupfs
       * container whose path is shaped like a unit's): the files say it all. */
      if (!systemd_is_init ())
        {
          husk_error_release (err);
          return 0;
        }
      return -1;
    }
  if ((r = sd_bus_message_new_method_call (bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
                                           "SetUnitProperties")) < 0
      || (r = sd_bus_message_append (m, "sb", cg->unit, 1)) < 0 || (r = append_props (m, p)) < 0)
    return husk_error_set (err, -r, "systemd: build the properties of unit `%s`", cg->unit);
  if (sd_bus_call (bus, m, 0, &e, &reply) < 0)
    {
      if (sd_bus_error_has_name (&e, "org.freedesktop.systemd1.NoSuchUnit")
          || sd_bus_error_has_name (&e, "org.freedesktop.systemd1.LoadFailed"))
        return 0;
      return call_error (err, -EIO, &e, "set the properties of unit", cg->unit);
    }
  return 0;
}

int
cg_sd_stop (const struct husk_cgroup *cg, struct husk_error **err)
{
  cleanup_bus sd_bus *bus = NULL;
  cleanup_slot sd_bus_slot *slot = NULL;
  cleanup_msg sd_bus_message *reply = NULL;
  cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
  struct job_wait w = { 0 };
  const char *job;
  bool direct;
  int ret = 0;

  if (bus_open (cg->user_manager, &bus, &direct, err) < 0)
    {
      /* A user's manager that is gone took its units along (logout without
       * linger): nothing to stop, the directories go as for cgroupfs. */
      if (!systemd_is_init () || cg->user_manager)
        {
          husk_error_release (err);
          return 0;
        }
      return -1;
    }
  if (match_job_removed (bus, direct, &slot, &w, cg->unit, err) < 0)
    return -1;
  if (sd_bus_call_method (bus, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit", &e, &reply, "ss",
                          cg->unit, "replace") < 0)
    {
      /* Gone already: systemd collects a scope whose processes all exited. */
      if (!sd_bus_error_has_name (&e, "org.freedesktop.systemd1.NoSuchUnit"))
        ret = call_error (err, -EIO, &e, "stop unit", cg->unit);
    }
  else if (sd_bus_message_read (reply, "o", &job) >= 0)
    {
      w.path = xstrdup (job);
      if (job_wait (bus, &w, cg->unit, err) < 0)
        ret = -1;
      else if (strcmp (w.result, "done") != 0)
        husk_debug ("systemd: the job stopping unit `%s` ended with `%s`", cg->unit, w.result);
    }
  unit_call (bus, "ResetFailedUnit", cg->unit, NULL);
  free ((char *) w.path);
  free (w.result);
  return ret;
}
