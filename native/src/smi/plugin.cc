#include "smi/plugin.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "core/errors.h"

namespace imlage {
namespace {

// The plugin entry point running on this thread, if any. An in-process
// plugin that calls exit() runs the C library's exit handlers on its own
// thread; the handler below then knows which plugin did it.
struct RunningCall {
  const std::string* who;
  const char* entry;
};
thread_local const RunningCall* t_running = nullptr;

// Exit status when a plugin ends the process with exit() (EX_SOFTWARE):
// finishing exit() from a worker thread while Node runs would abort.
constexpr int kPluginExitStatus = 70;

void OnExit() {
  const RunningCall* call = t_running;
  if (call == nullptr) return;  // an ordinary exit, not from inside a plugin
  const std::string message =
      "imlage: fatal: " + *call->who + " called exit() inside " + call->entry +
      "(); an in-process plugin shares imlage's process, so this ends imlage (exit status " +
      std::to_string(kPluginExitStatus) + "). Fix the plugin, or run it with isolation = \"process\".\n";
  ssize_t ignored = write(STDERR_FILENO, message.data(), message.size());
  (void)ignored;
  _exit(kPluginExitStatus);
}

// Marks a call into plugin code on this thread: for the exit() note and for
// host->set_error().
class InPlugin {
 public:
  InPlugin(const std::string& who, const char* entry, const HostServices& host)
      : call_{&who, entry}, outer_(t_running), scope_(host) {
    t_running = &call_;
  }
  ~InPlugin() { t_running = outer_; }
  InPlugin(const InPlugin&) = delete;
  InPlugin& operator=(const InPlugin&) = delete;
  const HostServices::CallScope& scope() const { return scope_; }

