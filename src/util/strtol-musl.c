/* strtol, strtoul, strtoll and strtoull for the static musl build only (the
 * Makefile leaves this file out of a glibc build), as printf-musl.c is.
 *
 * Why: musl's are one generic scanner over a FILE-like input (__intscan, with
 * the shgetc machinery under it: 2.7 KB) that also serves scanf, which husk no
 * longer uses.  These read the string directly: 0.6 KB.
 *
 * What: musl's behaviour, which is the C standard's: leading white space, a
 * sign, base 2 to 36, or 0 (a 0x or 0 prefix chooses 16 or 8) and 16 (0x
 * allowed); *end after the last digit, or at s (and EINVAL, as musl has it)
 * when there is none; on overflow ERANGE and the limit (an unsigned one reads
 * "-1" as its maximum, as the standard says).  tests/unit/test_strtol.c checks
 * them against musl's own results. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

_Static_assert (sizeof (long) == sizeof (long long), "an LP64 target: long is long long");

static int
digit (unsigned char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  c |= 0x20; /* lower case */
  return c >= 'a' && c <= 'z' ? c - 'a' + 10 : 99;
}

/* The magnitude of the number at s, which ends at *end; *neg for a minus sign,
 * *over when it does not fit in 64 bits.  *end = s when there are no digits. */
static unsigned long long
scan (const char *s, char **end, int base, int *neg, int *over)
{
  const char *p = s;
  unsigned long long v = 0;

  *end = (char *) s;
  *neg = *over = 0;
  if (base < 0 || base == 1 || base > 36)
    {
      errno = EINVAL;
      return 0;
    }
  while (isspace ((unsigned char) *p))
    p++;
  if (*p == '+' || *p == '-')
    *neg = *p++ == '-';
  if ((base == 0 || base == 16) && p[0] == '0' && (p[1] | 0x20) == 'x')
    {
      /* "0x" with no hex digit after it is the number 0, which ends at the x. */
      if (digit ((unsigned char) p[2]) >= 16)
        {
          *end = (char *) p + 1;
          return 0;
        }
      p += 2;
      base = 16;
    }
  else if (base == 0)
    base = *p == '0' ? 8 : 10;
  if (digit ((unsigned char) *p) >= base)
    {
      errno = EINVAL; /* no digit: musl says so */
      return 0;
    }
  for (int d; (d = digit ((unsigned char) *p)) < base; p++)
    {
      if (v > (ULLONG_MAX - (unsigned) d) / (unsigned) base)
        *over = 1;
      v = v * (unsigned) base + (unsigned) d;
    }
  *end = (char *) p;
  return v;
}

unsigned long long
strtoull (const char *restrict s, char **restrict end, int base)
{
  int neg, over;
  char *e;
  unsigned long long v = scan (s, &e, base, &neg, &over);

  if (end)
    *end = e;
  if (over)
    {
      errno = ERANGE;
      return ULLONG_MAX;
    }
  return neg ? 0 - v : v;
}

long long
strtoll (const char *restrict s, char **restrict end, int base)
{
  int neg, over;
  char *e;
  unsigned long long v = scan (s, &e, base, &neg, &over);

  if (end)
    *end = e;
  if (over || v > (unsigned long long) LLONG_MAX + neg)
    {
      errno = ERANGE;
      return neg ? LLONG_MIN : LLONG_MAX;
    }
  return neg ? (long long) (0 - v) : (long long) v;
}

unsigned long
strtoul (const char *restrict s, char **restrict end, int base)
{
  return strtoull (s, end, base);
}

long
strtol (const char *restrict s, char **restrict end, int base)
{
  return strtoll (s, end, base);
}
