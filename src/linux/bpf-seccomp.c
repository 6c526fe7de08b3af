/* The seccomp BPF compiler (bpf-seccomp.h says what the filter does).
 *
 * The program is emitted backwards, from its last instruction to its first:
 * every jump then goes to code that already exists, so its distance is
 * known when it is written.  Classic BPF's conditional jumps reach at most
 * 255 instructions ahead; a farther target gets an unconditional `ja` (32-bit
 * offset) right after the test.  Return instructions are shared while they
 * are near, written again when not. */
#define _GNU_SOURCE
#include "linux/bpf-seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/names.h"
#include "util/log.h"
#include "util/sort.h"
#include "util/xalloc.h"

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif
#define X32_BIT 0x40000000U

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "bpf-seccomp.c: the argument halves below are little-endian offsets"
#endif

/* The most architectures a family has (x86: x86_64, x86, x32). */
#define SC_COLUMNS 3

struct husk_syscall
{
  uint16_t name; /* offset in husk_syscall_names */
  int16_t nr[SC_COLUMNS]; /* per architecture of the family, without its bit; -1: none */
};

/* build/gen/syscalls.h: HUSK_SECCOMP_NARCHS, HUSK_SECCOMP_ARCH_NAMES,
 * husk_syscall_names, husk_syscall_bits and husk_syscalls[], sorted by name. */
#include "syscalls.h"

_Static_assert (HUSK_SECCOMP_NARCHS <= SC_COLUMNS, "a column for each architecture");

static const char *
sc_name (const struct husk_syscall *e)
{
  return husk_syscall_names + e->name;
}

/* The number on the arch of column col, with the bit its numbers carry; -1: none. */
static int
sc_nr (const struct husk_syscall *e, size_t col)
{
  return e->nr[col] < 0 ? -1 : (int) ((uint32_t) e->nr[col] | husk_syscall_bits[col]);
}

static const char *const family[] = { HUSK_SECCOMP_ARCH_NAMES };

/* What the kernel's seccomp_data says of each architecture of the family. */
struct arch_info
{
  const char *name;
  uint32_t audit;
  bool args64; /* compares both halves of an argument */
  bool x32;    /* numbers carry __X32_SYSCALL_BIT */
  int socketcall, ipc; /* the multiplexers, or -1 */
};

static const struct arch_info arch_infos[] = {
  { "SCMP_ARCH_X86_64", AUDIT_ARCH_X86_64, true, false, -1, -1 },
  { "SCMP_ARCH_X86", AUDIT_ARCH_I386, false, false, 102, 117 },
  { "SCMP_ARCH_X32", AUDIT_ARCH_X86_64, false, true, -1, -1 },
};

/* The calls socketcall(2) and ipc(2) multiplex, with their first argument
 * (linux/net.h SYS_*, and the ipc call numbers of ipc/syscall.c).  Each table
 * is its names one after the other and their numbers in the same order: no
 * pointer (8 bytes and a relocation) per name. */
#define SOCKETCALLS(X)                                                                    \
  X (socket, 1) X (bind, 2) X (connect, 3) X (listen, 4) X (accept, 5) X (getsockname, 6)  \
  X (getpeername, 7) X (socketpair, 8) X (send, 9) X (recv, 10) X (sendto, 11)            \
  X (recvfrom, 12) X (shutdown, 13) X (setsockopt, 14) X (getsockopt, 15)                 \
  X (sendmsg, 16) X (recvmsg, 17) X (accept4, 18) X (recvmmsg, 19) X (sendmmsg, 20)
#define IPCCALLS(X)                                                                       \
  X (semop, 1) X (semget, 2) X (semctl, 3) X (semtimedop, 4) X (msgsnd, 11)               \
  X (msgrcv, 12) X (msgget, 13) X (msgctl, 14) X (shmat, 21) X (shmdt, 22)                \
  X (shmget, 23) X (shmctl, 24)
#define MUX_NAME(name, nr) #name "\0"
#define MUX_NR(name, nr) nr,

