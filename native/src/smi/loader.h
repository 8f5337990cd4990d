// Opens an SMI plugin library (dlopen RTLD_NOW|RTLD_LOCAL), finds
// smi_plugin_init and validates the descriptor and interface table against
// SMI 1.x. Every refusal is a NativeError with an IMLAGE_ERR_PLUGIN_* code
// whose message names the library path and the reason. Native only; runs on
// any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imlage/smi.h"

namespace imlage {

class PluginLibrary {
 public:
  // Throws NativeError: IMLAGE_ERR_PLUGIN_NOT_FOUND, _LOAD, _NO_INIT,
  // _BAD_DESCRIPTOR or _VERSION. Does not call initialize().
  static std::unique_ptr<PluginLibrary> Open(const std::string& path);
  ~PluginLibrary();  // dlclose (call only after cleanup())
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  const std::string& path() const { return path_; }
  const std::string& id() const { return id_; }
  uint32_t major() const { return major_; }
  uint32_t minor() const { return minor_; }
  uint32_t flags() const { return flags_; }
  bool threadSafe() const { return (flags_ & SMI_PLUGIN_THREAD_SAFE) != 0; }
  void* ctx() const { return ctx_; }
  // The plugin's table copied into a host-sized, zero-filled struct: entries
  // beyond the plugin's struct_size read as NULL.
  const smi_plugin_interface& iface() const { return iface_; }
  // Non-NULL optional entry points by name ("batch_inference", ...).
  std::vector<std::string> OptionalEntryPoints() const;

 private:
  PluginLibrary() = default;

  void* handle_ = nullptr;
  std::string path_;
  std::string id_;
  uint32_t major_ = 0;
  uint32_t minor_ = 0;
  uint32_t flags_ = 0;
  void* ctx_ = nullptr;
  smi_plugin_interface iface_{};
};

// "built for aarch64, this host is x86_64" when path is an ELF file for
// another machine or class; "" otherwise (also for non-ELF files).
std::string ForeignElfReason(const std::string& path);

}  // namespace imlage