 private:
  RunningCall call_;
  const RunningCall* outer_;
  HostServices::CallScope scope_;
};

// Calls into plugin code. No exception may cross the ABI; if a C++ plugin
// lets one escape anyway, it becomes SMI_ERROR_INTERNAL here.
template <typename F>
smi_status Guarded(F&& f, std::string* thrown) {
  try {
    return f();
  } catch (const std::exception& e) {
    *thrown = std::string("the plugin threw a C++ exception across the ABI: ") + e.what();
  } catch (...) {
    *thrown = "the plugin threw an exception across the ABI";
  }
  return SMI_ERROR_INTERNAL;
}

template <typename F>
void GuardedVoid(F&& f) {
  try {
    f();
  } catch (...) {
  }
}

std::string CheckedString(const char* s) {
  if (s == nullptr) return std::string();
  const size_t n = strnlen(s, 4096);
  return IsValidUtf8(s, n) ? std::string(s, n) : std::string();
}

int32_t PixelFormat(int64_t channels) {
  switch (channels) {
    case 1: return SMI_PIXEL_GRAY8;
    case 2: return SMI_PIXEL_GRAYA8;
    case 3: return SMI_PIXEL_RGB8;
    case 4: return SMI_PIXEL_RGBA8;
    default: return SMI_PIXEL_NONE;
  }
}

std::string ValidateForPlugin(const ImageView& v) {
  if (v.width < 1 || v.height < 1 || v.width > 65535 || v.height > 65535) {
    return "image size " + std::to_string(v.width) + "x" + std::to_string(v.height) +
           " is not supported (1..65535 pixels per side)";
  }
  if (PixelFormat(v.channels) == SMI_PIXEL_NONE) {
    return "image has " + std::to_string(v.channels) + " channels; plugins take 1 to 4";
  }
  const uint64_t need = static_cast<uint64_t>(v.width) * static_cast<uint64_t>(v.height) *
                        static_cast<uint64_t>(v.channels);
  if (v.data == nullptr || v.length != need) {
    return "image data has " + std::to_string(v.length) + " bytes, expected " + std::to_string(need) +
           " for " + std::to_string(v.width) + "x" + std::to_string(v.height) + "x" +
           std::to_string(v.channels);
  }
  return "";
}

smi_image MakeImage(const PluginImageIn& in) {
  const ImageView& v = in.view;
  smi_image img{};
  img.struct_size = sizeof(smi_image);
  img.pixel_format = PixelFormat(v.channels);
  img.pixels = v.data;
  img.width = static_cast<uint32_t>(v.width);
  img.height = static_cast<uint32_t>(v.height);
  img.channels = static_cast<uint32_t>(v.channels);
  img.stride_bytes = static_cast<uint64_t>(v.width * v.channels);
  img.original_width = in.originalWidth;
  img.original_height = in.originalHeight;
  return img;
}

smi_image_result EmptyResult() {
  smi_image_result r{};
  r.struct_size = sizeof(smi_image_result);
  return r;
}

using Clock = std::chrono::steady_clock;

}  // namespace

Plugin::Plugin(std::unique_ptr<PluginLibrary> library, HostServices::LogSink sink, SessionConfig sessions)
    : library_(std::move(library)),
      id_(library_->id()),
      path_(library_->path()),
      major_(library_->major()),
      minor_(library_->minor()),
      threadSafe_(library_->threadSafe()),
      iface_(library_->iface()),
      ctx_(library_->ctx()),
      who_("plugin '" + library_->id() + "' (" + library_->path() + ")"),
      host_(std::move(sink), std::move(sessions)) {
  entryPoints_ = library_->OptionalEntryPoints();
  static std::once_flag registered;
  std::call_once(registered, [] { std::atexit(OnExit); });
}

Plugin::~Plugin() {
  try {
    Close();
  } catch (...) {
  }
}

std::string Plugin::Who() const { return who_; }

std::string Plugin::LastError() {
  const auto fn = iface_.get_last_error;
  if (fn == nullptr) return std::string();
  std::string out;
  InPlugin in(who_, "get_last_error", host_);
  GuardedVoid([&] { out = CheckedString(fn(ctx_)); });
  return out;
}

std::string Plugin::Detail(const HostServices::CallScope& call, const std::string& fallback) {
  if (!call.error().empty()) return call.error();
  if (!fallback.empty()) return fallback;
  return LastError();
}

std::string Plugin::Describe(const char* entry, const std::string& arg, int32_t status,
                             const HostServices::CallScope& call) {
  std::string message = Who() + ": " + entry + "(" + (arg.empty() ? "" : "'" + arg + "'") +
                        ") failed with " + StatusName(status);
  std::string detail = Detail(call, std::string());
  if (!detail.empty()) message += ": " + detail;
  return message;
}

void Plugin::Initialize(const std::string& configJson) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  const smi_plugin_interface& f = iface_;
  void* ctx = ctx_;
  const std::string who = Who();
  std::string thrown;
  {
    InPlugin in(who, "initialize", host_);
    const smi_status status =
        Guarded([&] { return f.initialize(ctx, host_.api(), configJson.c_str()); }, &thrown);
    if (status != SMI_OK) {
      std::string message = who + ": initialize() failed with " + StatusName(status);
      std::string detail = thrown.empty() ? Detail(in.scope(), std::string()) : thrown;
      if (!detail.empty()) message += ": " + detail;
      throw NativeError(code::kPluginInit, message);
    }
  }
  initialized_ = true;
  InPlugin in(who, "get_plugin_name", host_);
  GuardedVoid([&] {
    name_ = CheckedString(f.get_plugin_name(ctx));
    version_ = CheckedString(f.get_plugin_version(ctx));
    std::string frameworks =
        f.get_supported_frameworks != nullptr ? CheckedString(f.get_supported_frameworks(ctx)) : "none";
    size_t start = 0;
    while (start <= frameworks.size()) {
      size_t comma = frameworks.find(',', start);
      if (comma == std::string::npos) comma = frameworks.size();
      std::string item = frameworks.substr(start, comma - start);
      while (!item.empty() && item.front() == ' ') item.erase(item.begin());
      while (!item.empty() && item.back() == ' ') item.pop_back();
      if (!item.empty()) frameworks_.push_back(item);
      start = comma + 1;
    }
  });
  std::string problem;
  if (name_.empty()) problem = "get_plugin_name() returned NULL, an empty or a non-UTF-8 string";
  else if (version_.empty()) problem = "get_plugin_version() returned NULL, an empty or a non-UTF-8 string";
  if (problem.empty() && f.get_smi_version != nullptr) {
    uint32_t major = 0, minor = 0;
    GuardedVoid([&] { f.get_smi_version(ctx, &major, &minor); });
    if (major != major_ || minor != minor_) {
      problem = "get_smi_version() says " + std::to_string(major) + "." + std::to_string(minor) +
                " but its descriptor says " + std::to_string(major_) + "." + std::to_string(minor_);
    }
  }
  if (!problem.empty()) {
    const std::string path = path_;
    lock.unlock();
    Close();
    throw NativeError(code::kPluginBadDescriptor, "cannot load plugin " + path + ": " + problem);
  }
}