static const char socketcall_names[] = SOCKETCALLS (MUX_NAME);
static const uint8_t socketcall_nrs[] = { SOCKETCALLS (MUX_NR) };
static const char ipccall_names[] = IPCCALLS (MUX_NAME);
static const uint8_t ipccall_nrs[] = { IPCCALLS (MUX_NR) };

/* name's number in a table of those (names ends with an empty one), or 0: none
 * is 0. */
static uint32_t
mux_find (const char *names, const uint8_t *nrs, const char *name)
{
  for (size_t i = 0; *names; names += strlen (names) + 1, i++)
    if (strcmp (names, name) == 0)
      return nrs[i];
  return 0;
}

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))
#define OP_NE 1
#define OP_LT 2
#define OP_LE 3
#define OP_EQ 4
#define OP_GE 5
#define OP_GT 6
#define OP_MASKED_EQ 7
#define NOT_NAMED 0xffffffffU

static const struct arch_info *
arch_find (const char *name)
{
  for (size_t i = 0; i < N_ELEMENTS (family); i++)
    for (size_t j = 0; j < N_ELEMENTS (arch_infos); j++)
      if (strcmp (family[i], name) == 0 && strcmp (arch_infos[j].name, name) == 0)
        return &arch_infos[j];
  return NULL;
}

/* The column of arch in husk_syscalls[].nr. */
static size_t
arch_col (const struct arch_info *a)
{
  for (size_t i = 0; i < N_ELEMENTS (family); i++)
    if (strcmp (family[i], a->name) == 0)
      return i;
  abort ();
}

bool
husk_seccomp_arch_filtered (const char *name)
{
  return arch_find (name) != NULL;
}

static int
by_name (const void *k, const void *e)
{
  return strcmp (k, sc_name (e));
}

static const struct husk_syscall *
syscall_find (const char *name)
{
  return bsearch (name, husk_syscalls, N_ELEMENTS (husk_syscalls), sizeof husk_syscalls[0],
                  by_name);
}

int
husk_seccomp_syscall_nr (const char *arch, const char *name, bool *known)
{
  const struct husk_syscall *sc = syscall_find (name);
  const struct arch_info *a = arch_find (arch);

  *known = sc != NULL;
  return sc && a ? sc_nr (sc, arch_col (a)) : -1;
}

const char *
husk_seccomp_syscall_name (size_t i)
{
  return i < N_ELEMENTS (husk_syscalls) ? sc_name (&husk_syscalls[i]) : NULL;
}

int
husk_seccomp_action (const struct oci_origin *o, const char *path, const char *name,
                     bool has_errno, unsigned errno_ret, uint32_t *out, struct husk_error **err)
{
  const struct oci_name *a = oci_name_find (oci_seccomp_actions, name);

  /* The parser accepts only the names of the table. */
  if (a == NULL)
    return oci_error (err, EINVAL, o, "%s: unknown seccomp action `%s`", path, name);
  *out = (uint32_t) a->value;
  if (*out == SECCOMP_RET_ERRNO || *out == SECCOMP_RET_TRACE)
    {
      /* The errno travels in the 16 data bits of the filter's return value. */
      if (has_errno && errno_ret > 0xffff)
        return oci_error (err, 0, o, "%s: errnoRet %u does not fit 16 bits", path, errno_ret);
      *out |= has_errno ? errno_ret : EPERM;
    }
  else if (has_errno)
    husk_debug ("seccomp: %s: errnoRet is ignored for %s", path, name);
  return 0;
}

/* ---- the profile as rules per syscall number, for one architecture ---- */

struct cond
{
  unsigned index, op; /* OP_*; MASKED_EQ is EQ with a mask */
  uint64_t mask, datum;
};

struct rule
{
  uint32_t action;
  unsigned n;
  struct cond c[6];
};

struct sysrules
{
  uint32_t nr;
  bool has_uncond;
  uint32_t uncond; /* the first argument-free rule's action */
  struct rule *rules;
  size_t n;
};

struct table
{
  struct sysrules *v;
  size_t n, cap;
};

