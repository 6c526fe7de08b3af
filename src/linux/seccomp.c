/* linux.seccomp with libseccomp, the way runc applies it:
 *
 * - actions: SCMP_ACT_KILL is KILL_THREAD; ERRNO and TRACE without errnoRet
 *   return EPERM; a rule whose action equals the default is redundant and skipped;
 *   a syscall name libseccomp does not know is skipped with a debug line.
 * - args: all conditions of a rule must hold (AND), except when two of them test
 *   the same argument, where runc adds each condition as a rule of its own (OR).
 *   For SCMP_CMP_MASKED_EQ, value is the mask and valueTwo the expected result.
 * - newer syscalls get ENOSYS, not the default action (enosys_stub()).
 * - husk builds the BPF with libseccomp but loads it with seccomp(2) itself (as
 *   runc's patchbpf does), so every filter flag works where the kernel has it,
 *   whatever libseccomp's own flag attributes know.
 *
 * Support is checked before anything is loaded: an action needs the libseccomp
 * API level that generates it (seccomp_api_get(), which also reflects the kernel)
 * and the kernel's SECCOMP_GET_ACTION_AVAIL; a flag is probed the way libseccomp
 * does, with seccomp(SECCOMP_SET_MODE_FILTER, flag, NULL): EFAULT means the kernel
 * knows the flag, EINVAL that it does not. */
#define _GNU_SOURCE
#include "linux/seccomp.h"

#include <ctype.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "linux/libseccomp.h"
#include "linux/sync.h"
#include "oci/names.h"
#include "util/jsongen.h"
#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

#define MAX_ARCHS 24

/* The names are oci/names.h's; their values are the kernel's SECCOMP_RET_*,
 * which libseccomp's actions are, and libseccomp's operators. */
_Static_assert (SCMP_ACT_KILL_THREAD == SECCOMP_RET_KILL_THREAD
                    && SCMP_ACT_KILL_PROCESS == SECCOMP_RET_KILL_PROCESS
                    && SCMP_ACT_TRAP == SECCOMP_RET_TRAP && SCMP_ACT_ERRNO (0) == SECCOMP_RET_ERRNO
                    && SCMP_ACT_TRACE (0) == SECCOMP_RET_TRACE && SCMP_ACT_ALLOW == SECCOMP_RET_ALLOW
                    && SCMP_ACT_LOG == SECCOMP_RET_LOG && SCMP_ACT_NOTIFY == SECCOMP_RET_USER_NOTIF,
                "libseccomp's actions are the kernel's return values");
_Static_assert (SCMP_CMP_NE == 1 && SCMP_CMP_LT == 2 && SCMP_CMP_LE == 3 && SCMP_CMP_EQ == 4
                    && SCMP_CMP_GE == 5 && SCMP_CMP_GT == 6 && SCMP_CMP_MASKED_EQ == 7,
                "oci_seccomp_operators holds libseccomp's operators");

/* The libseccomp API level that generates an action. */
static unsigned
action_api (uint32_t ret)
{
  switch (ret)
    {
    case SECCOMP_RET_KILL_PROCESS:
    case SECCOMP_RET_LOG:
      return 3;
    case SECCOMP_RET_USER_NOTIF:
      return 5;
    default:
      return 1;
    }
}

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

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

