#include "smi/host_api.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include "core/errors.h"
#include "ort/loader.h"
#include "ort/session.h"
#include "smi/results.h"

// The opaque session handed to plugins (declared in smi.h).
struct smi_session {
  struct Io {
    std::string name;
    std::vector<int64_t> shape;
    int32_t dtype = SMI_DTYPE_UNDEFINED;
  };
  std::unique_ptr<imlage::Session> session;
  std::vector<Io> inputs;
  std::vector<Io> outputs;
};

namespace imlage {
namespace {

// Host-owned output list: the public struct is the base, so release can
// static_cast back.
struct TensorListImpl : smi_tensor_list {
  std::vector<FloatTensor> storage;
  std::vector<smi_tensor> items;
  std::vector<const smi_tensor*> pointers;
};

thread_local std::string t_lastError;
// The plugin entry point running on this thread (innermost), for set_error.
thread_local HostServices::CallScope* t_call = nullptr;

smi_status SetError(smi_status status, std::string message) {
  t_lastError = std::move(message);
  return status;
}

smi_status StatusFor(const NativeError& e) {
  if (e.code() == code::kModelNotFound) return SMI_ERROR_NOT_FOUND;
  if (e.code() == code::kOrtNotLoaded) return SMI_ERROR_NOT_SUPPORTED;
  if (e.code() == code::kInvalidArg) return SMI_ERROR_INVALID_ARGUMENT;
  if (e.code() == code::kNotImplemented || e.code() == code::kUnsupportedModel) {
    return SMI_ERROR_NOT_SUPPORTED;
  }
  return SMI_ERROR;
}

// Runs f, turning any exception into a status + thread-local message.
template <typename F>
smi_status Guard(const char* what, F&& f) {
  try {
    return f();
  } catch (const NativeError& e) {
    return SetError(StatusFor(e), std::string(what) + ": " + e.what());
  } catch (const std::bad_alloc&) {
    return SetError(SMI_ERROR_OUT_OF_MEMORY, std::string(what) + ": out of memory");
  } catch (const std::exception& e) {
    return SetError(SMI_ERROR_INTERNAL, std::string(what) + ": " + e.what());
  } catch (...) {
    return SetError(SMI_ERROR_INTERNAL, std::string(what) + ": unknown exception");
  }
}

int32_t ToSmiDtype(ONNXTensorElementDataType t) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: return SMI_DTYPE_FLOAT32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8: return SMI_DTYPE_UINT8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8: return SMI_DTYPE_INT8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: return SMI_DTYPE_INT32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: return SMI_DTYPE_INT64;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE: return SMI_DTYPE_FLOAT64;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED: return SMI_DTYPE_UNDEFINED;
    default: return SMI_DTYPE_OTHER;
  }
}

bool FromSmiDtype(int32_t t, ONNXTensorElementDataType* out, size_t* elementSize) {
  switch (t) {
    case SMI_DTYPE_FLOAT32: *out = ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT; *elementSize = 4; return true;
    case SMI_DTYPE_UINT8: *out = ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8; *elementSize = 1; return true;
    case SMI_DTYPE_INT8: *out = ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8; *elementSize = 1; return true;
    case SMI_DTYPE_INT32: *out = ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32; *elementSize = 4; return true;
    case SMI_DTYPE_INT64: *out = ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64; *elementSize = 8; return true;
    case SMI_DTYPE_FLOAT64: *out = ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE; *elementSize = 8; return true;
    default: return false;
  }
}

smi_session::Io ToIo(const TensorMeta& m) {
  smi_session::Io io;
  io.name = m.name;
  io.shape = m.shape;
  io.dtype = ToSmiDtype(m.type);
  return io;
}

// One CPU memory description for wrapping plugin buffers (never freed, like ORT).
OrtMemoryInfo* CpuMemoryInfo(const OrtApi& api) {
  static std::once_flag once;
  static OrtMemoryInfo* info = nullptr;
  static std::string error;
  std::call_once(once, [&] {
    OrtStatus* s = api.CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &info);
    if (s != nullptr) error = TakeStatusMessage(api, s);
  });
  if (info == nullptr) throw NativeError(code::kOrt, "CreateCpuMemoryInfo: " + error);
  return info;
}

