/* vfprintf for the static musl build only (the Makefile leaves this file out of
 * a glibc build).  Every printf, fprintf, snprintf, asprintf and dprintf of musl
 * ends in vfprintf, so defining it here keeps musl's out of the binary.
 *
 * Why: musl's is 10.5 KB, half of it the floating-point conversions (fmt_fp)
 * that no format of husk uses.  This one is ~1 KB.
 *
 * What: the conversions d i u x X o c s p and "%%"; the flags - 0 # + and
 * space; a width and a precision, given or `*`; the lengths hh h l ll j z t.
 * The output is musl's byte for byte (tests/unit/test_printf.c compares the
 * two on a table of formats).  Anything else (a floating-point conversion, %n,
 * positional arguments, %ls) fails as musl fails an invalid format: -1 and
 * EINVAL.  -Werror=format=2 checks every format of husk at compile time, and
 * none of them has these.
 *
 * The output is gathered in a buffer and handed to fwrite in pieces of up to
 * 256 bytes, so an unbuffered stream (stderr) still gets a message in one or a
 * few writes, as musl's own vfprintf does with its 80-byte buffer. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum
{
  LEFT = 1, /* - */
  ZERO = 2, /* 0 */
  ALT = 4, /* # */
  PLUS = 8, /* + */
  SPACE = 16, /* ' ' */
};

struct out
{
  FILE *f;
  size_t n;
  long total; /* what printf returns: every byte, written or not */
  int failed;
  char buf[256];
};

static void
flush (struct out *o)
{
  if (o->n && fwrite (o->buf, 1, o->n, o->f) != o->n)
    o->failed = 1;
  o->n = 0;
}

static void
put (struct out *o, const char *s, size_t n)
{
  o->total += (long) n;
  while (n)
    {
      size_t k = sizeof o->buf - o->n;

      if (k == 0)
        {
          flush (o);
          continue;
        }
      if (k > n)
        k = n;
      memcpy (o->buf + o->n, s, k);
      o->n += k;
      s += k;
      n -= k;
    }
}

static void
pad (struct out *o, char c, long n)
{
  for (; n > 0; n--)
    put (o, &c, 1);
}

/* One field: prefix (sign or 0x), then zeros up to prec digits, then the
 * digits (or text), padded to width w as the flags say. */
static void
field (struct out *o, int fl, long w, const char *prefix, long prec, const char *s, long len)
{
  long pl = (long) strlen (prefix), body;

  if (prec < len)
    prec = len;
  body = pl + prec;
  if (!(fl & (LEFT | ZERO)))
    pad (o, ' ', w - body);
  put (o, prefix, (size_t) pl);
  if ((fl & (LEFT | ZERO)) == ZERO)
    pad (o, '0', w - body);
  pad (o, '0', prec - len);
  put (o, s, (size_t) len);
  if (fl & LEFT)
    pad (o, ' ', w - body);
}

/* long, long long, intmax_t, size_t, ptrdiff_t and pointers are all 64 bits
 * (LP64), so one va_arg reads each of them. */
_Static_assert (sizeof (long) == 8 && sizeof (long long) == 8 && sizeof (intmax_t) == 8
                    && sizeof (size_t) == 8 && sizeof (ptrdiff_t) == 8 && sizeof (void *) == 8,
                "an LP64 target");

/* Conversion c of an integer argument of length modifier len ('H' hh, 'h', 0,
 * 'l', 'L' ll, 'j', 'z', 't'); prec < 0: none given. */
