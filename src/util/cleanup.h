/* Scope-bound resources: declare with the attribute and the resource is released
 * when the variable goes out of scope.  Transfer ownership with steal_ptr() /
 * steal_fd(), which return the value and reset the variable. */
#ifndef HUSK_UTIL_CLEANUP_H
#define HUSK_UTIL_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void
husk_freep (void *p)
{
  free (*(void **) p);
}

static inline void
husk_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}

static inline void
husk_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
}

static inline void
husk_closedirp (DIR **d)
{
  if (*d)
    closedir (*d);
}

static inline void *
husk_steal_ptr (void *pp)
{
  void **p = pp;
  void *v = *p;
  *p = NULL;
  return v;
}

static inline int
husk_steal_fd (int *fd)
{
  int v = *fd;
  *fd = -1;
  return v;
}

#define cleanup_free __attribute__ ((cleanup (husk_freep)))
#define cleanup_close __attribute__ ((cleanup (husk_closep)))
#define cleanup_fclose __attribute__ ((cleanup (husk_fclosep)))
#define cleanup_dir __attribute__ ((cleanup (husk_closedirp)))
#define steal_ptr(p) husk_steal_ptr (&(p))
#define steal_fd(fd) husk_steal_fd (&(fd))

#endif
