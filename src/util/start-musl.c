/* The entry point of the static-pie musl build, in place of musl's rcrt1.o
 * (the Makefile links this file first and leaves it out of a glibc build).
 *
 * Why: a static PIE relocates itself before main.  musl 1.2.3's start code
 * applies only REL/RELA relocations, one 24-byte entry per pointer: 44 KiB of
 * husk's 450 KiB.  The linker can pack them (-z pack-relative-relocs: DT_RELR,
 * a bitmap of the words to adjust) into a few hundred bytes, and this start
 * code applies both forms.
 *
 * Nothing here may use a pointer stored in the binary before the relocations
 * are applied, nor the stack protector (its canary lives in the thread area,
 * which __libc_start_main sets up): the file is compiled with
 * -fno-stack-protector, the symbols it uses are hidden (reached relative to
 * the instruction pointer), and it branches with if/else (a switch may become
 * a table of addresses).  The Makefile checks after linking that every dynamic
 * relocation is a relative one: anything else would need a symbol lookup,
 * which a static binary cannot do. */
#include <elf.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>

#if !defined(__x86_64__)
#error "start-musl.c: the static musl build starts on x86_64 only; build with LIBC=glibc"
#endif

#define HIDDEN __attribute__ ((visibility ("hidden")))

/* The gABI's packed relocations, which musl 1.2.3's elf.h does not name yet. */
#ifndef DT_RELR
#define DT_RELRSZ 35
#define DT_RELR 36
#endif
typedef uint64_t relr_t;

extern const ElfW (Dyn) _DYNAMIC[] HIDDEN;
extern const char __ehdr_start[] HIDDEN; /* the ELF header: the load address */

int main (int, char **, char **);
int __libc_start_main (int (*) (int, char **, char **), int, char **, void (*) (void),
                       void (*) (void), void (*) (void));
void husk_start_c (uintptr_t *sp) HIDDEN __attribute__ ((noreturn, used));

__asm__ (".text\n"
         ".global _start\n"
         ".type _start, @function\n"
         "_start:\n"
         "  xor %rbp, %rbp\n" /* the outermost frame */
         "  mov %rsp, %rdi\n" /* argc, argv..., envp..., auxv */
         "  and $-16, %rsp\n"
         "  call husk_start_c\n"
         "  hlt\n");

static void __attribute__ ((noreturn))
die (void)
{
  /* No stdio yet: crash at once, visibly (SIGILL), rather than run with
   * pointers half relocated. */
  __builtin_trap ();
}

/* System calls, inline: musl's syscall() may set errno, which lives in the
 * thread area, not set up yet. */
static long
raw_syscall3 (long nr, uintptr_t a, size_t b, long c)
{
  long ret;

  __asm__ volatile ("syscall"
                    : "=a"(ret)
                    : "a"(nr), "D"(a), "S"(b), "d"(c)
                    : "rcx", "r11", "memory");
  return ret;
}

#define SYS_MPROTECT 10
#define SYS_MADVISE 28
#define POPULATE_READ 22  /* MADV_POPULATE_READ and _WRITE, Linux 5.14; EINVAL before: ignored */
#define POPULATE_WRITE 23
#define STACK_AHEAD (32 * 1024)

/* The pages every command touches first, made present in one system call
 * each rather than one page fault each: the written segment (the relocations
 * below write into nearly every page of it, each a copy-on-write fault of the
 * file's page), the top of the stack (the deepest paths of `run` use some 20
 * KiB), and the code and read-only data (already in the page cache: a fault
 * maps 16 pages around the one asked for, and a command takes some ten).  A
 * fault is a trap; under a hypervisor that shadows page tables (the bench
 * machine's, see README) it costs some 15 us, madvise populates the same pages
 * for the price of one entry.  Failure changes nothing: the pages fault in as
 * before. */
