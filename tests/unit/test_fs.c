/* Unit tests for util/fs.c's atomic write (TAP output): the file a caller names
 * (--pid-file, state.json) is replaced, never written through a link.  And
 * util/num.h's decimal formatting, against snprintf, and its parsing, against
 * strtold; util/fs.h's replacements of sscanf; util/sort.h's against qsort;
 * util/str.h's search. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/num.h"
#include "util/sort.h"
#include "util/str.h"
#include "util/xalloc.h"

#include "tap.h"

static bool
content_is (const char *path, const char *want)
{
  char *data = NULL;
  bool ok = husk_read_file (path, &data, NULL, NULL) == 0 && strcmp (data, want) == 0;

  free (data);
  return ok;
}

/* husk_read_file of a file of n bytes (a pattern) gives them back, and a NUL. */
static bool
reads_back (const char *path, size_t n)
{
  char *want = malloc (n + 1), *data = NULL;
  size_t len = (size_t) -1;
  bool ok;

  for (size_t i = 0; i < n; i++)
    want[i] = (char) ('a' + i % 23);
  ok = husk_write_file_atomic (path, want, n, 0644, NULL) == 0
       && husk_read_file (path, &data, &len, NULL) == 0 && len == n && memcmp (data, want, n) == 0
       && data[n] == '\0';
  free (want);
  free (data);
  return ok;
}

static int
cmp_first (const void *a, const void *b)
{
  unsigned x = *(const unsigned *) a, y = *(const unsigned *) b;
  return (x > y) - (x < y);
}

/* By both halves: the order a stable sort by the first gives. */
static int
cmp_pair (const void *a, const void *b)
{
  const unsigned *x = a, *y = b;
  return x[0] != y[0] ? (x[0] > y[0]) - (x[0] < y[0]) : (x[1] > y[1]) - (x[1] < y[1]);
}

/* Entries of dir whose name contains needle. */
static int
count_entries (const char *dir, const char *needle)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  int n = 0;

  while (d && (de = readdir (d)))
    if (strstr (de->d_name, needle))
      n++;
  if (d)
    closedir (d);
  return n;
}

