/* A read-only /proc/self/exe for every husk process that enters a container.
 *
 * The init and the processes of `husk exec` are forks of husk that run inside
 * the container until their final execve.  Their /proc/PID/exe is whatever file
 * husk was executed from: if that is the host's binary, a process of the
 * container can get a handle on it (a script starting `#!/proc/self/exe` has
 * the kernel run it inside the container; CAP_SYS_PTRACE opens another task's
 * /proc/PID/exe even when it is non-dumpable) and, once no husk runs, reopen
 * it for writing through /proc/self/fd: the next `husk` on the host runs the
 * container's code as root (CVE-2019-5736).
 *
 * So the commands that enter a container first make a copy that no handle can
 * write their exe:
 *
 *  1. a detached read-only bind mount of the binary (open_tree + mount_setattr).
 *     It is attached nowhere: no mount table shows it, nothing can remount it,
 *     and the kernel frees it with the last process that runs from it.  It
 *     copies nothing.  The process becomes it in place (swap_to_ro_bind: each
 *     mapping of the binary replaced by the same pages of the mount's file, or
 *     by a copy of them where written, then PR_SET_MM_MAP swaps the exe, which
 *     the kernel allows only once nothing maps the old one): a mount clone and
 *     a few mappings, where executing itself again from the mount (execveat on
 *     its fd, the fd going across named in _HUSK_EXE_CLONE_FD) costs one more
 *     start of husk; that is the way where PR_SET_MM_MAP is refused (neither
 *     CAP_SYS_ADMIN nor CAP_CHECKPOINT_RESTORE, a kernel without
 *     CONFIG_CHECKPOINT_RESTORE).  Closing the last fd of a detached mount
 *     dissolves it, which waits for an RCU grace period: the init first parks
 *     the mount in its old root, which goes after pivot_root under a grace
 *     period of its own anyway (husk_exe_seal_park); otherwise husk closes it
 *     when it waits anyway (husk_exe_seal_release);
 *  2. where that is refused (no CAP_SYS_ADMIN over our mount namespace, kernels
 *     before 5.12), a memfd copy of the binary sealed against writes, growing
 *     and shrinking; it costs a copy of the binary;
 *  3. otherwise, fail: never run unprotected.
 *
 * Whether we are protected is read from the exe itself (its mount is read-
 * only, or it is sealed), not from anything the caller could set, so a copy
 * already made is used as it is and the re-execution happens at most once.
 * argv, the environment, the pid, every fd (none is opened for the new image but
 * the mount's), the cwd, the signal mask and the parent-death signal are all
 * kept by execve. */
#define _GNU_SOURCE
#include "linux/exeseal.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/sys.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

extern char **environ;
/* The ELF header, where the linker put it (GNU ld and lld define it). */
extern const char __ehdr_start[] __attribute__ ((visibility ("hidden")));

/* The mount's fd, handed from the first image to the second (exeseal.h). */
#define CLONE_FD_ENV "_HUSK_EXE_CLONE_FD"
static int clone_fd = -1;

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/* No write, and no size change either (truncating would change the code too). */
#define EXE_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* fd: the binary, opened in any mode (the mount check works on O_PATH). */
static bool
fd_is_sealed (int fd)
{
  struct statvfs sv;
  int seals;

  /* ST_RDONLY: the mount or the whole filesystem; either way, opening the file
   * for writing through this path fails with EROFS. */
  if (fstatvfs (fd, &sv) == 0 && (sv.f_flag & ST_RDONLY))
    return true;
  seals = fcntl (fd, F_GET_SEALS);
  return seals >= 0 && (seals & EXE_SEALS) == EXE_SEALS;
}

/* The binary, opened in a mode its permissions allow. */
static int
open_exe (void)
{
  int fd = openat (AT_FDCWD, "/proc/self/exe", O_RDONLY | O_CLOEXEC);

  /* An execute-only binary: the mount check needs no read permission. */
  if (fd < 0)
    fd = openat (AT_FDCWD, "/proc/self/exe", O_PATH | O_CLOEXEC);
  return fd;
}

bool
husk_exe_is_sealed (void)
{
  cleanup_close int fd = open_exe ();

  return fd >= 0 && fd_is_sealed (fd);
}