HostServices* Self(void* hostCtx) { return static_cast<HostServices*>(hostCtx); }

// Plugin text, bounded and made valid UTF-8 (bad bytes become '?').
std::string PluginText(const char* s, size_t max) {
  std::string out(s, strnlen(s, max));
  if (IsValidUtf8(out.data(), out.size())) return out;
  std::string clean;
  for (size_t i = 0; i < out.size(); ++i) {
    size_t len = 1;
    const unsigned char c = static_cast<unsigned char>(out[i]);
    if (c >= 0xF0) len = 4; else if (c >= 0xE0) len = 3; else if (c >= 0xC0) len = 2;
    if (i + len <= out.size() && IsValidUtf8(out.data() + i, len)) {
      clean.append(out, i, len);
      i += len - 1;
    } else {
      clean += '?';
    }
  }
  return clean;
}

void HostLog(void* hostCtx, int32_t level, const char* message) {
  if (hostCtx == nullptr || message == nullptr) return;
  try {
    Self(hostCtx)->Log(level, PluginText(message, 64 * 1024));
  } catch (...) {
    // Logging never fails the plugin.
  }
}

void* HostAlloc(void*, size_t size) { return size == 0 ? nullptr : std::malloc(size); }
void HostFree(void*, void* ptr) { std::free(ptr); }

int32_t HostShouldAbort(void* hostCtx) {
  return hostCtx != nullptr && Self(hostCtx)->AbortRequested() ? 1 : 0;
}

const char* HostLastError(void*) { return t_lastError.c_str(); }

smi_status SessionCreate(void* hostCtx, const char* modelPath, smi_session** out) {
  return Guard("session_create", [&]() -> smi_status {
    if (hostCtx == nullptr || modelPath == nullptr || out == nullptr) {
      return SetError(SMI_ERROR_INVALID_ARGUMENT,
                      "session_create: host_ctx, model_path and session must not be NULL");
    }
    const OrtRuntime& ort = CurrentOrt();
    const HostServices& host = *Self(hostCtx);
    auto s = std::make_unique<smi_session>();
    // The plugin's sessions get the engine's providers and thread count.
    s->session = std::make_unique<Session>(ort, modelPath, nullptr, 0, host.sessions());
    const std::string threads = host.sessions().intraOpThreads > 0
                                    ? std::to_string(host.sessions().intraOpThreads) + " intra-op threads"
                                    : "ONNX Runtime's default threads";
    host.Log(SMI_LOG_DEBUG, std::string("host session ") + modelPath + ": provider " +
                                s->session->provider() + ", " + threads);
    for (const std::string& w : s->session->warnings()) host.Log(SMI_LOG_WARN, "host session: " + w);
    for (const auto& m : s->session->inputs()) s->inputs.push_back(ToIo(m));
    for (const auto& m : s->session->outputs()) s->outputs.push_back(ToIo(m));
    *out = s.release();
    return SMI_OK;
  });
}

smi_status IoCount(const smi_session* s, bool output, size_t* count) {
  if (s == nullptr || count == nullptr) {
    return SetError(SMI_ERROR_INVALID_ARGUMENT, "session and count must not be NULL");
  }
  *count = output ? s->outputs.size() : s->inputs.size();
  return SMI_OK;
}

