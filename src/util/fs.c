#define _GNU_SOURCE
#include "util/fs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/num.h"
#include "util/xalloc.h"

int
husk_mkdir_p (const char *path, mode_t mode, struct husk_error **err)
{
  cleanup_free char *p = xstrdup (path);

  /* Nearly always only the last component is new (a container's cgroup under
   * /husk, its state directory): one mkdir then, not one per component. */
  if (mkdir (p, mode) == 0 || errno == EEXIST)
    return 0;
  if (errno != ENOENT)
    return husk_error_set (err, errno, "mkdir `%s`", p);
  for (char *s = p + 1; *s; s++)
    {
      if (*s != '/')
        continue;
      *s = '\0';
      if (mkdir (p, mode) < 0 && errno != EEXIST)
        return husk_error_set (err, errno, "mkdir `%s`", p);
      *s = '/';
    }
  if (mkdir (p, mode) < 0 && errno != EEXIST)
    return husk_error_set (err, errno, "mkdir `%s`", p);
  return 0;
}

static int
write_all (int fd, const char *data, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      data += n;
      len -= (size_t) n;
    }
  return 0;
}

int
husk_write_file (const char *path, const char *data, size_t len, struct husk_error **err)
{
  cleanup_close int fd = openat (AT_FDCWD, path, O_WRONLY | O_TRUNC | O_CLOEXEC);

  if (fd < 0)
    return husk_error_set (err, errno, "open `%s`", path);
  if (write_all (fd, data, len) < 0)
    return husk_error_set (err, errno, "write `%s`", path);
  return 0;
}

/* Split path into an O_PATH fd of its directory and its last component (a
 * pointer into path).  The last component must name an entry: not "", ".", "..". */
