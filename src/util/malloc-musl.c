/* husk's memory allocator, for the static musl build only (the Makefile leaves
 * this file out of a glibc build, where ASan and glibc's malloc stay).
 *
 * Why: a husk command lives a few milliseconds, makes a few thousand small
 * allocations and exits.  musl's mallocng maps and unmaps pages as its groups
 * fill and empty, so `run` made some 30 mmap/munmap pairs, each unmap a TLB
 * flush, and spent a tenth of its user time in the allocator: 0.4 ms of a
 * 4.8 ms `run` (contrib/bench, interleaved A/B).
 *
 * How: requests up to 4 KiB round up to a power of two (16 .. 4096) and are
 * carved from 64 KiB arenas; a freed block goes on its size class's free list
 * and is reused by the next request of that class.  Arenas are never returned
 * (the long-lived commands, `run` in the foreground, `events`, allocate little
 * and in steady patterns).  Larger requests get their own mapping, which free
 * unmaps and realloc grows with mremap.  An arena, and a large block of up to
 * an arena's size, is mapped populated (MAP_POPULATE): `run` fills most of
 * its first arena, and one system call that makes 16 pages present costs less
 * than the 10 page faults it saves (a trap each, dear under a hypervisor).
 *
 * Every block has a 16-byte header (so user memory stays 16-byte aligned) with
 * a magic number that says whether it is in use or free: freeing a free block
 * (double free), a pointer that is not a block, or a block whose header was
 * overwritten (an overflow of the block before it) aborts; so does taking a
 * free-list entry whose header is not that of a free block of its class.
 * Free-list links are stored XORed with a secret from AT_RANDOM, so a write
 * after free cannot plant a chosen address.  husk is single-threaded
 * (no pthread anywhere); musl's own internal allocations (__libc_malloc, used
 * by posix_spawn's file actions) still go to mallocng, paired with its own
 * __libc_free, as musl arranges when malloc is replaced. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAGIC_USED 0x6875736bu /* "husk" */
#define MAGIC_FREE 0x66726565u /* "free" */
#define MIN_SHIFT 4            /* 16 bytes */
#define NCLASSES 9             /* 16, 32, ... 4096 */
#define CLASS_BIG NCLASSES     /* its own mapping */
#define ARENA_SIZE (64 * 1024)
#define PAGE 4096u

struct block
{
  uint32_t magic;
  uint32_t cls;
  size_t size; /* usable bytes after the header */
};

_Static_assert (sizeof (struct block) == 16, "the header keeps 16-byte alignment");

static struct block *free_list[NCLASSES]; /* links XORed with secret */
static uintptr_t secret;
static char *arena;
static size_t arena_left;

static __attribute__ ((noreturn)) void
corrupt (const char *what)
{
  static const char pre[] = "husk: heap corruption: ";
  size_t n = strlen (what);

  /* write(2): neither stdio nor the heap can be trusted now. */
  if (write (STDERR_FILENO, pre, sizeof pre - 1) < 0 || write (STDERR_FILENO, what, n) < 0
      || write (STDERR_FILENO, "\n", 1) < 0)
    abort ();
  abort ();
}

static uintptr_t
link_key (void)
{
  if (secret == 0)
    {
      const unsigned char *r = (const unsigned char *) getauxval (AT_RANDOM);
      uintptr_t k = 0;

      if (r != NULL)
        memcpy (&k, r + 8, sizeof k); /* the first 8 bytes are the stack canary */
      secret = k | 1;
    }
  return secret;
}

static void *
map (size_t len, int flags)
{
  void *p = mmap (NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);

  return p == MAP_FAILED ? NULL : p;
}

static size_t
page_up (size_t n)
{
  return (n + PAGE - 1) & ~(size_t) (PAGE - 1);
}

/* A block of its own mapping: the header sits right before a user pointer
 * aligned to ALIGN (16 or more); the mapping runs from the header's page to
 * the end of the usable size. */
static void *
alloc_big (size_t n, size_t align)
{
  size_t len;
  char *base, *user, *start, *end;
  struct block *b;

  if (n > SIZE_MAX / 2 - align - PAGE)
    {
      errno = ENOMEM;
      return NULL;
    }
  len = page_up (n + sizeof *b + align);
  base = map (len, len <= ARENA_SIZE ? MAP_POPULATE : 0);
  if (base == NULL)
    {
      errno = ENOMEM;
      return NULL;
    }
  user = (char *) (((uintptr_t) base + sizeof *b + align - 1) & ~(uintptr_t) (align - 1));
  b = (struct block *) user - 1;
  start = (char *) ((uintptr_t) b & ~(uintptr_t) (PAGE - 1));
  end = (char *) page_up ((uintptr_t) user + n);
  if (start > base)
    munmap (base, (size_t) (start - base));
  if (base + len > end)
    munmap (end, (size_t) (base + len - end));
  b->magic = MAGIC_USED;
  b->cls = CLASS_BIG;
  b->size = (size_t) (end - user);
  return user;
}

