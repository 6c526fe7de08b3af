/* The systemd driver's bus side (systemd.h): calls on the manager through
 * husk's own D-Bus client (dbus.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/dbus.h"
#include "cgroup/internal.h"
#include "cgroup/systemd.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xalloc.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
/* A transient scope's job is quick; this bounds a systemd that hangs. */
#define JOB_TIMEOUT_USEC (60ULL * 1000 * 1000)
/* JobRemoved signals kept while the job's path is not known yet (on the
 * private socket every job of the system is announced). */
#define JOBS_EARLY_MAX 4096

/* A method of the manager. */
#define SD_CALL(m, s)                                                                         \
  ((struct dbus_call){ .dest = SD_DEST, .path = SD_PATH, .iface = SD_MANAGER, .member = (m),  \
                       .sig = (s) })

static void
bus_closep (struct husk_dbus **b)
{
  husk_dbus_close (*b);
}
static void
msg_freep (struct dbus_msg *m)
{
  dbus_msg_free (m);
}
static void
buf_freep (struct dbus_buf *b)
{
  dbus_buf_free (b);
}
static void
bus_error_freep (struct dbus_error *e)
{
  dbus_error_free (e);
}
#define cleanup_bus __attribute__ ((cleanup (bus_closep)))
#define cleanup_msg __attribute__ ((cleanup (msg_freep)))
#define cleanup_buf __attribute__ ((cleanup (buf_freep)))
#define cleanup_bus_error __attribute__ ((cleanup (bus_error_freep)))

static bool
systemd_is_init (void)
{
  struct stat st;
  return lstat ("/run/systemd/system", &st) == 0 && S_ISDIR (st.st_mode);
}

/* A peer connection to a manager's private socket. */
static int
bus_open_private (const char *path, struct husk_dbus **out)
{
  cleanup_free char *addr = husk_dbus_unix_address (path);
  return husk_dbus_connect (addr, false, out, NULL);
}

/* The caller's own manager (systemd --user): its private socket first, which
 * needs no dbus-daemon for the user (Debian's dbus-user-session), else the
 * session bus ($DBUS_SESSION_BUS_ADDRESS, $XDG_RUNTIME_DIR/bus), as runc. */
static int
user_bus_open (struct husk_dbus **out, struct husk_error **err)
{
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  cleanup_free char *dir = NULL, *priv = NULL, *addr = NULL;
  struct husk_error *e = NULL;
  int errnum;

  if (xdg && *xdg)
    dir = xstrdup (xdg);
  else if (xasprintf (&dir, "/run/user/%u", (unsigned) geteuid ()) < 0)
    dir = NULL;
  if (dir == NULL || xasprintf (&priv, "%s/systemd/private", dir) < 0)
    abort ();
  if (bus_open_private (priv, out) == 0)
    return 0;
  addr = husk_dbus_session_address (&e);
  if (addr && husk_dbus_connect (addr, true, out, &e) == 0)
    return 0;
  errnum = e ? e->errnum : EIO;
  husk_error_release (&e);
  return husk_error_set (err, errnum,
                         "--systemd-cgroup as an unprivileged user needs systemd --user: cannot "
                         "connect to `%s` nor to the session bus (%s)%s",
                         priv, getenv ("DBUS_SESSION_BUS_ADDRESS") ? "$DBUS_SESSION_BUS_ADDRESS"
                                                                   : "$XDG_RUNTIME_DIR/bus",
                         xdg && *xdg ? "" : "; XDG_RUNTIME_DIR is not set");
}

/* systemd's private socket first when root (no dbus-daemon in the way, and
 * what systemctl uses), else the system bus, as runc's go-systemd does in the
 * other order; user: the caller's own manager (user_bus_open).  A peer
 * connection (the private socket) carries no sender and needs no Subscribe. */
static int
bus_open (bool user, struct husk_dbus **out, struct husk_error **err)
{
  cleanup_free char *addr = NULL;
  struct husk_error *e = NULL;
  int errnum;

  if (user)
    return user_bus_open (out, err);
  if (geteuid () == 0 && bus_open_private ("/run/systemd/private", out) == 0)
    return 0;
  addr = husk_dbus_system_address ();
  if (husk_dbus_connect (addr, true, out, &e) == 0)
    return 0;
  errnum = e->errnum;
  husk_error_release (&e);
  return husk_error_set (err, errnum,
                         "--systemd-cgroup: cannot connect to systemd on the system bus "
                         "(/run/systemd/private / dbus)%s",
                         systemd_is_init () ? "" : ": systemd is not the init of this host "
                                                   "(no /run/systemd/system)");
}