static struct sysrules *
table_get (struct table *t, uint32_t nr)
{
  for (size_t i = 0; i < t->n; i++)
    if (t->v[i].nr == nr)
      return &t->v[i];
  if (t->n == t->cap)
    {
      t->cap = t->cap ? 2 * t->cap : 64;
      t->v = xrealloc (t->v, t->cap * sizeof *t->v);
    }
  t->v[t->n] = (struct sysrules){ .nr = nr };
  return &t->v[t->n++];
}

static void
table_free (struct table *t)
{
  for (size_t i = 0; i < t->n; i++)
    free (t->v[i].rules);
  free (t->v);
  *t = (struct table){ 0 };
}

/* Add r for nr, dropping the conditions that hold for every value on this
 * ABI (a MASKED_EQ whose mask is 0 where the ABI compares): a rule left with
 * none is argument-free. */
static void
add_rule (struct table *t, uint32_t nr, const struct rule *r, bool args64)
{
  struct sysrules *s = table_get (t, nr);
  struct rule k = { .action = r->action };

  for (unsigned i = 0; i < r->n; i++)
    {
      uint64_t m = args64 ? r->c[i].mask : (uint32_t) r->c[i].mask;
      if (r->c[i].op != OP_MASKED_EQ || m != 0)
        k.c[k.n++] = r->c[i];
    }
  if (k.n == 0)
    {
      if (!s->has_uncond)
        s->uncond = k.action;
      s->has_uncond = true;
      return;
    }
  s->rules = xrealloc (s->rules, (s->n + 1) * sizeof *s->rules);
  s->rules[s->n++] = k;
}

/* The rule as runc gives it to libseccomp: all conditions ANDed, or each one
 * a rule of its own when two test the same argument. */
static size_t
expand_rule (const struct oci_seccomp_syscall *sc, uint32_t action, struct rule *out)
{
  unsigned seen = 0;
  bool separate = false;

  for (size_t k = 0; k < sc->args_len; k++)
    {
      separate |= (seen & (1U << sc->args[k].index)) != 0;
      seen |= 1U << sc->args[k].index;
    }
  if (!separate)
    {
      out[0] = (struct rule){ .action = action, .n = (unsigned) sc->args_len };
      for (size_t k = 0; k < sc->args_len; k++)
        {
          const struct oci_seccomp_arg *a = &sc->args[k];
          unsigned op = (unsigned) oci_name_find (oci_seccomp_operators, a->op)->value;
          out[0].c[k] = (struct cond){ .index = a->index, .op = op, .mask = ~(uint64_t) 0,
                                       .datum = a->value };
          if (op == OP_MASKED_EQ)
            out[0].c[k].mask = a->value, out[0].c[k].datum = a->value_two & a->value;
        }
      return 1;
    }
  for (size_t k = 0; k < sc->args_len; k++)
    {
      struct oci_seccomp_syscall one = *sc;
      one.args = &sc->args[k];
      one.args_len = 1;
      expand_rule (&one, action, &out[k]);
    }
  return sc->args_len;
}

/* socketcall(2)/ipc(2)'s form of rule r for call number `call`: argument 0
 * is the call, any condition on it is replaced (libseccomp's rewrite). */
static void
add_mux_rule (struct table *t, uint32_t mux, uint64_t call, const struct rule *r)
{
  struct rule m = { .action = r->action };

  m.c[m.n++] = (struct cond){ .index = 0, .op = OP_EQ, .mask = ~(uint64_t) 0, .datum = call };
  for (unsigned i = 0; i < r->n; i++)
    if (r->c[i].index != 0)
      m.c[m.n++] = r->c[i];
  add_rule (t, mux, &m, false);
}

static int
build_table (const struct oci_seccomp *s, uint32_t def, const struct arch_info *a,
             struct table *t, struct husk_error **err)
{
  size_t col = arch_col (a);

