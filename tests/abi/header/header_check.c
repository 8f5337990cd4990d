/* Compiles smi.h alone, as C99 (and, as header_check.cc, as C++), with
 * -Wall -Wextra -Werror -pedantic: built by the smi_header_check target. */
#include "imlage/smi.h"

static smi_status check_init(void* ctx, const smi_host_api* host, const char* config) {
  (void)ctx;
  (void)host;
  (void)config;
  return SMI_OK;
}

static const smi_plugin_interface check_iface = {.struct_size = sizeof(smi_plugin_interface),
                                                 .initialize = check_init};

SMI_DEFINE_PLUGIN("header-check", SMI_PLUGIN_THREAD_SAFE, &check_iface, NULL)
