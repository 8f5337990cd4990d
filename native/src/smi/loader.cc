#include "smi/loader.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>

#include "core/errors.h"
#include "smi/results.h"

namespace imlage {
namespace {

// ELF e_machine values (elf.h is not available on every platform we build).
struct Machine {
  uint16_t id;
  const char* name;
};
constexpr Machine kMachines[] = {
    {3, "x86 (i386)"}, {8, "mips"},  {20, "ppc"},       {21, "ppc64"},   {22, "s390x"},
    {40, "arm"},       {62, "x86_64"}, {183, "aarch64"}, {243, "riscv"}, {258, "loongarch"},
};

std::string MachineName(uint16_t id) {
  for (const Machine& m : kMachines) {
    if (m.id == id) return m.name;
  }
  return "ELF machine " + std::to_string(id);
}

#if defined(__x86_64__)
constexpr uint16_t kHostMachine = 62;
#elif defined(__aarch64__)
constexpr uint16_t kHostMachine = 183;
#elif defined(__i386__)
constexpr uint16_t kHostMachine = 3;
#elif defined(__arm__)
constexpr uint16_t kHostMachine = 40;
#elif defined(__riscv)
constexpr uint16_t kHostMachine = 243;
#elif defined(__powerpc64__)
constexpr uint16_t kHostMachine = 21;
#elif defined(__s390x__)
constexpr uint16_t kHostMachine = 22;
#else
constexpr uint16_t kHostMachine = 0;  // unknown: skip the check
#endif

// Libraries currently open as plugins, by dlopen handle (the same file
// reached through another path or a symlink has the same handle). The ABI
// has one plugin_ctx per library, so a library is initialised at most once
// at a time per process.
std::mutex g_openMutex;

constexpr size_t kMaxPluginIdBytes = 64;
std::map<void*, std::string> g_open;  // handle -> path it was opened as

std::string Fail(const std::string& path, const std::string& reason) {
  return "cannot load plugin " + path + ": " + reason;
}

// Why a plugin_id is unusable ("" when it is fine). Read at most one byte
// past the limit: the string may not even be terminated.
std::string PluginIdProblem(const char* id) {
  const size_t n = strnlen(id, kMaxPluginIdBytes + 1);
  if (n == 0) return "is empty";
  if (n > kMaxPluginIdBytes) return "is longer than " + std::to_string(kMaxPluginIdBytes) + " bytes";
  if (!IsValidUtf8(id, n)) return "is not valid UTF-8";
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(id[i]);
    if (c < 0x20 || c == 0x7f) return "contains a control character";
  }
  return "";
}

}  // namespace

std::string ForeignElfReason(const std::string& path) {
  unsigned char h[20] = {0};
  std::ifstream in(path, std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(h), sizeof h)) return "";
  if (std::memcmp(h, "\x7f" "ELF", 4) != 0) return "";
  const bool little = h[5] == 1;
  const uint16_t machine = little ? static_cast<uint16_t>(h[18] | (h[19] << 8))
                                  : static_cast<uint16_t>((h[18] << 8) | h[19]);
  if (kHostMachine != 0 && machine != kHostMachine) {
    return "built for " + MachineName(machine) + ", this host is " + MachineName(kHostMachine);
  }
  const int hostClass = sizeof(void*) == 8 ? 2 : 1;
  if (h[4] != hostClass) {
    return std::string("built as a ") + (h[4] == 2 ? "64" : "32") + "-bit library, this host is " +
           (hostClass == 2 ? "64" : "32") + "-bit";
  }
  return "";
}