  for (size_t i = 0; i < s->syscalls_len; i++)
    {
      const struct oci_seccomp_syscall *sc = &s->syscalls[i];
      struct rule rules[6];
      size_t nrules;
      uint32_t act;
      char path[64];

      snprintf (path, sizeof path, "syscalls[%zu].action", i);
      if (husk_seccomp_action (&s->origin, path, sc->action, sc->has_errno_ret, sc->errno_ret,
                               &act, err)
          < 0)
        return -1;
      if (act == def)
        continue; /* redundant (libseccomp refused it) */
      for (size_t k = 0; k < sc->args_len; k++)
        if (sc->args[k].index > 5)
          return oci_error (err, 0, &s->origin,
                            "syscalls[%zu].args[%zu].index: %u is not an argument index (0 to 5)",
                            i, k, sc->args[k].index);
      nrules = expand_rule (sc, act, rules);
      for (size_t j = 0; sc->names[j]; j++)
        {
          const char *name = sc->names[j];
          const struct husk_syscall *e = syscall_find (name);
          uint32_t sock = mux_find (socketcall_names, socketcall_nrs, name);
          uint32_t ipc = mux_find (ipccall_names, ipccall_nrs, name);

          /* The init passes the listener to the parent with sendmsg right
           * after the filter is loaded, and writes the exec fifo and its log
           * before the agent may be reachable: notifying either would wait
           * for an agent that has no fd yet (runc refuses `write` for the
           * same reason, with this message). */
          if (act == SECCOMP_RET_USER_NOTIF
              && (strcmp (name, "sendmsg") == 0 || strcmp (name, "write") == 0))
            return oci_error (err, 0, &s->origin,
                              "syscalls[%zu]: SCMP_ACT_NOTIFY cannot be used for the %s syscall",
                              i, name);
          if (e == NULL)
            {
              if (col == 0)
                husk_debug ("seccomp: unknown syscall `%s` ignored", name);
              continue;
            }
          for (size_t r = 0; r < nrules; r++)
            {
              if (a->socketcall >= 0 && sock)
                add_mux_rule (t, (uint32_t) a->socketcall, sock, &rules[r]);
              else if (a->ipc >= 0 && ipc)
                add_mux_rule (t, (uint32_t) a->ipc, ipc, &rules[r]);
              if (sc_nr (e, col) >= 0)
                add_rule (t, (uint32_t) sc_nr (e, col), &rules[r], a->args64);
            }
        }
    }
  return 0;
}

/* ---- the emitter ---- */

struct em
{
  struct sock_filter *v; /* in emission order: the program reversed */
  size_t n, cap;
  struct
  {
    uint32_t action;
    size_t at;
  } rets[8];
  size_t nrets;
};

/* A label is an instruction's emission index; the program's instruction i of
 * N is emission index N - 1 - i, so a jump from label l to an earlier label
 * t skips l - t - 1 instructions. */
static size_t
put (struct em *e, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
  if (e->n == e->cap)
    {
      e->cap = e->cap ? 2 * e->cap : 1024;
      e->v = xrealloc (e->v, e->cap * sizeof *e->v);
    }
  e->v[e->n] = (struct sock_filter){ .code = code, .jt = jt, .jf = jf, .k = k };
  return e->n++;
}

static size_t
ja (struct em *e, size_t target)
{
  return put (e, BPF_JMP | BPF_JA, (uint32_t) (e->n - target - 1), 0, 0);
}

#define NEAR 250 /* a target this close stays near after two trampolines */

static size_t
ret (struct em *e, uint32_t action)
{
  for (size_t i = 0; i < e->nrets; i++)
    if (e->rets[i].action == action && e->n - e->rets[i].at <= NEAR)
      return e->rets[i].at;
  if (e->nrets < N_ELEMENTS (e->rets))
    e->nrets++;
  memmove (&e->rets[1], &e->rets[0], (e->nrets - 1) * sizeof e->rets[0]);
  e->rets[0].action = action;
  e->rets[0].at = put (e, BPF_RET | BPF_K, action, 0, 0);
  return e->rets[0].at;
}

/* if (A <op> k) goto t else goto f */
static size_t
jump (struct em *e, uint16_t op, uint32_t k, size_t t, size_t f)
{
  size_t c;

  if (t == f)
    return t;
  if (e->n - f > NEAR)
    f = ja (e, f);
  if (e->n - t > NEAR)
    t = ja (e, t);
  c = e->n;
  return put (e, BPF_JMP | op | BPF_K, k, (uint8_t) (c - t - 1), (uint8_t) (c - f - 1));
}

