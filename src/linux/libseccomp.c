/* libseccomp through dlopen (libseccomp.h says why, and where it may be loaded). */
#define _GNU_SOURCE
#define HUSK_LIBSECCOMP_IMPL
#include "linux/libseccomp.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

struct husk_libseccomp husk_libseccomp;
static void *lib;

bool
husk_libseccomp_loaded (void)
{
  return lib != NULL;
}

int
husk_libseccomp_load (struct husk_error **err)
{
  void *h;

  if (lib)
    return 0;
  /* RTLD_NOW: every symbol of the library is bound here, on the host, not at
   * a first call inside the container. */
  h = dlopen (HUSK_LIBSECCOMP_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return husk_error_set (err, 0, /* dlerror says why */
                           "cannot load " HUSK_LIBSECCOMP_SONAME
                           " (Debian package libseccomp2): %s",
                           dlerror ());
#define HUSK_LIBSECCOMP_SYM(f)                                                                \
  if ((husk_libseccomp.f = (__typeof__ (f) *) dlsym (h, #f)) == NULL)                         \
    {                                                                                         \
      dlclose (h);                                                                            \
      return husk_error_set (err, ENOSYS, HUSK_LIBSECCOMP_SONAME " has no %s (too old?)", #f); \
    }
  HUSK_LIBSECCOMP_FUNCS (HUSK_LIBSECCOMP_SYM)
#undef HUSK_LIBSECCOMP_SYM
  lib = h;
  return 0;
}
