/* The last steps of the container init before execve: limits, identity,
 * capabilities, and the lookup of the executable.  These run after pivot_root,
 * single-threaded, as root of the container's user namespace (or real root).
 *
 * An absent process.capabilities means an empty set everywhere, bounding
 * included, as crun and runc up to 1.2 do (runc 1.3 leaves the caps untouched):
 * the bounding set must be emptied too, because an execve as uid 0 refills the
 * permitted set from it. */
#define _GNU_SOURCE
#include "linux/process.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/sys.h"
#include "oci/names.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/sort.h"
#include "util/xalloc.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int
husk_apply_rlimits (const struct oci_process *p, struct husk_error **err)
{
  size_t i;

  for (i = 0; i < p->rlimits_len; i++)
    {
      const struct oci_rlimit *l = &p->rlimits[i];
      struct rlimit rl = { .rlim_cur = l->soft, .rlim_max = l->hard };

      /* prlimit on ourselves is setrlimit without the C library's run over
       * every thread (musl's __synccall, linux/sys.h); we have one. */
      if (prlimit (0, l->resource, &rl, NULL) < 0)
        return husk_error_set (err, errno, "setrlimit %s", l->type);
    }
  return 0;
}

/* The highest capability the running kernel knows (PR_CAPBSET_READ fails with
 * EINVAL beyond it; not /proc/sys/kernel/cap_last_cap, which a config may
 * leave unmounted).  A config may name newer ones than the kernel has; those
 * are skipped, like runc does. */
static int
kernel_last_cap (void)
{
  static int last = -1;
  int lo = 0, hi = 63;

  if (last >= 0)
    return last;
  if (prctl (PR_CAPBSET_READ, 0, 0, 0, 0) < 0)
    return last = CAP_LAST_CAP;
  while (lo < hi)
    {
      int mid = (lo + hi + 1) / 2;
      if (prctl (PR_CAPBSET_READ, mid, 0, 0, 0) >= 0)
        lo = mid;
      else
        hi = mid - 1;
    }
  return last = lo;
}

/* Name of a capability for messages ("CAP_CHOWN", "CAP_41" past the table);
 * caller frees. */
static char *
cap_name (int cap)
{
  char *name;

  if (cap >= 0 && cap <= CAP_CHECKPOINT_RESTORE)
    return xstrdup (oci_capabilities[cap].name);
  xasprintf (&name, "CAP_%d", cap);
  return name;
}

/* The number of a capability named exactly as the spec spells it ("CAP_CHOWN")
 * and known to the running kernel, or -1. */
static int
cap_number (const char *name, int last)
{
  for (const struct oci_name *c = oci_capabilities; c->name; c++)
    if (strcmp (c->name, name) == 0)
      return (int) c->value <= last ? (int) c->value : -1;
  return -1;
}

/* Unknown names, and caps newer than the running kernel, are skipped: runc
 * ignores them (warn_unknown_caps says so once), so that one config serves
 * kernels of different ages. */
