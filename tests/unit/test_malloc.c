/* husk's allocator (src/util/malloc-musl.c, the static musl build): sizes,
 * alignment, reuse, calloc's zeroing and overflow, realloc keeping the bytes,
 * big blocks unmapped on free, and the corruption it refuses (double free, a
 * pointer that is not a block, an overwritten header), each in a child that
 * must die of SIGABRT with the message.  Built against glibc (LIBC=glibc,
 * check-asan), the file tests glibc's malloc for what both promise and skips
 * the rest. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

static bool ours; /* husk's allocator is the one linked */

/* Called through volatile pointers, so that the compiler cannot see (and
 * drop, or warn about) the misuse these tests commit on purpose. */
static void *(*volatile m_alloc) (size_t) = malloc;
static void *(*volatile m_calloc) (size_t, size_t) = calloc;
static void (*volatile m_free) (void *) = free;

static bool
aligned (const void *p, size_t a)
{
  return ((uintptr_t) p & (a - 1)) == 0;
}

static bool
filled (const unsigned char *p, size_t n, unsigned char c)
{
  for (size_t i = 0; i < n; i++)
    if (p[i] != c)
      return false;
  return true;
}

static bool
mapped (const void *p)
{
  unsigned char v;
  void *page = (void *) ((uintptr_t) p & ~(uintptr_t) 4095);

  return mincore (page, 4096, &v) == 0;
}

/* Run fn in a child: true when it died of SIGABRT and wrote want to stderr. */
static bool
aborts (void (*fn) (void), const char *want)
{
  int pfd[2], status;
  char buf[512] = "";
  ssize_t n, len = 0;
  pid_t pid;

  if (pipe (pfd) < 0)
    return false;
  pid = fork ();
  if (pid == 0)
    {
      dup2 (pfd[1], STDERR_FILENO);
      close (pfd[0]);
      fn ();
      _exit (0);
    }
  close (pfd[1]);
  while ((n = read (pfd[0], buf + len, sizeof buf - 1 - (size_t) len)) > 0)
    len += n;
  close (pfd[0]);
  buf[len] = '\0';
  if (waitpid (pid, &status, 0) != pid)
    return false;
  if (!WIFSIGNALED (status) || WTERMSIG (status) != SIGABRT)
    {
      printf ("# child status %#x, stderr: %s\n", status, buf);
      return false;
    }
  if (strstr (buf, want) == NULL)
    {
      printf ("# stderr: %s\n", buf);
      return false;
    }
  return true;
}

static void
double_free (void)
{
  char *p = m_alloc (40);
  m_free (p);
  m_free (p);
}

static void
not_a_block (void)
{
  char *p = m_alloc (100);
  m_free (p + 16);
}

static void
misaligned (void)
{
  char *p = m_alloc (100);
  m_free (p + 1);
}

static void
overflow_into_next (void)
{
  char *a = m_alloc (32), *b = m_alloc (32);
  /* a and b are neighbours in the arena: 32 bytes of a, then b's header. */
  if (b != a + 32 + 16)
    _exit (3);
  memset (a, 'x', 32 + 8);
  m_free (b);
}

static void
overflow_into_free (void)
{
  char *a = m_alloc (64), *b = m_alloc (64);
  if (b != a + 64 + 16)
    _exit (3);
  m_free (b);
  memset (a, 'x', 64 + 16);
  (void) m_alloc (64);
}

static void
test_sizes (void)
{
  enum { N = 5000 };
  static unsigned char *p[N + 1];
  bool ok_align = true, ok_usable = true, ok_keep = true;

  for (size_t n = 0; n <= N; n++)
    {
      p[n] = malloc (n);
      if (p[n] == NULL || !aligned (p[n], 16))
        ok_align = false;
      if (p[n] && malloc_usable_size (p[n]) < n)
        ok_usable = false;
      if (p[n])
        memset (p[n], (int) (n & 0xff), n);
    }
  for (size_t n = 0; n <= N; n++)
    if (p[n] && !filled (p[n], n, (unsigned char) (n & 0xff)))
      ok_keep = false;
  result (ok_align, "malloc of 0 .. %d bytes: each 16-byte aligned", N);
  result (ok_usable, "malloc_usable_size covers what was asked");
  result (ok_keep, "5001 live blocks do not overlap (each keeps its bytes)");
  for (size_t n = 0; n <= N; n++)
    free (p[n]);
}

static void
test_reuse_and_calloc (void)
{
  unsigned char *a = malloc (100), *b;

  memset (a, 0xff, 100);
  free (a);
  b = malloc (100);
  if (ours)
    result (a == b, "a freed block is reused by the next request of its size class");
  free (b);

  a = malloc (64);
  memset (a, 0xff, 64);
  free (a);
  b = calloc (8, 8);
  result (b && filled (b, 64, 0), "calloc zeroes a reused block");
  free (b);
  b = calloc (1, 1 << 20);
  result (b && filled (b, 1 << 20, 0), "calloc of 1 MiB is zero");
  free (b);

  /* What happens on a size that cannot be had is the allocator's own: ASan's
   * reports it as an error.  These are checks of husk's. */
  if (!ours)
    return;
  errno = 0;
  b = m_calloc (SIZE_MAX / 2, 3);
  result (b == NULL && errno == ENOMEM, "calloc whose size overflows: NULL, ENOMEM");
  errno = 0;
  b = m_alloc (SIZE_MAX - 8);
  result (b == NULL && errno == ENOMEM, "malloc (SIZE_MAX - 8): NULL, ENOMEM");
  errno = 0;
  b = m_alloc (SIZE_MAX / 2 + 1);
  result (b == NULL && errno == ENOMEM, "malloc (SIZE_MAX / 2 + 1): NULL, ENOMEM");
}

