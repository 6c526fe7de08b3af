/* husk's seccomp BPF compiler (linux/bpf-seccomp.h) against libseccomp, the
 * oracle: the same profiles are compiled by both -- libseccomp driven the way
 * husk drove it until it had its own compiler (one filter per arch, merged,
 * runc's ENOSYS stub in front) -- and both programs run in a small seccomp BPF
 * interpreter on every syscall number of x86_64, x86 and x32, numbers out of
 * range and foreign architectures, with edge-case and random arguments.
 * Every result (SECCOMP_RET_*) must be the same.
 *
 * Profiles: Docker's default (tests/seccomp/docker-default.json), runc's test
 * patterns, and random ones.  Random profiles keep one action per syscall for
 * the rules with arguments: where conditional rules of different actions
 * overlap, libseccomp refuses the profile or orders the rules by its own
 * tree, and husk tries them in the profile's order (bpf-seccomp.h). */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "linux/bpf-seccomp.h"
#include "oci/config.h"
#include "oci/names.h"
#include "util/error.h"

#include "tap.h"

/* ---- the interpreter ---- */

#define BAD_PROGRAM 0xdeadbeefU

static uint32_t
run_bpf (const struct sock_filter *p, size_t len, const struct seccomp_data *d)
{
  uint32_t a = 0;
  const unsigned char *data = (const unsigned char *) d;

  for (size_t pc = 0; pc < len; pc++)
    {
      const struct sock_filter *i = &p[pc];
      bool taken;

      switch (i->code)
        {
        case BPF_LD | BPF_W | BPF_ABS:
          if (i->k > sizeof *d - 4 || i->k % 4)
            return BAD_PROGRAM;
          memcpy (&a, data + i->k, 4);
          continue;
        case BPF_ALU | BPF_AND | BPF_K:
          a &= i->k;
          continue;
        case BPF_RET | BPF_K:
          return i->k;
        case BPF_JMP | BPF_JA:
          pc += i->k;
          continue;
        case BPF_JMP | BPF_JEQ | BPF_K:
          taken = a == i->k;
          break;
        case BPF_JMP | BPF_JGT | BPF_K:
          taken = a > i->k;
          break;
        case BPF_JMP | BPF_JGE | BPF_K:
          taken = a >= i->k;
          break;
        case BPF_JMP | BPF_JSET | BPF_K:
          taken = (a & i->k) != 0;
          break;
        default:
          return BAD_PROGRAM;
        }
      pc += taken ? i->jt : i->jf;
    }
  return BAD_PROGRAM; /* fell off the end */
}

/* ---- the oracle: husk's former libseccomp code ---- */

#define MAX_ARCHS 8
#define X32_SYSCALL_BIT 0x40000000U

static uint32_t
oracle_arch (const char *name)
{
  char lower[32];
  size_t i;

  for (i = 0; name[10 + i] && i < sizeof lower - 1; i++)
    lower[i] = (char) tolower ((unsigned char) name[10 + i]);
  lower[i] = '\0';
  return seccomp_arch_resolve_name (lower);
}

static int
oracle_rules (scmp_filter_ctx ctx, const struct oci_seccomp *s, uint32_t def)
{
  for (size_t i = 0; i < s->syscalls_len; i++)
    {
      const struct oci_seccomp_syscall *sc = &s->syscalls[i];
      struct scmp_arg_cmp cmps[6];
      unsigned seen = 0;
      bool separate = false;
      uint32_t act;

      if (husk_seccomp_action (&s->origin, "x", sc->action, sc->has_errno_ret, sc->errno_ret,
                               &act, NULL)
          < 0)
        return -1;
      for (size_t k = 0; k < sc->args_len; k++)
        {
          const struct oci_seccomp_arg *a = &sc->args[k];
          cmps[k] = (struct scmp_arg_cmp){
            .arg = a->index,
            .op = (enum scmp_compare) oci_name_find (oci_seccomp_operators, a->op)->value,
            .datum_a = a->value,
            .datum_b = a->value_two,
          };
          separate |= (seen & (1U << a->index)) != 0;
          seen |= 1U << a->index;
        }
      if (act == def)
        continue;
      for (char **n = sc->names; *n; n++)
        {
          int nr = seccomp_syscall_resolve_name (*n), rc = 0;
          if (nr == __NR_SCMP_ERROR)
            continue;
          if (sc->args_len == 0 || !separate)
            rc = seccomp_rule_add_array (ctx, act, nr, (unsigned) sc->args_len, cmps);
          else
            for (size_t k = 0; k < sc->args_len && rc == 0; k++)
              rc = seccomp_rule_add_array (ctx, act, nr, 1, &cmps[k]);
          if (rc < 0)
            return rc;
        }
    }
  return 0;
}