static uint64_t
caps_mask (char *const *names)
{
  int last = kernel_last_cap ();
  uint64_t mask = 0;

  for (; names && *names; names++)
    {
      int v = cap_number (*names, last);
      if (v >= 0)
        mask |= UINT64_C (1) << v;
    }
  return mask;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* One warning for every name of every set caps_mask skips, sorted and without
 * repeats, in runc's words: "ignoring unknown or unavailable capabilities:
 * [CAP_A CAP_B]". */
static void
warn_unknown_caps (const struct oci_capabilities *caps)
{
  char *const *sets[] = { caps->bounding, caps->effective, caps->inheritable, caps->permitted,
                          caps->ambient };
  cleanup_free const char **unknown = NULL;
  cleanup_free char *list = NULL;
  size_t n = 0, cap = 0, len = 0, i;
  int last = kernel_last_cap ();

  for (i = 0; i < sizeof sets / sizeof sets[0]; i++)
    for (char *const *c = sets[i]; c && *c; c++)
      {
        if (cap_number (*c, last) >= 0)
          continue;
        if (n == cap)
          {
            cap = cap ? cap * 2 : 8;
            unknown = xrealloc (unknown, cap * sizeof *unknown);
          }
        unknown[n++] = *c;
      }
  if (n == 0)
    return;
  husk_sort (unknown, n, sizeof *unknown, cmp_str);
  for (i = 0; i < n; i++)
    len += strlen (unknown[i]) + 1;
  list = xcalloc (1, len + 1);
  for (i = 0; i < n; i++)
    if (i == 0 || strcmp (unknown[i], unknown[i - 1]) != 0)
      {
        if (*list)
          strcat (list, " ");
        strcat (list, unknown[i]);
      }
  husk_warn ("ignoring unknown or unavailable capabilities: [%s]", list);
}

static const struct oci_capabilities no_capabilities;

static const struct oci_capabilities *
process_caps (const struct oci_process *p)
{
  return p->capabilities ? p->capabilities : &no_capabilities;
}

/* PR_CAPBSET_DROP needs CAP_SETPCAP, which may not survive the uid change: this
 * must run first.  A cap already out of the set need not be dropped, so a
 * process without CAP_SETPCAP can still ask for a set it already has: the
 * drop is tried first (with CAP_SETPCAP it succeeds either way, one prctl per
 * cap instead of two) and only its EPERM asks whether the cap was there. */
static int
drop_bounding_set (const struct oci_capabilities *caps, struct husk_error **err)
{
  int last = kernel_last_cap (), c;
  uint64_t keep = caps_mask (caps->bounding);

  for (c = 0; c <= last; c++)
    {
      if (keep & (UINT64_C (1) << c))
        continue;
      if (prctl (PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
        {
          int e = errno;
          cleanup_free char *name = NULL;

          if (e == EPERM && prctl (PR_CAPBSET_READ, c, 0, 0, 0) == 0)
            continue;
          name = cap_name (c);
          return husk_error_set (err, e, "drop %s from the bounding set", name);
        }
    }
  return 0;
}

static int
set_ids (const struct oci_user *u, struct husk_error **err)
{
  /* In a user namespace whose gid map was written without CAP_SETGID (rootless),
   * setgroups(2) always fails with EPERM: then the groups we were started with
   * stay, which is all such a namespace can have; asking for additional gids
   * there is an error.  Asked of the kernel rather than read from
   * /proc/self/setgroups, which is the container's to fake (CVE-2025-52881):
   * root outside such a namespace cannot get EPERM here. */
  if (husk_setgroups (u->additional_gids_len, u->additional_gids) < 0
      && !(errno == EPERM && u->additional_gids_len == 0))
    return husk_error_set (err, errno, "setgroups");

  /* EINVAL: the id has no mapping in this user namespace (runc's words). */
  if (husk_setresgid (u->gid, u->gid, u->gid) < 0)
    {
      if (errno == EINVAL)
        return husk_error_set (err, 0, "cannot setgid to unmapped gid %u in user namespace",
                               (unsigned) u->gid);
      return husk_error_set (err, errno, "setresgid %u", (unsigned) u->gid);
    }
  if (husk_setresuid (u->uid, u->uid, u->uid) < 0)
    {
      if (errno == EINVAL)
        return husk_error_set (err, 0, "cannot setuid to unmapped uid %u in user namespace",
                               (unsigned) u->uid);
      return husk_error_set (err, errno, "setresuid %u", (unsigned) u->uid);
    }
  return 0;
}

int
husk_apply_user (const struct oci_process *p, struct husk_error **err)
{
  int ret;

  warn_unknown_caps (process_caps (p));
  if (drop_bounding_set (process_caps (p), err) < 0)
    return -1;

  /* Without KEEPCAPS, leaving uid 0 clears the permitted set, and
   * husk_apply_capabilities could not raise anything afterwards. */
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return husk_error_set (err, errno, "prctl PR_SET_KEEPCAPS");
  ret = set_ids (&p->user, err);
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 && ret == 0)
    return husk_error_set (err, errno, "prctl PR_SET_KEEPCAPS");
  if (ret < 0)
    return ret;

  umask (p->user.has_umask ? p->user.umask : 0022);
  return 0;
}

/* runc raises ambient caps one by one and only warns when one fails (EPERM
 * when it is not in both permitted and inheritable): do the same. */
static int
raise_ambient (uint64_t ambient, struct husk_error **err)
{
  int c;

  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return husk_error_set (err, errno, "clear ambient capabilities");
  for (c = 0; c < 64; c++)
    {
      if (!(ambient & (UINT64_C (1) << c)))
        continue;
      if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
        {
          cleanup_free char *name = cap_name (c);
          husk_warn ("can't raise ambient capability %s: %s", name, strerror (errno));
        }
    }
  return 0;
}

int
husk_apply_capabilities (const struct oci_process *p, struct husk_error **err)
{
  const struct oci_capabilities *caps = process_caps (p);
  uint64_t eff = caps_mask (caps->effective), perm = caps_mask (caps->permitted);
  uint64_t inh = caps_mask (caps->inheritable), amb = caps_mask (caps->ambient);
  struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
  struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

  for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
    d[i] = (struct __user_cap_data_struct) { .effective = (uint32_t) (eff >> (32 * i)),
                                             .permitted = (uint32_t) (perm >> (32 * i)),
                                             .inheritable = (uint32_t) (inh >> (32 * i)) };
  if (syscall (SYS_capset, &h, d) < 0)
    return husk_error_set (err, errno, "apply capabilities");
  return raise_ambient (amb, err);
}

int
husk_apply_no_new_privs (const struct oci_process *p, struct husk_error **err)
{
  if (!p->no_new_privileges)
    return 0;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return husk_error_set (err, errno, "prctl PR_SET_NO_NEW_PRIVS");
  return 0;
}

/* 0 when path is an executable non-directory for the current credentials, else
 * an errno value. */
static int
check_executable (const char *path)
{
  struct stat st;

  if (stat (path, &st) < 0)
    return errno;
  if (S_ISDIR (st.st_mode))
    return EACCES;
  /* AT_EACCESS: the check the execve will make, capabilities included.  Plain
   * access(2) drops the effective caps of a non-root uid, so a user with
   * CAP_DAC_OVERRIDE would be refused a file whose x bit is only the owner's,
   * which execve runs.  AT_EACCESS needs faccessat2 (Linux 5.8), which an older
   * seccomp profile that already applies may deny with EPERM (an X_OK check
   * has no EPERM of its own): then access(2), as Go (hence runc) falls back.
   * The system call itself: musl's faccessat emulates AT_EACCESS for a process
   * whose ids differ (a fork, 0.6 KB); the init's real and effective ids are
   * the same, where access(2) is that check. */
  if (syscall (SYS_faccessat2, AT_FDCWD, path, X_OK, AT_EACCESS) == 0)
    return 0;
  if (errno != EPERM && errno != ENOSYS)
    return errno;
  if (access (path, X_OK) < 0)
    return errno;
  return 0;
}

/* Go's syscall error strings, which runc prints: strerror with a lowercase first
 * letter ("no such file or directory"). */
static int
exec_error (struct husk_error **err, const char *arg0, int errnum)
{
  char words[128];

  snprintf (words, sizeof words, "%s", strerror (errnum));
  words[0] = (char) tolower ((unsigned char) words[0]);
  return husk_error_set (err, 0, "exec: \"%s\": %s", arg0, words);
}

static const char *
env_lookup (char *const *env, const char *key)
{
  size_t klen = strlen (key);
  const char *found = NULL;

  /* The last one wins, as runc's prepareEnv deduplicates. */
  for (; env && *env; env++)
    if (strncmp (*env, key, klen) == 0 && (*env)[klen] == '=')
      found = *env + klen + 1;
  return found;
}

char *
husk_find_executable (const char *arg0, char *const *env, struct husk_error **err)
{
  const char *path, *dir, *end;
  char *res;
  int e;

  if (arg0 == NULL)
    arg0 = "";
  if (strchr (arg0, '/'))
    {
      e = check_executable (arg0);
      if (e)
        {
          exec_error (err, arg0, e);
          return NULL;
        }
      res = xstrdup (arg0);
      if (res == NULL)
        husk_error_set (err, errno, "strdup");
      return res;
    }

  path = env_lookup (env, "PATH");
  if (path == NULL)
    path = DEFAULT_PATH;
  for (dir = path; *arg0 && *path; dir = end + 1)
    {
      cleanup_free char *candidate = NULL;
      int dlen;

      end = strchrnul (dir, ':');
      dlen = (int) (end - dir);
      /* An empty component means the current directory, as in execvp. */
      xasprintf (&candidate, "%.*s/%s", dlen ? dlen : 1, dlen ? dir : ".", arg0);
      if (check_executable (candidate) == 0)
        return steal_ptr (candidate);
      if (*end == '\0')
        break;
    }
  husk_error_set (err, 0, "exec: \"%s\": executable file not found in $PATH", arg0);
  return NULL;
}

/* The home directory of uid in the current root's /etc/passwd, or NULL. */
static char *
passwd_home (uid_t uid)
{
  char *home = husk_passwd_field (uid, 5);

  if (home && home[0] == '\0')
    {
      free (home);
      return NULL;
    }
  return home;
}

/* An environment entry by its key (up to the first '=', or all of it) and its
 * position, for sorting. */
struct env_ref
{
  const char *kv;
  size_t klen, pos;
};

static int
cmp_env_ref (const void *a, const void *b)
{
  const struct env_ref *x = a, *y = b;
  int r = memcmp (x->kv, y->kv, x->klen < y->klen ? x->klen : y->klen);

  if (r == 0 && x->klen != y->klen)
    r = x->klen < y->klen ? -1 : 1;
  if (r == 0)
    r = x->pos < y->pos ? -1 : x->pos > y->pos;
  return r;
}

/* keep[i]: env[i] is the last entry with its key.  Sorting by (key, position)
 * makes it O(n log n): 100k entries took seconds with a pairwise scan. */
static bool *
last_of_each_key (char *const *env, size_t n)
{
  struct env_ref *refs = xcalloc (n ? n : 1, sizeof *refs);
  bool *keep = xcalloc (n ? n : 1, sizeof *keep);

  for (size_t i = 0; i < n; i++)
    refs[i] = (struct env_ref){ env[i], strcspn (env[i], "="), i };
  husk_sort (refs, n, sizeof *refs, cmp_env_ref);
  for (size_t i = 0; i < n; i++)
    if (i + 1 == n || refs[i].klen != refs[i + 1].klen
        || memcmp (refs[i].kv, refs[i + 1].kv, refs[i].klen) != 0)
      keep[refs[i].pos] = true;
  free (refs);
  return keep;
}

char **
husk_env_with_home (char *const *env, uid_t uid)
{
  size_t n = 0, i, out = 0;
  bool has_home = false;
  cleanup_free bool *keep = NULL;
  char **res;

  while (env && env[n])
    n++;
  keep = last_of_each_key (env, n);
  res = xcalloc (n + 2, sizeof *res);
  /* Like runc: duplicates keep their last value (at the place of the last
   * one), an empty HOME counts as unset. */
  for (i = 0; i < n; i++)
    {
      if (!keep[i])
        continue;
      if (strncmp (env[i], "HOME=", 5) == 0)
        {
          if (env[i][5] == '\0')
            continue;
          has_home = true;
        }
      res[out++] = xstrdup (env[i]);
    }
  if (!has_home)
    {
      cleanup_free char *home = passwd_home (uid);
      xasprintf (&res[out++], "HOME=%s", home ? home : "/");
    }
  return res;
}

int
husk_chdir_cwd (const char *cwd, struct husk_error **err)
{
  cleanup_free char *wd = NULL;

  /* The errno stays in the error: on EACCES the caller may retry after
   * husk_apply_user, when the container user can enter a directory root of the
   * host cannot (runc does this for volumes chowned to the user). */
  if (chdir (cwd) < 0)
    return husk_error_set (err, errno, "chdir to cwd (\"%s\") set in config.json failed", cwd);

  /* A cwd reached through a link out of the root (or an fd leaked from the
   * host, CVE-2024-21626) is outside our mount namespace root: the kernel
   * prefixes it with "(unreachable)" and glibc reports ENOENT. */
  wd = getcwd (NULL, 0);
  if (wd == NULL && errno == ENOENT)
    return husk_error_set (err, 0, "current working directory is outside of container mount "
                                   "namespace root -- possible container breakout detected");
  if (wd == NULL)
    return husk_error_set (err, errno, "failed to verify if current working directory is safe");
  if (wd[0] != '/')
    return husk_error_set (err, 0, "current working directory is not absolute -- possible "
                                   "container breakout detected: cwd is \"%s\"", wd);
  return 0;
}