smi_status IoInfo(const smi_session* s, bool output, size_t index, smi_tensor_info* info) {
  if (s == nullptr || info == nullptr) {
    return SetError(SMI_ERROR_INVALID_ARGUMENT, "session and info must not be NULL");
  }
  const auto& list = output ? s->outputs : s->inputs;
  if (index >= list.size()) {
    return SetError(SMI_ERROR_INVALID_ARGUMENT,
                    std::string(output ? "output" : "input") + " index " + std::to_string(index) +
                        " is out of range (the session has " + std::to_string(list.size()) + ")");
  }
  if (info->struct_size < SMI_SIZE_THROUGH(smi_tensor_info, struct_size)) {
    return SetError(SMI_ERROR_INVALID_ARGUMENT, "smi_tensor_info.struct_size is not set");
  }
  // Write only the members the caller's struct_size covers.
  smi_tensor_info full{};
  full.struct_size = info->struct_size;
  full.dtype = list[index].dtype;
  full.name = list[index].name.c_str();
  full.shape = list[index].shape.empty() ? nullptr : list[index].shape.data();
  full.rank = static_cast<uint32_t>(list[index].shape.size());
  std::memcpy(info, &full, std::min<size_t>(info->struct_size, sizeof full));
  return SMI_OK;
}

smi_status SessionInputCount(void*, const smi_session* s, size_t* n) {
  return Guard("session_input_count", [&] { return IoCount(s, false, n); });
}
smi_status SessionOutputCount(void*, const smi_session* s, size_t* n) {
  return Guard("session_output_count", [&] { return IoCount(s, true, n); });
}
smi_status SessionInputInfo(void*, const smi_session* s, size_t i, smi_tensor_info* info) {
  return Guard("session_input_info", [&] { return IoInfo(s, false, i, info); });
}
smi_status SessionOutputInfo(void*, const smi_session* s, size_t i, smi_tensor_info* info) {
  return Guard("session_output_info", [&] { return IoInfo(s, true, i, info); });
}

smi_status SessionRun(void*, const smi_session* s, const smi_tensor* const* inputs,
                      size_t inputCount, const char* const* outputNames, size_t outputCount,
                      smi_tensor_list** out) {
  return Guard("session_run", [&]() -> smi_status {
    if (s == nullptr || out == nullptr || (inputs == nullptr && inputCount > 0)) {
      return SetError(SMI_ERROR_INVALID_ARGUMENT, "session_run: session, inputs and outputs must not be NULL");
    }
    const OrtApi& api = *CurrentOrt().api;
    std::vector<std::string> names;
    std::vector<ValuePtr> owned;
    std::vector<const OrtValue*> values;
    for (size_t i = 0; i < inputCount; ++i) {
      const smi_tensor* t = inputs[i];
      const std::string where = "session_run: input " + std::to_string(i);
      if (t == nullptr || t->struct_size < SMI_TENSOR_V1_0_SIZE) {
        return SetError(SMI_ERROR_INVALID_ARGUMENT, where + " is NULL or its struct_size is too small");
      }
      if (t->name == nullptr) return SetError(SMI_ERROR_INVALID_ARGUMENT, where + " has no name");
      ONNXTensorElementDataType type;
      size_t elementSize = 0;
      if (!FromSmiDtype(t->dtype, &type, &elementSize)) {
        return SetError(SMI_ERROR_INVALID_ARGUMENT, where + " has unsupported dtype " + std::to_string(t->dtype));
      }
      if (t->rank > 16 || (t->rank > 0 && t->shape == nullptr)) {
        return SetError(SMI_ERROR_INVALID_ARGUMENT, where + " has an invalid shape");
      }
      uint64_t count = 1;
      for (uint32_t d = 0; d < t->rank; ++d) {
        if (t->shape[d] < 0 || (t->shape[d] > 0 && count > (uint64_t{1} << 40) / static_cast<uint64_t>(t->shape[d]))) {
          return SetError(SMI_ERROR_INVALID_ARGUMENT, where + " has an invalid shape");
        }
        count *= static_cast<uint64_t>(t->shape[d]);
      }
      if (t->byte_size != count * elementSize || (count > 0 && t->data == nullptr)) {
        return SetError(SMI_ERROR_INVALID_ARGUMENT,
                        where + " ('" + t->name + "'): byte_size " + std::to_string(t->byte_size) +
                            " does not match its shape (" + std::to_string(count * elementSize) + " bytes)");
      }
      OrtValue* v = nullptr;
      ThrowIfFailed(api,
                    api.CreateTensorWithDataAsOrtValue(CpuMemoryInfo(api), t->data, t->byte_size,
                                                       t->shape, t->rank, type, &v),
                    where);
      owned.emplace_back(v);
      values.push_back(v);
      names.emplace_back(t->name);
    }
    std::vector<std::string> outNames;
    if (outputNames == nullptr) {
      for (const auto& io : s->outputs) outNames.push_back(io.name);
    } else {
      for (size_t i = 0; i < outputCount; ++i) {
        if (outputNames[i] == nullptr) return SetError(SMI_ERROR_INVALID_ARGUMENT, "session_run: NULL output name");
        outNames.emplace_back(outputNames[i]);
      }
    }
    auto list = std::make_unique<TensorListImpl>();
    list->storage = s->session->Run(names, values, outNames);
    list->items.resize(list->storage.size());
    for (size_t i = 0; i < list->storage.size(); ++i) {
      FloatTensor& f = list->storage[i];
      smi_tensor& t = list->items[i];
      t = smi_tensor{};
      t.struct_size = sizeof(smi_tensor);
      t.dtype = SMI_DTYPE_FLOAT32;
      t.name = f.name.c_str();
      t.data = f.data.empty() ? nullptr : f.data.data();
      t.shape = f.shape.empty() ? nullptr : f.shape.data();
      t.rank = static_cast<uint32_t>(f.shape.size());
      t.byte_size = f.data.size() * sizeof(float);
    }
    for (const smi_tensor& t : list->items) list->pointers.push_back(&t);
    list->struct_size = sizeof(smi_tensor_list);
    list->count = static_cast<uint32_t>(list->pointers.size());
    list->tensors = list->pointers.empty() ? nullptr : list->pointers.data();
    *out = list.release();
    return SMI_OK;
  });
}

