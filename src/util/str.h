/* strstr and memmem by brute force.  husk's needles are a few bytes (" - ",
 * "/..", "\r\n") and its haystacks lines or paths, where musl's two-way
 * search (2.5 KB with its memmem) buys nothing. */
#ifndef HUSK_UTIL_STR_H
#define HUSK_UTIL_STR_H

#include <stddef.h>

void *husk_memmem (const void *hay, size_t hlen, const void *needle, size_t nlen);
char *husk_strstr (const char *hay, const char *needle);

#endif
