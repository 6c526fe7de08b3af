/* Device control on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program, written
 * by hand (as crun's ebpf.c and runc's devicefilter do), attached to the
 * container's cgroup.
 *
 * The kernel runs it on every open/mknod of a device node with
 *   struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
 * where access_type = (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*, and allows the
 * access when it returns 1.  The rules mean what they mean on v1: start from
 * "allow all" and let each rule override the ones before it.  So the program
 * tests them last to first and returns at the first match:
 *
 *   r2 = type, r3 = access, r4 = major, r5 = minor
 *   for each rule, last first:
 *     if r2 != TYPE goto next          (unless the rule is for all types)
 *     allow: if r3 & ~ACCESS goto next  (the access must be within the rule's)
 *     deny:  if !(r3 & ACCESS) goto next (any denied bit asked for matches)
 *     if r4 != MAJOR goto next; if r5 != MINOR goto next  (unless wildcards)
 *     r0 = ALLOW; exit
 *   next: ...
 *   r0 = 1; exit
 *
 * A rule that matches everything ends the program: the rules before it are
 * shadowed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define MAX_RULE_INSNS 12

static struct bpf_insn
insn (uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
  return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

#define LDX_W(dst, src, off) insn (BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU_IMM(op, dst, imm) insn (BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV_REG(dst, src) insn (BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV_IMM(dst, imm) insn (BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JMP_IMM(op, dst, imm, off) insn (BPF_JMP | (op) | BPF_K, dst, 0, off, imm)
#define EXIT() insn (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int
access_mask (const char *a)
{
  int m = 0;

  for (; a && *a; a++)
    m |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE : *a == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
  return m ? m : BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
}

/* One rule's block; "goto next" jumps are patched to the block's end.  Returns
 * the number of instructions, and sets *always when the rule matches anything. */
static size_t
rule_block (const struct oci_device_cgroup *d, struct bpf_insn *out, bool *always)
{
  const int all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
  int mask = access_mask (d->access);
  size_t n = 0, jumps[4], nj = 0;
  bool any_type = d->type == NULL || strcmp (d->type, "a") == 0;

  if (!any_type)
    {
      jumps[nj++] = n;
      out[n++] = JMP_IMM (BPF_JNE, BPF_REG_2, d->type[0] == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
    }
  if (mask != all)
    {
      out[n++] = MOV_REG (BPF_REG_1, BPF_REG_3);
      out[n++] = ALU_IMM (BPF_AND, BPF_REG_1, d->allow ? ~mask : mask);
      jumps[nj++] = n;
      out[n++] = JMP_IMM (d->allow ? BPF_JNE : BPF_JEQ, BPF_REG_1, 0, 0);
    }
  if (d->has_major && d->major >= 0)
    {
      jumps[nj++] = n;
      out[n++] = JMP_IMM (BPF_JNE, BPF_REG_4, (int32_t) d->major, 0);
    }
  if (d->has_minor && d->minor >= 0)
    {
      jumps[nj++] = n;
      out[n++] = JMP_IMM (BPF_JNE, BPF_REG_5, (int32_t) d->minor, 0);
    }
  out[n++] = MOV_IMM (BPF_REG_0, d->allow ? 1 : 0);
  out[n++] = EXIT ();
  for (size_t j = 0; j < nj; j++)
    out[jumps[j]].off = (int16_t) (n - jumps[j] - 1);
  *always = nj == 0;
  return n;
}

static struct bpf_insn *
build_program (const struct oci_device_cgroup *rules, size_t nrules, size_t *len)
{
  struct bpf_insn *p = xcalloc (6 + nrules * MAX_RULE_INSNS + 2, sizeof *p);
  size_t n = 0;
  bool always = false;

  if (p == NULL)
    abort ();
  p[n++] = LDX_W (BPF_REG_2, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, access_type));
  p[n++] = ALU_IMM (BPF_AND, BPF_REG_2, 0xFFFF);
  p[n++] = LDX_W (BPF_REG_3, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, access_type));
  p[n++] = ALU_IMM (BPF_RSH, BPF_REG_3, 16);
  p[n++] = LDX_W (BPF_REG_4, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, major));
  p[n++] = LDX_W (BPF_REG_5, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, minor));
  for (size_t i = nrules; i-- > 0 && !always;)
    n += rule_block (&rules[i], p + n, &always);
  if (!always)
    {
      p[n++] = MOV_IMM (BPF_REG_0, 1);
      p[n++] = EXIT ();
    }
  *len = n;
  return p;
}

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (SYS_bpf, cmd, attr, sizeof *attr);
}

