#include "util/sort.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

void
husk_sort (void *base, size_t n, size_t size, int (*cmp) (const void *, const void *))
{
  char *a = base, *b, *tmp, *t;

  if (n < 2)
    return;
  /* Runs of w sorted elements merged pairwise from a into b, w doubling. */
  b = tmp = xcalloc (n, size);
  for (size_t w = 1; w < n; w *= 2)
    {
      for (size_t lo = 0; lo < n; lo += 2 * w)
        {
          size_t mid = n - lo > w ? lo + w : n, hi = n - mid > w ? mid + w : n;
          size_t i = lo, j = mid, k = lo;

          /* The left run first among equals: stable. */
          while (i < mid || j < hi)
            {
              size_t from = j == hi || (i < mid && cmp (a + i * size, a + j * size) <= 0) ? i++ : j++;
              memcpy (b + k++ * size, a + from * size, size);
            }
        }
      t = a;
      a = b;
      b = t;
    }
  if (a != base)
    memcpy (base, a, n * size);
  free (tmp);
}