/* Instruction `code k` followed by `next`: a label that is not the last one
 * emitted is not where the program falls through to, so it gets a `ja`. */
static size_t
put_before (struct em *e, size_t next, uint16_t code, uint32_t k)
{
  if (next + 1 != e->n)
    ja (e, next);
  return put (e, code, k, 0, 0);
}

/* A = the word at offset of seccomp_data, then on to next. */
static size_t
ld (struct em *e, uint32_t offset, size_t next)
{
  return put_before (e, next, BPF_LD | BPF_W | BPF_ABS, offset);
}

#define ARG_LO(i) ((uint32_t) (offsetof (struct seccomp_data, args) + 8 * (i)))
#define ARG_HI(i) (ARG_LO (i) + 4)
#define LD_NR offsetof (struct seccomp_data, nr)
#define LD_ARCH offsetof (struct seccomp_data, arch)

/* A = the half of the argument at offset, masked, then on to next. */
static size_t
load_masked (struct em *e, uint32_t offset, uint32_t mask, size_t next)
{
  if (mask != 0xffffffffU)
    next = put_before (e, next, BPF_ALU | BPF_AND | BPF_K, mask);
  return ld (e, offset, next);
}

/* One half: if ((arg_half & mask) <op> datum) goto t else f. */
static size_t
half (struct em *e, uint32_t offset, uint32_t mask, uint16_t op, uint32_t datum, size_t t,
      size_t f)
{
  return load_masked (e, offset, mask, jump (e, op, datum, t, f));
}

/* The test of one condition: goto t when it holds, else f. */
static size_t
cond (struct em *e, const struct cond *c, bool args64, size_t t, size_t f)
{
  uint32_t lo = ARG_LO (c->index), hi = ARG_HI (c->index);
  uint32_t mlo = (uint32_t) c->mask, mhi = (uint32_t) (c->mask >> 32);
  uint32_t dlo = (uint32_t) c->datum & mlo, dhi = (uint32_t) (c->datum >> 32) & mhi;
  size_t l, eq;

  switch (c->op)
    {
    case OP_NE:
      return cond (e, &(struct cond){ c->index, OP_EQ, c->mask, c->datum }, args64, f, t);
    case OP_LT:
      return cond (e, &(struct cond){ c->index, OP_GE, c->mask, c->datum }, args64, f, t);
    case OP_LE:
      return cond (e, &(struct cond){ c->index, OP_GT, c->mask, c->datum }, args64, f, t);
    case OP_EQ:
    case OP_MASKED_EQ:
      l = half (e, lo, mlo, BPF_JEQ, dlo, t, f);
      return args64 ? half (e, hi, mhi, BPF_JEQ, dhi, l, f) : l;
    default: /* GE, GT: high half greater, or equal and the low half decides */
      l = half (e, lo, mlo, c->op == OP_GT ? BPF_JGT : BPF_JGE, dlo, t, f);
      if (!args64)
        return l;
      eq = jump (e, BPF_JEQ, dhi, l, f);
      return half (e, hi, mhi, BPF_JGT, dhi, t, eq);
    }
}

/* What one syscall number gets (A holds nothing useful on entry). */
static size_t
body (struct em *e, const struct sysrules *s, uint32_t def, bool args64)
{
  size_t next;

  if (s->has_uncond)
    return ret (e, s->uncond);
  next = ret (e, def);
  for (size_t r = s->n; r-- > 0;)
    {
      const struct rule *rule = &s->rules[r];
      size_t t = ret (e, rule->action);
      for (unsigned i = rule->n; i-- > 0;)
        t = cond (e, &rule->c[i], args64, t, next);
      next = t;
    }
  return next;
}

static int
by_nr (const void *a, const void *b)
{
  uint32_t x = ((const struct sysrules *) a)->nr, y = ((const struct sysrules *) b)->nr;
  return x < y ? -1 : x > y;
}