/* `path` is the JSON path of the action below the profile (origin o), for messages. */
static int
resolve_action (const struct oci_origin *o, const char *path, const char *name, bool has_errno,
                unsigned errno_ret, uint32_t *out, struct husk_error **err)
{
  const struct scmp_version *v = seccomp_version ();

  for (const struct oci_name *a = oci_seccomp_actions; a->name; a++)
    {
      uint32_t ret = (uint32_t) a->value;
      if (strcmp (a->name, name) != 0)
        continue;
      if (seccomp_api_get () < action_api (ret))
        return oci_error (err, 0, o,
                          "%s: %s needs libseccomp API level %u, libseccomp "
                          "%u.%u.%u on this kernel has %u",
                          path, name, action_api (ret), v->major, v->minor, v->micro,
                          seccomp_api_get ());
      if (!kernel_has_action (ret))
        return oci_error (err, 0, o, "%s: %s is not supported by the kernel", path, name);
      *out = ret;
      if (ret == SECCOMP_RET_ERRNO || ret == SECCOMP_RET_TRACE)
        {
          /* The errno travels in the 16 data bits of the filter's return value. */
          if (has_errno && errno_ret > 0xffff)
            return oci_error (err, 0, o, "%s: errnoRet %u does not fit 16 bits", path,
                              errno_ret);
          *out |= has_errno ? errno_ret : EPERM;
        }
      else if (has_errno)
        husk_debug ("seccomp: %s: errnoRet is ignored for %s", path, name);
      return 0;
    }
  /* The parser accepts only the names of the table. */
  return oci_error (err, EINVAL, o, "%s: unknown seccomp action `%s`", path, name);
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token, or 0. */
static uint32_t
resolve_arch (const char *name)
{
  char lower[32];
  size_t i;

  if (strncmp (name, "SCMP_ARCH_", 10) != 0 || strlen (name + 10) >= sizeof lower)
    return 0;
  for (i = 0; name[10 + i]; i++)
    lower[i] = (char) tolower ((unsigned char) name[10 + i]);
  lower[i] = '\0';
  return seccomp_arch_resolve_name (lower);
}

bool
husk_seccomp_arch_usable (const char *name)
{
  uint32_t arch;
  scmp_filter_ctx ctx;
  int r;

  if (!husk_libseccomp_loaded ())
    return false;
  arch = resolve_arch (name);
  if (arch == 0 || (ctx = seccomp_init (SCMP_ACT_ALLOW)) == NULL)
    return false;
  r = seccomp_arch_add (ctx, arch);
  seccomp_release (ctx);
  return r == 0 || r == -EEXIST;
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

/* The conditions of one rule; *separate when two test the same argument. */
static int
resolve_args (const struct oci_origin *origin, const struct oci_seccomp_syscall *sc, size_t i,
              struct scmp_arg_cmp *cmps, bool *separate, struct husk_error **err)
{
  unsigned seen = 0;

  *separate = false;
  for (size_t k = 0; k < sc->args_len; k++)
    {
      const struct oci_seccomp_arg *a = &sc->args[k];
      const struct oci_name *o = oci_name_find (oci_seccomp_operators, a->op);

      if (a->index > 5)
        return oci_error (err, 0, origin,
                          "syscalls[%zu].args[%zu].index: %u is not an argument index (0 to 5)", i,
                          k, a->index);
      if (o == NULL)
        return oci_error (err, EINVAL, origin, "syscalls[%zu].args[%zu].op: unknown `%s`", i, k, a->op);
      cmps[k] = (struct scmp_arg_cmp){ .arg = a->index, .op = (enum scmp_compare) o->value,
                                       .datum_a = a->value, .datum_b = a->value_two };
      if (seen & (1U << a->index))
        *separate = true;
      seen |= 1U << a->index;
    }
  return 0;
}

/* `log_unknown`: say which names are skipped (once, not once per arch). */
static int
add_syscall_rules (scmp_filter_ctx ctx, const struct oci_seccomp *s, size_t i, uint32_t def,
                   bool log_unknown, struct husk_error **err)
{
  const struct oci_seccomp_syscall *sc = &s->syscalls[i];
  char path[64];
  uint32_t act;
  bool separate;
  cleanup_free struct scmp_arg_cmp *cmps = xcalloc (sc->args_len + 1, sizeof *cmps);
  snprintf (path, sizeof path, "syscalls[%zu].action", i);
  if (resolve_action (&s->origin, path, sc->action, sc->has_errno_ret, sc->errno_ret, &act, err) < 0
      || resolve_args (&s->origin, sc, i, cmps, &separate, err) < 0)
    return -1;
  if (act == def)
    return 0; /* redundant, and libseccomp refuses it */
  for (size_t j = 0; sc->names[j]; j++)
    {
      const char *name = sc->names[j];
      int nr = seccomp_syscall_resolve_name (name), rc = 0;

      if (nr == __NR_SCMP_ERROR)
        {
          if (log_unknown)
            husk_debug ("seccomp: unknown syscall `%s` ignored", name);
          continue;
        }
      /* The init passes the listener to the parent with sendmsg right after the
       * filter is loaded, and writes the exec fifo and its log before the agent
       * may be reachable: notifying either would wait for an agent that has no
       * fd yet (runc refuses `write` for the same reason, with this message). */
      if (act == SCMP_ACT_NOTIFY && (strcmp (name, "sendmsg") == 0 || strcmp (name, "write") == 0))
        return oci_error (err, 0, &s->origin,
                          "syscalls[%zu]: SCMP_ACT_NOTIFY cannot be used for the %s syscall", i,
                          name);
      if (sc->args_len == 0 || !separate)
        rc = seccomp_rule_add_array (ctx, act, nr, (unsigned) sc->args_len, cmps);
      else
        for (size_t k = 0; k < sc->args_len && rc == 0; k++)
          rc = seccomp_rule_add_array (ctx, act, nr, 1, &cmps[k]);
      if (rc < 0)
        return oci_error (err, -rc, &s->origin, "syscalls[%zu]: add a rule for `%s`", i, name);
    }
  return 0;
}

/* The highest number on `arch` of the syscalls the profile names, or -1. */
static int
highest_named (const struct oci_seccomp *s, uint32_t arch)
{
  int max = -1;

  for (size_t i = 0; i < s->syscalls_len; i++)
    for (char **n = s->syscalls[i].names; *n; n++)
      {
        int nr = seccomp_syscall_resolve_name_arch (arch, *n);
        if (nr > max)
          max = nr;
      }
  return max;
}

/* runc's -ENOSYS stub: a syscall newer than the profile must fail with ENOSYS,
 * not with the default errno, so that a new libc falls back to the old syscall
 * (clone3 -> clone, faccessat2 -> faccessat) instead of failing with EPERM, and
 * a number no table knows yet fails as the kernel would fail it.
 *
 * A few BPF instructions go before libseccomp's program, one block per arch of
 * the filter: if the syscall's arch is that one and its number is above the
 * highest one the profile names on it, return ENOSYS; else fall through to the
 * next block and finally to libseccomp's program, which loads what it tests
 * itself.  x32 shares x86_64's audit arch and sets bit 30 of the number, so the
 * x86_64 block tells them apart with that bit; libseccomp's x32 numbers carry
 * it.  Not for a permissive default (ALLOW, LOG, TRACE), nor when the default
 * already is ENOSYS, as runc. */
#define X32_SYSCALL_BIT 0x40000000U
#define STUB_LD(field) BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, field))
#define STUB_ENOSYS BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS)
#define STUB_PER_ARCH 9
#define NOT_NAMED 0xffffffffU /* no number is above it */

static uint32_t
stub_max (const struct oci_seccomp *s, uint32_t arch)
{
  int max = highest_named (s, arch);
  return max < 0 ? NOT_NAMED : (uint32_t) max;
}

/* Writes the stub for `archs` into out (STUB_PER_ARCH * n slots at least) and
 * returns its length. */
static size_t
enosys_stub (const struct oci_seccomp *s, uint32_t def, const uint32_t *archs, size_t n,
             struct sock_filter *out)
{
  bool has_x32 = false;
  size_t len = 0;

  if (def == SCMP_ACT_ALLOW || def == SCMP_ACT_LOG || (def & 0xffff0000U) == SCMP_ACT_TRACE (0)
      || def == SCMP_ACT_ERRNO (ENOSYS))
    return 0;
  for (size_t a = 0; a < n; a++)
    has_x32 |= archs[a] == SCMP_ARCH_X32;
  for (size_t a = 0; a < n; a++)
    {
      uint32_t max = stub_max (s, archs[a]);

      if (archs[a] == SCMP_ARCH_X32)
        continue; /* in the x86_64 block */
      if (archs[a] == SCMP_ARCH_X86_64)
        {
          uint32_t max32 = has_x32 ? stub_max (s, SCMP_ARCH_X32) : NOT_NAMED;
          struct sock_filter b[] = {
            STUB_LD (arch),
            BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 7),
            STUB_LD (nr),
            BPF_JUMP (BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, 3, 0),
            BPF_JUMP (BPF_JMP | BPF_JGT | BPF_K, max, 0, 1),
            STUB_ENOSYS,
            BPF_JUMP (BPF_JMP | BPF_JA | BPF_K, 2, 0, 0),
            BPF_JUMP (BPF_JMP | BPF_JGT | BPF_K, max32, 0, 1), /* x32 */
            STUB_ENOSYS,
          };
          memcpy (out + len, b, sizeof b);
          len += N_ELEMENTS (b);
        }
      else if (max != NOT_NAMED)
        {
          struct sock_filter b[] = {
            STUB_LD (arch),
            BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, archs[a], 0, 3),
            STUB_LD (nr),
            BPF_JUMP (BPF_JMP | BPF_JGT | BPF_K, max, 0, 1),
            STUB_ENOSYS,
          };
          memcpy (out + len, b, sizeof b);
          len += N_ELEMENTS (b);
        }
    }
  return len;
}