/* In the second image: the fd the first one named, if it is what it says (our
 * own binary on a read-only mount); any other value is left alone. */
static void
adopt_clone_fd (int exe)
{
  const char *v = getenv (CLONE_FD_ENV);
  struct stat a, b;
  char *end;
  long fd;

  if (v == NULL)
    return;
  errno = 0;
  fd = strtol (v, &end, 10);
  unsetenv (CLONE_FD_ENV);
  if (errno || *end || fd < 3 || fd > 1 << 20 || fstat ((int) fd, &a) < 0 || fstat (exe, &b) < 0
      || a.st_dev != b.st_dev || a.st_ino != b.st_ino || !fd_is_sealed ((int) fd)
      || fcntl ((int) fd, F_SETFD, FD_CLOEXEC) < 0)
    return;
  clone_fd = (int) fd;
}

void
husk_exe_seal_release (void)
{
  if (clone_fd >= 0)
    close (clone_fd);
  clone_fd = -1;
}

int
husk_exe_seal_fd (void)
{
  return clone_fd;
}

void
husk_exe_seal_park (const char *at)
{
  if (clone_fd >= 0 && at != NULL)
    move_mount (clone_fd, "", AT_FDCWD, at, MOVE_MOUNT_F_EMPTY_PATH);
  husk_exe_seal_release ();
}

/* environ, plus CLONE_FD_ENV=fd in place of any value it had. */
static char **
env_with_clone_fd (int fd)
{
  size_t n = 0, m = 0, len = strlen (CLONE_FD_ENV);
  char **env;

  while (environ[n])
    n++;
  env = xcalloc (n + 2, sizeof *env);
  for (size_t i = 0; i < n; i++)
    if (strncmp (environ[i], CLONE_FD_ENV, len) != 0 || environ[i][len] != '=')
      env[m++] = environ[i];
  xasprintf (&env[m], CLONE_FD_ENV "=%d", fd);
  return env;
}

/* Kernels that name a process after the path it was executed from name an
 * execveat(fd, "") after the fd ("3") or the memfd ("memfd:husk"): give the
 * process the name it had (ps, pgrep, pidof). */
static void
restore_comm (const char *argv0)
{
  char comm[17] = "";
  const char *base;

  if (argv0 == NULL || prctl (PR_GET_NAME, comm) < 0)
    return;
  if (comm[strspn (comm, "0123456789")] != '\0' && strncmp (comm, "memfd:", 6) != 0)
    return;
  base = strrchr (argv0, '/');
  prctl (PR_SET_NAME, base ? base + 1 : argv0);
}

/* The fields of /proc/self/stat that PR_SET_MM_MAP sets (it sets them all at
 * once): the kernel's own values, given back unchanged; brk from brk(0). */
static int
current_mm_map (struct prctl_mm_map *m)
{
  /* 1-based field numbers of /proc/PID/stat (proc(5)), and where each goes. */
#define F(n, member) { n, offsetof (struct prctl_mm_map, member) }
  static const struct
  {
    unsigned char field, off;
  } fields[] = {
    F (26, start_code), F (27, end_code),  F (28, start_stack), F (45, start_data),
    F (46, end_data),   F (47, start_brk), F (48, arg_start),   F (49, arg_end),
    F (50, env_start),  F (51, env_end),
  };
#undef F
  char buf[1024], *p;
  ssize_t n;
  unsigned field = 2, i = 0;
  cleanup_close int fd = openat (AT_FDCWD, "/proc/self/stat", O_RDONLY | O_CLOEXEC);

  if (fd < 0 || (n = read (fd, buf, sizeof buf - 1)) <= 0)
    return -1;
  buf[n] = '\0';
  /* The name (field 2) may hold anything, spaces and parentheses included. */
  p = strrchr (buf, ')');
  if (p == NULL)
    return -1;
  while (i < sizeof fields / sizeof fields[0])
    {
      char *end;
      unsigned long long v;

      p = strchr (p, ' ');
      if (p == NULL)
        return -1;
      p++;
      field++;
      if (field != fields[i].field)
        continue;
      errno = 0;
      v = strtoull (p, &end, 10);
      if (errno || end == p || (*end != ' ' && *end != '\n'))
        return -1;
      *(uint64_t *) ((char *) m + fields[i].off) = v;
      i++;
    }
  m->brk = (unsigned long) syscall (SYS_brk, 0);
  m->auxv = NULL;
  m->auxv_size = 0;
  return 0;
}