static void
populate (const uintptr_t *sp)
{
  const ElfW (Ehdr) *eh = (const ElfW (Ehdr) *) __ehdr_start;
  const ElfW (Phdr) *ph = (const ElfW (Phdr) *) (__ehdr_start + eh->e_phoff);
  uintptr_t base = (uintptr_t) __ehdr_start, top = ((uintptr_t) sp + 4095) & ~(uintptr_t) 4095;

  raw_syscall3 (SYS_MADVISE, top - STACK_AHEAD, STACK_AHEAD, POPULATE_WRITE);
  for (int i = 0; i < eh->e_phnum; i++)
    if (ph[i].p_type == PT_LOAD && ph[i].p_filesz > 0)
      {
        uintptr_t lo = (base + ph[i].p_vaddr) & ~(uintptr_t) 4095;
        uintptr_t hi = (base + ph[i].p_vaddr + ph[i].p_filesz + 4095) & ~(uintptr_t) 4095;

        raw_syscall3 (SYS_MADVISE, lo, hi - lo,
                      (ph[i].p_flags & PF_W) ? POPULATE_WRITE : POPULATE_READ);
      }
}

/* RELRO: the relocated data that stays constant after (.data.rel.ro: tables
 * of pointers, husk's commands among them) becomes read-only, as the dynamic
 * loader makes it for a dynamic program; musl's start code for a static PIE
 * leaves it writable.  Whole pages only: the segment's end is page-aligned by
 * the linker.  A failure is fatal: the process would run with less than it
 * should. */
static void
protect_relro (void)
{
  const ElfW (Ehdr) *eh = (const ElfW (Ehdr) *) __ehdr_start;
  const ElfW (Phdr) *ph = (const ElfW (Phdr) *) (__ehdr_start + eh->e_phoff);
  uintptr_t base = (uintptr_t) __ehdr_start;

  for (int i = 0; i < eh->e_phnum; i++)
    if (ph[i].p_type == PT_GNU_RELRO)
      {
        uintptr_t lo = (base + ph[i].p_vaddr) & ~(uintptr_t) 4095;
        uintptr_t hi = (base + ph[i].p_vaddr + ph[i].p_memsz) & ~(uintptr_t) 4095;

        if (lo < hi && raw_syscall3 (SYS_MPROTECT, lo, hi - lo, 1 /* PROT_READ */) != 0)
          die ();
      }
}

void
husk_start_c (uintptr_t *sp)
{
  uintptr_t base = (uintptr_t) __ehdr_start;
  const ElfW (Rela) *rela = NULL;
  const relr_t *relr = NULL;
  size_t relasz = 0, relrsz = 0;
  int argc = (int) sp[0];
  char **argv = (char **) (sp + 1);

  populate (sp);
  for (const ElfW (Dyn) *d = _DYNAMIC; d->d_tag != DT_NULL; d++)
    {
      if (d->d_tag == DT_RELA)
        rela = (const ElfW (Rela) *) (base + d->d_un.d_ptr);
      else if (d->d_tag == DT_RELASZ)
        relasz = d->d_un.d_val;
      else if (d->d_tag == DT_RELR)
        relr = (const relr_t *) (base + d->d_un.d_ptr);
      else if (d->d_tag == DT_RELRSZ)
        relrsz = d->d_un.d_val;
      else if (d->d_tag == DT_REL || d->d_tag == DT_JMPREL)
        die (); /* not what x86_64's linker makes for a static PIE */
    }

  /* RELA: each entry names one word, set to base + addend. */
  for (size_t i = 0; i < relasz / sizeof *rela; i++)
    {
      if (ELF64_R_TYPE (rela[i].r_info) != R_X86_64_RELATIVE)
        die ();
      *(uintptr_t *) (base + rela[i].r_offset) = base + (uintptr_t) rela[i].r_addend;
    }

  /* RELR: an even entry is the address of a word to adjust (by adding base),
   * and starts a run; an odd entry is a bitmap of the 63 words after the run's
   * position, whose bit i (from bit 1) says whether word i - 1 is adjusted. */
  uintptr_t *where = NULL;
  for (size_t i = 0; i < relrsz / sizeof *relr; i++)
    {
      relr_t e = relr[i];

      if ((e & 1) == 0)
        {
          where = (uintptr_t *) (base + e);
          *where++ += base;
        }
      else if (where != NULL)
        {
          for (size_t bit = 0; (e >>= 1) != 0; bit++)
            if (e & 1)
              where[bit] += base;
          where += 8 * sizeof e - 1;
        }
      else
        die ();
    }

  protect_relro ();
  /* musl ignores the three function arguments: it runs _init and the
   * init_array itself. */
  __libc_start_main (main, argc, argv, NULL, NULL, NULL);
  die ();
}
