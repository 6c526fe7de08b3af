/* libsystemd, loaded when the systemd driver is first used.
 *
 * Linking libsystemd costs every husk command its loading (a dozen more
 * libraries: ~2 ms per `state`, `start` or `kill` here, for a driver most
 * invocations never touch), so husk calls sd-bus through pointers that
 * husk_sdbus_load() fills with dlopen/dlsym.  The header's types and
 * prototypes are used as they are; only the calls go through the table.
 * Include this instead of <systemd/sd-bus.h>. */
#ifndef HUSK_CGROUP_SDBUS_H
#define HUSK_CGROUP_SDBUS_H

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "util/error.h"

#define HUSK_SDBUS_FUNCS(X)                                                                   \
  X (sd_bus_call)                                                                             \
  X (sd_bus_call_method)                                                                      \
  X (sd_bus_error_free)                                                                       \
  X (sd_bus_error_get_errno)                                                                  \
  X (sd_bus_error_has_name)                                                                   \
  X (sd_bus_flush_close_unref)                                                                \
  X (sd_bus_get_property_string)                                                              \
  X (sd_bus_match_signal)                                                                     \
  X (sd_bus_message_append)                                                                   \
  X (sd_bus_message_append_array)                                                             \
  X (sd_bus_message_close_container)                                                          \
  X (sd_bus_message_new_method_call)                                                          \
  X (sd_bus_message_open_container)                                                           \
  X (sd_bus_message_read)                                                                     \
  X (sd_bus_message_unref)                                                                    \
  X (sd_bus_new)                                                                              \
  X (sd_bus_open_system)                                                                      \
  X (sd_bus_open_user)                                                                        \
  X (sd_bus_process)                                                                          \
  X (sd_bus_set_address)                                                                      \
  X (sd_bus_slot_unref)                                                                       \
  X (sd_bus_start)                                                                            \
  X (sd_bus_unref)                                                                            \
  X (sd_bus_wait)

struct husk_sdbus
{
#define HUSK_SDBUS_PTR(f) __typeof__ (f) *f;
  HUSK_SDBUS_FUNCS (HUSK_SDBUS_PTR)
#undef HUSK_SDBUS_PTR
};
extern struct husk_sdbus husk_sdbus;

/* Load libsystemd.so.0 and every function of the table, once; an error names
 * the library and what to install when it is missing. */
int husk_sdbus_load (struct husk_error **err);
/* Whether husk_sdbus_load succeeded: cleanups that may run before it did
 * (a NULL bus, an empty error) must not call through an empty table. */
bool husk_sdbus_loaded (void);

#ifndef HUSK_SDBUS_IMPL
#define sd_bus_call (*husk_sdbus.sd_bus_call)
#define sd_bus_call_method (*husk_sdbus.sd_bus_call_method)
#define sd_bus_error_free (*husk_sdbus.sd_bus_error_free)
#define sd_bus_error_get_errno (*husk_sdbus.sd_bus_error_get_errno)
#define sd_bus_error_has_name (*husk_sdbus.sd_bus_error_has_name)
#define sd_bus_flush_close_unref (*husk_sdbus.sd_bus_flush_close_unref)
#define sd_bus_get_property_string (*husk_sdbus.sd_bus_get_property_string)
#define sd_bus_match_signal (*husk_sdbus.sd_bus_match_signal)
#define sd_bus_message_append (*husk_sdbus.sd_bus_message_append)
#define sd_bus_message_append_array (*husk_sdbus.sd_bus_message_append_array)
#define sd_bus_message_close_container (*husk_sdbus.sd_bus_message_close_container)
#define sd_bus_message_new_method_call (*husk_sdbus.sd_bus_message_new_method_call)
#define sd_bus_message_open_container (*husk_sdbus.sd_bus_message_open_container)
#define sd_bus_message_read (*husk_sdbus.sd_bus_message_read)
#define sd_bus_message_unref (*husk_sdbus.sd_bus_message_unref)
#define sd_bus_new (*husk_sdbus.sd_bus_new)
#define sd_bus_open_system (*husk_sdbus.sd_bus_open_system)
#define sd_bus_open_user (*husk_sdbus.sd_bus_open_user)
#define sd_bus_process (*husk_sdbus.sd_bus_process)
#define sd_bus_set_address (*husk_sdbus.sd_bus_set_address)
#define sd_bus_slot_unref (*husk_sdbus.sd_bus_slot_unref)
#define sd_bus_start (*husk_sdbus.sd_bus_start)
#define sd_bus_unref (*husk_sdbus.sd_bus_unref)
#define sd_bus_wait (*husk_sdbus.sd_bus_wait)
#endif

#endif
