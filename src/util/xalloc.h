/* Out of memory: one policy, crun's.  Every allocation of husk goes through
 * these; they never return NULL, they print "out of memory" and abort.  A
 * runtime that cannot allocate a few bytes cannot clean up reliably either, and
 * an abort is loud where a half-handled ENOMEM would leave a container in an
 * unknown state. */
#ifndef HUSK_UTIL_XALLOC_H
#define HUSK_UTIL_XALLOC_H

#include <stddef.h>

void *xmalloc (size_t size) __attribute__ ((malloc, returns_nonnull));
/* n or size 0 still gives a unique pointer (never NULL). */
void *xcalloc (size_t n, size_t size) __attribute__ ((malloc, returns_nonnull));
void *xrealloc (void *p, size_t size) __attribute__ ((returns_nonnull));
/* NULL for NULL (a missing optional string stays missing). */
char *xstrdup (const char *s) __attribute__ ((malloc));
char *xstrndup (const char *s, size_t n) __attribute__ ((malloc));
/* Exactly the n bytes at p, and a NUL: for text whose length is known (no scan
 * for a NUL, as strndup makes). */
char *xmemdupz (const void *p, size_t n) __attribute__ ((malloc, returns_nonnull));
/* A buffer that grows by doubling: p (of *cap bytes, or NULL and 0) made to
 * hold at least need bytes, starting at first bytes; *cap updated.  Appending
 * n bytes to a buffer grown this way costs O(n) over its life. */
void *xgrow (void *p, size_t *cap, size_t need, size_t first) __attribute__ ((returns_nonnull));
/* The strings up to a NULL, one after the other, in a new string: the paths
 * made per cgroup file and per hierarchy ("dir", "/", "file", NULL), where
 * xasprintf's printf took ~1,500 instructions each. */
char *xconcat (const char *first, ...) __attribute__ ((sentinel, malloc, returns_nonnull));
/* asprintf that always succeeds: returns the length. */
int xasprintf (char **out, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

#endif