void Plugin::Close() {
  // Before the lock: calls in flight hold it, and may be polling should_abort().
  host_.RequestAbort();
  std::unique_lock<std::shared_mutex> lock(mutex_);
  if (closed_) return;
  closed_ = true;
  if (initialized_) {
    const auto fn = iface_.cleanup;
    InPlugin in(who_, "cleanup", host_);
    GuardedVoid([&] { fn(ctx_); });
  }
  library_.reset();  // dlclose
}

void Plugin::CheckOpen() const {
  if (closed_) throw NativeError(code::kClosed, "plugin is closed");
}

void Plugin::CallLifecycle(const char* entry, const std::string& arg, smi_status (*fn)(void*, const char*)) {
  if (fn == nullptr) return;  // optional: nothing to do
  const std::string who = Who();
  InPlugin in(who, entry, host_);
  std::string thrown;
  const smi_status status = Guarded([&] { return fn(ctx_, arg.c_str()); }, &thrown);
  if (status != SMI_OK) {
    throw NativeError(code::kPluginCall,
                      thrown.empty() ? Describe(entry, arg, status, in.scope()) : who + ": " + entry + ": " + thrown);
  }
}

void Plugin::RegisterModel(const SmiModelSpecIn& spec) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  CheckOpen();
  const auto fn = iface_.register_model;
  if (fn == nullptr) return;
  std::vector<const char*> files;
  for (const auto& f : spec.files) files.push_back(f.c_str());
  smi_model_desc desc{};
  desc.struct_size = sizeof desc;
  desc.file_count = static_cast<uint32_t>(files.size());
  desc.model_id = spec.id.c_str();
  desc.files = files.empty() ? nullptr : files.data();
  desc.config_json = spec.configJson.c_str();
  const std::string who = Who();
  InPlugin in(who, "register_model", host_);
  std::string thrown;
  const smi_status status = Guarded([&] { return fn(ctx_, &desc); }, &thrown);
  if (status != SMI_OK) {
    throw NativeError(code::kPluginCall, thrown.empty() ? Describe("register_model", spec.id, status, in.scope())
                                                        : who + ": register_model: " + thrown);
  }
}

void Plugin::UnregisterModel(const std::string& id) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  CheckOpen();
  CallLifecycle("unregister_model", id, iface_.unregister_model);
}

void Plugin::LoadModel(const std::string& id) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  CheckOpen();
  CallLifecycle("load_model", id, iface_.load_model);
  CallLifecycle("allocate_resources", id, iface_.allocate_resources);
}

void Plugin::UnloadModel(const std::string& id) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  CheckOpen();
  CallLifecycle("deallocate_resources", id, iface_.deallocate_resources);
  CallLifecycle("unload_model", id, iface_.unload_model);
}

std::string Plugin::ModelInfo(const std::string& id) {
  std::shared_lock<std::shared_mutex> shared(mutex_, std::defer_lock);
  std::unique_lock<std::shared_mutex> exclusive(mutex_, std::defer_lock);
  if (threadSafe_) shared.lock(); else exclusive.lock();
  CheckOpen();
  const auto fn = iface_.get_model_info;
  if (fn == nullptr) return std::string();
  const std::string who = Who();
  std::vector<char> buffer(4096);
  for (int attempt = 0; attempt < 2; ++attempt) {
    size_t required = 0;
    std::string thrown;
    InPlugin in(who, "get_model_info", host_);
    const smi_status status = Guarded(
        [&] { return fn(ctx_, id.c_str(), buffer.data(), buffer.size(), &required); }, &thrown);
    if (!thrown.empty()) throw NativeError(code::kPluginCall, who + ": get_model_info: " + thrown);
    if (status == SMI_ERROR_BUFFER_TOO_SMALL && attempt == 0 && required > buffer.size() &&
        required <= (64u << 20)) {
      buffer.assign(required, 0);
      continue;
    }
    if (status != SMI_OK) throw NativeError(code::kPluginCall, Describe("get_model_info", id, status, in.scope()));
    const void* nul = std::memchr(buffer.data(), 0, buffer.size());
    if (nul == nullptr) {
      throw NativeError(code::kPluginCall, Who() + ": get_model_info('" + id +
                                               "') wrote a string that is not NUL-terminated");
    }
    const size_t n = static_cast<const char*>(nul) - buffer.data();
    if (!IsValidUtf8(buffer.data(), n)) {
      throw NativeError(code::kPluginCall, Who() + ": get_model_info('" + id + "') wrote invalid UTF-8");
    }
    return std::string(buffer.data(), n);
  }
  throw NativeError(code::kPluginCall,
                    Who() + ": get_model_info('" + id + "') kept answering SMI_ERROR_BUFFER_TOO_SMALL");
}

