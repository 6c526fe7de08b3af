/* qsort's interface without musl's qsort, a 2 KB smoothsort. */
#ifndef HUSK_UTIL_SORT_H
#define HUSK_UTIL_SORT_H

#include <stddef.h>

/* Sort the n elements of size bytes at base by cmp (a bottom-up merge sort
 * through a scratch copy: O(n log n), and stable). */
void husk_sort (void *base, size_t n, size_t size, int (*cmp) (const void *, const void *));

#endif
