/* libFuzzer target for the config parser and validator:
 *   make fuzz && build-fuzz/fuzz_config -max_total_time=60 tests/fuzz/corpus */
#include <stddef.h>
#include <stdint.h>

#include "oci/config.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct husk_error *err = NULL;
  struct oci_config *c = oci_config_parse ((const char *) data, size, &err);

  if (c)
    {
      oci_config_validate (c, &err);
      oci_config_free (c);
    }
  husk_error_free (err);
  return 0;
}