/* The filter's architectures: the native one first, then the configured ones. */
static int
resolve_architectures (const struct oci_seccomp *s, uint32_t *archs, size_t *n,
                       struct husk_error **err)
{
  const struct scmp_version *v = seccomp_version ();

  archs[0] = seccomp_arch_native ();
  *n = 1;
  for (size_t i = 0; s->architectures && s->architectures[i]; i++)
    {
      uint32_t a = resolve_arch (s->architectures[i]);
      bool dup = false;

      if (a == 0)
        return oci_error (err, 0, &s->origin,
                          "architectures[%zu]: %s is not known to libseccomp %u.%u.%u", i,
                          s->architectures[i], v->major, v->minor, v->micro);
      for (size_t j = 0; j < *n; j++)
        dup |= archs[j] == a;
      if (!dup && *n == MAX_ARCHS)
        return oci_error (err, E2BIG, &s->origin, "architectures: too many");
      if (!dup)
        archs[(*n)++] = a;
    }
  return 0;
}

/* The profile's rules and the ENOSYS rules, in a filter for `arch` alone. */
static scmp_filter_ctx
build_arch_filter (const struct oci_seccomp *s, uint32_t def, uint32_t arch,
                   struct husk_error **err)
{
  scmp_filter_ctx ctx = seccomp_init (def);
  int rc = 0;

