/* Decimal numbers without printf (and read without strtod).  musl's snprintf ("%d") costs ~800
 * instructions a number; where one is formatted per container or per mount
 * (list's rows, /proc/PID names, /proc/self/fd/N, the JSON path's indices) the
 * profiles showed it. */
#ifndef HUSK_UTIL_NUM_H
#define HUSK_UTIL_NUM_H

/* The digits of v, written backwards so that they end just before end; returns
 * where they start.  Writes no NUL.  end - 20 must be in the buffer. */
static inline char *
husk_utoa_end (unsigned long long v, char *end)
{
  do
    *--end = (char) ('0' + v % 10);
  while ((v /= 10) != 0);
  return end;
}

/* v, NUL-terminated, in buf; returns where it starts in buf (a sign first when
 * negative). */
static inline char *
husk_itoa (long long v, char buf[24])
{
  char *p;

  buf[23] = '\0';
  p = husk_utoa_end (v < 0 ? 0ULL - (unsigned long long) v : (unsigned long long) v, buf + 23);
  if (v < 0)
    *--p = '-';
  return p;
}

/* strtold for the decimal syntax only: [space][sign]digits[.digits][e[sign]digits]
 * (or .digits), no hex, inf or nan.  The value is strtold's (rounded once) for
 * up to 19 significant digits and a scale within 10^-27..10^27 (sizes and
 * durations); further digits count as zeros.  ERANGE on overflow or underflow;
 * *end = s when there is no number.  (strtold and strtod pulled in musl's float
 * parser, 6 KB.) */
long double husk_strtold (const char *s, char **end);

#endif