static void
conv_int (struct out *o, char c, char len, int fl, long w, long prec, va_list *ap)
{
  static const char digits[] = "0123456789abcdef0123456789ABCDEF";
  char buf[3 * sizeof (uintmax_t)], *end = buf + sizeof buf, *a = end;
  const char *prefix = "";
  unsigned base = c == 'o' ? 8 : c == 'x' || c == 'X' || c == 'p' ? 16 : 10;
  unsigned shift = len == 'H' ? 56 : len == 'h' ? 48 : len || c == 'p' ? 0 : 32;
  int given = prec >= 0;
  uint64_t v = shift ? va_arg (*ap, unsigned) : va_arg (*ap, uint64_t);

  /* The argument's bits, cut to its width, then sign-extended for d and i. */
  v = v << shift >> shift;
  if (c == 'd' || c == 'i')
    {
      int64_t sv = (int64_t) (v << shift) >> shift;
      prefix = sv < 0 ? "-" : fl & PLUS ? "+" : fl & SPACE ? " " : "";
      v = sv < 0 ? 0 - (uint64_t) sv : (uint64_t) sv;
    }
  if (c == 'p')
    fl |= ALT;
  for (uint64_t x = v; x; x /= base)
    *--a = digits[x % base + (c == 'X' ? 16 : 0)];
  if (base == 16 && (fl & ALT) && v)
    prefix = c == 'X' ? "0X" : "0x";
  else if (base == 8 && (fl & ALT) && prec <= end - a)
    prec = end - a + 1; /* a leading 0 */
  if (given)
    fl &= ~ZERO;
  else if (v == 0 && prec < 1)
    prec = 1; /* "0" */
  field (o, fl, w, prefix, prec, a, end - a);
}

/* A width or precision: digits ("12", none is 0) or `*`, an int argument. */
static long
number (const char **p, va_list *ap)
{
  long n = 0;

  if (**p == '*')
    {
      (*p)++;
      return va_arg (*ap, int);
    }
  for (; **p >= '0' && **p <= '9'; (*p)++)
    if (n < INT_MAX)
      n = n * 10 + (**p - '0');
  return n;
}

/* One conversion specification, after its '%': flags, width, precision,
 * length modifier and conversion letter. */
struct spec
{
  int fl;
  long w, prec; /* prec < 0: none given */
  char len, c;
};

/* Reads the specification at p (just past the '%'); returns what follows it. */
static const char *
parse_spec (const char *p, struct spec *sp, va_list *ap)
{
  *sp = (struct spec){ .prec = -1 };
  for (const char *q; *p && (q = strchr ("-0#+ ", *p)); p++)
    sp->fl |= 1 << (q - "-0#+ ");
  sp->w = number (&p, ap);
  if (sp->w < 0)
    {
      sp->fl |= LEFT; /* a negative `*` width */
      sp->w = -sp->w;
    }
  if (*p == '.')
    {
      p++;
      sp->prec = number (&p, ap); /* a negative `*` one is none */
      if (sp->prec < 0)
        sp->prec = -1;
    }
  if (*p == 'h' || *p == 'l')
    {
      sp->len = *p++;
      if (*p == sp->len)
        {
          sp->len = sp->len == 'h' ? 'H' : 'L';
          p++;
        }
    }
  else if (*p == 'j' || *p == 'z' || *p == 't')
    sp->len = *p++;
  sp->c = *p++;
  return p;
}

int
vfprintf (FILE *restrict f, const char *restrict fmt, va_list args)
{
  struct out o = { .f = f };
  const char *p = fmt;
  va_list ap;

  va_copy (ap, args);
  while (*p)
    {
      const char *s = strchrnul (p, '%');
      struct spec sp;

      put (&o, p, (size_t) (s - p));
      if (*s == '\0')
        break;
      p = s + 1;
      if (*p == '%')
        {
          put (&o, "%", 1);
          p++;
          continue;
        }
      p = parse_spec (p, &sp, &ap);
      if (sp.c == 's' && !sp.len)
        {
          const char *str = va_arg (ap, const char *);
          if (str == NULL)
            str = "(null)";
          field (&o, sp.fl & ~ZERO, sp.w, "", 0, str,
                 (long) (sp.prec < 0 ? strlen (str) : strnlen (str, (size_t) sp.prec)));
        }
      else if (sp.c == 'c' && !sp.len)
        {
          char ch = (char) va_arg (ap, int);
          field (&o, sp.fl & ~ZERO, sp.w, "", 0, &ch, 1);
        }
      else if (sp.c && strchr ("diuxXop", sp.c) && !(sp.c == 'p' && sp.len))
        conv_int (&o, sp.c, sp.len, sp.fl, sp.w, sp.prec, &ap);
      else
        {
          va_end (ap);
          flush (&o);
          errno = EINVAL;
          return -1;
        }
    }
  va_end (ap);
  flush (&o);
  if (o.failed)
    return -1;
  if (o.total > INT_MAX)
    {
      errno = EOVERFLOW;
      return -1;
    }
  return (int) o.total;
}
