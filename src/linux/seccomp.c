/* linux.seccomp, the way runc applies it, with husk's own BPF compiler
 * (linux/bpf-seccomp.h: what the filter does):
 *
 * - actions: SCMP_ACT_KILL is KILL_THREAD; ERRNO and TRACE without errnoRet
 *   return EPERM; a rule whose action equals the default is redundant and skipped;
 *   a syscall name no table of this build knows is skipped with a debug line.
 * - husk loads the filter with seccomp(2) itself, so every filter flag works
 *   where the kernel has it.
 *
 * Support is checked before anything is loaded: an action needs the kernel's
 * SECCOMP_GET_ACTION_AVAIL; a flag is probed the way libseccomp does, with
 * seccomp(SECCOMP_SET_MODE_FILTER, flag, NULL): EFAULT means the kernel knows
 * the flag, EINVAL that it does not.  The host side does all that and compiles
 * the program before it forks (husk_seccomp_prepare); the container's process
 * only loads it. */
#define _GNU_SOURCE
#include "linux/seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "linux/bpf-seccomp.h"
#include "linux/sync.h"
#include "oci/names.h"
#include "util/jsongen.h"
#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/log.h"
#include "util/xalloc.h"

static bool
kernel_has_action (uint32_t ret)
{
  if (syscall (SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &ret) == 0)
    return true;
  /* Before Linux 4.14 there is no query, and only the original actions exist. */
  return errno == EINVAL
         && (ret == SECCOMP_RET_KILL_THREAD || ret == SECCOMP_RET_TRAP
             || ret == SECCOMP_RET_ERRNO || ret == SECCOMP_RET_TRACE || ret == SECCOMP_RET_ALLOW);
}

bool
husk_seccomp_flag_supported (unsigned long flag)
{
  /* The kernel takes WAIT_KILLABLE_RECV only together with a listener. */
  if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  return syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
}

bool
husk_seccomp_arch_usable (const char *name)
{
  /* The build's family is filtered; any other architecture of the spec is
   * accepted and left out of the filter, since this kernel never runs its
   * code (as a filter of libseccomp's for it would never match). */
  return oci_name_find (oci_seccomp_archs, name) != NULL;
}

/* Whether the kernel has the action `name` (JSON path `path`) of the profile. */
static int
check_action (const struct oci_seccomp *s, const char *path, const char *name,
              struct husk_error **err)
{
  const struct oci_name *a = oci_name_find (oci_seccomp_actions, name);

  if (a && !kernel_has_action ((uint32_t) a->value))
    return oci_error (err, 0, &s->origin, "%s: %s is not supported by the kernel", path, name);
  return 0;
}

static int
check_actions (const struct oci_seccomp *s, struct husk_error **err)
{
  if (check_action (s, "defaultAction", s->default_action, err) < 0)
    return -1;
  for (size_t i = 0; i < s->syscalls_len; i++)
    {
      char path[64];
      snprintf (path, sizeof path, "syscalls[%zu].action", i);
      if (check_action (s, path, s->syscalls[i].action, err) < 0)
        return -1;
    }
  return 0;
}

static bool
profile_has_notify (const struct oci_seccomp *s)
{
  for (size_t i = 0; i < s->syscalls_len; i++)
    if (strcmp (s->syscalls[i].action, "SCMP_ACT_NOTIFY") == 0)
      return true;
  return false;
}

static int
resolve_flags (const struct oci_seccomp *s, bool notify, unsigned long *out,
               struct husk_error **err)
{
  unsigned long flags = notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;

  /* No flags key is no flag.  runc adds SPEC_ALLOW then; husk does not: on a
   * host booted with spec_store_bypass_disable=seccomp the admin asked for the
   * Speculative Store Bypass mitigation of every seccomp'd task, and a config
   * that wants it off says so with the flag. */
  for (size_t i = 0; s->flags && s->flags[i]; i++)
    {
      const struct oci_name *n = oci_name_find (oci_seccomp_flags, s->flags[i]);
      unsigned long f = n ? (unsigned long) n->value : 0;
      if (f == 0)
        return oci_error (err, EINVAL, &s->origin, "flags[%zu]: unknown flag `%s`", i, s->flags[i]);
      /* The kernel takes this flag only together with a listener. */
      if (f == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !notify)
        return oci_error (err, 0, &s->origin, "flags[%zu]: %s needs a SCMP_ACT_NOTIFY rule", i,
                          s->flags[i]);
      if (!husk_seccomp_flag_supported (f))
        return oci_error (err, 0, &s->origin, "flags[%zu]: %s is not supported by the kernel", i,
                          s->flags[i]);
      /* runc accepts TSYNC and leaves it out: the process loading the filter
       * has one thread, there is nothing to synchronize. */
      if (f != SECCOMP_FILTER_FLAG_TSYNC)
        flags |= f;
    }
  *out = flags;
  return 0;
}

/* The filter of a profile, ready for seccomp(2). */
struct filter
{
  const struct oci_seccomp *profile;
  struct sock_filter *prog;
  size_t len;
  unsigned long flags;
};

/* What husk_seccomp_prepare() made on the host, inherited by the processes it
 * forks: they load it and compute nothing. */
static struct filter prepared;

