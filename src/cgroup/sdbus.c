/* libsystemd through dlopen (sdbus.h says why). */
#define _GNU_SOURCE
#define HUSK_SDBUS_IMPL
#include "cgroup/sdbus.h"

#include <dlfcn.h>
#include <errno.h>

struct husk_sdbus husk_sdbus;
static void *lib;

bool
husk_sdbus_loaded (void)
{
  return lib != NULL;
}

int
husk_sdbus_load (struct husk_error **err)
{
  void *h;

  if (lib)
    return 0;
  /* RTLD_NOW: a missing symbol is found here, not in the middle of a call. */
  h = dlopen ("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return husk_error_set (err, ENOENT,
                           "--systemd-cgroup needs libsystemd.so.0 (Debian package libsystemd0): %s",
                           dlerror ());
#define HUSK_SDBUS_SYM(f)                                                                     \
  if ((husk_sdbus.f = (__typeof__ (f) *) dlsym (h, #f)) == NULL)                              \
    {                                                                                         \
      dlclose (h);                                                                            \
      return husk_error_set (err, ENOSYS, "libsystemd.so.0 has no %s (too old?)", #f);        \
    }
  HUSK_SDBUS_FUNCS (HUSK_SDBUS_SYM)
#undef HUSK_SDBUS_SYM
  lib = h;
  return 0;
}