SmiImageOutcome Plugin::RunOne(const char* modelId, const smi_image& image) {
  const smi_plugin_interface& f = iface_;
  void* ctx = ctx_;
  smi_image_result result = EmptyResult();
  smi_image_result* ptr = &result;
  std::string thrown;
  SmiImageOutcome out;
  {
    InPlugin in(who_, "inference", host_);
    const smi_status status = Guarded([&] { return f.inference(ctx, modelId, &image, &result); }, &thrown);
    if (!thrown.empty()) {
      out.error = thrown;
    } else if (status != SMI_OK) {
      std::string detail = Detail(in.scope(), CheckedString(result.error));
      out.error = "inference failed with " + StatusName(status) + (detail.empty() ? "" : ": " + detail);
    } else {
      CopyResult(result, image, out);
    }
  }
  InPlugin in(who_, "release_results", host_);
  GuardedVoid([&] { f.release_results(ctx, &ptr, 1); });
  return out;
}

std::vector<SmiImageOutcome> Plugin::Run(const std::string& modelId, const std::vector<PluginImageIn>& images,
                                         double* inferenceMs) {
  std::vector<SmiImageOutcome> outcomes(images.size());
  std::vector<size_t> valid;
  std::vector<smi_image> smiImages;
  for (size_t i = 0; i < images.size(); ++i) {
    std::string err = images[i].error;
    if (err.empty()) err = ValidateForPlugin(images[i].view);
    if (!err.empty()) {
      outcomes[i].error = err;
      continue;
    }
    valid.push_back(i);
    smiImages.push_back(MakeImage(images[i]));
  }
  if (valid.empty()) return outcomes;

  {
    std::shared_lock<std::shared_mutex> probe(mutex_);
    CheckOpen();
  }
  std::shared_lock<std::shared_mutex> shared(mutex_, std::defer_lock);
  std::unique_lock<std::shared_mutex> exclusive(mutex_, std::defer_lock);
  const bool threadSafe = threadSafe_;
  const smi_plugin_interface& f = iface_;
  void* ctx = ctx_;
  const char* model = modelId.c_str();
  auto lock = [&] {
    if (threadSafe) shared.lock(); else exclusive.lock();
    CheckOpen();
  };
  auto unlock = [&] {
    if (threadSafe) shared.unlock(); else exclusive.unlock();
  };

  if (f.batch_inference != nullptr) {
    std::vector<const smi_image*> imagePtrs;
    for (const smi_image& img : smiImages) imagePtrs.push_back(&img);
    std::vector<smi_image_result> results(valid.size(), EmptyResult());
    std::vector<smi_image_result*> resultPtrs;
    for (smi_image_result& r : results) resultPtrs.push_back(&r);
    std::string thrown;
    std::string failure;
    lock();
    const std::string who = Who();
    InPlugin in(who, "batch_inference", host_);
    const auto t0 = Clock::now();
    const smi_status status = Guarded(
        [&] { return f.batch_inference(ctx, model, imagePtrs.data(), imagePtrs.size(), resultPtrs.data()); },
        &thrown);
    *inferenceMs += std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!thrown.empty()) {
      failure = who + ": batch_inference: " + thrown;
    } else if (status != SMI_OK) {
      failure = Describe("batch_inference", modelId, status, in.scope());
    } else {
      for (size_t k = 0; k < valid.size(); ++k) {
        const smi_image_result& r = results[k];
        SmiImageOutcome& out = outcomes[valid[k]];
        if (r.status != SMI_OK) {
          const std::string detail = CheckedString(r.error);
          out.error = "inference failed with " + StatusName(r.status) + (detail.empty() ? "" : ": " + detail);
        } else {
          CopyResult(r, smiImages[k], out);
        }
      }
    }
    GuardedVoid([&] { f.release_results(ctx, resultPtrs.data(), resultPtrs.size()); });
    unlock();
    if (!failure.empty()) throw NativeError(code::kPluginCall, failure);
    return outcomes;
  }

  for (size_t k = 0; k < valid.size(); ++k) {
    lock();
    const auto t0 = Clock::now();
    outcomes[valid[k]] = RunOne(model, smiImages[k]);
    *inferenceMs += std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    unlock();
  }
  return outcomes;
}

}  // namespace imlage