int
main (void)
{
  char dir[] = "/tmp/husk-test-fs.XXXXXX";
  char path[256], victim[256], link_[320];
  struct husk_error *err = NULL;
  struct stat st;

  if (mkdtemp (dir) == NULL)
    return 1;
  snprintf (path, sizeof path, "%s/pid", dir);
  snprintf (victim, sizeof victim, "%s/victim", dir);

  result (husk_write_file_atomic (path, "123", 3, 0644, NULL) == 0 && content_is (path, "123"),
          "write a new file");
  result (husk_write_file_atomic (path, "4567", 4, 0644, NULL) == 0 && content_is (path, "4567"),
          "replace it");
  result (count_entries (dir, ".tmp-") == 0, "no temp file is left");

  /* /proc/PID/stat in one read: the start time (field 22) and state of a live
   * process, even one whose name holds ") (" and spaces; nothing of a pid that
   * is not there. */
  {
    char self[4096] = "", *f;
    unsigned long long want = 0, got_start = 0;
    FILE *fp;

    prctl (PR_SET_NAME, "a) (b c) d");
    fp = fopen ("/proc/self/stat", "r");
    if (fp && fgets (self, sizeof self, fp))
      {
        f = strrchr (self, ')');
        for (int i = 2; f && i < 22; i++)
          f = strchr (f + 1, ' ');
        want = f ? strtoull (f + 1, NULL, 10) : 0;
      }
    if (fp)
      fclose (fp);
    result (want > 0 && husk_proc_start_time (getpid ()) == want
                && husk_proc_stat (getpid (), &got_start) == 'R' && got_start == want,
            "start time and state of a process named \"a) (b c) d\"");
    result (husk_proc_start_time (0x3fffffff) == 0 && husk_proc_state (0x3fffffff) == 0,
            "nothing of a pid that does not exist");
  }

  /* Reading: on the stack up to a page, then on the heap (the edges of both). */
  {
    static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 8191, 8192, 8193, 100000 };
    bool all = true;

    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
      if (!reads_back (path, sizes[i]))
        {
          printf ("# size %zu read back wrong\n", sizes[i]);
          all = false;
        }
    result (all, "files of 0, 1, 4095 to 4097, 8191 to 8193 and 100000 bytes read back whole");
    unlink (path);
  }

  /* The final name a symlink: replaced, the victim untouched. */
  husk_write_file_atomic (victim, "victim", 6, 0600, NULL);
  unlink (path);
  result (symlink (victim, path) == 0 && husk_write_file_atomic (path, "89", 2, 0644, NULL) == 0 && lstat (path, &st) == 0
              && S_ISREG (st.st_mode) && content_is (path, "89") && content_is (victim, "victim"),
          "a symlink at the name is replaced, not followed");

  /* A planted temp name of the old scheme (<name>.tmp-<pid>) is not used. */
  snprintf (link_, sizeof link_, "%s.tmp-%d", path, (int) getpid ());
  result (symlink (victim, link_) == 0 && husk_write_file_atomic (path, "10", 2, 0644, NULL) == 0 && content_is (path, "10")
              && content_is (victim, "victim") && lstat (link_, &st) == 0 && S_ISLNK (st.st_mode),
          "a planted <name>.tmp-<pid> symlink is neither followed nor removed");
  unlink (link_);

  {
    char longname[600];
    snprintf (longname, sizeof longname, "%s/%0250d", dir, 7);
    result (husk_write_file_atomic (longname, "11", 2, 0644, NULL) == 0 && content_is (longname, "11"),
            "a 250-character name (its temp name is cut to fit)");
    unlink (longname);
  }
  result (husk_write_file_atomic (dir, "x", 1, 0644, &err) < 0, "a directory cannot be replaced");
  husk_error_release (&err);
  snprintf (link_, sizeof link_, "%s/", dir);
  result (husk_write_file_atomic (link_, "x", 1, 0644, &err) < 0 && err && err->errnum != 0,
          "a path ending in / is refused");
  husk_error_release (&err);
  result (husk_write_file_atomic ("/nonexistent-husk-dir/pid", "x", 1, 0644, &err) < 0,
          "a missing directory is an error");
  husk_error_release (&err);
  result (count_entries (dir, ".tmp-") == 0, "no temp file is left after the failures");

  unlink (path);
  unlink (victim);
  rmdir (dir);

  {
    static const long long cases[] = { 0, 1, 9, 10, 99, 100, 12345, 2147483647, -1, -10,
                                       -2147483648LL, 9223372036854775807LL,
                                       -9223372036854775807LL - 1 };
    bool same = true;
    char buf[24], want[32], u[32], *end = u + sizeof u;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
      {
        snprintf (want, sizeof want, "%lld", cases[i]);
        if (strcmp (husk_itoa (cases[i], buf), want) != 0)
          {
            printf ("# husk_itoa %lld gave %s\n", cases[i], husk_itoa (cases[i], buf));
            same = false;
          }
      }
    result (same, "husk_itoa writes what snprintf %%lld does, 0, the extremes and negatives included");
    *--end = '\0';
    result (strcmp (husk_utoa_end (18446744073709551615ULL, end), "18446744073709551615") == 0
                && strcmp (husk_utoa_end (0, end), "0") == 0,
            "husk_utoa_end: the largest number and 0");
  }
  {
    char *a = xconcat ("/sys/fs/cgroup/memory", "/", "husk/x", NULL), *b = xconcat ("", NULL),
         *c = xconcat ("a", "", "b", "", NULL);
    result (strcmp (a, "/sys/fs/cgroup/memory/husk/x") == 0 && strcmp (b, "") == 0
                && strcmp (c, "ab") == 0,
            "xconcat joins its strings, empty ones included");
    free (a);
    free (b);
    free (c);
  }
  /* The sscanf replacements: what "%*s %*s %63s" and "%llu" read. */
  {
    char w[8];
    const char *line = "36 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root rw\n", *rest, *p;
    unsigned long long a = 0, b = 0, c = 0;

    result ((rest = husk_word (line, 3, w, sizeof w)) && strcmp (w, "/mnt1") == 0
                && strcmp (rest, " /mnt2 rw - ext3 /dev/root rw\n") == 0
                && husk_word (line, 9, w, sizeof w) && strcmp (w, "rw") == 0
                && husk_word ("  \ta\t\tbb\n", 1, w, sizeof w) && strcmp (w, "bb") == 0,
            "husk_word: word n, blanks and newlines between words, and what follows");
    result (husk_word (line, 10, w, sizeof w) == NULL && husk_word ("", 0, w, sizeof w) == NULL
                && husk_word (" \n", 0, w, sizeof w) == NULL && husk_word (line, 8, w, sizeof w) == NULL,
            "husk_word: NULL past the last word and for a word that does not fit");
    p = "0 0 4294967295\n";
    result (husk_scan_u64 (&p, &a) && husk_scan_u64 (&p, &b) && husk_scan_u64 (&p, &c) && a == 0 && b == 0
                && c == 4294967295ULL && strcmp (p, "\n") == 0 && !husk_scan_u64 (&p, &a),
            "husk_scan_u64: numbers after blanks, and none at the end");
  }
  /* husk_strtold: strtold's value and end for the decimal syntax. */
  {
    static const char *const cases[] = { "0", "1", "-1", "+5", " 512m", "1.5g", "0.1", "0.3k", ".5",
                                         "5.", "1e3", "1E-3x", "2.5e+2b", "1e", "1e+", "-0",
                                         "123456789012345678", "9223372036854775807",
                                         "0.000000000000000000000000001", "1.2.3",
                                         "00000000000000000000000000012.5", "3.14159265358979323",
                                         "1e5000", "1e-5000" };
    static const char *const none[] = { "", " ", "-", ".", "-.e5", "x1", "inf", "nan" };
    bool same = true;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
      {
        char *e1, *e2;
        int r1, r2;
        long double v1, v2;
        errno = 0;
        v1 = strtold (cases[i], &e1);
        r1 = errno;
        errno = 0;
        v2 = husk_strtold (cases[i], &e2);
        r2 = errno;
        if (memcmp (&v1, &v2, 10) != 0 || e1 != e2 || (r1 == ERANGE) != (r2 == ERANGE))
          {
            printf ("# husk_strtold \"%s\": %Lg +%td %d, strtold %Lg +%td %d\n", cases[i], v2,
                    e2 - cases[i], r2, v1, e1 - cases[i], r1);
            same = false;
          }
      }
    result (same, "husk_strtold reads what strtold does: sign, fraction, exponent, where it ends");
    same = true;
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
      {
        char *e;
        if (husk_strtold (none[i], &e) != 0 || e != none[i])
          same = false;
      }
    {
      const char *hex = "0x10";
      char *e;
      if (husk_strtold (hex, &e) != 0 || e != hex + 1)
        same = false;
    }
    result (same, "husk_strtold: no number without a digit, nor inf or nan; 0x10 is 0");
  }
  {
    const char *l = "36 35 98:0 /a - /b - ext4 /dev/sda1 rw";
    result (husk_strstr (l, " - ") == l + 13 && husk_strstr (l, "rw") == l + strlen (l) - 2
                && husk_strstr (l, "") == l && husk_strstr (l, "rwx") == NULL && husk_strstr ("", "a") == NULL
                && husk_memmem ("a\r\r\n", 4, "\r\n", 2) != NULL && husk_memmem ("a\r\n", 2, "\r\n", 2) == NULL,
            "husk_strstr and husk_memmem: the first match, at the ends, none, an empty needle");
  }
  /* husk_passwd_field against getpwuid (the host's /etc/passwd, no NSS here). */
  {
    bool same = true;
    for (uid_t u = 0; u < 70000; u += u < 100 ? 1 : 997)
      {
        struct passwd *pw = getpwuid (u);
        char *name = husk_passwd_field (u, 0), *home = husk_passwd_field (u, 5);
        if (pw ? !name || !home || strcmp (name, pw->pw_name) || strcmp (home, pw->pw_dir) : name || home)
          same = false;
        free (name);
        free (home);
      }
    result (same, "husk_passwd_field: the name and home getpwuid gives, for uids 0 to 70000");
  }
  /* husk_rfc3339 against gmtime_r, over leap days and centuries. */
  {
    bool same = true;
    for (long long t = -2208988800LL; t < 4102444800LL * 2 && same; t += 86400LL * 13 + 3601)
      {
        struct timespec ts = { .tv_sec = (time_t) t, .tv_nsec = 123456789 };
        struct tm tm;
        char got[64], want[64];
        gmtime_r (&ts.tv_sec, &tm);
        snprintf (want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
        husk_rfc3339 (&ts, got, sizeof got);
        if (strcmp (got, want) != 0)
          {
            printf ("# %lld: %s, gmtime_r %s\n", t, got, want);
            same = false;
          }
      }
    result (same, "husk_rfc3339 writes the date gmtime_r gives, 1900 to 2230");
  }
  /* husk_sort against qsort, and stable: pairs sorted by their first half. */
  {
    static unsigned pairs[1000][2], want[1000][2];
    bool same = true, stable = true;

    for (int n = 0; n <= 1000; n += n < 10 ? 1 : 247)
      {
        for (int i = 0; i < n; i++)
          {
            pairs[i][0] = (unsigned) (i * 7919) % 37;
            pairs[i][1] = (unsigned) i;
          }
        memcpy (want, pairs, sizeof pairs);
        qsort (want, (size_t) n, sizeof want[0], cmp_pair);
        husk_sort (pairs, (size_t) n, sizeof pairs[0], cmp_first);
        for (int i = 0; i < n; i++)
          {
            same &= pairs[i][0] == want[i][0];
            stable &= i == 0 || pairs[i - 1][0] < pairs[i][0] || pairs[i - 1][1] < pairs[i][1];
          }
      }
    result (same && stable, "husk_sort sorts as qsort does (0 to 1000 elements), and is stable");
  }
  return tap_done ();
}
