/* Unit tests for linux/exeseal.c (TAP output): this program seals itself
 * through husk_exe_seal() in a child, by each way (in place, or re-executed
 * from the read-only bind mount or the sealed memfd), and the sealed image
 * checks what it kept and that its /proc/self/exe is sealed.
 *
 *   test_exeseal                                  the tests
 *   test_exeseal --sealed-child WAY PID FD CWD    the re-executed image (internal) */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <link.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/exeseal.h"
#include "util/error.h"

#include "tap.h"

static void
skip (const char *what, const char *why)
{
  printf ("ok %d - %s # skip %s\n", ++n_tests, what, why);
  fflush (stdout);
}

/* The mappings of the binary at `self` (its device and inode) in this
 * process: each one's file (map_files) on a read-only mount.  Returns how
 * many, or -1 when one is not. */
static int
maps_on_ro_mount (const char *self)
{
  struct stat st;
  char line[512], range[64], perms[8], path[128];
  unsigned long long off, ino;
  unsigned maj, min;
  int n = 0;
  FILE *f = fopen ("/proc/self/maps", "re");

  if (f == NULL || stat (self, &st) < 0)
    return -1;
  while (fgets (line, sizeof line, f))
    {
      struct statvfs sv;

      if (sscanf (line, "%63s %7s %llx %x:%x %llu", range, perms, &off, &maj, &min, &ino) != 6
          || ino != st.st_ino || makedev (maj, min) != st.st_dev)
        continue;
      snprintf (path, sizeof path, "/proc/self/map_files/%s", range);
      if (statvfs (path, &sv) < 0 || !(sv.f_flag & ST_RDONLY))
        {
          fprintf (stderr, "# %s maps the binary off a read-only mount\n", range);
          n = -1;
          break;
        }
      n++;
    }
  fclose (f);
  return n;
}

extern const char __ehdr_start[];

/* Whether the pages of this program's RELRO (the relocated data the start
 * code leaves read-only) are mapped read-only: true when it has none. */
static bool
relro_read_only (void)
{
  const ElfW (Phdr) *ph = (const ElfW (Phdr) *) getauxval (AT_PHDR);
  size_t phnum = getauxval (AT_PHNUM);
  uintptr_t base = 0, lo = 0, hi = 0;
  char line[512];
  bool ok = true;
  FILE *f;

  for (size_t i = 0; ph && i < phnum; i++)
    if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0)
      base = (uintptr_t) __ehdr_start - ph[i].p_vaddr;
  for (size_t i = 0; ph && i < phnum; i++)
    if (ph[i].p_type == PT_GNU_RELRO)
      {
        lo = (base + ph[i].p_vaddr) & ~(uintptr_t) 4095;
        hi = (base + ph[i].p_vaddr + ph[i].p_memsz) & ~(uintptr_t) 4095;
      }
  if (lo >= hi || (f = fopen ("/proc/self/maps", "re")) == NULL)
    return lo >= hi;
  while (fgets (line, sizeof line, f))
    {
      unsigned long a, b;
      char perms[8];

      if (sscanf (line, "%lx-%lx %7s", &a, &b, perms) == 3 && a < hi && b > lo
          && strncmp (perms, "r--", 3) != 0)
        {
          fprintf (stderr, "# RELRO %lx-%lx: %s", (unsigned long) lo, (unsigned long) hi, line);
          ok = false;
        }
    }
  fclose (f);
  return ok;
}

/* Set before husk_exe_seal: still set in the sealed image only if it sealed
 * in place (an execution starts a fresh image). */
static int first_image;