static int
make_filter (const struct oci_seccomp *s, struct filter *f, struct husk_error **err)
{
  *f = (struct filter){ .profile = s };
  if (resolve_flags (s, profile_has_notify (s), &f->flags, err) < 0 || check_actions (s, err) < 0)
    return -1;
  return husk_seccomp_compile (s, &f->prog, &f->len, err);
}

/* Load the BPF with our flags.  *listener is the listener fd when flags has
 * NEW_LISTENER, else -1. */
static int
load_filter (struct sock_filter *bpf, size_t len, unsigned long flags, int *listener,
             struct husk_error **err)
{
  struct sock_fprog prog;
  long rc;

  prog.len = (unsigned short) len;
  prog.filter = bpf;
  husk_debug ("seccomp filter: %u instructions", prog.len);
  husk_debug ("seccomp filter flags: %lu", flags);
  rc = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (rc < 0 && errno == EACCES)
    return husk_error_set (err, errno,
                           "load the seccomp filter (without noNewPrivileges this needs CAP_SYS_ADMIN)");
  if (rc < 0)
    return husk_error_set (err, errno, "load the seccomp filter");
  *listener = (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) ? (int) rc : -1;
  return 0;
}

int
husk_seccomp_prepare (const struct oci_seccomp *s, struct husk_error **err)
{
  if (s == NULL || prepared.profile == s)
    return 0;
  free (prepared.prog);
  return make_filter (s, &prepared, err);
}

int
husk_seccomp_apply (const struct oci_seccomp *s, int sync_fd, struct husk_error **err)
{
  struct filter own = { 0 };
  const struct filter *f = &prepared;
  int listener = -1, ret;

  if (s == NULL)
    return 0;
  /* Without husk_seccomp_prepare() (or for another profile), compile here:
   * it is computation only, nothing is loaded or opened. */
  if (prepared.profile != s)
    {
      if (make_filter (s, &own, err) < 0)
        {
          free (own.prog);
          return -1;
        }
      f = &own;
    }
  /* With a listener, a notified syscall of ours (close, munmap...) after the
   * load would wait for an agent that does not have the listener yet: between
   * the load and the send there is only sendmsg, which a notify rule may not
   * name (and the free of a compiled-here program, after the send). */
  ret = load_filter (f->prog, f->len, f->flags, &listener, err);
  if (ret == 0 && listener >= 0)
    {
      /* sync 5a: the parent hands the listener to the agent.  No reply is
       * needed: a notified syscall of ours simply waits until the agent has
       * the fd. */
      ret = husk_sync_send_fd (sync_fd, HUSK_SYNC_SECCOMP_FD, listener, err);
      close (listener);
    }
  free (own.prog);
  return ret;
}

/* Copy valid JSON without the whitespace between tokens. */
static char *
compact_json (const char *json)
{
  char *out = xmalloc (strlen (json) + 1), *o = out;
  bool in_string = false;

  if (out == NULL)
    abort ();
  for (const char *c = json; *c; c++)
    {
      if (in_string)
        {
          if (*c == '\\' && c[1])
            *o++ = *c++;
          else if (*c == '"')
            in_string = false;
        }
      else if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r')
        continue;
      else if (*c == '"')
        in_string = true;
      *o++ = *c;
    }
  *o = '\0';
  return out;
}

/* runc's ContainerProcessState, on one line: agents written for runc read it with
 * a 4 KiB buffer.  The OCI state document is spliced in as the last member
 * ("state"): it is already JSON, made by husk_state_oci_json(). */
static char *
process_state_json (const struct oci_seccomp *s, pid_t pid, const char *state_json)
{
  cleanup_free char *state = compact_json (state_json), *json = NULL;
  struct json_gen *g = json_gen_new (NULL);
  char *out = NULL;
  size_t len;

  json_gen_map_open (g);
  json_gen_kv_str (g, "ociVersion", HUSK_SPEC_VERSION);
  json_gen_key (g, "fds");
  json_gen_array_open (g);
  json_gen_str (g, "seccompFd");
  json_gen_array_close (g);
  json_gen_kv_int (g, "pid", pid);
  json_gen_kv_str (g, "metadata", s->listener_metadata ? s->listener_metadata : "");
  json_gen_map_close (g);
  json = json_gen_finish (g, &len);
  /* json ends with the closing brace: reopen the object for "state". */
  if (len < 2 || xasprintf (&out, "%.*s,\"state\":%s}", (int) len - 1, json, state) < 0)
    abort ();
  return out;
}

int
husk_seccomp_send_listener (const struct oci_seccomp *s, int listener_fd, pid_t pid,
                            const char *state_json, struct husk_error **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int fd = -1;
  cleanup_free char *msg = NULL, *what = NULL;

  if (strlen (s->listener_path) >= sizeof addr.sun_path)
    return husk_error_set (err, ENAMETOOLONG, "seccomp listenerPath `%s`", s->listener_path);
  strcpy (addr.sun_path, s->listener_path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return husk_error_set (err, errno, "socket");
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return husk_error_set (err, errno, "failed to connect with seccomp agent at listenerPath `%s`",
                           s->listener_path);
  msg = process_state_json (s, pid, state_json);
  xasprintf (&what, "send the seccomp listener to `%s`", s->listener_path);
  return husk_send_fd (fd, listener_fd, msg, strlen (msg), what, err);
}
