#include "util/num.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <stdbool.h>

long double
husk_strtold (const char *s, char **end)
{
  const char *p = s;
  bool neg = false, frac = false, any = false;
  unsigned long long m = 0;
  int sig = 0, scale = 0; /* the value is m * 10^scale */
  long double v;

  *end = (char *) s;
  while (isspace ((unsigned char) *p))
    p++;
  if (*p == '+' || *p == '-')
    neg = *p++ == '-';
  for (;; p++)
    {
      if (*p == '.' && !frac)
        frac = true;
      else if (!isdigit ((unsigned char) *p))
        break;
      else if ((any = true, sig < 19))
        {
          m = m * 10 + (unsigned) (*p - '0');
          sig += m != 0; /* leading zeros are not significant */
          scale -= frac;
        }
      else
        scale += !frac; /* past 19 digits: the integer's count, the fraction's are dropped */
    }
  if (!any)
    return 0;
  if (*p == 'e' || *p == 'E')
    {
      const char *q = p + 1;
      bool eneg = false;
      int e = 0;

      if (*q == '+' || *q == '-')
        eneg = *q++ == '-';
      if (isdigit ((unsigned char) *q))
        {
          for (; isdigit ((unsigned char) *q); q++)
            if (e < 100000)
              e = e * 10 + (*q - '0');
          scale += eneg ? -e : e;
          p = q;
        }
    }
  *end = (char *) p;
  /* m and 10^n for n <= 27 (5^27 < 2^64) are exact in a long double, so one
   * multiplication or division rounds once, as strtold does. */
  v = (long double) m;
  for (int n = scale < 0 ? -scale : scale; n > 0 && v != 0 && v <= LDBL_MAX; n -= 27)
    {
      long double p10 = 1;
      for (int i = 0; i < n && i < 27; i++)
        p10 *= 10;
      v = scale < 0 ? v / p10 : v * p10;
    }
  if (m != 0 && (v == 0 || v > LDBL_MAX))
    errno = ERANGE;
  return neg ? -v : v;
}