/* The binary search over v[lo..hi) (sorted), with A = the syscall number. */
static size_t
search (struct em *e, const struct sysrules *v, size_t lo, size_t hi, uint32_t def,
        const struct arch_info *a64, const struct arch_info *a32)
{
  size_t mid, right, left, next;

  if (hi - lo <= 4)
    {
      next = ret (e, def);
      for (size_t i = hi; i-- > lo;)
        {
          bool x32 = (v[i].nr & X32_BIT) != 0 && a32 != NULL;
          size_t b = body (e, &v[i], def, x32 ? a32->args64 : a64->args64);
          next = jump (e, BPF_JEQ, v[i].nr, b, next);
        }
      return next;
    }
  mid = lo + (hi - lo) / 2;
  right = search (e, v, mid, hi, def, a64, a32);
  left = search (e, v, lo, mid, def, a64, a32);
  return jump (e, BPF_JGE, v[mid].nr, right, left);
}

/* One architecture's block: a is x86_64 or x86..., x32 the x32 half of a
 * merged x86_64 + x32 block (libseccomp's layout), else NULL. */
static size_t
arch_block (struct em *e, struct table *t, uint32_t def, const struct arch_info *a,
            const struct arch_info *x32)
{
  size_t rules, bad;

  if (t->n)
    husk_sort (t->v, t->n, sizeof *t->v, by_nr);
  rules = t->n ? search (e, t->v, 0, t->n, def, a, x32) : ret (e, def);
  if (a->audit == AUDIT_ARCH_X86_64 && x32 == NULL)
    {
      /* One ABI of the two that share AUDIT_ARCH_X86_64: the other one's
       * numbers are a bad arch, but -1 (a tracer skipping the syscall) is
       * left to the rules, as libseccomp does. */
      bad = ret (e, SECCOMP_RET_KILL_THREAD);
      if (a->x32)
        rules = jump (e, BPF_JGE, X32_BIT, rules, bad);
      else
        rules = jump (e, BPF_JGE, X32_BIT, jump (e, BPF_JEQ, 0xffffffffU, rules, bad), rules);
    }
  return ld (e, LD_NR, rules);
}

/* ---- runc's ENOSYS stub ---- */

/* The highest number on arch of the names of s (all of them, whatever the
 * action), or NOT_NAMED.  Like libseccomp's resolver, whose numbers the
 * stub used so far, the calls x86 multiplexes do not count on x86. */
static uint32_t
highest_named (const struct oci_seccomp *s, const struct arch_info *a)
{
  size_t col = arch_col (a);
  int max = -1;

  for (size_t i = 0; i < s->syscalls_len; i++)
    for (char **n = s->syscalls[i].names; *n; n++)
      {
        const struct husk_syscall *e = syscall_find (*n);
        if (e == NULL || sc_nr (e, col) <= max)
          continue;
        if (a->socketcall >= 0
            && (mux_find (socketcall_names, socketcall_nrs, *n)
                || mux_find (ipccall_names, ipccall_nrs, *n)))
          continue;
        max = sc_nr (e, col);
      }
  return max < 0 ? NOT_NAMED : (uint32_t) max;
}

/* A syscall newer than the profile must fail with ENOSYS, not with the
 * default errno, so that a new libc falls back to the old syscall (clone3 ->
 * clone, faccessat2 -> faccessat) instead of failing with EPERM, and a number
 * no table knows yet fails as the kernel would fail it.  Per architecture: if
 * the syscall's arch is that one and its number is above the highest one the
 * profile names there, ENOSYS; else on to `next`.  x32 shares x86_64's audit
 * arch and sets bit 30 of the number, so the x86_64 test tells them apart
 * with that bit.  Not for a permissive default (ALLOW, LOG, TRACE), nor when
 * the default already is ENOSYS, as runc. */
