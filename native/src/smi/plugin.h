// A loaded, initialised SMI plugin (native side, no JS handles). Calls into
// the plugin go through here: each is wrapped in a catch-all, serialised
// with a mutex unless the plugin is SMI_PLUGIN_THREAD_SAFE (then inference
// calls share the lock and lifecycle calls take it exclusively), and
// failures become NativeError(IMLAGE_ERR_PLUGIN_CALL) carrying the plugin's
// get_last_error() text. Runs on worker threads.
#pragma once

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "smi/host_api.h"
#include "smi/loader.h"
#include "smi/results.h"
#include "core/preprocess.h"

namespace imlage {

// One image for Run(): the pixels, an error when the caller's object was
// already malformed (the image is then not passed), and the size of the
// picture before the host resized it (0 = unknown).
struct PluginImageIn {
  ImageView view;
  std::string error;
  uint32_t originalWidth = 0;
  uint32_t originalHeight = 0;
};

struct SmiModelSpecIn {
  std::string id;
  std::vector<std::string> files;
  std::string configJson = "{}";
};

class Plugin {
 public:
  Plugin(std::unique_ptr<PluginLibrary> library, HostServices::LogSink sink, SessionConfig sessions);
  // Closes (cleanup + dlclose) if Close() was not called.
  ~Plugin();
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  // initialize(); throws IMLAGE_ERR_PLUGIN_INIT with the plugin's message.
  // Then reads name, version and frameworks (IMLAGE_ERR_PLUGIN_BAD_DESCRIPTOR
  // if NULL or not UTF-8, after calling cleanup()).
  void Initialize(const std::string& configJson);
  // cleanup() then dlclose(); idempotent. The caller guarantees no call is
  // in flight (PluginWrap waits); the exclusive lock makes sure anyway.
  void Close();
  // should_abort() answers non-zero from now on (close() was asked for:
  // long calls in flight may stop early). Any thread, no lock.
  void RequestAbort() { host_.RequestAbort(); }

  // Copied from the library at construction, so they stay readable after
  // Close() released it, without the lock.
  const std::string& id() const { return id_; }
  const std::string& path() const { return path_; }
  uint32_t major() const { return major_; }
  uint32_t minor() const { return minor_; }
  bool threadSafe() const { return threadSafe_; }
  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  const std::vector<std::string>& frameworks() const { return frameworks_; }
  std::vector<std::string> entryPoints() const { return entryPoints_; }

  void RegisterModel(const SmiModelSpecIn& spec);
  void UnregisterModel(const std::string& id);
  // load_model, then allocate_resources.
  void LoadModel(const std::string& id);
  // deallocate_resources, then unload_model.
  void UnloadModel(const std::string& id);
  // get_model_info JSON text; "" when the plugin has no get_model_info.
  std::string ModelInfo(const std::string& id);

  // images[i].error non-empty: image i is already known bad and is not
  // passed. batch_inference if present, else inference per image. Adds the
  // time spent inside the plugin to *inferenceMs.
  std::vector<SmiImageOutcome> Run(const std::string& modelId, const std::vector<PluginImageIn>& images,
                                   double* inferenceMs);

 private:
  // "plugin 'id' (path)"
  std::string Who() const;
  // Throws IMLAGE_ERR_CLOSED after Close() (call with the lock held).
  void CheckOpen() const;
  // get_last_error() text for a failed call ("" when none).
  std::string LastError();
  // Why a call failed: set_error() text, else `fallback`, else get_last_error().
  std::string Detail(const HostServices::CallScope& call, const std::string& fallback);
  std::string Describe(const char* entry, const std::string& arg, int32_t status,
                       const HostServices::CallScope& call);
  void CallLifecycle(const char* entry, const std::string& arg,
                     smi_status (*fn)(void*, const char*));
  SmiImageOutcome RunOne(const char* modelId, const smi_image& image);

  // Only Close() (exclusive lock) and the destructor touch library_; every
  // other member function uses the copies below.
  std::unique_ptr<PluginLibrary> library_;
  const std::string id_;
  const std::string path_;
  const uint32_t major_;
  const uint32_t minor_;
  const bool threadSafe_;
  const smi_plugin_interface iface_;
  void* const ctx_;
  const std::string who_;  // "plugin 'id' (path)"
  HostServices host_;
  std::shared_mutex mutex_;
  bool initialized_ = false;
  bool closed_ = false;
  std::string name_;
  std::string version_;
  std::vector<std::string> frameworks_;
  std::vector<std::string> entryPoints_;
};

}  // namespace imlage