static void
free_big (struct block *b)
{
  char *start = (char *) ((uintptr_t) b & ~(uintptr_t) (PAGE - 1));
  char *end = (char *) (b + 1) + b->size;

  munmap (start, (size_t) (end - start));
}

static unsigned
class_of (size_t n)
{
  unsigned c = 0;

  while (c < NCLASSES && ((size_t) 1 << (c + MIN_SHIFT)) < n)
    c++;
  return c;
}

void *
malloc (size_t n)
{
  unsigned c = class_of (n);
  size_t size;
  struct block *b;

  if (c == CLASS_BIG)
    return alloc_big (n, 16);
  size = (size_t) 1 << (c + MIN_SHIFT);
  b = free_list[c];
  if (b != NULL)
    {
      if (b->magic != MAGIC_FREE || b->cls != c)
        corrupt ("a free block's header was overwritten");
      free_list[c] = (struct block *) (*(uintptr_t *) (b + 1) ^ link_key ());
      b->magic = MAGIC_USED;
      return b + 1;
    }
  if (arena_left < sizeof *b + size)
    {
      arena = map (ARENA_SIZE, MAP_POPULATE);
      if (arena == NULL)
        {
          arena_left = 0;
          errno = ENOMEM;
          return NULL;
        }
      arena_left = ARENA_SIZE;
    }
  b = (struct block *) arena;
  arena += sizeof *b + size;
  arena_left -= sizeof *b + size;
  b->magic = MAGIC_USED;
  b->cls = c;
  b->size = size;
  return b + 1;
}

static struct block *
used_block (void *p)
{
  struct block *b = (struct block *) p - 1;

  if ((uintptr_t) p % 16 != 0)
    corrupt ("free of a pointer that is not a block");
  if (b->magic == MAGIC_FREE)
    corrupt ("double free");
  if (b->magic != MAGIC_USED || b->cls > CLASS_BIG
      || (b->cls < CLASS_BIG && b->size != (size_t) 1 << (b->cls + MIN_SHIFT)))
    corrupt ("free of a pointer that is not a block, or whose header was overwritten");
  return b;
}

void
free (void *p)
{
  struct block *b;

  if (p == NULL)
    return;
  b = used_block (p);
  if (b->cls == CLASS_BIG)
    {
      free_big (b);
      return;
    }
  b->magic = MAGIC_FREE;
  *(uintptr_t *) p = (uintptr_t) free_list[b->cls] ^ link_key ();
  free_list[b->cls] = b;
}

void *
calloc (size_t count, size_t size)
{
  size_t n;
  void *p;

  if (__builtin_mul_overflow (count, size, &n))
    {
      errno = ENOMEM;
      return NULL;
    }
  p = malloc (n);
  if (p != NULL && class_of (n) != CLASS_BIG) /* a new mapping is zero already */
    memset (p, 0, n);
  return p;
}

void *
realloc (void *p, size_t n)
{
  struct block *b;
  void *q;

  if (p == NULL)
    return malloc (n);
  b = used_block (p);
  if (n <= b->size)
    return p;
  if (b->cls == CLASS_BIG && (uintptr_t) b % PAGE == 0 && n <= SIZE_MAX / 2)
    {
      /* The header starts the mapping (the alignment was 16): move it whole. */
      size_t old = sizeof *b + b->size, len = page_up (sizeof *b + n);
      struct block *nb = mremap (b, old, len, MREMAP_MAYMOVE);

      if (nb == MAP_FAILED)
        {
          errno = ENOMEM;
          return NULL;
        }
      nb->size = len - sizeof *nb;
      return nb + 1;
    }
  q = malloc (n);
  if (q == NULL)
    return NULL;
  memcpy (q, p, b->size);
  free (p);
  return q;
}

void *
aligned_alloc (size_t align, size_t n)
{
  if (align == 0 || (align & (align - 1)) != 0)
    {
      errno = EINVAL;
      return NULL;
    }
  if (align <= 16)
    return malloc (n);
  return alloc_big (n, align);
}

int
posix_memalign (void **out, size_t align, size_t n)
{
  void *p;

  if (align < sizeof (void *) || (align & (align - 1)) != 0)
    return EINVAL;
  p = aligned_alloc (align, n);
  if (p == NULL)
    return ENOMEM;
  *out = p;
  return 0;
}

void *
memalign (size_t align, size_t n)
{
  return aligned_alloc (align, n);
}

size_t
malloc_usable_size (void *p)
{
  return p == NULL ? 0 : used_block (p)->size;
}