static int
open_parent (const char *path, const char **base, struct husk_error **err)
{
  const char *slash = strrchr (path, '/');
  cleanup_free char *dir = NULL;
  int dfd;

  *base = slash ? slash + 1 : path;
  if (**base == '\0' || strcmp (*base, ".") == 0 || strcmp (*base, "..") == 0)
    return husk_error_set (err, EISDIR, "write `%s`", path);
  if (slash == NULL)
    dir = xstrdup (".");
  else
    dir = xstrndup (path, slash == path ? 1 : (size_t) (slash - path));
  dfd = openat (AT_FDCWD, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return husk_error_set (err, errno, "open directory `%s`", dir);
  return dfd;
}

/* A new file next to base that nobody can have prepared: O_EXCL|O_NOFOLLOW, so
 * neither a symlink nor a hard link planted by whoever owns the directory is
 * followed, and a random name, so such a plant cannot even make us fail. */
static int
create_tmp (int dfd, const char *base, mode_t mode, char **name)
{
  static const char hex[] = "0123456789abcdef";

  for (int attempt = 0; attempt < 100; attempt++)
    {
      unsigned char r[8];
      char suffix[2 * sizeof r + 1];
      int fd;

      /* Unpredictability is not what makes this safe (O_EXCL is): without
       * entropy yet, the time and pid will do. */
      if (getrandom (r, sizeof r, GRND_NONBLOCK) != (ssize_t) sizeof r)
        {
          struct timespec ts;
          clock_gettime (CLOCK_MONOTONIC, &ts);
          unsigned long long v = ((unsigned long long) ts.tv_sec << 32) ^ (unsigned long long) ts.tv_nsec
                                 ^ ((unsigned long long) getpid () << 20) ^ (unsigned) attempt;
          memcpy (r, &v, sizeof r);
        }
      for (size_t i = 0; i < sizeof r; i++)
        {
          suffix[2 * i] = hex[r[i] >> 4];
          suffix[2 * i + 1] = hex[r[i] & 15];
        }
      suffix[sizeof suffix - 1] = '\0';
      free (*name);
      *name = NULL;
      /* Cut a long base: the temp name must fit NAME_MAX too. */
      xasprintf (name, "%.200s.tmp-%s", base, suffix);
      fd = openat (dfd, *name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
      if (fd >= 0 || errno != EEXIST)
        return fd;
    }
  errno = EEXIST;
  return -1;
}

int
husk_write_file_atomic (const char *path, const char *data, size_t len, mode_t mode,
                        struct husk_error **err)
{
  cleanup_close int dfd = -1;
  cleanup_free char *tmp = NULL;
  const char *base;
  int fd, e;

  dfd = open_parent (path, &base, err);
  if (dfd < 0)
    return -1;
  fd = create_tmp (dfd, base, mode, &tmp);
  if (fd < 0)
    return husk_error_set (err, errno, "create a temporary file for `%s`", path);
  if (write_all (fd, data, len) < 0 || fsync (fd) < 0)
    {
      e = errno;
      close (fd);
      unlinkat (dfd, tmp, 0);
      return husk_error_set (err, e, "write `%s`", path);
    }
  close (fd);
  /* rename replaces whatever the name is, a symlink included, and never writes
   * through it. */
  if (renameat (dfd, tmp, dfd, base) < 0)
    {
      e = errno;
      unlinkat (dfd, tmp, 0);
      return husk_error_set (err, e, "rename a temporary file to `%s`", path);
    }
  return 0;
}

int
husk_read_fd (int fd, char **data, size_t *len, struct husk_error **err)
{
  /* Most files husk reads (state.json, /proc/PID/stat, cgroup files) fit in a
   * page: read them on the stack and allocate what they hold, no more.  A
   * page-sized buffer from the heap would be mapped and unmapped by musl's
   * allocator at every file (`list` reads one or two per container).  A longer
   * file moves to the heap, which then grows by doubling. */
  char small[4096], *buf = small;
  size_t cap = sizeof small, n = 0;

  for (;;)
    {
      if (cap - n < 2) /* room for a byte and the NUL */
        {
          if (buf == small)
            {
              cap *= 2;
              buf = memcpy (xmalloc (cap), small, n);
            }
          else
            buf = xgrow (buf, &cap, cap + 1, 0);
        }
      ssize_t r = read (fd, buf + n, cap - n - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int e = errno;
          if (buf != small)
            free (buf);
          return husk_error_set (err, e, "read");
        }
      if (r == 0)
        break;
      n += (size_t) r;
    }
  if (buf == small)
    buf = memcpy (xmalloc (n + 1), small, n);
  buf[n] = '\0';
  *data = buf;
  if (len)
    *len = n;
  return 0;
}

int
husk_read_file (const char *path, char **data, size_t *len, struct husk_error **err)
{
  cleanup_close int fd = openat (AT_FDCWD, path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return husk_error_set (err, errno, "open `%s`", path);
  if (husk_read_fd (fd, data, len, err) < 0)
    return husk_error_wrap (err, "`%s`", path);
  return 0;
}

int
husk_read_mountinfo (char **data, bool inherited, struct husk_error **err)
{
  static char *text;
  static pid_t reader;

  if (text == NULL || (!inherited && reader != getpid ()))
    {
      char *fresh;
      if (husk_read_file ("/proc/self/mountinfo", &fresh, NULL, err) < 0)
        return -1;
      free (text);
      text = fresh;
      reader = getpid ();
    }
  *data = xstrdup (text);
  return 0;
}

pid_t
husk_proc_self_pid (void)
{
  char buf[24];
  ssize_t n = readlink ("/proc/self", buf, sizeof buf - 1);
  unsigned long long v = 0;
  const char *p = buf;

  if (n <= 0 || (size_t) n >= sizeof buf - 1)
    return -1;
  buf[n] = '\0';
  if (!husk_scan_u64 (&p, &v) || *p != '\0' || v == 0 || v > 0x3fffffff)
    return -1;
  return (pid_t) v;
}

/* Fields after the command name (which may hold spaces and parentheses). */
static char *
proc_stat_fields (pid_t pid)
{
  char path[64] = "/proc/", buf[24], data[2048];
  const char *digits = husk_itoa ((unsigned int) pid, buf);
  size_t n = strlen (digits);
  cleanup_close int fd = -1;
  ssize_t r;

  /* "/proc/PID/stat" without printf (list reads one per container). */
  memcpy (path + 6, digits, n);
  memcpy (path + 6 + n, "/stat", 6);
  fd = openat (AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  /* The kernel writes the whole line at the first read (one seq_file record,
   * some 300 bytes, under 1 KiB even with every field at its widest): no second
   * read to find the end.  A line that fills the buffer is not one. */
  do
    r = read (fd, data, sizeof data - 1);
  while (r < 0 && errno == EINTR);
  if (r <= 0 || (size_t) r == sizeof data - 1)
    return NULL;
  data[r] = '\0';
  char *rp = strrchr (data, ')');
  if (rp == NULL || rp[1] == '\0')
    return NULL;
  return xstrdup (rp + 2);
}

/* f starts at field 3 (state); start time is field 22. */
static unsigned long long
start_time_of (char *f)
{
  /* One space between fields (the kernel's format). */
  for (int i = 3; i < 22; i++)
    {
      f = strchr (f, ' ');
      if (f == NULL)
        return 0;
      f++;
    }
  return strtoull (f, NULL, 10);
}

unsigned long long
husk_proc_start_time (pid_t pid)
{
  cleanup_free char *f = proc_stat_fields (pid);

  return f ? start_time_of (f) : 0;
}

char
husk_proc_stat (pid_t pid, unsigned long long *start_time)
{
  cleanup_free char *f = proc_stat_fields (pid);
  char state;

  if (f == NULL)
    return 0;
  state = f[0];
  *start_time = start_time_of (f);
  return state;
}

char
husk_proc_state (pid_t pid)
{
  cleanup_free char *f = proc_stat_fields (pid);

  return f ? f[0] : 0;
}

char *
husk_passwd_field (uid_t uid, int n)
{
  cleanup_free char *data = NULL;

  if (husk_read_file ("/etc/passwd", &data, NULL, NULL) < 0)
    return NULL;
  for (char *save = NULL, *line = strtok_r (data, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    {
      char *fields[7] = { NULL }, *s = line, *endp;
      unsigned long id;
      int k;

      if (line[0] == '#')
        continue;
      for (k = 0; k < 7 && s; k++)
        {
          fields[k] = s;
          s = strchr (s, ':');
          if (s)
            *s++ = '\0';
        }
      if (k < 6 || fields[2][0] == '\0')
        continue;
      errno = 0;
      id = strtoul (fields[2], &endp, 10);
      if (errno || *endp || id != (unsigned long) uid)
        continue;
      return n < k ? xstrdup (fields[n]) : NULL;
    }
  return NULL;
}

/* Asked once per process tree: a fork inherits the answer (each new process
 * would otherwise instantiate its own /proc/PID entries to read the same map).
 * A process that later enters another user namespace asks about its config's
 * user namespace instead (rootfs.c). */
bool
husk_running_in_userns (void)
{
  static int known = -1;
  cleanup_free char *map = NULL;
  const char *p;
  unsigned long long a, b, n;

  if (known >= 0)
    return known;
  if (husk_read_file ("/proc/self/uid_map", &map, NULL, NULL) < 0)
    return false;
  p = map;
  known = !(husk_scan_u64 (&p, &a) && husk_scan_u64 (&p, &b) && husk_scan_u64 (&p, &n) && a == 0
            && b == 0 && n == 4294967295U);
  return known;
}

char *
husk_path_at (const char *dir, const char *path)
{
  char *s;

  if (path[0] == '/' || dir == NULL)
    return xstrdup (path);
  s = xconcat (dir, "/", path, NULL);
  return s;
}

const char *
husk_word (const char *s, unsigned n, char *out, size_t size)
{
  size_t l;

  for (;;)
    {
      while (isspace ((unsigned char) *s))
        s++;
      if (*s == '\0')
        return NULL;
      for (l = 0; s[l] && !isspace ((unsigned char) s[l]); l++)
        ;
      if (n-- == 0)
        break;
      s += l;
    }
  if (l >= size)
    return NULL;
  memcpy (out, s, l);
  out[l] = '\0';
  return s + l;
}

bool
husk_scan_u64 (const char **s, unsigned long long *v)
{
  char *end;

  *v = strtoull (*s, &end, 10);
  if (end == *s)
    return false;
  *s = end;
  return true;
}