static uint32_t
oracle_max (const struct oci_seccomp *s, uint32_t arch)
{
  int max = -1;
  for (size_t i = 0; i < s->syscalls_len; i++)
    for (char **n = s->syscalls[i].names; *n; n++)
      {
        int nr = seccomp_syscall_resolve_name_arch (arch, *n);
        if (nr > max)
          max = nr;
      }
  return max < 0 ? 0xffffffffU : (uint32_t) max;
}

#define LD(f) BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, f))
#define ENOSYS_RET BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS)

static size_t
oracle_stub (const struct oci_seccomp *s, uint32_t def, const uint32_t *archs, size_t n,
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
      uint32_t max = oracle_max (s, archs[a]);
      if (archs[a] == SCMP_ARCH_X32)
        continue;
      if (archs[a] == SCMP_ARCH_X86_64)
        {
          uint32_t max32 = has_x32 ? oracle_max (s, SCMP_ARCH_X32) : 0xffffffffU;
          struct sock_filter b[] = {
            LD (arch),
            BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 7),
            LD (nr),
            BPF_JUMP (BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, 3, 0),
            BPF_JUMP (BPF_JMP | BPF_JGT | BPF_K, max, 0, 1),
            ENOSYS_RET,
            BPF_JUMP (BPF_JMP | BPF_JA | BPF_K, 2, 0, 0),
            BPF_JUMP (BPF_JMP | BPF_JGT | BPF_K, max32, 0, 1),
            ENOSYS_RET,
          };
          memcpy (out + len, b, sizeof b);
          len += sizeof b / sizeof b[0];
        }
      else if (max != 0xffffffffU)
        {
          struct sock_filter b[] = {
            LD (arch),
            BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, seccomp_arch_resolve_name ("x86") == archs[a]
                                                     ? AUDIT_ARCH_I386
                                                     : AUDIT_ARCH_AARCH64,
                      0, 3),
            LD (nr),
            BPF_JUMP (BPF_JMP | BPF_JGT | BPF_K, max, 0, 1),
            ENOSYS_RET,
          };
          memcpy (out + len, b, sizeof b);
          len += sizeof b / sizeof b[0];
        }
    }
  return len;
}

/* The oracle's program, or NULL when libseccomp refuses the profile. */
static struct sock_filter *
oracle_compile (const struct oci_seccomp *s, size_t *len)
{
  uint32_t def, archs[MAX_ARCHS];
  size_t n = 1, stub_len;
  scmp_filter_ctx ctx = NULL;
  struct sock_filter *prog;
  int fd, rc = 0;
  off_t size;

  if (husk_seccomp_action (&s->origin, "x", s->default_action, s->has_default_errno_ret,
                           s->default_errno_ret, &def, NULL)
      < 0)
    return NULL;
  archs[0] = seccomp_arch_native ();
  for (size_t i = 0; s->architectures && s->architectures[i]; i++)
    {
      uint32_t a = oracle_arch (s->architectures[i]);
      bool dup = false;
      for (size_t j = 0; j < n; j++)
        dup |= archs[j] == a;
      if (!dup)
        archs[n++] = a;
    }
  for (size_t a = 0; a < n && rc == 0; a++)
    {
      scmp_filter_ctx one = seccomp_init (def);
      if (archs[a] != seccomp_arch_native ())
        {
          seccomp_arch_add (one, archs[a]);
          seccomp_arch_remove (one, SCMP_ARCH_NATIVE);
        }
      if (s->syscalls_len > 32)
        seccomp_attr_set (one, SCMP_FLTATR_CTL_OPTIMIZE, 2);
      rc = oracle_rules (one, s, def);
      if (rc == 0 && ctx)
        rc = seccomp_merge (ctx, one);
      else if (rc == 0)
        ctx = one;
      if (rc < 0)
        {
          if (getenv ("VERBOSE"))
            printf ("# libseccomp: arch 0x%x: %s\n", archs[a], strerror (-rc));
          seccomp_release (one);
        }
    }
  fd = memfd_create ("oracle", 0);
  if (rc == 0)
    rc = seccomp_export_bpf (ctx, fd);
  if (ctx)
    seccomp_release (ctx);
  size = lseek (fd, 0, SEEK_END);
  if (rc < 0 || size <= 0)
    {
      close (fd);
      return NULL;
    }
  prog = calloc ((size_t) size / 8 + 9 * MAX_ARCHS, sizeof *prog);
  stub_len = oracle_stub (s, def, archs, n, prog);
  if (pread (fd, prog + stub_len, (size_t) size, 0) != size)
    abort ();
  close (fd);
  *len = stub_len + (size_t) size / 8;
  return prog;
}