std::unique_ptr<PluginLibrary> PluginLibrary::Open(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    throw NativeError(code::kPluginNotFound,
                      Fail(path, "the file does not exist (" + std::string(std::strerror(errno)) + ")"));
  }
  if (S_ISDIR(st.st_mode)) {
    throw NativeError(code::kPluginLoad, Fail(path, "it is a directory, not a shared library"));
  }
  const std::string foreign = ForeignElfReason(path);
  if (!foreign.empty()) throw NativeError(code::kPluginLoad, Fail(path, foreign));

  std::unique_ptr<PluginLibrary> lib(new PluginLibrary());
  lib->path_ = path;
  dlerror();
  lib->handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib->handle_ == nullptr) {
    const char* err = dlerror();
    throw NativeError(code::kPluginLoad,
                      Fail(path, "not a loadable shared library for this host: " +
                                     std::string(err != nullptr ? err : "unknown dlopen error")));
  }
  {
    std::lock_guard<std::mutex> lock(g_openMutex);
    auto it = g_open.find(lib->handle_);
    if (it != g_open.end()) {
      const std::string first = it->second;
      dlclose(lib->handle_);  // drops only the reference this call added
      lib->handle_ = nullptr;
      throw NativeError(code::kPluginLoad,
                        Fail(path, "this library is already loaded in this process (as " + first +
                                       "); an SMI library has one instance per process: close the "
                                       "other NativePlugin first, or share it"));
    }
    g_open.emplace(lib->handle_, path);
  }
  dlerror();
  void* sym = dlsym(lib->handle_, SMI_PLUGIN_INIT_SYMBOL);
  if (sym == nullptr) {
    throw NativeError(code::kPluginNoInit,
                      Fail(path, "it does not export " SMI_PLUGIN_INIT_SYMBOL
                                 "() (is it an SMI plugin? build with SMI_DEFINE_PLUGIN)"));
  }
  smi_plugin_init_fn init = nullptr;
  static_assert(sizeof(init) == sizeof(sym), "function and object pointers differ in size");
  std::memcpy(&init, &sym, sizeof init);

  const smi_plugin_descriptor* d = nullptr;
  try {
    d = init();
  } catch (...) {
    throw NativeError(code::kPluginBadDescriptor,
                      Fail(path, SMI_PLUGIN_INIT_SYMBOL "() threw a C++ exception across the ABI"));
  }
  if (d == nullptr) {
    throw NativeError(code::kPluginBadDescriptor, Fail(path, SMI_PLUGIN_INIT_SYMBOL "() returned NULL"));
  }
  // struct_size, smi_version_major and smi_version_minor are frozen across
  // majors: read them before anything else.
  const size_t versionEnd = SMI_SIZE_THROUGH(smi_plugin_descriptor, smi_version_minor);
  if (d->struct_size < versionEnd) {
    throw NativeError(code::kPluginBadDescriptor,
                      Fail(path, "its descriptor's struct_size is " + std::to_string(d->struct_size) +
                                     " bytes, too small to hold even the SMI version (" +
                                     std::to_string(versionEnd) + " bytes)"));
  }
  lib->major_ = d->smi_version_major;
  lib->minor_ = d->smi_version_minor;
  const std::string theirs = std::to_string(lib->major_) + "." + std::to_string(lib->minor_);
  const std::string ours = std::to_string(SMI_VERSION_MAJOR) + "." + std::to_string(SMI_VERSION_MINOR);
  if (lib->major_ != SMI_VERSION_MAJOR) {
    throw NativeError(code::kPluginVersion,
                      Fail(path, "it was built for SMI " + theirs + ", this host implements SMI " +
                                     ours + " (the major versions must match; rebuild the plugin "
                                     "against this imlage's native/include/imlage/smi.h)"));
  }
  if (d->struct_size < SMI_PLUGIN_DESCRIPTOR_V1_0_SIZE) {
    throw NativeError(code::kPluginBadDescriptor,
                      Fail(path, "its descriptor's struct_size is " + std::to_string(d->struct_size) +
                                     " bytes, SMI 1.0 requires at least " +
                                     std::to_string(SMI_PLUGIN_DESCRIPTOR_V1_0_SIZE)));
  }
  if (d->plugin_id == nullptr) {
    throw NativeError(code::kPluginBadDescriptor, Fail(path, "its descriptor's plugin_id is NULL"));
  }
  const std::string idProblem = PluginIdProblem(d->plugin_id);
  if (!idProblem.empty()) {
    throw NativeError(code::kPluginBadDescriptor, Fail(path, "its descriptor's plugin_id " + idProblem));
  }
  if (d->iface == nullptr) {
    throw NativeError(code::kPluginBadDescriptor,
                      Fail(path, "its descriptor's interface table (iface) is NULL"));
  }
  const smi_plugin_interface* theirIface = d->iface;
  if (theirIface->struct_size < SMI_PLUGIN_INTERFACE_V1_0_SIZE) {
    throw NativeError(code::kPluginBadDescriptor,
                      Fail(path, "its interface table's struct_size is " +
                                     std::to_string(theirIface->struct_size) +
                                     " bytes, SMI 1.0 requires at least " +
                                     std::to_string(SMI_PLUGIN_INTERFACE_V1_0_SIZE)));
  }
  // Copy only what both sides know; a newer plugin's extra entries are ignored.
  std::memcpy(&lib->iface_, theirIface,
              std::min<size_t>(theirIface->struct_size, sizeof(smi_plugin_interface)));
  lib->iface_.struct_size = sizeof(smi_plugin_interface);
  lib->id_ = d->plugin_id;
  lib->flags_ = d->flags;
  lib->ctx_ = d->plugin_ctx;

  const smi_plugin_interface& f = lib->iface_;
  const char* missing = nullptr;
  if (f.initialize == nullptr) missing = "initialize";
  else if (f.cleanup == nullptr) missing = "cleanup";
  else if (f.inference == nullptr && f.batch_inference == nullptr) missing = "inference or batch_inference";
  else if (f.release_results == nullptr) missing = "release_results";
  else if (f.get_plugin_name == nullptr) missing = "get_plugin_name";
  else if (f.get_plugin_version == nullptr) missing = "get_plugin_version";
  if (missing != nullptr) {
    throw NativeError(code::kPluginBadDescriptor,
                      Fail(path, std::string("the required entry point ") + missing +
                                     " is NULL in its interface table"));
  }
  return lib;
}

PluginLibrary::~PluginLibrary() {
  if (handle_ == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(g_openMutex);
    g_open.erase(handle_);
  }
  dlclose(handle_);
}

std::vector<std::string> PluginLibrary::OptionalEntryPoints() const {
  std::vector<std::string> out;
  const smi_plugin_interface& f = iface_;
  auto add = [&](bool present, const char* name) {
    if (present) out.emplace_back(name);
  };
  add(f.register_model != nullptr, "register_model");
  add(f.unregister_model != nullptr, "unregister_model");
  add(f.load_model != nullptr, "load_model");
  add(f.unload_model != nullptr, "unload_model");
  add(f.inference != nullptr, "inference");
  add(f.batch_inference != nullptr, "batch_inference");
  add(f.allocate_resources != nullptr, "allocate_resources");
  add(f.deallocate_resources != nullptr, "deallocate_resources");
  add(f.get_model_info != nullptr, "get_model_info");
  add(f.get_supported_frameworks != nullptr, "get_supported_frameworks");
  add(f.get_smi_version != nullptr, "get_smi_version");
  add(f.get_last_error != nullptr, "get_last_error");
  return out;
}

}  // namespace imlage