/* The error of a failed call: what systemd said and the error's name, else
 * what went wrong on the way (ce, released). */
static int
call_error (struct husk_error **err, struct husk_error **ce, const struct dbus_error *e,
            const char *what, const char *unit)
{
  if (e && e->name)
    {
      husk_error_release (ce);
      return husk_error_set (err, dbus_error_errno (e->name), "systemd: %s `%s`: %s (%s)", what,
                             unit, e->message, e->name);
    }
  if (*ce == NULL)
    return husk_error_set (err, EIO, "systemd: %s `%s`", what, unit);
  husk_error_wrap (ce, "systemd: %s `%s`", what, unit);
  return husk_error_propagate (err, ce);
}

/* A unit-name method of the manager without a reply worth reading; e (may be
 * NULL) gets systemd's error. */
static int
unit_call (struct husk_dbus *bus, const char *method, const char *unit, struct dbus_error *e,
           struct husk_error **ce)
{
  cleanup_buf struct dbus_buf body = { 0 };
  struct dbus_call c = SD_CALL (method, "s");

  dbus_put_s (&body, unit);
  return husk_dbus_call (bus, &c, &body, NULL, e, ce);
}

struct job_removed
{
  char *path, *result, *sender;
};

struct job_wait
{
  char *path; /* the job's object path, once the call returned it */
  char *sender; /* who returned it (NULL on a peer connection) */
  char *result; /* JobRemoved's result ("done", "failed", ...) */
  /* JobRemoved signals that came before the path was known: the job may be
   * done before its call's reply is read. */
  struct job_removed *early;
  size_t n_early;
};

static bool
same_sender (const char *a, const char *b)
{
  return (a == NULL && b == NULL) || (a && b && strcmp (a, b) == 0);
}

static void
on_job_removed (void *data, const struct dbus_msg *m)
{
  struct job_wait *w = data;
  struct dbus_iter it;
  uint32_t id;
  const char *path, *unit, *result;

  if (strcmp (m->path, SD_PATH) != 0 || strcmp (m->iface, SD_MANAGER) != 0
      || strcmp (m->member, "JobRemoved") != 0)
    return;
  dbus_iter_init (&it, m);
  if (dbus_read_u (&it, &id) < 0 || dbus_read_str (&it, 'o', &path) < 0
      || dbus_read_str (&it, 's', &unit) < 0 || dbus_read_str (&it, 's', &result) < 0)
    return;
  if (w->path == NULL)
    {
      if (w->n_early < JOBS_EARLY_MAX)
        {
          w->early = xrealloc (w->early, (w->n_early + 1) * sizeof *w->early);
          w->early[w->n_early++] = (struct job_removed){ xstrdup (path), xstrdup (result),
                                                         xstrdup (m->sender) };
        }
      return;
    }
  /* On a bus, only systemd's own word: the sender of the call's reply. */
  if (w->result == NULL && strcmp (path, w->path) == 0 && same_sender (m->sender, w->sender))
    w->result = xstrdup (result);
}

/* The call returned the job's path (reply): its JobRemoved may be among the
 * early ones already. */
static int
job_known (struct job_wait *w, const struct dbus_msg *reply)
{
  struct dbus_iter it;
  const char *job;

  dbus_iter_init (&it, reply);
  if (dbus_read_str (&it, 'o', &job) < 0)
    return -1;
  w->path = xstrdup (job);
  w->sender = xstrdup (reply->sender);
  for (size_t i = 0; i < w->n_early && w->result == NULL; i++)
    if (strcmp (w->early[i].path, w->path) == 0 && same_sender (w->early[i].sender, w->sender))
      w->result = xstrdup (w->early[i].result);
  return 0;
}

static void
job_wait_free (struct job_wait *w)
{
  for (size_t i = 0; i < w->n_early; i++)
    {
      free (w->early[i].path);
      free (w->early[i].result);
      free (w->early[i].sender);
    }
  free (w->early);
  free (w->path);
  free (w->sender);
  free (w->result);
}

static bool
job_done (void *data)
{
  return ((struct job_wait *) data)->result != NULL;
}

/* Read messages until JobRemoved names w->path.  The match was added before
 * the call that made the job, and what arrives during that call is kept
 * (w->early), so the signal cannot be missed. */
static int
job_wait (struct husk_dbus *bus, struct job_wait *w, const char *unit, struct husk_error **err)
{
  struct husk_error *e = NULL;

  if (husk_dbus_wait (bus, dbus_now_usec () + JOB_TIMEOUT_USEC, job_done, w, &e) == 0)
    return 0;
  if (e->errnum == ETIMEDOUT)
    {
      husk_error_release (&e);
      return husk_error_set (err, ETIMEDOUT, "systemd: the job of unit `%s` did not finish", unit);
    }
  husk_error_wrap (&e, "systemd: wait for the job of unit `%s`", unit);
  return husk_error_propagate (err, &e);
}