/* ---- profiles ---- */

struct buf
{
  char *s;
  size_t len, cap;
};

static void __attribute__ ((format (printf, 2, 3)))
add (struct buf *b, const char *fmt, ...)
{
  va_list ap;
  int n;

  for (;;)
    {
      va_start (ap, fmt);
      n = vsnprintf (b->s + b->len, b->cap - b->len, fmt, ap);
      va_end (ap);
      if ((size_t) n < b->cap - b->len)
        break;
      b->cap = 2 * b->cap + (size_t) n + 64;
      b->s = realloc (b->s, b->cap);
    }
  b->len += (size_t) n;
}

static struct oci_config *
parse_profile (const char *seccomp_json)
{
  struct buf b = { 0 };
  struct husk_error *e = NULL;
  struct oci_config *c;

  add (&b, "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"linux\": {\"seccomp\": %s}}", seccomp_json);
  c = oci_config_parse (b.s, b.len, &e);
  if (c == NULL)
    {
      char *t = husk_error_text (e);
      printf ("# parse: %s\n%s\n", t, seccomp_json);
      free (t);
      husk_error_release (&e);
    }
  free (b.s);
  return c;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd (void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static const uint64_t edges[] = {
  0, 1, 2, 3, 7, 8, 16, 0x7f, 0xff, 0x100, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
  0x100000000ULL, 0x100000001ULL, 0xffffffff00000000ULL, 0x7fffffffffffffffULL,
  0x8000000000000000ULL, 0xfffffffffffffffeULL, 0xffffffffffffffffULL,
};
#define N_EDGES (sizeof edges / sizeof edges[0])

static uint64_t
rnd_value (void)
{
  switch (rnd () % 4)
    {
    case 0:
      return edges[rnd () % N_EDGES];
    case 1:
      return rnd () % 64;
    case 2:
      return (uint32_t) rnd ();
    default:
      return rnd ();
    }
}

static const char *const ops[] = { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
                                   "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ" };
static const char *const actions[] = { "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
                                       "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE",
                                       "SCMP_ACT_LOG", "SCMP_ACT_KILL_THREAD" };
#define N_ACTIONS (sizeof actions / sizeof actions[0])

/* The names both sides number alike on x86_64, x86 and x32. */
static const char *names[600];
static size_t n_names;

static void
pick_names (size_t *excluded)
{
  static const char *const archs[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32" };
  const char *all[600];
  size_t n_all = 0;

  while (n_all < 600 && (all[n_all] = husk_seccomp_syscall_name (n_all)))
    n_all++;
  *excluded = 0;
  for (size_t i = 0; i < n_all; i++)
    {
      bool same = true, known;
      for (size_t a = 0; a < 3; a++)
        {
          int mine = husk_seccomp_syscall_nr (archs[a], all[i], &known);
          int theirs = seccomp_syscall_resolve_name_arch (oracle_arch (archs[a]), all[i]);
          if (theirs < 0 && a == 1 && mine >= 0)
            continue; /* x86's multiplexed calls: libseccomp's pseudo numbers */
          same &= mine == (theirs < 0 ? -1 : theirs);
        }
      if (same && strcmp (all[i], "socketcall") != 0 && strcmp (all[i], "ipc") != 0)
        names[n_names++] = all[i];
      else
        ++*excluded;
    }
}

static void
rnd_rule (struct buf *b, const char *name, const char *action, bool with_args)
{
  add (b, "{\"names\": [\"%s\"], \"action\": \"%s\"", name, action);
  if (rnd () % 3 == 0)
    add (b, ", \"errnoRet\": %u", (unsigned) (rnd () % 200));
  if (with_args)
    {
      unsigned n = 1 + (unsigned) (rnd () % 3);
      add (b, ", \"args\": [");
      for (unsigned k = 0; k < n; k++)
        add (b, "%s{\"index\": %u, \"value\": %llu, \"valueTwo\": %llu, \"op\": \"%s\"}",
             k ? ", " : "", (unsigned) (rnd () % 6), (unsigned long long) rnd_value (),
             (unsigned long long) rnd_value (), ops[rnd () % 7]);
      add (b, "]");
    }
  add (b, "}");
}

static char *
rnd_profile (void)
{
  struct buf b = { 0 };
  size_t n = 1 + rnd () % 40;
  static const char *const archs[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
                                       "SCMP_ARCH_AARCH64" };
  const char *def = actions[rnd () % N_ACTIONS];

  add (&b, "{\"defaultAction\": \"%s\"", def);
  if (rnd () % 2)
    add (&b, ", \"defaultErrnoRet\": %u", (unsigned) (rnd () % 100));
  add (&b, ", \"architectures\": [");
  for (size_t i = 0, first = 1; i < 4; i++)
    if (rnd () % 2)
      add (&b, "%s\"%s\"", first ? "" : ", ", archs[i]), first = 0;
  add (&b, "], \"syscalls\": [");
  for (size_t i = 0; i < n; i++)
    {
      const char *name = names[rnd () % n_names];
      /* One action for the rules with arguments of a name (see the top). */
      const char *cond_action = actions[(name[0] + name[1] + strlen (name)) % N_ACTIONS];
      bool args = rnd () % 3 != 0;
      rnd_rule (&b, name, args ? cond_action : actions[rnd () % N_ACTIONS], args);
      add (&b, "%s", i + 1 < n ? ", " : "");
    }
  add (&b, "]}");
  return b.s;
}

/* ---- the reference: the profile's meaning, evaluated directly ---- */

static const char *const socketcall_names[] = { "socket", "bind", "connect", "listen", "accept",
  "getsockname", "getpeername", "socketpair", "send", "recv", "sendto", "recvfrom", "shutdown",
  "setsockopt", "getsockopt", "sendmsg", "recvmsg", "accept4", "recvmmsg", "sendmmsg", NULL };
static const char *const ipc_names[] = { "semop", "semget", "semctl", "semtimedop", "", "", "", "",
  "", "", "msgsnd", "msgrcv", "msgget", "msgctl", "", "", "", "", "", "", "shmat", "shmdt",
  "shmget", "shmctl", NULL };

/* 1 + the call number of name in t, or 0. */
static uint64_t
mux_call (const char *const *t, const char *name)
{
  for (size_t i = 0; t[i]; i++)
    if (strcmp (t[i], name) == 0)
      return i + 1;
  return 0;
}

static bool
holds (const struct oci_seccomp_arg *a, const uint64_t *args, bool args64)
{
  uint64_t x = args[a->index], v = a->value;
  int op = (int) oci_name_find (oci_seccomp_operators, a->op)->value;

  if (!args64)
    x = (uint32_t) x, v = (uint32_t) v;
  switch (op)
    {
    case 1: return x != v;
    case 2: return x < v;
    case 3: return x <= v;
    case 4: return x == v;
    case 5: return x >= v;
    case 6: return x > v;
    default: return (x & v) == (a->value_two & v);
    }
}

/* Whether the rule (conditions conds of sc, or the one condition `only`)
 * matches, with argument 0 replaced by `call` when call != 0. */
static bool
rule_holds (const struct oci_seccomp_syscall *sc, const struct oci_seccomp_arg *only, uint64_t call,
            const uint64_t *args, bool args64)
{
  size_t n = only ? 1 : sc->args_len;
  const struct oci_seccomp_arg *v = only ? only : sc->args;

  if (call && (uint32_t) args[0] != call)
    return false;
  for (size_t k = 0; k < n; k++)
    if (!(call && v[k].index == 0) && !holds (&v[k], args, args64))
      return false;
  return true;
}

static bool
tautology (const struct oci_seccomp_arg *a, bool args64)
{
  return strcmp (a->op, "SCMP_CMP_MASKED_EQ") == 0 && (args64 ? a->value : (uint32_t) a->value) == 0;
}

/* Whether a rule has no condition left on this ABI (or arg 0 replaced). */
static bool
rule_free (const struct oci_seccomp_syscall *sc, const struct oci_seccomp_arg *only, uint64_t call,
           bool args64)
{
  size_t n = only ? 1 : sc->args_len;
  const struct oci_seccomp_arg *v = only ? only : sc->args;

  if (call)
    return false;
  for (size_t k = 0; k < n; k++)
    if (!tautology (&v[k], args64))
      return false;
  return true;
}

static uint32_t
reference (const struct oci_seccomp *s, uint32_t audit, uint32_t nr, const uint64_t *args)
{
  const char *arch = NULL;
  bool has[3] = { true, false, false }, args64, found = false, stub;
  static const char *const fam[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32" };
  uint32_t def, uncond = 0, cond = 0;
  bool has_uncond = false, has_cond = false;

  husk_seccomp_action (&s->origin, "x", s->default_action, s->has_default_errno_ret,
                       s->default_errno_ret, &def, NULL);
  for (size_t i = 0; s->architectures && s->architectures[i]; i++)
    for (int a = 0; a < 3; a++)
      has[a] |= strcmp (s->architectures[i], fam[a]) == 0;
  /* the ENOSYS stub */
  stub = !(def == SECCOMP_RET_ALLOW || def == SECCOMP_RET_LOG
           || (def & 0xffff0000U) == SECCOMP_RET_TRACE || def == (SECCOMP_RET_ERRNO | ENOSYS));
  if (stub)
    {
      uint32_t max[3];
      for (int a = 0; a < 3; a++)
        {
          int m = -1;
          for (size_t i = 0; i < s->syscalls_len; i++)
            for (char **n = s->syscalls[i].names; *n; n++)
              {
                bool known;
                int x = husk_seccomp_syscall_nr (fam[a], *n, &known);
                if (a == 1 && (mux_call (socketcall_names, *n) || mux_call (ipc_names, *n)))
                  continue;
                if (x > m)
                  m = x;
              }
          max[a] = m < 0 ? 0xffffffffU : (uint32_t) m;
        }
      if (audit == AUDIT_ARCH_X86_64)
        {
          if ((nr & X32_SYSCALL_BIT) ? has[2] && nr > max[2] : nr > max[0])
            return SECCOMP_RET_ERRNO | ENOSYS;
        }
      else if (audit == AUDIT_ARCH_I386 && has[1] && nr > max[1])
        return SECCOMP_RET_ERRNO | ENOSYS;
    }
  if (audit == AUDIT_ARCH_X86_64)
    {
      if (nr >= X32_SYSCALL_BIT)
        {
          if (has[2])
            arch = fam[2];
          else if (nr != 0xffffffffU)
            return SECCOMP_RET_KILL_THREAD;
          else
            return def;
        }
      else
        arch = fam[0];
    }
  else if (audit == AUDIT_ARCH_I386 && has[1])
    arch = fam[1];
  else
    return SECCOMP_RET_KILL_THREAD;
  args64 = arch == fam[0];
  for (size_t i = 0; i < s->syscalls_len; i++)
    {
      const struct oci_seccomp_syscall *sc = &s->syscalls[i];
      unsigned seen = 0;
      bool separate = false;
      uint32_t act;

      husk_seccomp_action (&s->origin, "x", sc->action, sc->has_errno_ret, sc->errno_ret, &act, NULL);
      if (act == def)
        continue;
      for (size_t k = 0; k < sc->args_len; k++)
        {
          separate |= (seen & (1U << sc->args[k].index)) != 0;
          seen |= 1U << sc->args[k].index;
        }
      for (char **n = sc->names; *n; n++)
        {
          bool known;
          int x = husk_seccomp_syscall_nr (arch, *n, &known);
          uint64_t call = 0;

          if (arch == fam[1] && nr == 102 && mux_call (socketcall_names, *n))
            call = mux_call (socketcall_names, *n);
          else if (arch == fam[1] && nr == 117 && mux_call (ipc_names, *n))
            call = mux_call (ipc_names, *n);
          else if (x < 0 || (uint32_t) x != nr)
            continue;
          found = true;
          for (size_t k = 0; k < (separate ? sc->args_len : 1); k++)
            {
              const struct oci_seccomp_arg *only = separate ? &sc->args[k] : NULL;
              if (rule_free (sc, only, call, args64))
                {
                  if (!has_uncond)
                    uncond = act;
                  has_uncond = true;
                }
              else if (!has_cond && rule_holds (sc, only, call, args, args64))
                {
                  cond = act;
                  has_cond = true;
                }
            }
        }
    }
  (void) found;
  return has_uncond ? uncond : has_cond ? cond : def;
}

/* ---- comparing ---- */

static unsigned long long n_cases, n_diff, n_lib_off;

static void
args_for (const struct oci_seccomp *s, uint64_t (*out)[6], size_t *n)
{
  size_t k = 0;
  out[k][0] = out[k][1] = out[k][2] = out[k][3] = out[k][4] = out[k][5] = 0;
  k++;
  for (size_t i = 0; i < s->syscalls_len && k < 60; i++)
    for (size_t j = 0; j < s->syscalls[i].args_len && k < 60; j++)
      {
        const struct oci_seccomp_arg *a = &s->syscalls[i].args[j];
        uint64_t v[] = { a->value, a->value + 1, a->value - 1, a->value_two & a->value,
                         (a->value_two & a->value) | ~a->value, a->value_two };
        for (size_t x = 0; x < sizeof v / sizeof v[0] && k < 60; x++, k++)
          for (unsigned m = 0; m < 6; m++)
            out[k][m] = m == a->index ? v[x] : (rnd () % 4 ? edges[rnd () % N_EDGES] : rnd ());
      }
  for (; k < 64; k++)
    for (unsigned m = 0; m < 6; m++)
      out[k][m] = rnd () % 2 ? edges[rnd () % N_EDGES] : rnd ();
  *n = k;
}

/* Every syscall number of every architecture through both programs. */
static bool
compare (const char *what, const struct oci_seccomp *s, size_t *mine_len)
{
  struct sock_filter *mine = NULL, *theirs;
  struct husk_error *e = NULL;
  size_t len = 0, theirs_len = 0, nargs;
  uint64_t args[64][6];
  static const uint32_t arches[] = { AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64,
                                     AUDIT_ARCH_PPC64LE };
  bool foreign_listed = false, ok = true;
  unsigned long long before = n_diff;

  theirs = oracle_compile (s, &theirs_len);
  if (theirs == NULL)
    {
      if (getenv ("VERBOSE"))
        printf ("# %s: libseccomp refused the profile\n", what);
      return false;
    }
  if (husk_seccomp_compile (s, &mine, &len, &e) < 0)
    {
      char *t = husk_error_text (e);
      printf ("# %s: husk refused: %s\n", what, t);
      free (t);
      husk_error_release (&e);
      free (theirs);
      n_diff++;
      return true;
    }
  *mine_len = len;
  for (size_t i = 0; s->architectures && s->architectures[i]; i++)
    foreign_listed |= strcmp (s->architectures[i], "SCMP_ARCH_AARCH64") == 0;
  args_for (s, args, &nargs);
  /* Every argument vector for the numbers the profile names, a few for the
   * others (which no rule tests). */
  static bool named[2][1 << 16];
  memset (named, 0, sizeof named);
  named[1][102] = named[1][117] = true;
  for (size_t i = 0; i < s->syscalls_len; i++)
    for (char **nm = s->syscalls[i].names; *nm; nm++)
      {
        bool known;
        int x64 = husk_seccomp_syscall_nr ("SCMP_ARCH_X86_64", *nm, &known);
        int x86 = husk_seccomp_syscall_nr ("SCMP_ARCH_X86", *nm, &known);
        int x32 = husk_seccomp_syscall_nr ("SCMP_ARCH_X32", *nm, &known);
        if (x64 >= 0)
          named[0][x64] = true;
        if (x32 >= 0)
          named[0][550 + (x32 & 0xffff)] = true;
        if (x86 >= 0)
          named[1][x86] = true;
      }
  for (size_t a = 0; a < sizeof arches / sizeof arches[0]; a++)
    for (uint32_t nr = 0; nr < 1100; nr++)
      {
        struct seccomp_data d = { .arch = arches[a] };
        uint32_t x32 = a == 0 && nr >= 550 ? X32_SYSCALL_BIT : 0;
        uint32_t num = x32 | (x32 ? nr - 550 : nr);

        if (arches[a] == AUDIT_ARCH_AARCH64 && foreign_listed)
          break; /* libseccomp filters it, husk leaves it out: never on this kernel */
        if (nr >= 1090)
          num = (uint32_t[]){ 0xffffffffU, 0x3fffffffU, 0x7fffffffU, 0x80000000U, 0x40000000U - 1,
                              X32_SYSCALL_BIT | 0xfffff, 0xfffffffeU, 0x12345678U, 1000,
                              0x40001000U }[nr - 1090];
        d.nr = (int) num;
        for (size_t k = 0; k < (a < 2 && nr < 1090 && named[a][nr] ? nargs : 4); k++)
          {
            uint32_t r1, r2, r3;
            memcpy (d.args, args[k], sizeof d.args);
            r1 = run_bpf (mine, len, &d);
            r2 = run_bpf (theirs, theirs_len, &d);
            r3 = reference (s, d.arch, num, (const uint64_t *) d.args);
            n_cases++;
            /* Where libseccomp's program contradicts the profile (see
             * libseccomp_off below), husk must still say what the profile
             * says. */
            if (r1 == r3 && r2 != r3 && r1 != BAD_PROGRAM)
              {
                if (n_lib_off++ < 3)
                  printf ("# %s: libseccomp off the profile: arch 0x%x nr 0x%x args %llx %llx %llx "
                          "%llx %llx %llx: libseccomp 0x%x, husk and the profile 0x%x\n",
                          what, arches[a], num, (unsigned long long) d.args[0],
                          (unsigned long long) d.args[1], (unsigned long long) d.args[2],
                          (unsigned long long) d.args[3], (unsigned long long) d.args[4],
                          (unsigned long long) d.args[5], r2, r1);
                continue;
              }
            if (r1 != r2 || r1 != r3 || r1 == BAD_PROGRAM)
              {
                if (n_diff++ - before < 3)
                  printf ("# %s: arch 0x%x nr 0x%x args %llx %llx %llx %llx %llx %llx: husk 0x%x, "
                          "libseccomp 0x%x, the profile 0x%x\n",
                          what, arches[a], num, (unsigned long long) d.args[0],
                          (unsigned long long) d.args[1], (unsigned long long) d.args[2],
                          (unsigned long long) d.args[3], (unsigned long long) d.args[4],
                          (unsigned long long) d.args[5], r1, r2, r3);
                ok = false;
              }
          }
      }
  (void) ok;
  free (mine);
  free (theirs);
  return true;
}

static char *
read_file (const char *path)
{
  FILE *f = fopen (path, "r");
  struct buf b = { 0 };
  char chunk[4096];
  size_t n;

  if (f == NULL)
    return NULL;
  while ((n = fread (chunk, 1, sizeof chunk, f)) > 0)
    add (&b, "%.*s", (int) n, chunk);
  fclose (f);
  return b.s;
}

static void
check_profile (const char *what, const char *json, bool must_compare)
{
  struct oci_config *c = parse_profile (json);
  unsigned long long d0 = n_diff, c0 = n_cases;
  size_t len = 0;
  bool compared = c && compare (what, c->linux_->seccomp, &len);

  if (must_compare)
    result (compared && n_diff == d0, "%s: %llu cases, husk's program %zu instructions", what,
            n_cases - c0, len);
  oci_config_free (c);
}

int
main (int argc, char **argv)
{
  size_t excluded, refused = 0, compared = 0, n_random = argc > 1 ? strtoul (argv[1], NULL, 0) : 150;
  unsigned long long d0;
  char *docker = read_file ("tests/seccomp/docker-default.json");

  pick_names (&excluded);
  printf ("# %zu syscall names compared, %zu left out (numbered differently by libseccomp %u.%u.%u,"
          " or the x86 multiplexers)\n",
          n_names, excluded, seccomp_version ()->major, seccomp_version ()->minor,
          seccomp_version ()->micro);
  /* A wrong column (a lost x32 bit, a shifted name offset) would leave most
   * names out of every comparison below, and so unseen: only the few that
   * libseccomp numbers otherwise (newer than it, the multiplexers) may be. */
  result (n_names > 400 && excluded < 30,
          "husk's syscall table agrees with libseccomp's on all but the newest names");
  result (docker != NULL, "tests/seccomp/docker-default.json (run from the repository)");
  if (docker)
    {
      check_profile ("Docker's default profile", docker, true);
      /* The same with a few more architectures listed, and with KILL. */
      char *p = strstr (docker, "\"SCMP_ARCH_X86_64\"");
      if (p)
        {
          struct buf b = { 0 };
          add (&b, "%.*s\"SCMP_ARCH_AARCH64\", %s", (int) (p - docker), docker, p);
          check_profile ("Docker's default profile + AARCH64", b.s, true);
          free (b.s);
        }
    }
  /* runc's test patterns (tests/integration/seccomp.bats and its testdata). */
  check_profile ("runc: personality NE / EQ twice", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", "
                 "\"syscalls\": [{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", "
                 "\"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"}, "
                 "{\"index\": 0, \"value\": 16, \"op\": \"SCMP_CMP_EQ\"}]}, "
                 "{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 122}]}",
                 true);
  check_profile ("runc: clone MASKED_EQ, default ERRNO, x86 + x32",
                 "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86\", "
                 "\"SCMP_ARCH_X32\"], \"syscalls\": [{\"names\": [\"read\", \"write\", \"exit_group\", "
                 "\"socket\", \"recvmsg\", \"semop\", \"shmget\"], \"action\": \"SCMP_ACT_ALLOW\"}, "
                 "{\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, "
                 "\"value\": 2114060288, \"valueTwo\": 0, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}, "
                 "{\"names\": [\"socketpair\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 97, \"args\": "
                 "[{\"index\": 0, \"value\": 40, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                 true);
  check_profile ("runc: seccomp_syscall_test1 (x86_64, KILL, args)",
                 "{\"defaultAction\": \"SCMP_ACT_KILL\", \"syscalls\": [{\"names\": [\"getcwd\"], "
                 "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 11}, {\"names\": [\"write\"], "
                 "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": "
                 "\"SCMP_CMP_EQ\"}, {\"index\": 2, \"value\": 64, \"op\": \"SCMP_CMP_GT\"}]}, "
                 "{\"names\": [\"kill\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 1, "
                 "\"value\": 9, \"op\": \"SCMP_CMP_LE\"}, {\"index\": 0, \"value\": 4294967296, "
                 "\"op\": \"SCMP_CMP_LT\"}]}, {\"names\": [\"mmap\"], \"action\": \"SCMP_ACT_ALLOW\", "
                 "\"args\": [{\"index\": 2, \"value\": 4, \"valueTwo\": 0, \"op\": \"SCMP_CMP_MASKED_EQ\"},"
                 "{\"index\": 3, \"value\": 18446744069414584320, \"op\": \"SCMP_CMP_GE\"}]}]}",
                 true);
  /* Random profiles. */
  d0 = n_diff;
  {
    unsigned long long c0 = n_cases;
    for (size_t i = 0; i < n_random; i++)
      {
        char *json = rnd_profile (), what[48];
        struct oci_config *c = parse_profile (json);
        size_t len;
        unsigned long long before = n_diff;

        snprintf (what, sizeof what, "random profile %zu", i);
        if (c && compare (what, c->linux_->seccomp, &len))
          compared++;
        else
          refused++;
        if (n_diff != before)
          printf ("# %s\n", json);
        oci_config_free (c);
        free (json);
      }
    result (n_diff == d0 && compared > n_random / 2,
            "%zu random profiles: %llu cases, %zu compared, %zu refused by libseccomp", n_random,
            n_cases - c0, compared, refused);
  }
  printf ("# %llu cases compared in all, %llu differences; libseccomp's program contradicted "
          "the profile in %llu (husk agreed with the profile there)\n",
          n_cases, n_diff, n_lib_off);
  free (docker);
  return tap_done ();
}