  if (ctx == NULL)
    {
      husk_error_set (err, EINVAL, "seccomp: create the filter");
      return NULL;
    }
  if (arch != seccomp_arch_native ())
    {
      rc = seccomp_arch_add (ctx, arch);
      if (rc == 0)
        rc = seccomp_arch_remove (ctx, SCMP_ARCH_NATIVE);
    }
  if (rc < 0)
    {
      husk_error_set (err, -rc, "seccomp: add architecture 0x%x", arch);
      goto fail;
    }
  /* A binary tree for long profiles (Docker's has ~350 names), as runc; not
   * for short ones, which libseccomp <= 2.5.4 mishandles when empty. */
  if (s->syscalls_len > 32 && seccomp_attr_set (ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0)
    husk_debug ("seccomp: binary tree optimization not available");
  for (size_t i = 0; i < s->syscalls_len; i++)
    if (add_syscall_rules (ctx, s, i, def, arch == seccomp_arch_native (), err) < 0)
      goto fail;
  return ctx;
fail:
  seccomp_release (ctx);
  return NULL;
}

/* One filter per architecture, merged: libseccomp adds a rule to every arch of a
 * filter, and the ENOSYS rules differ per arch. */
static scmp_filter_ctx
build_filter (const struct oci_seccomp *s, uint32_t def, const uint32_t *archs, size_t n,
              struct husk_error **err)
{
  scmp_filter_ctx ctx;