static const char job_removed_rule[]
    = "type='signal',sender='" SD_DEST "',path='" SD_PATH "',interface='" SD_MANAGER
      "',member='JobRemoved'";

/* Receive the manager's JobRemoved signals into w.  On a bus: AddMatch (and
 * RemoveMatch on close, as sd-bus), and Subscribe, as systemd sends the
 * manager's signals there only while some client has subscribed; its private
 * socket gets them all. */
static int
match_job_removed (struct husk_dbus *bus, struct job_wait *w, const char *unit,
                   struct husk_error **err)
{
  cleanup_bus_error struct dbus_error e = { 0 };
  cleanup_buf struct dbus_buf rule = { 0 };
  struct husk_error *ce = NULL;
  struct dbus_call add = { .dest = "org.freedesktop.DBus", .path = "/org/freedesktop/DBus",
                           .iface = "org.freedesktop.DBus", .member = "AddMatch", .sig = "s" };
  struct dbus_call remove = add, subscribe = SD_CALL ("Subscribe", NULL);

  husk_dbus_on_signal (bus, on_job_removed, w);
  if (!husk_dbus_is_bus (bus))
    return 0;
  dbus_put_s (&rule, job_removed_rule);
  if (husk_dbus_call (bus, &add, &rule, NULL, NULL, &ce) < 0)
    {
      husk_error_wrap (&ce, "systemd: subscribe to the jobs of unit `%s`", unit);
      return husk_error_propagate (err, &ce);
    }
  remove.member = "RemoveMatch";
  remove.flags = DBUS_FLAG_NO_REPLY_EXPECTED;
  husk_dbus_on_close (bus, &remove, &rule);
  if (husk_dbus_call (bus, &subscribe, NULL, NULL, &e, &ce) < 0)
    return call_error (err, &ce, &e, "subscribe to the jobs of unit", unit);
  return 0;
}

static void
put_prop (struct dbus_buf *b, const struct cg_sd_prop *p)
{
  char sig[3] = { (char) p->type, 0, 0 };
  size_t at;

  dbus_struct_begin (b);
  dbus_put_s (b, p->name);
  if (p->type == CG_SD_PIDS || p->type == CG_SD_BYTES)
    {
      sig[0] = 'a';
      sig[1] = (char) p->type;
    }
  dbus_put_g (b, sig);
  switch (p->type)
    {
    case CG_SD_U64:
      dbus_put_t (b, p->u);
      break;
    case CG_SD_BOOL:
      dbus_put_b (b, p->u != 0);
      break;
    case CG_SD_STR:
      dbus_put_s (b, p->s);
      break;
    case CG_SD_PIDS:
      at = dbus_array_begin (b, 'u');
      dbus_put_u (b, (uint32_t) p->u);
      dbus_array_end (b, at, 'u');
      break;
    case CG_SD_BYTES:
      at = dbus_array_begin (b, 'y');
      for (size_t i = 0; i < p->n; i++)
        dbus_put_y (b, p->bytes[i]);
      dbus_array_end (b, at, 'y');
      break;
    }
}

/* a(sv) */
static void
put_props (struct dbus_buf *b, const struct cg_sd_props *p)
{
  size_t at = dbus_array_begin (b, '(');
  for (size_t i = 0; i < p->n; i++)
    put_prop (b, &p->v[i]);
  dbus_array_end (b, at, '(');
}

int
cg_sd_user_manager_cgroup (char **out, struct husk_error **err)
{
  cleanup_bus struct husk_dbus *bus = NULL;
  cleanup_bus_error struct dbus_error e = { 0 };
  cleanup_msg struct dbus_msg reply = { 0 };
  cleanup_buf struct dbus_buf body = { 0 };
  struct dbus_call get = { .dest = SD_DEST, .path = SD_PATH,
                           .iface = "org.freedesktop.DBus.Properties", .member = "Get",
                           .sig = "ss" };
  struct husk_error *ce = NULL;
  struct dbus_iter it;
  const char *cg;

  *out = NULL;
  if (bus_open (true, &bus, err) < 0)
    return -1;
  dbus_put_s (&body, SD_MANAGER);
  dbus_put_s (&body, "ControlGroup");
  if (husk_dbus_call (bus, &get, &body, &reply, &e, &ce) < 0)
    {
      if (e.name)
        {
          husk_error_release (&ce);
          return husk_error_set (err, dbus_error_errno (e.name),
                                 "systemd --user: read the manager's ControlGroup: %s (%s)",
                                 e.message, e.name);
        }
      husk_error_wrap (&ce, "systemd --user: read the manager's ControlGroup");
      return husk_error_propagate (err, &ce);
    }
  dbus_iter_init (&it, &reply);
  if (dbus_read_variant (&it, "s") < 0 || dbus_read_str (&it, 's', &cg) < 0)
    return husk_error_set (err, ENXIO,
                           "systemd --user: the manager's ControlGroup is not a string");
  if (cg[0] != '/' || husk_strstr (cg, "/..") || husk_strstr (cg, "//"))
    return husk_error_set (err, 0, "systemd --user: the manager's ControlGroup `%s` is not a cgroup",
                           cg);
  *out = xstrdup (cg);
  return 0;
}