static size_t
enosys_stub (struct em *e, const struct oci_seccomp *s, uint32_t def,
             const struct arch_info *const *archs, size_t n, size_t next)
{
  const struct arch_info *x32 = NULL;

  if (def == SECCOMP_RET_ALLOW || def == SECCOMP_RET_LOG
      || (def & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRACE
      || def == (SECCOMP_RET_ERRNO | ENOSYS))
    return next;
  for (size_t i = 0; i < n; i++)
    if (archs[i]->x32)
      x32 = archs[i];
  for (size_t i = n; i-- > 0;)
    {
      const struct arch_info *a = archs[i];
      uint32_t max = highest_named (s, a);
      size_t enosys, test;

      if (a->x32)
        continue; /* in the x86_64 test */
      if (a->audit != AUDIT_ARCH_X86_64 && max == NOT_NAMED)
        continue;
      enosys = ret (e, SECCOMP_RET_ERRNO | ENOSYS);
      test = jump (e, BPF_JGT, max, enosys, next);
      if (a->audit == AUDIT_ARCH_X86_64)
        {
          size_t t32 = jump (e, BPF_JGT, x32 ? highest_named (s, x32) : NOT_NAMED, enosys, next);
          test = jump (e, BPF_JSET, X32_BIT, t32, test);
        }
      test = ld (e, LD_NR, test);
      next = ld (e, LD_ARCH, jump (e, BPF_JEQ, a->audit, test, next));
    }
  return next;
}

/* ---- the program ---- */

/* The architectures the filter covers, native first, each once. */
static size_t
filtered_archs (const struct oci_seccomp *s, const struct arch_info **out)
{
  size_t n = 0;

  out[n++] = arch_find (family[0]);
  for (size_t i = 0; s->architectures && s->architectures[i]; i++)
    {
      const struct arch_info *a = arch_find (s->architectures[i]);
      bool dup = false;

      if (a == NULL)
        {
          husk_debug ("seccomp: %s is not this kernel's: left out", s->architectures[i]);
          continue;
        }
      for (size_t j = 0; j < n; j++)
        dup |= out[j] == a;
      if (!dup)
        out[n++] = a;
    }
  return n;
}

int
husk_seccomp_compile (const struct oci_seccomp *s, struct sock_filter **prog, size_t *len,
                      struct husk_error **err)
{
  const struct arch_info *archs[N_ELEMENTS (arch_infos)], *x32 = NULL, *x86_64 = NULL;
  size_t n = filtered_archs (s, archs), labels[N_ELEMENTS (arch_infos)], next;
  struct em e = { 0 };
  uint32_t def;

  if (husk_seccomp_action (&s->origin, "defaultAction", s->default_action,
                           s->has_default_errno_ret, s->default_errno_ret, &def, err)
      < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      if (archs[i]->x32)
        x32 = archs[i];
      else if (archs[i]->audit == AUDIT_ARCH_X86_64)
        x86_64 = archs[i];
    }
  /* The blocks, last first; x86_64 and x32 share one when both are there. */
  for (size_t i = n; i-- > 0;)
    {
      struct table t = { 0 };
      const struct arch_info *a = archs[i];
      int rc;

      labels[i] = (size_t) -1;
      if (a == x32 && x86_64)
        continue;
      rc = build_table (s, def, a, &t, err);
      if (rc == 0 && a == x86_64 && x32)
        rc = build_table (s, def, x32, &t, err);
      if (rc == 0)
        labels[i] = arch_block (&e, &t, def, a, a == x86_64 ? x32 : NULL);
      table_free (&t);
      if (rc < 0)
        {
          free (e.v);
          return -1;
        }
    }
  next = ret (&e, SECCOMP_RET_KILL_THREAD); /* libseccomp's bad-arch action */
  for (size_t i = n; i-- > 0;)
    if (labels[i] != (size_t) -1)
      next = jump (&e, BPF_JEQ, archs[i]->audit, labels[i], next);
  next = ld (&e, LD_ARCH, next);
  enosys_stub (&e, s, def, archs, n, next);
  if (e.n > BPF_MAXINSNS)
    {
      free (e.v);
      return oci_error (err, E2BIG, &s->origin,
                        "the seccomp filter needs %zu instructions, the kernel takes at most %d",
                        e.n, BPF_MAXINSNS);
    }
  /* Reverse the emission order into the program's. */
  for (size_t i = 0; i < e.n / 2; i++)
    {
      struct sock_filter x = e.v[i];
      e.v[i] = e.v[e.n - 1 - i];
      e.v[e.n - 1 - i] = x;
    }
  *prog = e.v;
  *len = e.n;
  return 0;
}