static void
test_realloc (void)
{
  unsigned char *p = realloc (NULL, 10), *q;
  bool ok = p != NULL;
  size_t sizes[] = { 10, 17, 200, 4096, 4097, 70000, 1 << 20, 3 << 20, 100, 5 };
  size_t prev = 0;

  for (size_t i = 0; ok && i < sizeof sizes / sizeof sizes[0]; i++)
    {
      size_t n = sizes[i], keep = prev < n ? prev : n;

      q = realloc (p, n);
      if (q == NULL || !aligned (q, 16))
        {
          ok = false;
          break;
        }
      for (size_t j = 0; j < keep; j++)
        if (q[j] != (unsigned char) (j * 7))
          ok = false;
      for (size_t j = 0; j < n; j++)
        q[j] = (unsigned char) (j * 7);
      p = q;
      prev = n;
    }
  result (ok, "realloc through small, big (mremap) and back keeps the bytes");
  free (p);
}

static void
test_big_and_aligned (void)
{
  void *p = malloc (1 << 20);
  size_t aligns[] = { 16, 32, 64, 4096, 65536 };
  bool ok = true;

  memset (p, 1, 1 << 20);
  result (mapped (p), "a 1 MiB block is mapped");
  free (p);
  if (ours)
    result (!mapped (p), "freeing it unmaps it");

  for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++)
    {
      size_t sizes[] = { 1, 100, 5000, 100000 };
      for (size_t j = 0; j < 4; j++)
        {
          /* C11's aligned_alloc wants a multiple of the alignment (ASan
           * holds callers to it); posix_memalign takes any size. */
          size_t asz = (sizes[j] + aligns[i] - 1) / aligns[i] * aligns[i];
          void *a = aligned_alloc (aligns[i], asz);
          void *m = NULL;
          if (a == NULL || !aligned (a, aligns[i]))
            ok = false;
          else
            memset (a, 2, asz);
          if (posix_memalign (&m, aligns[i], sizes[j]) != 0 || !aligned (m, aligns[i]))
            ok = false;
          else
            memset (m, 3, sizes[j]);
          if (a && !filled (a, asz, 2))
            ok = false;
          free (a);
          free (m);
        }
    }
  result (ok, "aligned_alloc and posix_memalign: 16 .. 64 KiB alignments, sizes 1 .. 100000");
  void *m = NULL;
  if (ours) /* ASan reports it as an error */
    result (posix_memalign (&m, 24, 10) == EINVAL && m == NULL, "posix_memalign (24): EINVAL");
}

/* Random allocations, reallocations and frees against a shadow of what each
 * block must hold. */
static void
test_random (void)
{
  enum { SLOTS = 512, OPS = 200000 };
  static unsigned char *p[SLOTS];
  static size_t len[SLOTS];
  unsigned seed = 12345;
  bool ok = true;

  for (int op = 0; op < OPS && ok; op++)
    {
      unsigned r = (unsigned) rand_r (&seed), i = r % SLOTS;
      size_t n = (r >> 9) % 6 == 0 ? (size_t) rand_r (&seed) % 200000 : (size_t) rand_r (&seed) % 600;

      if (p[i] && !filled (p[i], len[i], (unsigned char) i))
        ok = false;
      if (p[i] && (r >> 20) % 3 == 0)
        {
          /* realloc (p, 0) is the implementation's choice (glibc frees p):
           * at least 1 byte. */
          unsigned char *q = realloc (p[i], n + 1);
          if (q == NULL)
            ok = false;
          else
            {
              if (n + 1 > len[i])
                memset (q + len[i], (int) i, n + 1 - len[i]);
              p[i] = q;
              len[i] = n + 1;
            }
          continue;
        }
      free (p[i]);
      p[i] = malloc (n);
      len[i] = n;
      if (p[i] == NULL)
        ok = false;
      else
        memset (p[i], (int) i, n);
    }
  for (int i = 0; i < SLOTS; i++)
    {
      if (p[i] && !filled (p[i], len[i], (unsigned char) i))
        ok = false;
      free (p[i]);
    }
  result (ok, "200000 random malloc/realloc/free: every block keeps its bytes");
}

int
main (void)
{
  void *probe = malloc (20);

  ours = malloc_usable_size (probe) == 32; /* power-of-two classes */
  free (probe);
  printf ("# allocator: %s\n", ours ? "husk's" : "the C library's");

  /* First, while the arena still hands out neighbouring blocks. */
  if (ours)
    {
      result (aborts (double_free, "heap corruption: double free"), "a double free aborts");
      result (aborts (not_a_block, "heap corruption: free of a pointer that is not a block"),
              "free of a pointer inside a block aborts");
      result (aborts (misaligned, "heap corruption: free of a pointer that is not a block"),
              "free of a misaligned pointer aborts");
      result (aborts (overflow_into_next, "whose header was overwritten"),
              "an overflow into the next block's header: its free aborts");
      result (aborts (overflow_into_free, "a free block's header was overwritten"),
              "an overflow into a free block's header: taking it aborts");
    }
  else
    printf ("# skipped: the corruption checks (husk's allocator is not linked)\n");
  test_sizes ();
  test_reuse_and_calloc ();
  test_realloc ();
  test_big_and_aligned ();
  test_random ();
  return tap_done ();
}