/* The sealed image: exit 0 when all is as the parent left it. */
static int
sealed_child (char **argv)
{
  const char *way = argv[2];
  struct husk_error *err = NULL;
  struct statvfs sv;
  char cwd[4096], comm[32] = "";
  int fd, seals, bad = 0;
  FILE *f;

#define CHECK(cond)                                                                                \
  do                                                                                               \
    if (!(cond))                                                                                   \
      {                                                                                            \
        fprintf (stderr, "# %s: %s failed\n", way, #cond);                                         \
        bad = 1;                                                                                   \
      }                                                                                            \
  while (0)

  /* As main() does: sealed already, so it returns without executing anything
   * (and gives the process its name back). */
  CHECK (husk_exe_seal (argv, &err) == 0 && err == NULL);
  CHECK (husk_exe_is_sealed ());
  fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  CHECK (fd >= 0);
  seals = fcntl (fd, F_GET_SEALS);
  if (strncmp (way, "bind", 4) == 0)
    {
      CHECK (fstatvfs (fd, &sv) == 0 && (sv.f_flag & ST_RDONLY) && (sv.f_flag & ST_NOSUID));
      /* The text, the read-only data and the data, all the mount's. */
      CHECK (maps_on_ro_mount (argv[0]) >= 3);
      CHECK (first_image == (strcmp (way, "bind") == 0));
      /* In place, the written segment is a copy: its RELRO part read-only
       * again. */
      CHECK (relro_read_only ());
    }
  else
    CHECK (seals >= 0 && (seals & (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL))
                             == (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL));
  close (fd);
  CHECK (getpid () == atoi (argv[3]));
  CHECK (fcntl (atoi (argv[4]), F_GETFD) == 0); /* open, and not close-on-exec */
  CHECK (getcwd (cwd, sizeof cwd) && strcmp (cwd, argv[5]) == 0);
  CHECK (getenv ("EXESEAL_TEST") && strcmp (getenv ("EXESEAL_TEST"), "kept") == 0);
  f = fopen ("/proc/self/comm", "re");
  CHECK (f && fgets (comm, sizeof comm, f) && strcmp (comm, "test_exeseal\n") == 0);
  if (f)
    fclose (f);
  return bad;
}

/* Drop CAP_SYS_ADMIN from the effective set: open_tree is refused (EPERM). */
static int
drop_sys_admin (void)
{
  struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
  struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

  if (syscall (SYS_capget, &h, d) < 0)
    return -1;
  d[CAP_TO_INDEX (CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK (CAP_SYS_ADMIN);
  return (int) syscall (SYS_capset, &h, d);
}

/* prctl(PR_SET_MM, ...) fails with EPERM from now on (a seccomp filter), as
 * without CONFIG_CHECKPOINT_RESTORE: no swap in place. */
static int
refuse_set_mm (void)
{
  struct sock_filter code[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 0, 3),
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, args[0])),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, PR_SET_MM, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { .len = sizeof code / sizeof code[0], .filter = code };

  return (int) syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* Fork; the child seals this program by WAY: "bind" in place (then it checks
 * itself), "bind-exec" and "memfd" re-executed as --sealed-child WAY; its
 * status. */
static int
reexec (const char *self, const char *way)
{
  pid_t pid = fork ();
  int st;

  if (pid < 0)
    return -1;
  if (pid == 0)
    {
      char spid[16], sfd[16];
      char *args[] = { (char *) self, (char *) "--sealed-child", (char *) way, spid, sfd, (char *) "/dev", NULL };
      struct husk_error *err = NULL;
      int fd = open ("/dev/null", O_RDONLY);

      snprintf (spid, sizeof spid, "%d", getpid ());
      snprintf (sfd, sizeof sfd, "%d", fd);
      setenv ("EXESEAL_TEST", "kept", 1);
      if (chdir ("/dev") < 0 || (strcmp (way, "memfd") == 0 && drop_sys_admin () < 0)
          || (strcmp (way, "bind-exec") == 0 && refuse_set_mm () < 0))
        _exit (3);
      first_image = 1;
      if (husk_exe_seal (args, &err) == 0 && strcmp (way, "bind") == 0)
        _exit (sealed_child (args));
      if (err)
        fprintf (stderr, "# %s: %s (errno %d)\n", way, err->msg, err->errnum);
      _exit (4);
    }
  if (waitpid (pid, &st, 0) < 0)
    return -1;
  return WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
}

/* No fd to open: neither way works, and husk_exe_seal says so. */
static void
test_fail_closed (void)
{
  pid_t pid = fork ();
  int st = -1;

  if (pid == 0)
    {
      struct rlimit rl = { 0, 0 };
      char *args[] = { (char *) "/nonexistent", NULL };
      struct husk_error *err = NULL;

      if (setrlimit (RLIMIT_NOFILE, &rl) < 0)
        _exit (3);
      _exit (husk_exe_seal (args, &err) == -1 && err && err->errnum == EMFILE ? 0 : 1);
    }
  if (pid > 0)
    waitpid (pid, &st, 0);
  result (pid > 0 && WIFEXITED (st) && WEXITSTATUS (st) == 0,
          "without any way to seal, husk_exe_seal fails (and does not run unsealed)");
}

int
main (int argc, char **argv)
{
  char self[4096];
  struct statvfs sv;
  ssize_t n;

  if (argc == 6 && strcmp (argv[1], "--sealed-child") == 0)
    return sealed_child (argv);

  /* The path of this binary, for argv[0]: the comm check wants its name. */
  n = readlink ("/proc/self/exe", self, sizeof self - 1);
  if (n < 0)
    return 1;
  self[n] = '\0';

  if (statvfs (self, &sv) == 0 && (sv.f_flag & ST_RDONLY))
    skip ("the build's binary is not sealed", "the build is on a read-only mount");
  else
    result (!husk_exe_is_sealed (), "the build's binary is not sealed");
  if (geteuid () != 0)
    {
      skip ("a read-only bind mount in place", "needs root");
      skip ("re-execution through a read-only bind mount", "needs root");
      skip ("re-execution through a sealed memfd", "needs root");
    }
  else
    {
      result (reexec (self, "bind") == 0,
              "a read-only bind mount becomes the exe in place, every mapping its own, keeping "
              "pid, fds, cwd, env, name");
      result (reexec (self, "bind-exec") == 0,
              "where PR_SET_MM is refused, re-execution through a read-only bind mount keeps "
              "pid, fds, cwd, env, name");
      result (reexec (self, "memfd") == 0,
              "without CAP_SYS_ADMIN, through a sealed memfd, keeping pid, fds, cwd, env, name");
    }
  test_fail_closed ();

  return tap_done ();
}
