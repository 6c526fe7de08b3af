#include "util/str.h"

#include <string.h>

void *
husk_memmem (const void *hay, size_t hlen, const void *needle, size_t nlen)
{
  const char *h = hay, *n = needle;

  if (nlen == 0)
    return (void *) h;
  for (; hlen >= nlen; h++, hlen--)
    if (*h == *n && memcmp (h, n, nlen) == 0)
      return (void *) h;
  return NULL;
}

char *
husk_strstr (const char *hay, const char *needle)
{
  return husk_memmem (hay, strlen (hay), needle, strlen (needle));
}