/* memcpy, but not the C library's: a sanitizer's memcpy checks the range it
 * reads, and an ASan build's data segment holds the poisoned redzones between
 * its globals. */
__attribute__ ((no_sanitize_address)) static void
copy_words (uintptr_t *dst, const volatile uintptr_t *src, size_t n)
{
  for (size_t i = 0; i < n; i++)
    dst[i] = src[i];
}

/* A written segment, [lo, hi) of the address space from file offset off:
 * the mount's file `fd` mapped privately elsewhere (populated: made private
 * for the copy in one call), given the current bytes, moved over in one piece
 * (mremap moves one mapping), then its part in [relro_lo, relro_hi) made
 * read-only.  Nothing writes to the range between the copy and the move. */
static int
copy_written_segment (int fd, uintptr_t lo, uintptr_t hi, off_t off, int prot,
                      uintptr_t relro_lo, uintptr_t relro_hi)
{
  uintptr_t r_lo = relro_lo > lo ? relro_lo : lo, r_hi = relro_hi < hi ? relro_hi : hi;
  void *tmp = mmap (NULL, hi - lo, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_POPULATE, fd, off);

  if (tmp == MAP_FAILED)
    return -1;
  copy_words (tmp, (const volatile uintptr_t *) lo, (hi - lo) / sizeof (uintptr_t));
  if ((void *) syscall (SYS_mremap, tmp, hi - lo, hi - lo, MREMAP_MAYMOVE | MREMAP_FIXED,
                        (void *) lo)
      != (void *) lo)
    {
      munmap (tmp, hi - lo);
      return -1;
    }
  if ((prot != (PROT_READ | PROT_WRITE) && mprotect ((void *) lo, hi - lo, prot) < 0)
      || (r_lo < r_hi && mprotect ((void *) r_lo, r_hi - r_lo, PROT_READ) < 0))
    return -1;
  return 0;
}

/* 0: make the read-only bind mount of the binary (a file of the detached mount
 * `tree`) this process's exe without executing anything: every mapping of the
 * binary is replaced by the same pages of the mount's file (the segments no one
 * writes) or by a copy of them (the written ones: .data, and the relocated
 * RELRO, which becomes read-only), then PR_SET_MM_MAP, which only accepts a new
 * exe once no mapping of the old one is left, swaps mm->exe_file.  The code that
 * does it runs from the text it remaps: the same bytes of the same inode at the
 * same address.  Returns -1 with errno set when it cannot; then the mappings
 * may already be the mount's (the same content) and the exe is still the
 * binary, which the execution from the mount that follows replaces. */
static int
swap_to_ro_bind (int tree)
{
  const ElfW (Phdr) *ph = (const ElfW (Phdr) *) getauxval (AT_PHDR);
  size_t phnum = getauxval (AT_PHNUM), page = getauxval (AT_PAGESZ);
  uintptr_t base = 0, relro_lo = 0, relro_hi = 0;
  struct prctl_mm_map map;
  char path[32];
  bool have_base = false;
  cleanup_close int fd = -1;

  if (ph == NULL || phnum == 0 || page == 0)
    return -1;
  /* The load address: the ELF header's address less the address its segment
   * (the one at file offset 0) asks for. */
  for (size_t i = 0; i < phnum; i++)
    if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0)
      {
        base = (uintptr_t) __ehdr_start - ph[i].p_vaddr;
        have_base = true;
      }
  if (!have_base)
    {
      errno = ENOEXEC;
      return -1;
    }
  for (size_t i = 0; i < phnum; i++)
    if (ph[i].p_type == PT_GNU_RELRO)
      {
        relro_lo = (base + ph[i].p_vaddr) & ~(page - 1);
        relro_hi = (base + ph[i].p_vaddr + ph[i].p_memsz) & ~(page - 1);
      }
  snprintf (path, sizeof path, "/proc/self/fd/%d", tree);
  fd = openat (AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || current_mm_map (&map) < 0)
    return -1;
  for (size_t i = 0; i < phnum; i++)
    {
      uintptr_t lo, hi, off;
      int prot = 0;

      if (ph[i].p_type != PT_LOAD || ph[i].p_filesz == 0)
        continue;
      lo = (base + ph[i].p_vaddr) & ~(page - 1);
      hi = (base + ph[i].p_vaddr + ph[i].p_filesz + page - 1) & ~(page - 1);
      off = ph[i].p_offset & ~(page - 1);
      prot = (ph[i].p_flags & PF_R ? PROT_READ : 0) | (ph[i].p_flags & PF_W ? PROT_WRITE : 0)
             | (ph[i].p_flags & PF_X ? PROT_EXEC : 0);
      if (!(ph[i].p_flags & PF_W))
        {
          /* Unwritten since the kernel mapped it: the mount's file has the
           * same bytes (one inode, one page cache).  Populated: the old
           * mapping's page table entries go with it, and one call maps the
           * cached pages back where the code would fault them in one by one. */
          if (mmap ((void *) lo, hi - lo, prot, MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, fd,
                    (off_t) off)
              != (void *) lo)
            return -1;
          continue;
        }
      if (copy_written_segment (fd, lo, hi, (off_t) off, prot, relro_lo, relro_hi) < 0)
        return -1;
    }
  map.exe_fd = (uint32_t) fd;
  return prctl (PR_SET_MM, PR_SET_MM_MAP, (unsigned long) &map, sizeof map, 0);
}