int
cg_sd_attach_self (const char *dir, struct husk_error **err)
{
  cleanup_bus struct husk_dbus *bus = NULL;
  cleanup_bus_error struct dbus_error e = { 0 };
  cleanup_buf struct dbus_buf body = { 0 };
  cleanup_free char *unit = NULL, *prefix = NULL;
  struct dbus_call attach = SD_CALL ("AttachProcessesToUnit", "ssau");
  struct husk_error *ce = NULL;
  const char *sub = "";
  bool user = false;
  size_t l = strlen (dir), at;

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
  if (bus_open (true, &bus, err) < 0)
    return -1;
  dbus_put_s (&body, unit);
  dbus_put_s (&body, sub);
  at = dbus_array_begin (&body, 'u');
  dbus_put_u (&body, (uint32_t) getpid ());
  dbus_array_end (&body, at, 'u');
  if (husk_dbus_call (bus, &attach, &body, NULL, &e, &ce) < 0)
    return call_error (err, &ce, &e, "attach the process to unit", unit);
  return 1;
}

int
cg_sd_check_new (const struct husk_cgroup *cg, bool *exists, struct husk_error **err)
{
  cleanup_bus struct husk_dbus *bus = NULL;
  cleanup_bus_error struct dbus_error e = { 0 };
  struct husk_error *ce = NULL;

  *exists = false;
  if (bus_open (cg->user_manager, &bus, err) < 0)
    return -1;
  /* GetUnit knows only loaded units: a failed leftover of a crashed container
   * is loaded until reset, an active one is someone's. */
  if (unit_call (bus, "GetUnit", cg->unit, &e, &ce) < 0)
    {
      if (dbus_error_is (&e, "org.freedesktop.systemd1.NoSuchUnit"))
        {
          husk_error_release (&ce);
          return 0;
        }
      return call_error (err, &ce, &e, "look up unit", cg->unit);
    }
  unit_call (bus, "ResetFailedUnit", cg->unit, NULL, NULL);
  if (unit_call (bus, "GetUnit", cg->unit, &e, &ce) < 0)
    {
      husk_error_release (&ce);
      if (dbus_error_is (&e, "org.freedesktop.systemd1.NoSuchUnit"))
        return 0;
    }
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

void
cg_sd_start_body (const struct husk_cgroup *cg, pid_t pid, struct dbus_buf *body)
{
  struct cg_sd_props p = { 0 };

  start_props (cg, pid, &p);
  dbus_put_s (body, cg->unit);
  dbus_put_s (body, "replace");
  put_props (body, &p);
  /* No auxiliary units. */
  dbus_array_end (body, dbus_array_begin (body, '('), '(');
  cg_sd_props_free (&p);
}

/* StartTransientUnit -> the job's path into w. */
static int
start_once (struct husk_dbus *bus, const struct dbus_buf *body, struct job_wait *w,
            struct dbus_error *e, struct husk_error **ce)
{
  cleanup_msg struct dbus_msg reply = { 0 };
  struct dbus_call start = SD_CALL ("StartTransientUnit", "ssa(sv)a(sa(sv))");

  if (husk_dbus_call (bus, &start, body, &reply, e, ce) < 0)
    return -1;
  if (job_known (w, &reply) < 0)
    return husk_error_set (ce, EBADMSG, "the reply names no job");
  return 0;
}

int
cg_sd_start (const struct husk_cgroup *cg, pid_t pid, struct husk_error **err)
{
  cleanup_bus struct husk_dbus *bus = NULL;
  cleanup_bus_error struct dbus_error e = { 0 };
  cleanup_buf struct dbus_buf body = { 0 };
  struct husk_error *ce = NULL;
  struct job_wait w = { 0 };
  int r, ret = -1;

  if (bus_open (cg->user_manager, &bus, err) < 0
      || match_job_removed (bus, &w, cg->unit, err) < 0)
    goto out;
  cg_sd_start_body (cg, pid, &body);
  r = start_once (bus, &body, &w, &e, &ce);
  if (r < 0 && dbus_error_is (&e, "org.freedesktop.systemd1.UnitExists"))
    {
      /* A failed unit of that name stays loaded until reset (runc retries
       * once the same way). */
      dbus_error_free (&e);
      husk_error_release (&ce);
      unit_call (bus, "ResetFailedUnit", cg->unit, NULL, NULL);
      r = start_once (bus, &body, &w, &e, &ce);
      if (r < 0 && dbus_error_is (&e, "org.freedesktop.systemd1.UnitExists"))
        {
          husk_error_release (&ce);
          husk_error_set (err, EEXIST, "systemd unit `%s` already exists", cg->unit);
          goto out;
        }
    }
  if (r < 0)
    {
      call_error (err, &ce, &e, "start transient unit", cg->unit);
      goto out;
    }
  if (job_wait (bus, &w, cg->unit, err) < 0)
    goto out;
  if (strcmp (w.result, "done") != 0)
    {
      unit_call (bus, "ResetFailedUnit", cg->unit, NULL, NULL);
      husk_error_set (err, 0, "systemd: the job starting unit `%s` ended with `%s` (see "
                      "`journalctl -u %s`)", cg->unit, w.result, cg->unit);
      goto out;
    }
  ret = 0;
out:
  /* The connection (and RemoveMatch) before w, which its handler points to. */
  husk_dbus_close (husk_steal_ptr (&bus));
  job_wait_free (&w);
  return ret;
}

void
cg_sd_set_body (const char *unit, const struct cg_sd_props *p, struct dbus_buf *body)
{
  dbus_put_s (body, unit);
  dbus_put_b (body, true); /* runtime */
  put_props (body, p);
}

int
cg_sd_set (const struct husk_cgroup *cg, const struct cg_sd_props *p, struct husk_error **err)
{
  cleanup_bus struct husk_dbus *bus = NULL;
  cleanup_bus_error struct dbus_error e = { 0 };
  cleanup_buf struct dbus_buf body = { 0 };
  struct dbus_call set = SD_CALL ("SetUnitProperties", "sba(sv)");
  struct husk_error *ce = NULL;

  if (p->n == 0)
    return 0;
  if (bus_open (cg->user_manager, &bus, err) < 0)
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
  cg_sd_set_body (cg->unit, p, &body);
  if (husk_dbus_call (bus, &set, &body, NULL, &e, &ce) < 0)
    {
      if (dbus_error_is (&e, "org.freedesktop.systemd1.NoSuchUnit")
          || dbus_error_is (&e, "org.freedesktop.systemd1.LoadFailed"))
        {
          husk_error_release (&ce);
          return 0;
        }
      return call_error (err, &ce, &e, "set the properties of unit", cg->unit);
    }
  return 0;
}

int
cg_sd_stop (const struct husk_cgroup *cg, struct husk_error **err)
{
  cleanup_bus struct husk_dbus *bus = NULL;
  cleanup_bus_error struct dbus_error e = { 0 };
  cleanup_msg struct dbus_msg reply = { 0 };
  cleanup_buf struct dbus_buf body = { 0 };
  struct dbus_call stop = SD_CALL ("StopUnit", "ss");
  struct husk_error *ce = NULL;
  struct job_wait w = { 0 };
  int ret = 0;

  if (bus_open (cg->user_manager, &bus, err) < 0)
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
  if (match_job_removed (bus, &w, cg->unit, err) < 0)
    {
      ret = -1;
      goto out;
    }
  dbus_put_s (&body, cg->unit);
  dbus_put_s (&body, "replace");
  if (husk_dbus_call (bus, &stop, &body, &reply, &e, &ce) < 0)
    {
      /* Gone already: systemd collects a scope whose processes all exited. */
      if (dbus_error_is (&e, "org.freedesktop.systemd1.NoSuchUnit"))
        husk_error_release (&ce);
      else
        ret = call_error (err, &ce, &e, "stop unit", cg->unit);
    }
  else if (job_known (&w, &reply) == 0)
    {
      if (job_wait (bus, &w, cg->unit, err) < 0)
        ret = -1;
      else if (strcmp (w.result, "done") != 0)
        husk_debug ("systemd: the job stopping unit `%s` ended with `%s`", cg->unit, w.result);
    }
  unit_call (bus, "ResetFailedUnit", cg->unit, NULL, NULL);
out:
  husk_dbus_close (husk_steal_ptr (&bus));
  job_wait_free (&w);
  return ret;
}