void TensorsRelease(void*, smi_tensor_list* list) {
  delete static_cast<TensorListImpl*>(list);  // NULL is fine
}

void SessionRelease(void*, smi_session* s) { delete s; }

}  // namespace

HostServices::CallScope::CallScope(const HostServices& host) : host_(&host), outer_(t_call) {
  t_call = this;
}

HostServices::CallScope::~CallScope() { t_call = outer_; }

void SetCallError(void* hostCtx, const char* message) {
  if (hostCtx == nullptr || message == nullptr) return;
  // Only the thread running an entry point of this very plugin may set its error.
  HostServices::CallScope* scope = t_call;
  if (scope == nullptr || scope->host_ != Self(hostCtx)) return;
  try {
    scope->error_ = PluginText(message, 4095);
  } catch (...) {
    // Out of memory: the status alone explains the failure.
  }
}

HostServices::HostServices(LogSink sink, SessionConfig sessions)
    : sink_(std::move(sink)), sessions_(std::move(sessions)) {
  api_.struct_size = sizeof(smi_host_api);
  api_.smi_version_major = SMI_VERSION_MAJOR;
  api_.smi_version_minor = SMI_VERSION_MINOR;
  api_.host_ctx = this;
  api_.log = HostLog;
  api_.alloc = HostAlloc;
  api_.free = HostFree;
  api_.should_abort = HostShouldAbort;
  api_.get_last_error = HostLastError;
  api_.session_create = SessionCreate;
  api_.session_input_count = SessionInputCount;
  api_.session_output_count = SessionOutputCount;
  api_.session_input_info = SessionInputInfo;
  api_.session_output_info = SessionOutputInfo;
  api_.session_run = SessionRun;
  api_.tensors_release = TensorsRelease;
  api_.session_release = SessionRelease;
  api_.set_error = SetCallError;
}

void HostServices::Log(int32_t level, const std::string& message) const {
  if (!sink_) return;
  if (level < SMI_LOG_DEBUG) level = SMI_LOG_DEBUG;
  if (level > SMI_LOG_ERROR) level = SMI_LOG_ERROR;
  sink_(level, message);
}

}  // namespace imlage
