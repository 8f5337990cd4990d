// smi.h compiled as C++ (see header_check.c).
#include "imlage/smi.h"

namespace {
smi_status CheckInit(void*, const smi_host_api*, const char*) { return SMI_OK; }
const smi_plugin_interface kIface = {sizeof(smi_plugin_interface), 0, CheckInit, nullptr, nullptr,
                                     nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                     nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                     nullptr, nullptr};
}  // namespace

SMI_DEFINE_PLUGIN("header-check", 0, &kIface, nullptr)