static int
load_program (const struct bpf_insn *p, size_t n, struct husk_error **err)
{
  static char log[4096];
  union bpf_attr a;
  int fd;

  memset (&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = (uintptr_t) p;
  a.insn_cnt = (uint32_t) n;
  a.license = (uintptr_t) "GPL";
  a.log_buf = (uintptr_t) log;
  a.log_size = sizeof log;
  a.log_level = 1;
  log[0] = '\0';
  fd = sys_bpf (BPF_PROG_LOAD, &a);
  if (fd < 0 && errno == ENOSPC)
    {
      /* Only the verifier's log did not fit: load again without it. */
      a.log_buf = 0, a.log_size = 0, a.log_level = 0;
      fd = sys_bpf (BPF_PROG_LOAD, &a);
    }
  if (fd < 0)
    return husk_error_set (err, errno, "load the device cgroup eBPF program (%zu instructions)%s%.200s",
                           n, log[0] ? ": verifier: " : "", log);
  return fd;
}

/* The programs attached to the cgroup itself now (not the inherited ones). */
static size_t
attached_programs (int cgfd, uint32_t *ids, size_t max)
{
  union bpf_attr a;

  memset (&a, 0, sizeof a);
  a.query.target_fd = (uint32_t) cgfd;
  a.query.attach_type = BPF_CGROUP_DEVICE;
  a.query.prog_ids = (uintptr_t) ids;
  a.query.prog_cnt = (uint32_t) max;
  if (sys_bpf (BPF_PROG_QUERY, &a) < 0)
    return 0;
  return a.query.prog_cnt < max ? a.query.prog_cnt : max;
}

static void
detach (int cgfd, uint32_t id)
{
  union bpf_attr a;
  cleanup_close int fd = -1;

  memset (&a, 0, sizeof a);
  a.prog_id = id;
  fd = sys_bpf (BPF_PROG_GET_FD_BY_ID, &a);
  if (fd < 0)
    return;
  memset (&a, 0, sizeof a);
  a.target_fd = (uint32_t) cgfd;
  a.attach_bpf_fd = (uint32_t) fd;
  a.attach_type = BPF_CGROUP_DEVICE;
  sys_bpf (BPF_PROG_DETACH, &a);
}

int
cg_devices_ebpf (const char *dir, const struct oci_device_cgroup *rules, size_t n, bool update,
                 struct husk_error **err)
{
  size_t len, nold;
  cleanup_free struct bpf_insn *prog = build_program (rules, n, &len);
  cleanup_close int cgfd = openat (AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int pfd = -1;
  uint32_t old[64];
  union bpf_attr a;

  if (cgfd < 0)
    return husk_error_set (err, errno, "open cgroup `%s`", dir);
  nold = attached_programs (cgfd, old, 64);
  if ((pfd = load_program (prog, len, err)) < 0)
    return -1;
  /* ALLOW_MULTI: the new program goes in beside an old one (an update), which is
   * then detached, so there is no moment without a filter. */
  memset (&a, 0, sizeof a);
  a.target_fd = (uint32_t) cgfd;
  a.attach_bpf_fd = (uint32_t) pfd;
  a.attach_type = BPF_CGROUP_DEVICE;
  a.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &a) < 0)
    return husk_error_set (err, errno, "attach the device cgroup eBPF program to `%s`", dir);
  for (size_t i = 0; i < nold; i++)
    detach (cgfd, old[i]);
  return 0;
}