/* 1: execute from a detached read-only bind mount of the binary, or first try
 * to become it in place (0, above).  Returns -1 with errno set when it
 * cannot; returns 0 when the swap did it. */
static int
exec_ro_bind (char **argv)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
  /* Not close-on-exec: the second image closes it when it suits (exeseal.h). */
  cleanup_close int fd = open_tree (AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE);

  if (fd < 0 || mount_setattr (fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return -1;
  /* The check the new image makes: if it could fail there, we would loop. */
  if (!fd_is_sealed (fd))
    {
      errno = EROFS;
      return -1;
    }
  if (swap_to_ro_bind (fd) == 0 && husk_exe_is_sealed ())
    {
      if (fcntl (fd, F_SETFD, FD_CLOEXEC) < 0)
        return -1;
      clone_fd = fd;
      fd = -1;
      return 0;
    }
  /* The new image adopts the fd (and makes it close-on-exec at once); after
   * it is closed, the mount lives on only as the exe of the processes that run
   * from it. */
  execveat (fd, "", argv, env_with_clone_fd (fd), AT_EMPTY_PATH);
  return -1;
}

/* 2: execute from a sealed memfd copy of the binary. */
static int
exec_memfd (char **argv)
{
  cleanup_close int src = openat (AT_FDCWD, "/proc/self/exe", O_RDONLY | O_CLOEXEC);
  cleanup_close int mfd = -1;
  struct stat st;
  off_t off = 0;

  if (src < 0 || fstat (src, &st) < 0)
    return -1;
  /* MFD_EXEC: executable even where vm.memfd_noexec makes memfds noexec by
   * default (Linux 6.3); older kernels refuse the flag. */
  mfd = memfd_create ("husk", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL)
    mfd = memfd_create ("husk", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return -1;
  while (off < st.st_size)
    {
      ssize_t n = sendfile (mfd, src, &off, st.st_size - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          if (n == 0)
            errno = EIO;
          return -1;
        }
    }
  if (fcntl (mfd, F_ADD_SEALS, EXE_SEALS | F_SEAL_SEAL) < 0)
    return -1;
  if (!fd_is_sealed (mfd))
    {
      errno = EPERM;
      return -1;
    }
  fexecve (mfd, argv, environ);
  return -1;
}

int
husk_exe_seal (char **argv, struct husk_error **err)
{
  int bind_errno;

  cleanup_close int exe = open_exe ();

  if (exe >= 0 && fd_is_sealed (exe))
    {
      adopt_clone_fd (exe);
      restore_comm (argv[0]);
      return 0;
    }
  if (exec_ro_bind (argv) == 0)
    return 0;
  bind_errno = errno;
  exec_memfd (argv);
  return husk_error_set (err, errno,
                         "run husk from a sealed copy of its binary (read-only bind mount: "
                         "errno %d; sealed memfd)",
                         bind_errno);
}