  ctx = build_arch_filter (s, def, archs[0], err);
  for (size_t a = 1; ctx && a < n; a++)
    {
      scmp_filter_ctx more = build_arch_filter (s, def, archs[a], err);
      int rc = more ? seccomp_merge (ctx, more) : -1;

      if (rc < 0)
        {
          if (more)
            {
              husk_error_set (err, -rc, "seccomp: merge the filter of architecture 0x%x", archs[a]);
              seccomp_release (more);
            }
          seccomp_release (ctx);
          ctx = NULL;
        }
    }
  return ctx;
}

/* The BPF libseccomp generated, read back through a memfd (closed on return),
 * after the `stub_len` instructions of `stub`. */
static int
export_bpf (scmp_filter_ctx ctx, const struct sock_filter *stub, size_t stub_len, char **bpf,
            size_t *len, struct husk_error **err)
{
  cleanup_close int mfd = memfd_create ("husk-seccomp", MFD_CLOEXEC);
  size_t stub_bytes = stub_len * sizeof (struct sock_filter);
  long rc;

  if (mfd < 0)
    return husk_error_set (err, errno, "seccomp: memfd_create");
  /* A memfd takes a write of a few hundred bytes whole. */
  if (stub_bytes && write (mfd, stub, stub_bytes) != (ssize_t) stub_bytes)
    return husk_error_set (err, errno, "seccomp: write the ENOSYS stub");
  rc = seccomp_export_bpf (ctx, mfd);
  if (rc < 0)
    return husk_error_set (err, (int) -rc, "seccomp: export the filter");
  if (lseek (mfd, 0, SEEK_SET) < 0)
    return husk_error_set (err, errno, "seccomp: rewind the filter");
  if (husk_read_fd (mfd, bpf, len, err) < 0)
    return husk_error_wrap (err, "seccomp: read the filter");
  if (*len <= stub_bytes || *len % sizeof (struct sock_filter) != 0)
    return husk_error_set (err, EPROTO, "seccomp: libseccomp exported %zu bytes of BPF",
                           *len - stub_bytes);
  if (*len / sizeof (struct sock_filter) > BPF_MAXINSNS)
    return husk_error_set (err, E2BIG,
                           "seccomp: the filter has %zu instructions, the kernel takes at most %d",
                           *len / sizeof (struct sock_filter), BPF_MAXINSNS);
  return 0;
}

/* Load the BPF with our flags.  *listener is the listener fd when flags has
 * NEW_LISTENER, else -1. */
static int
load_filter (char *bpf, size_t len, unsigned long flags, int *listener, struct husk_error **err)
{
  struct sock_fprog prog;
  long rc;

  prog.len = (unsigned short) (len / sizeof (struct sock_filter));
  prog.filter = (struct sock_filter *) bpf;
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
  if (s == NULL || husk_libseccomp_load (err) == 0)
    return 0;
  return husk_error_wrap (err, "%s: %s asks for a seccomp filter",
                          s->origin.document ? s->origin.document : "config.json",
                          s->origin.path ? s->origin.path : "linux.seccomp");
}

int
husk_seccomp_apply (const struct oci_seccomp *s, int sync_fd, struct husk_error **err)
{
  struct sock_filter stub[STUB_PER_ARCH * MAX_ARCHS];
  uint32_t def, archs[MAX_ARCHS];
  cleanup_free char *bpf = NULL;
  scmp_filter_ctx ctx;
  unsigned long flags = 0;
  size_t len = 0, n;
  bool notify;
  int listener = -1, ret;

  if (s == NULL)
    return 0;
  /* We are in the container: loading the library here would load the
   * container's (libseccomp.h).  husk_seccomp_prepare() ran on the host. */
  if (!husk_libseccomp_loaded ())
    return husk_error_set (err, EINVAL,
                           "internal error: seccomp: " HUSK_LIBSECCOMP_SONAME
                           " was not loaded before the container was entered");
  notify = profile_has_notify (s);
  if (resolve_flags (s, notify, &flags, err) < 0)
    return -1;
  if (resolve_action (&s->origin, "defaultAction", s->default_action, s->has_default_errno_ret,
                      s->default_errno_ret, &def, err)
          < 0
      || resolve_architectures (s, archs, &n, err) < 0)
    return -1;
  ctx = build_filter (s, def, archs, n, err);
  if (ctx == NULL)
    return -1;
  ret = export_bpf (ctx, stub, enosys_stub (s, def, archs, n, stub), &bpf, &len, err);
  seccomp_release (ctx);
  if (ret < 0)
    return -1;
  /* Every fd and object of the export is gone before the filter goes in: with a
   * listener, a notified syscall of ours (close, munmap...) would wait for an
   * agent that does not have the listener yet.  Between the load and the send
   * there is only sendmsg, which a notify rule may not name. */
  ret = load_filter (bpf, len, flags, &listener, err);
  if (ret < 0 || listener < 0)
    return ret;
  /* sync 5a: the parent hands the listener to the agent.  No reply is needed: a
   * notified syscall of ours simply waits until the agent has the fd. */
  ret = husk_sync_send_fd (sync_fd, HUSK_SYNC_SECCOMP_FD, listener, err);
  close (listener);
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
